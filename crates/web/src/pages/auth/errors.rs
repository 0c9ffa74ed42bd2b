//! The server's refusals of the sign-in and sign-up forms as sentences: each at the field it is
//! about, whatever belongs to no field of the form in its banner. The server's per-field reasons
//! are terse fragments ("must be at least 10 characters"); a person reads a sentence.

use std::collections::BTreeMap;

use ferrodesk_shared::ErrorCode;

use crate::api::ApiError;

/// Where a refusal's words go in one form.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Placed {
    /// By the field's name on the wire.
    pub fields: BTreeMap<&'static str, String>,
    /// What is about no field the form shows.
    pub banner: Option<String>,
}

impl Placed {
    pub fn field(&self, name: &str) -> Option<String> {
        self.fields.get(name).cloned()
    }
}

/// What a form shows of `error`. `shown` are the form's fields; `conflict_at` the field a `conflict`
/// is about, when the form has one (sign-up: the workspace address someone else has).
pub fn place(error: &ApiError, shown: &[&'static str], conflict_at: Option<&'static str>) -> Placed {
    let mut placed = Placed::default();
    let Some(body) = &error.body else {
        placed.banner = Some(error.message());
        return placed;
    };
    match body.code {
        ErrorCode::ValidationFailed if !body.fields.is_empty() => {
            let mut elsewhere = Vec::new();
            for (field, reasons) in &body.fields {
                let words = reasons
                    .iter()
                    .map(|reason| sentence(field, reason))
                    .collect::<Vec<_>>()
                    .join(" ");
                match shown.iter().find(|name| **name == field.as_str()) {
                    Some(name) => {
                        placed.fields.insert(name, words);
                    }
                    None => elsewhere.push(words),
                }
            }
            placed.banner = (!elsewhere.is_empty()).then(|| elsewhere.join(" "));
        }
        ErrorCode::Conflict if conflict_at == Some("workspace_slug") => {
            placed.fields.insert(
                "workspace_slug",
                "This workspace address is taken. Try another.".to_owned(),
            );
        }
        _ => placed.banner = Some(error.message()),
    }
    placed
}

/// One of the server's reasons about `field` as a sentence a person reads beside it.
pub fn sentence(field: &str, reason: &str) -> String {
    let reason = reason.trim().trim_end_matches('.');
    if let Some(words) = known(field, reason) {
        return words;
    }
    if reason.ends_with("is required") {
        return format!("Enter {}.", wanted(field));
    }
    let starts_with_verb = ["must ", "may ", "is ", "cannot ", "should "]
        .iter()
        .any(|verb| reason.starts_with(verb));
    if starts_with_verb {
        format!("{} {reason}.", subject(field))
    } else {
        format!("{}.", capitalised(reason))
    }
}

/// The reasons worth more than a subject in front: what to do instead.
fn known(field: &str, reason: &str) -> Option<String> {
    match field {
        "password" => {
            if let Some(least) = between(reason, "must be at least ", " characters") {
                return Some(format!(
                    "Use at least {least} characters. A few uncommon words make a strong password."
                ));
            }
            if let Some(most) = between(reason, "must be at most ", " characters") {
                return Some(format!("Use at most {most} characters."));
            }
            if reason.starts_with("is too easy to guess") {
                // zxcvbn's warning, when it had one, is in brackets: "(This is a top-10 common password)".
                let warning = reason
                    .split_once('(')
                    .and_then(|(_, rest)| rest.split_once(')'))
                    .map(|(warning, _)| format!(": {}", lowercase_first(warning.trim().trim_end_matches('.'))))
                    .unwrap_or_default();
                return Some(format!(
                    "This password is too easy to guess{warning}. Use a few uncommon words, not a common \
                     password or your name or email."
                ));
            }
            None
        }
        "email" if reason.starts_with("must be an email address") => {
            Some("Enter an email address like name@example.com.".to_owned())
        }
        "workspace_slug" if reason.starts_with("is reserved") => {
            Some("This workspace address is reserved. Try another.".to_owned())
        }
        "workspace_slug" if reason == "no workspace has this address" => {
            Some("No workspace has this address. Check the link you followed.".to_owned())
        }
        _ => None,
    }
}

fn subject(field: &str) -> &'static str {
    match field {
        "workspace_name" => "The company name",
        "workspace_slug" => "The workspace address",
        "name" => "Your name",
        "email" => "The email address",
        "password" => "The password",
        _ => "This value",
    }
}

fn wanted(field: &str) -> &'static str {
    match field {
        "workspace_name" => "your company's name",
        "workspace_slug" => "a workspace address",
        "name" => "your name",
        "email" => "your email address",
        "password" => "a password",
        _ => "a value",
    }
}

/// The text between `before` and `after` when `text` is exactly that.
fn between<'a>(text: &'a str, before: &str, after: &str) -> Option<&'a str> {
    text.strip_prefix(before)?.strip_suffix(after)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use ferrodesk_shared::ErrorBody;
    use ferrodesk_shared::error::FieldErrors;

    use super::*;

    fn refusal(code: ErrorCode, message: &str, fields: &[(&str, &str)]) -> ApiError {
        let mut by_field = FieldErrors::new();
        for (field, reason) in fields {
            by_field
                .entry((*field).to_owned())
                .or_default()
                .push((*reason).to_owned());
        }
        ApiError {
            status: if code == ErrorCode::Conflict { 409 } else { 422 },
            body: Some(ErrorBody {
                code,
                message: message.to_owned(),
                fields: by_field,
                limit: None,
            }),
        }
    }

    const SIGN_UP: [&str; 5] = ["workspace_name", "workspace_slug", "name", "email", "password"];

    #[test]
    fn each_reason_reads_as_a_sentence_at_its_field() {
        let cases = [
            (
                "password",
                "must be at least 10 characters",
                "Use at least 10 characters. A few uncommon words make a strong password.",
            ),
            (
                "password",
                "is too easy to guess (This is a top-10 common password): use a few uncommon words, not a common password or your name or email",
                "This password is too easy to guess: this is a top-10 common password. Use a few uncommon words, not a common password or your name or email.",
            ),
            (
                "password",
                "is too easy to guess: use a few uncommon words, not a common password or your name or email",
                "This password is too easy to guess. Use a few uncommon words, not a common password or your name or email.",
            ),
            (
                "workspace_slug",
                "must be 3 to 40 characters",
                "The workspace address must be 3 to 40 characters.",
            ),
            (
                "workspace_slug",
                "dashes go between letters or digits, one at a time",
                "Dashes go between letters or digits, one at a time.",
            ),
            (
                "workspace_slug",
                "is reserved; choose another",
                "This workspace address is reserved. Try another.",
            ),
            ("name", "the name is required", "Enter your name."),
            (
                "workspace_name",
                "the workspace name must be at most 100 characters",
                "The workspace name must be at most 100 characters.",
            ),
            ("email", "an email address is required", "Enter your email address."),
            (
                "email",
                "must be an email address like name@example.com",
                "Enter an email address like name@example.com.",
            ),
        ];
        for (field, reason, expected) in cases {
            assert_eq!(sentence(field, reason), expected, "{field}: {reason}");
        }
    }

    #[test]
    fn field_errors_go_to_their_fields_and_the_rest_to_the_banner() {
        let error = refusal(
            ErrorCode::ValidationFailed,
            "validation failed",
            &[
                ("password", "must be at least 10 characters"),
                ("name", "the name is required"),
            ],
        );
        let placed = place(&error, &SIGN_UP, Some("workspace_slug"));
        assert_eq!(placed.banner, None);
        assert_eq!(placed.field("name").as_deref(), Some("Enter your name."));
        assert!(
            placed
                .field("password")
                .is_some_and(|words| words.starts_with("Use at least 10"))
        );

        // A help centre's sign-up has no address field: the slug's reason goes to the banner.
        let error = refusal(
            ErrorCode::ValidationFailed,
            "validation failed",
            &[("workspace_slug", "no workspace has this address")],
        );
        let placed = place(&error, &["name", "email", "password"], None);
        assert!(placed.fields.is_empty());
        assert_eq!(
            placed.banner.as_deref(),
            Some("No workspace has this address. Check the link you followed.")
        );
    }

    #[test]
    fn a_taken_address_is_said_at_the_address_and_other_refusals_in_the_banner() {
        let taken = refusal(ErrorCode::Conflict, "The address `acme` is taken; choose another.", &[]);
        let placed = place(&taken, &SIGN_UP, Some("workspace_slug"));
        assert_eq!(
            placed.field("workspace_slug").as_deref(),
            Some("This workspace address is taken. Try another.")
        );
        assert_eq!(placed.banner, None);

        let wrong = refusal(ErrorCode::Unauthenticated, "Wrong workspace, email or password.", &[]);
        let placed = place(&wrong, &["workspace_slug", "email", "password"], None);
        assert!(placed.fields.is_empty());
        assert_eq!(placed.banner.as_deref(), Some("Wrong workspace, email or password."));
    }
}
