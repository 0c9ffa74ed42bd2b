//! Ticket values as the service accepts them, parsed before any IO.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use ferrodesk_shared::UserId;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validation::single_line;

pub const MAX_BODY_CHARS: usize = 20_000;
pub const MAX_TAGS: usize = 20;

pub fn parse_subject(raw: &str) -> Result<String, String> {
    single_line(raw, "the subject", 200)
}

/// A message body: trimmed, line endings normalised, tabs and newlines kept, other control characters refused.
pub fn parse_body(raw: &str) -> Result<String, String> {
    let body = raw.replace("\r\n", "\n").replace('\r', "\n");
    let body = body.trim();
    if body.is_empty() {
        return Err("the message is empty".to_owned());
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(format!("the message must be at most {MAX_BODY_CHARS} characters"));
    }
    if body.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err("the message contains control characters".to_owned());
    }
    Ok(body.to_owned())
}

/// The start of a message for list rows: whitespace collapsed, cut at a word near 140 characters.
pub fn excerpt(body: &str) -> String {
    const MAX: usize = 140;
    let flat = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= MAX {
        return flat;
    }
    let cut: String = flat.chars().take(MAX).collect();
    let cut = match cut.rfind(' ') {
        Some(space) if space > MAX / 2 => &cut[..space],
        _ => &cut,
    };
    format!("{cut}…")
}

pub fn parse_category(raw: &str) -> Result<String, String> {
    single_line(raw, "the category", 50).map(|category| category.to_lowercase())
}

/// The files a message carries: at most `MAX_PER_MESSAGE`, each once. Whether they are the
/// sender's own unsent uploads is for the message's transaction to decide.
pub fn parse_attachment_ids(raw: &[ferrodesk_shared::AttachmentId]) -> Result<Vec<Uuid>, String> {
    use ferrodesk_shared::attachments::MAX_PER_MESSAGE;
    let ids: Vec<Uuid> = raw.iter().map(|id| id.0).collect();
    let distinct: std::collections::HashSet<&Uuid> = ids.iter().collect();
    if ids.len() > MAX_PER_MESSAGE || distinct.len() != ids.len() {
        return Err(format!("at most {MAX_PER_MESSAGE} different files per message"));
    }
    Ok(ids)
}

/// Tags: lower-case words of letters, digits, `-`, `_`, `.` or `:`; duplicates dropped, order kept.
pub fn parse_tags(raw: &[String]) -> Result<Vec<String>, String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in raw {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty() || tag.chars().count() > 40 {
            return Err("each tag must be 1 to 40 characters".to_owned());
        }
        if !tag.chars().all(|c| c.is_alphanumeric() || "-_.:".contains(c)) {
            return Err(format!("the tag `{tag}` may contain only letters, digits and - _ . :"));
        }
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(format!("at most {MAX_TAGS} tags"));
    }
    Ok(tags)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    Me,
    Unassigned,
    User(UserId),
}

impl AssigneeFilter {
    pub fn parse(raw: &str) -> Result<AssigneeFilter, String> {
        match raw.trim() {
            "me" => Ok(AssigneeFilter::Me),
            "none" => Ok(AssigneeFilter::Unassigned),
            other => other
                .parse::<UserId>()
                .map(AssigneeFilter::User)
                .map_err(|_| "must be `me`, `none` or a user id".to_owned()),
        }
    }
}

/// The position after the last ticket of a page: its sort timestamp and id. Opaque to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(raw: &str) -> Result<Cursor, String> {
        URL_SAFE_NO_PAD
            .decode(raw.trim())
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| "is not a cursor this server handed out".to_owned())
    }
}

pub fn parse_limit(raw: Option<u32>) -> Result<u64, String> {
    match raw {
        None => Ok(25),
        Some(limit @ 1..=100) => Ok(u64::from(limit)),
        Some(_) => Err("must be between 1 and 100".to_owned()),
    }
}

pub fn parse_search(raw: &str) -> Result<Option<String>, String> {
    let query = raw.trim();
    if query.chars().count() > 200 {
        return Err("the search must be at most 200 characters".to_owned());
    }
    Ok((!query.is_empty()).then(|| query.to_lowercase()))
}

/// An `Idempotency-Key` header: 1 to 255 visible ASCII characters.
pub fn parse_idempotency_key(raw: &str) -> Result<String, String> {
    let key = raw.trim();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("must be 1 to 255 visible ASCII characters".to_owned());
    }
    Ok(key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies() {
        assert_eq!(parse_body("  hi\r\nthere \t"), Ok("hi\nthere".to_owned()));
        assert!(parse_body(" \n ").is_err());
        assert!(parse_body("bell\u{7}").is_err());
        assert!(parse_body(&"x".repeat(MAX_BODY_CHARS + 1)).is_err());
    }

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(excerpt("Hello\n\n  there"), "Hello there");
        let long = "word ".repeat(60);
        let cut = excerpt(&long);
        assert!(cut.ends_with('…') && cut.chars().count() <= 141, "{cut}");
    }

    #[test]
    fn tags_are_normalised() {
        let tags = parse_tags(&["VIP".into(), " vip ".into(), "refund-2".into()]);
        assert_eq!(tags, Ok(vec!["vip".to_owned(), "refund-2".to_owned()]));
        assert!(parse_tags(&["two words".into()]).is_err());
        assert!(parse_tags(&(0..21).map(|i| format!("t{i}")).collect::<Vec<_>>()).is_err());
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = Cursor {
            at: Utc::now(),
            id: Uuid::now_v7(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Ok(cursor));
        assert!(Cursor::decode("not-a-cursor").is_err());
    }

    #[test]
    fn assignee_filters() {
        assert_eq!(AssigneeFilter::parse("me"), Ok(AssigneeFilter::Me));
        assert_eq!(AssigneeFilter::parse("none"), Ok(AssigneeFilter::Unassigned));
        assert!(AssigneeFilter::parse("bob").is_err());
    }

    #[test]
    fn limits() {
        assert_eq!(parse_limit(None), Ok(25));
        assert!(parse_limit(Some(0)).is_err());
        assert!(parse_limit(Some(101)).is_err());
    }
}
