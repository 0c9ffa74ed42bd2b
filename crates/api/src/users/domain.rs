//! Emails and names as the API accepts them.

use crate::validation::single_line;

/// A lower-cased email address. Deliberately loose (one `@`, a dotted domain, no spaces): the real
/// check is that mail arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, String> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err("an email address is required".to_owned());
        }
        let valid = email.len() <= 254
            && !email
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>,;\"\\".contains(c))
            && match email.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                }
                None => false,
            };
        if valid {
            Ok(Email(email))
        } else {
            Err("must be an email address like name@example.com".to_owned())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before `@`, a fallback name for customers who gave none.
    pub fn local_part(&self) -> &str {
        self.0.split('@').next().unwrap_or(&self.0)
    }
}

pub fn parse_person_name(raw: &str) -> Result<String, String> {
    single_line(raw, "the name", 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Ada@Example.COM ").map(|e| e.0),
            Ok("ada@example.com".to_owned())
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@b@c.com",
            "ada@example.com\r\nBcc: x@y.z",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn names_are_single_lines() {
        assert!(parse_person_name("Ada\r\nBcc: evil@example.com").is_err());
        assert!(parse_person_name("   ").is_err());
        assert_eq!(parse_person_name(" Ada Lovelace "), Ok("Ada Lovelace".to_owned()));
    }
}
