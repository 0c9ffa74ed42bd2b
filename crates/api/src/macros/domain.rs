//! A macro's values as the service accepts them, and filling its placeholders: pure, tested here.

use ferrodesk_shared::macros::{MacroInput, PLACEHOLDERS};
use ferrodesk_shared::tickets::{Priority, TicketStatus};

use crate::error::ApiError;
use crate::tickets::domain::{parse_body, parse_tags};
use crate::validation::{Fields, single_line};

/// The most macros one workspace keeps: a list agents search by eye, not an archive.
pub const MAX_MACROS: u64 = 500;

/// A macro that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroFields {
    pub title: String,
    pub body: String,
    pub set_status: Option<TicketStatus>,
    pub set_priority: Option<Priority>,
    pub add_tags: Vec<String>,
}

/// Checks every field at once (one answer lists every problem).
pub fn parse(input: &MacroInput) -> Result<MacroFields, ApiError> {
    let mut fields = Fields::default();
    let title = fields.check("title", single_line(&input.title, "the title", 100));
    let body = fields.check("body", parse_body(&input.body).and_then(check_placeholders));
    let add_tags = fields.check("add_tags", parse_tags(&input.add_tags));
    let (Some(title), Some(body), Some(add_tags)) = (title, body, add_tags) else {
        return Err(fields.into_error());
    };
    Ok(MacroFields {
        title,
        body,
        set_status: input.set_status,
        set_priority: input.set_priority,
        add_tags,
    })
}

/// The key a title is unique by within its workspace.
pub fn title_key(title: &str) -> String {
    title.to_lowercase()
}

/// A body whose every `{{name}}` is a known placeholder (spaces inside the braces allowed).
fn check_placeholders(body: String) -> Result<String, String> {
    let unknown: Vec<String> = placeholders(&body)
        .filter(|(name, _)| !PLACEHOLDERS.iter().any(|(known, _)| known == name))
        .map(|(name, _)| format!("{{{{{name}}}}}"))
        .collect();
    if unknown.is_empty() {
        return Ok(body);
    }
    let known: Vec<String> = PLACEHOLDERS.iter().map(|(name, _)| format!("{{{{{name}}}}}")).collect();
    Err(format!(
        "unknown placeholder {}; use one of {}",
        unknown.join(", "),
        known.join(", ")
    ))
}

/// Each `{{ name }}` of `text`: the trimmed name and the byte range of the whole placeholder. An
/// unclosed `{{` is text.
fn placeholders(text: &str) -> impl Iterator<Item = (&str, std::ops::Range<usize>)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let start = at + text[at..].find("{{")?;
        let end = start + 2 + text[start + 2..].find("}}")? + 2;
        at = end;
        Some((text[start + 2..end - 2].trim(), start..end))
    })
}

/// What the placeholders are filled with, for one ticket and the agent applying the macro.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Values {
    pub customer_name: String,
    pub customer_email: String,
    pub ticket_number: i64,
    pub ticket_subject: String,
    pub agent_name: String,
    pub workspace_name: String,
}

impl Values {
    fn get(&self, name: &str) -> Option<String> {
        Some(match name {
            "customer.first_name" => first_name(&self.customer_name).to_owned(),
            "customer.name" => self.customer_name.clone(),
            "customer.email" => self.customer_email.clone(),
            "ticket.number" => self.ticket_number.to_string(),
            "ticket.subject" => self.ticket_subject.clone(),
            "agent.first_name" => first_name(&self.agent_name).to_owned(),
            "agent.name" => self.agent_name.clone(),
            "workspace.name" => self.workspace_name.clone(),
            _ => return None,
        })
    }
}

/// The first word of a name ("Ada Lovelace" -> "Ada"); the whole name when it has one word.
fn first_name(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or(name)
}

/// `body` with every known placeholder filled in. One no longer known (the list changed after the
/// macro was saved) is left as written, for the agent to see and fix.
pub fn render(body: &str, values: &Values) -> String {
    let mut out = String::with_capacity(body.len());
    let mut copied = 0;
    for (name, range) in placeholders(body) {
        if let Some(value) = values.get(name) {
            out.push_str(&body[copied..range.start]);
            out.push_str(&value);
            copied = range.end;
        }
    }
    out.push_str(&body[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Values {
        Values {
            customer_name: "Ada Lovelace".to_owned(),
            customer_email: "ada@example.com".to_owned(),
            ticket_number: 42,
            ticket_subject: "Refund".to_owned(),
            agent_name: "Grace Hopper".to_owned(),
            workspace_name: "Acme".to_owned(),
        }
    }

    #[test]
    fn fills_every_placeholder() {
        let cases = [
            ("Hi {{customer.first_name}},", "Hi Ada,"),
            ("Hi {{ customer.first_name }},", "Hi Ada,"),
            (
                "{{customer.name}} <{{customer.email}}>",
                "Ada Lovelace <ada@example.com>",
            ),
            ("About #{{ticket.number}}: {{ticket.subject}}", "About #42: Refund"),
            (
                "{{agent.first_name}} / {{agent.name}} at {{workspace.name}}",
                "Grace / Grace Hopper at Acme",
            ),
            ("no placeholders", "no placeholders"),
            ("unclosed {{customer.name", "unclosed {{customer.name"),
            (
                "kept {{customer.shoe_size}} as written",
                "kept {{customer.shoe_size}} as written",
            ),
            ("{{customer.first_name}}{{customer.first_name}}", "AdaAda"),
            ("ünïcödé {{ticket.number}} ✓", "ünïcödé 42 ✓"),
        ];
        for (body, expected) in cases {
            assert_eq!(render(body, &values()), expected, "{body}");
        }
    }

    #[test]
    fn a_one_word_name_is_its_own_first_name() {
        let values = Values {
            customer_name: "Cher".to_owned(),
            ..values()
        };
        assert_eq!(render("Hi {{customer.first_name}}", &values), "Hi Cher");
    }

    #[test]
    fn refuses_unknown_placeholders_and_lists_every_problem() {
        let input = MacroInput {
            title: " ".to_owned(),
            body: "Hi {{customer.shoe_size}} and {{ticket.colour}}".to_owned(),
            add_tags: vec!["not a tag!".to_owned()],
            ..MacroInput::default()
        };
        let Err(ApiError::Validation(fields)) = parse(&input) else {
            panic!("expected a validation error");
        };
        assert_eq!(fields.len(), 3, "{fields:?}");
        let body = &fields["body"][0];
        assert!(body.contains("{{customer.shoe_size}}, {{ticket.colour}}"), "{body}");
        assert!(body.contains("{{customer.first_name}}"), "{body}");
    }

    #[test]
    fn accepts_a_good_macro_normalised() {
        let input = MacroInput {
            title: "  Refund issued ".to_owned(),
            body: "Hi {{customer.first_name}},\r\nDone.\n".to_owned(),
            set_status: Some(TicketStatus::Solved),
            set_priority: None,
            add_tags: vec!["Refund".to_owned(), "refund".to_owned()],
        };
        let parsed = parse(&input).expect("valid");
        assert_eq!(parsed.title, "Refund issued");
        assert_eq!(parsed.body, "Hi {{customer.first_name}},\nDone.");
        assert_eq!(parsed.add_tags, vec!["refund".to_owned()]);
        assert_eq!(title_key("Refund Issued"), title_key(&parsed.title));
    }
}
