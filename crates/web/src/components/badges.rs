//! Status pills, priority markers and avatars, coloured from the same tokens everywhere.

use ferrodesk_shared::tickets::{Priority, TicketStatus};
use leptos::prelude::*;

#[component]
pub fn StatusPill(status: TicketStatus) -> impl IntoView {
    view! { <span class=format!("pill status-{}", status.as_str())>{status.as_str()}</span> }
}

/// Only high and urgent draw attention; normal and low stay quiet.
#[component]
pub fn PriorityMarker(priority: Priority) -> impl IntoView {
    match priority {
        Priority::Urgent | Priority::High => {
            view! { <span class=format!("priority {}", priority.as_str())>"▲ " {priority.as_str()}</span> }.into_any()
        }
        Priority::Normal | Priority::Low => ().into_any(),
    }
}

pub fn initials(name: &str) -> String {
    let mut letters = name.split_whitespace().filter_map(|word| word.chars().next());
    match (letters.next(), letters.next_back()) {
        (Some(first), Some(last)) => format!("{first}{last}").to_uppercase(),
        (Some(first), None) => first.to_uppercase().to_string(),
        _ => "?".to_owned(),
    }
}

#[component]
pub fn Avatar(name: String, #[prop(optional)] large: bool) -> impl IntoView {
    let class = if large { "avatar large" } else { "avatar" };
    view! { <span class=class title=name.clone() aria-label=name.clone()>{initials(&name)}</span> }
}

#[cfg(test)]
mod tests {
    /// The stylesheet the pills are drawn with.
    const STYLE: &str = include_str!("../../style.css");

    /// `light-dark(#light, #dark)` of the token `name`, as two colours.
    fn token(name: &str) -> (String, String) {
        let start = STYLE
            .find(&format!("{name}: light-dark("))
            .unwrap_or_else(|| panic!("{name} is defined"));
        let rest = &STYLE[start + name.len() + ": light-dark(".len()..];
        let inside = &rest[..rest.find(')').expect("closed")];
        let (light, dark) = inside.split_once(',').expect("two colours");
        (light.trim().to_owned(), dark.trim().to_owned())
    }

    /// WCAG 2 relative luminance of `#rrggbb`.
    fn luminance(hex: &str) -> f64 {
        let channel = |at: usize| {
            let value = f64::from(u8::from_str_radix(&hex[at..at + 2], 16).expect("hex")) / 255.0;
            if value <= 0.039_28 {
                value / 12.92
            } else {
                ((value + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (a, b) = (luminance(a), luminance(b));
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    #[test]
    fn every_status_pill_reads_at_wcag_aa_in_both_themes() {
        for status in ["new", "open", "pending", "solved", "closed"] {
            let (text_light, text_dark) = token(&format!("--status-{status}"));
            let (back_light, back_dark) = token(&format!("--status-{status}-bg"));
            for (theme, text, back) in [("light", &text_light, &back_light), ("dark", &text_dark, &back_dark)] {
                let ratio = contrast(text, back);
                assert!(
                    ratio >= 4.5,
                    "{status} in the {theme} theme: {ratio:.2} ({text} on {back})"
                );
            }
        }
    }
}
