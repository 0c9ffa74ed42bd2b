//! Status pills, priority markers, avatars and SLA badges, coloured from the same tokens everywhere.

use chrono::{DateTime, Utc};
use ferrodesk_shared::sla::TicketSla;
use ferrodesk_shared::tickets::{Priority, TicketStatus};
use leptos::prelude::*;

use crate::components::time::exact;

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

/// How pressing an SLA target is, by the share of its time still left: three hours left of an
/// eight-hour target is already a warning, three hours left of three days is not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlaUrgency {
    /// More than half of the time left.
    Ok,
    /// A quarter to a half left.
    Warning,
    /// Less than a quarter left.
    Urgent,
    /// Past due.
    Breached,
}

impl SlaUrgency {
    pub fn class(self) -> &'static str {
        match self {
            SlaUrgency::Ok => "ok",
            SlaUrgency::Warning => "warning",
            SlaUrgency::Urgent => "urgent",
            SlaUrgency::Breached => "breached",
        }
    }
}

/// A target runs from `start` (the ticket's creation) to `due`; how much of it is left at `now`.
pub fn sla_urgency(start: DateTime<Utc>, due: DateTime<Utc>, now: DateTime<Utc>) -> SlaUrgency {
    let left = (due - now).num_milliseconds();
    if left <= 0 {
        return SlaUrgency::Breached;
    }
    // A target with no length (or a clock that disagrees about the start) has nothing to share out.
    let total = (due - start).num_milliseconds().max(left);
    if left * 2 > total {
        SlaUrgency::Ok
    } else if left * 4 >= total {
        SlaUrgency::Warning
    } else {
        SlaUrgency::Urgent
    }
}

/// "due in 25 min", "due in 3 h", "due in 2 days"; "overdue" once past.
pub fn due_text(due: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (due - now).num_seconds();
    match seconds {
        ..=0 => "overdue".to_owned(),
        1..3600 => format!("due in {} min", (seconds + 59) / 60),
        3600..86_400 => format!("due in {} h", seconds / 3600),
        _ => match seconds / 86_400 {
            1 => "due in 1 day".to_owned(),
            days => format!("due in {days} days"),
        },
    }
}

/// What a ticket's SLA badge says: `(text, class, hover)`; nothing when no target is running.
pub fn sla_badge(
    sla: &TicketSla,
    created_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<(String, &'static str, String)> {
    let next = sla.next_due_at.map(|due| format!("Next target {}", exact(due)));
    if sla.breached {
        let what = if sla.escalated {
            "A target was missed; the priority was raised"
        } else {
            "A target was missed"
        };
        let hover = next.map_or_else(|| format!("{what}."), |next| format!("{what}. {next}."));
        return Some(("breached".to_owned(), "breached", hover));
    }
    let due = sla.next_due_at?;
    let urgency = sla_urgency(created_at, due, now);
    let hover = match urgency {
        SlaUrgency::Breached => format!("Target {}: missed", exact(due)),
        _ => format!("Target {}", exact(due)),
    };
    let class = match urgency {
        // Past due, before the scheduler has noticed: said as "overdue", drawn as missed.
        SlaUrgency::Breached => "overdue",
        other => other.class(),
    };
    Some((due_text(due, now), class, hover))
}

/// A ticket's next SLA target, counting down against `now`.
#[component]
pub fn SlaBadge(sla: TicketSla, created_at: DateTime<Utc>, #[prop(into)] now: Signal<DateTime<Utc>>) -> impl IntoView {
    move || {
        sla_badge(&sla, created_at, now.get()).map(|(text, class, hover)| {
            view! {
                <span class=format!("sla-badge {class}") title=hover data-testid="sla-badge">
                    <span class="sr-only">"SLA: "</span>
                    {text}
                </span>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + minutes * 60, 0).unwrap_or_default()
    }

    #[test]
    fn sla_colour_follows_the_share_of_the_target_left() {
        use SlaUrgency::*;
        // (target length in minutes, minutes since creation, expected)
        let cases = [
            (480, 0, Ok),
            (480, 239, Ok),
            (480, 240, Warning), // exactly half left
            (480, 300, Warning), // "due in 3 h" of an 8-hour target
            (480, 360, Warning), // exactly a quarter left
            (480, 361, Urgent),
            (480, 479, Urgent),
            (480, 480, Breached),
            (480, 600, Breached),
            (4320, 4140, Urgent), // 3 h left of 3 days
            (4320, 1000, Ok),     // "due in 2 days" of 3 days
            (60, -5, Ok),         // a clock a little behind the server's
            (0, 0, Breached),     // a target of no length
        ];
        for (length, elapsed, expected) in cases {
            assert_eq!(
                sla_urgency(at(0), at(length), at(elapsed)),
                expected,
                "{elapsed} min into a {length}-min target"
            );
        }
    }

    #[test]
    fn sla_badges_say_how_long_is_left() {
        let created = at(0);
        let due_at = |minutes: i64| TicketSla {
            next_due_at: Some(at(minutes)),
            ..TicketSla::default()
        };
        let text = |sla: TicketSla, now: i64| sla_badge(&sla, created, at(now)).map(|(text, class, _)| (text, class));
        assert_eq!(text(TicketSla::default(), 0), None);
        assert_eq!(text(due_at(120), 95), Some(("due in 25 min".to_owned(), "urgent")));
        assert_eq!(text(due_at(480), 300), Some(("due in 3 h".to_owned(), "warning")));
        assert_eq!(text(due_at(4320), 1440), Some(("due in 2 days".to_owned(), "ok")));
        assert_eq!(text(due_at(60), 61), Some(("overdue".to_owned(), "overdue")));
        let breached = TicketSla {
            breached: true,
            ..due_at(600)
        };
        assert_eq!(text(breached, 0), Some(("breached".to_owned(), "breached")));
        assert_eq!(due_text(at(1), at(0) + chrono::Duration::seconds(30)), "due in 1 min");
    }

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
