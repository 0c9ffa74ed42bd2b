//! Collects per-field problems so one answer lists all of them, not just the first.

use ferrodesk_shared::error::FieldErrors;

use crate::error::ApiError;

#[derive(Default)]
pub struct Fields {
    errors: FieldErrors,
}

impl Fields {
    /// Keeps the parsed value, or records why it was refused.
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(message) => {
                self.errors.entry(field.to_owned()).or_default().push(message);
                None
            }
        }
    }

    /// Like `check` for a value that may be absent: `Some(None)` when it is, `None` when it is refused.
    pub fn optional<R: ?Sized, T>(
        &mut self,
        field: &str,
        raw: Option<&R>,
        parse: impl FnOnce(&R) -> Result<T, String>,
    ) -> Option<Option<T>> {
        match raw {
            Some(raw) => self.check(field, parse(raw)).map(Some),
            None => Some(None),
        }
    }

    /// The error to answer when a value was missing after the checks.
    pub fn into_error(self) -> ApiError {
        if self.errors.is_empty() {
            ApiError::Internal(anyhow::anyhow!("a field was refused without a message"))
        } else {
            ApiError::Validation(self.errors)
        }
    }
}

/// Refuses control characters (a name or subject with a newline can break an email header).
pub fn single_line(value: &str, what: &str, max_chars: usize) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(format!("{what} is required"));
    }
    if value.chars().count() > max_chars {
        return Err(format!("{what} must be at most {max_chars} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{what} must be a single line of text"));
    }
    Ok(value.to_owned())
}
