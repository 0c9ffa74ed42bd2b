//! How a macro reads wherever it shows (the macros page, the reply box's picker): what it does to
//! a ticket on send ("Status → Solved", "+refund"), a one-line excerpt, and the picker's search.

use ferrodesk_shared::macros::Macro;
use ferrodesk_shared::tickets::{Priority, TicketStatus};
use leptos::prelude::*;

/// `solved` → `Solved`: a status or priority as the macro pages label it.
pub fn capitalised(word: &str) -> String {
    let mut letters = word.chars();
    match letters.next() {
        Some(first) => first.to_uppercase().chain(letters).collect(),
        None => String::new(),
    }
}

/// What sending a reply written from the macro does to the ticket, one phrase each:
/// `["Status → Solved", "Priority → High", "+refund"]`.
pub fn actions(status: Option<TicketStatus>, priority: Option<Priority>, tags: &[String]) -> Vec<String> {
    status
        .map(|status| format!("Status → {}", capitalised(status.as_str())))
        .into_iter()
        .chain(priority.map(|priority| format!("Priority → {}", capitalised(priority.as_str()))))
        .chain(tags.iter().map(|tag| format!("+{tag}")))
        .collect()
}

/// The macro's text on one line: its first non-empty line, shortened to about `max` characters.
pub fn excerpt(body: &str, max: usize) -> String {
    let line = body
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or_default();
    let more = body.trim().lines().count() > 1;
    if line.chars().count() > max {
        let cut: String = line.chars().take(max).collect();
        format!("{}…", cut.trim_end())
    } else if more {
        format!("{line} …")
    } else {
        line.to_owned()
    }
}

/// Whether a macro matches what was typed in the picker's search: every word, in its title or its
/// text, ignoring case.
pub fn matches(item: &Macro, query: &str) -> bool {
    let title = item.title.to_lowercase();
    let body = item.body.to_lowercase();
    query
        .to_lowercase()
        .split_whitespace()
        .all(|word| title.contains(word) || body.contains(word))
}

/// "Never used", "Used once", "Used 12 times".
pub fn usage(count: i64) -> String {
    match count {
        ..=0 => "Never used".to_owned(),
        1 => "Used once".to_owned(),
        count => format!("Used {count} times"),
    }
}

/// Tags as typed in a comma-separated field: trimmed, empty ones and repeats dropped.
pub fn parse_tags(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in text.split(',').map(str::trim).filter(|tag| !tag.is_empty()) {
        if !tags.iter().any(|kept| kept == tag) {
            tags.push(tag.to_owned());
        }
    }
    tags
}

/// `text` with `insert` put over the selection `start..end` (UTF-16 units, what a textarea counts),
/// and where the caret goes after it. A selection past the end appends.
pub fn insert_at(text: &str, start: u32, end: u32, insert: &str) -> (String, u32) {
    let units: Vec<u16> = text.encode_utf16().collect();
    let end = (end as usize).min(units.len());
    let start = (start as usize).min(end);
    let mut out = units[..start].to_vec();
    out.extend(insert.encode_utf16());
    let caret = out.len() as u32;
    out.extend_from_slice(&units[end..]);
    (String::from_utf16_lossy(&out), caret)
}

/// The actions as small chips; "Text only" when sending it changes nothing on the ticket.
#[component]
pub fn ActionChips(actions: Vec<String>) -> impl IntoView {
    if actions.is_empty() {
        return view! { <span class="small faint">"Text only"</span> }.into_any();
    }
    view! {
        <span class="chips">
            {actions.into_iter().map(|action| view! { <span class="tag">{action}</span> }).collect_view()}
        </span>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrodesk_shared::MacroId;

    fn item(title: &str, body: &str) -> Macro {
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        Macro {
            id: MacroId(uuid::Uuid::nil()),
            title: title.to_owned(),
            body: body.to_owned(),
            set_status: None,
            set_priority: None,
            add_tags: Vec::new(),
            usage_count: 0,
            last_used_at: None,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn actions_read_as_what_happens_on_send() {
        let tags = vec!["refund".to_owned(), "vip".to_owned()];
        assert_eq!(
            actions(Some(TicketStatus::Solved), Some(Priority::High), &tags),
            ["Status → Solved", "Priority → High", "+refund", "+vip"]
        );
        assert_eq!(actions(None, None, &[]), Vec::<String>::new());
        assert_eq!(actions(Some(TicketStatus::Pending), None, &[]), ["Status → Pending"]);
    }

    #[test]
    fn excerpts_are_one_line() {
        assert_eq!(
            excerpt("\n  Hi {{customer.first_name}},\n\nThanks!", 80),
            "Hi {{customer.first_name}}, …"
        );
        assert_eq!(excerpt("Short one", 80), "Short one");
        assert_eq!(excerpt("abcdefghij klm", 10), "abcdefghij…");
        assert_eq!(excerpt("", 10), "");
    }

    #[test]
    fn the_search_looks_at_title_and_text_ignoring_case() {
        let refund = item("Refund issued", "Hi {{customer.first_name}}, your money is on its way.");
        assert!(matches(&refund, ""));
        assert!(matches(&refund, "REFUND"));
        assert!(matches(&refund, "money way"));
        assert!(matches(&refund, "refund money"));
        assert!(!matches(&refund, "password"));
    }

    #[test]
    fn placeholders_go_in_at_the_caret() {
        assert_eq!(insert_at("Hi ,", 3, 3, "{{x}}"), ("Hi {{x}},".to_owned(), 8));
        assert_eq!(insert_at("Hi NAME!", 3, 7, "{{x}}"), ("Hi {{x}}!".to_owned(), 8));
        // "é" is one UTF-16 unit; a caret past the end appends.
        assert_eq!(insert_at("é", 1, 1, "{{x}}"), ("é{{x}}".to_owned(), 6));
        assert_eq!(insert_at("ab", 9, 9, "c"), ("abc".to_owned(), 3));
    }

    #[test]
    fn usage_and_tags() {
        assert_eq!(usage(0), "Never used");
        assert_eq!(usage(1), "Used once");
        assert_eq!(usage(12), "Used 12 times");
        assert_eq!(parse_tags(" refund, vip,,refund , "), ["refund", "vip"]);
        assert!(parse_tags("  ").is_empty());
    }
}
