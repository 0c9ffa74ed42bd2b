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

/// The position after the last ticket of a page: its sort timestamp and id, and in a search by
/// relevance its rank (`at` is then unused). Opaque to clients.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    pub at: DateTime<Utc>,
    pub id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rank_bits")]
    pub rank: Option<f64>,
}

/// The rank as its bits: serde_json does not parse every float back to the same bits, and the next
/// page compares the rank for equality (one bit off repeats or skips a row).
mod rank_bits {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(rank: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
        rank.map(f64::to_bits).serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
        Ok(Option::<u64>::deserialize(deserializer)?.map(f64::from_bits))
    }
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

/// What a search looks for: words, lower-cased, each a run of letters and digits. Everything else
/// the user typed (quotes, `*`, `:`, `-`, `NEAR`'s meaning, SQL) is a separator, so the full-text
/// query built from it can only ever name words: no input becomes query syntax. A search of only
/// punctuation has no words and finds nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    words: Vec<String>,
}

/// More words than this add nothing a person would type, only work.
pub const MAX_SEARCH_WORDS: usize = 16;

impl Search {
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// An FTS5 query: every word, the last also as a prefix (typing "refu" finds "refund").
    /// `columns` limits each word to those columns (`{subject public}`).
    pub fn fts5(&self, columns: Option<&str>) -> String {
        let words = self.terms(
            |word, last| format!("\"{word}\"{}", if last { "*" } else { "" }),
            " AND ",
        );
        match columns {
            Some(columns) => format!("{{{columns}}} : ({words})"),
            None => words,
        }
    }

    /// A PostgreSQL `to_tsquery` text, the same words and prefix.
    pub fn tsquery(&self) -> String {
        self.terms(|word, last| format!("'{word}'{}", if last { ":*" } else { "" }), " & ")
    }

    fn terms(&self, term: impl Fn(&str, bool) -> String, and: &str) -> String {
        let last = self.words.len().saturating_sub(1);
        self.words
            .iter()
            .enumerate()
            .map(|(index, word)| term(word, index == last))
            .collect::<Vec<_>>()
            .join(and)
    }
}

pub fn parse_search(raw: &str) -> Result<Option<Search>, String> {
    let query = raw.trim();
    if query.chars().count() > 200 {
        return Err("the search must be at most 200 characters".to_owned());
    }
    if query.is_empty() {
        return Ok(None);
    }
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.len() > MAX_SEARCH_WORDS {
        return Err(format!("the search must have at most {MAX_SEARCH_WORDS} words"));
    }
    Ok(Some(Search { words }))
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
            rank: None,
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Ok(cursor));
        // A rank comes back bit for bit: the next page compares it for equality.
        for rank in [
            0.060_792_710_632_085_8,
            2.046_511_627_906_98e-6,
            1e-6 + f64::EPSILON,
            -3.25,
            0.0,
        ] {
            let ranked = Cursor {
                rank: Some(rank),
                ..cursor
            };
            let back = Cursor::decode(&ranked.encode()).unwrap();
            assert_eq!(back.rank.map(f64::to_bits), Some(rank.to_bits()));
        }
        assert!(Cursor::decode("not-a-cursor").is_err());
    }

    #[test]
    fn assignee_filters() {
        assert_eq!(AssigneeFilter::parse("me"), Ok(AssigneeFilter::Me));
        assert_eq!(AssigneeFilter::parse("none"), Ok(AssigneeFilter::Unassigned));
        assert!(AssigneeFilter::parse("bob").is_err());
    }

    #[test]
    fn searches_are_words_only() {
        let search = |raw: &str| parse_search(raw).unwrap().unwrap();
        let refund = search("  Refund: ORDER-12 \"now\"* ");
        assert_eq!(refund.words(), ["refund", "order", "12", "now"]);
        assert_eq!(refund.fts5(None), r#""refund" AND "order" AND "12" AND "now"*"#);
        assert_eq!(
            refund.fts5(Some("subject public")),
            r#"{subject public} : ("refund" AND "order" AND "12" AND "now"*)"#
        );
        assert_eq!(refund.tsquery(), "'refund' & 'order' & '12' & 'now':*");
        let hostile = search(r#"a" OR b* NEAR(c) -d & e | !f ' ; DROP TABLE tickets; --"#);
        assert!(
            hostile
                .words()
                .iter()
                .all(|word| word.chars().all(char::is_alphanumeric))
        );
        assert!(search("%_*:()").words().is_empty());
        assert_eq!(parse_search("   "), Ok(None));
        assert!(parse_search(&"x".repeat(201)).is_err());
        assert!(parse_search(&"w ".repeat(MAX_SEARCH_WORDS + 1)).is_err());
    }

    #[test]
    fn limits() {
        assert_eq!(parse_limit(None), Ok(25));
        assert!(parse_limit(Some(0)).is_err());
        assert!(parse_limit(Some(101)).is_err());
    }
}
