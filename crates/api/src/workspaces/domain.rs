//! What a workspace name and slug may be.

use crate::validation::single_line;

/// A workspace's address in sign-in forms and links: 3 to 40 of `a-z`, `0-9` and single inner dashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

/// Slugs that would read as part of the product rather than a company.
const RESERVED: [&str; 10] = [
    "api",
    "www",
    "admin",
    "app",
    "help",
    "support",
    "static",
    "docs",
    "status",
    "ferrodesk",
];

impl Slug {
    pub fn parse(raw: &str) -> Result<Slug, String> {
        let slug = raw.trim().to_ascii_lowercase();
        let length = slug.chars().count();
        if !(3..=40).contains(&length) {
            return Err("must be 3 to 40 characters".to_owned());
        }
        if !slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err("may contain only letters, digits and dashes".to_owned());
        }
        if slug.starts_with('-') || slug.ends_with('-') || slug.contains("--") {
            return Err("dashes go between letters or digits, one at a time".to_owned());
        }
        if RESERVED.contains(&slug.as_str()) {
            return Err("is reserved; choose another".to_owned());
        }
        Ok(Slug(slug))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub fn parse_workspace_name(raw: &str) -> Result<String, String> {
    single_line(raw, "the workspace name", 100)
}

#[cfg(test)]
mod tests {
    use super::Slug;

    #[test]
    fn slugs() {
        assert_eq!(
            Slug::parse(" Acme-Support ").map(|s| s.0),
            Ok("acme-support".to_owned())
        );
        for bad in [
            "ab",
            "-acme",
            "acme-",
            "ac--me",
            "ac me",
            "açme",
            "api",
            &"a".repeat(41),
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad} should be refused");
        }
    }
}
