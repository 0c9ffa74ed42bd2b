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
