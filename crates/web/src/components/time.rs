//! Times as people read them: "5 min ago", "yesterday", "12 Mar".

use chrono::{DateTime, Local, Utc};
use leptos::prelude::*;

pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

pub fn relative(at: DateTime<Utc>) -> String {
    let seconds = (now() - at).num_seconds();
    if seconds < -60 {
        // Rounded, not floored: an invitation made now for 7 days expires "in 7 days", not "in 6 days".
        let ahead = -seconds;
        return match ahead {
            0..3600 => format!("in {} min", (ahead + 30) / 60),
            3600..86_400 => format!("in {} h", (ahead + 1800) / 3600),
            _ => match (ahead + 43_200) / 86_400 {
                1 => "in 1 day".to_owned(),
                days => format!("in {days} days"),
            },
        };
    }
    match seconds.max(0) {
        0..60 => "just now".to_owned(),
        60..3600 => format!("{} min ago", seconds / 60),
        3600..86_400 => format!("{} h ago", seconds / 3600),
        86_400..172_800 => "yesterday".to_owned(),
        172_800..604_800 => format!("{} days ago", seconds / 86_400),
        _ => at.with_timezone(&Local).format("%-d %b %Y").to_string(),
    }
}

pub fn exact(at: DateTime<Utc>) -> String {
    at.with_timezone(&Local).format("%a %-d %b %Y, %H:%M").to_string()
}

#[component]
pub fn Time(at: DateTime<Utc>) -> impl IntoView {
    view! { <time datetime=at.to_rfc3339() title=exact(at)>{relative(at)}</time> }
}
