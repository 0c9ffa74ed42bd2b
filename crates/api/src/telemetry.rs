//! Structured logs through `tracing`: compact text for people, JSON for log pipelines.
//!
//! Text logs escape every control character in field values and messages (`\n`, `\r`, ESC, the
//! other C0 and C1 codes, DEL, and the Unicode line separators and direction overrides), so a
//! user-supplied value such as a workspace slug with a newline cannot forge a log line or drive the
//! terminal. It is done once here, in the field formatter, not at each call site. JSON escapes them
//! already.

use std::fmt;
use std::io::IsTerminal;

use tracing::field::Field;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::MakeExt;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::{FieldFn, Writer, debug_fn};
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{LogFormat, LogSettings};

pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_new(&settings.filter).unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let result = match settings.format {
        LogFormat::Json => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .json()
            .flatten_event(true)
            .try_init()
            .is_ok(),
        // Colours only on a terminal: a log file gets no escape sequences at all.
        LogFormat::Text => text(filter, std::io::stdout, std::io::stdout().is_terminal())
            .try_init()
            .is_ok(),
    };
    // A second init (tests spawn many apps in one process) keeps the first subscriber.
    let _first = result;
}

type FieldFormatter = fn(&mut Writer<'_>, &Field, &dyn fmt::Debug) -> fmt::Result;

/// The text subscriber, writing to `writer`; with its fields escaped.
pub fn text<W>(
    filter: EnvFilter,
    writer: W,
    ansi: bool,
) -> tracing_subscriber::FmtSubscriber<
    tracing_subscriber::field::delimited::Delimited<&'static str, FieldFn<FieldFormatter>>,
    tracing_subscriber::fmt::format::Format<tracing_subscriber::fmt::format::Compact>,
    EnvFilter,
    W,
>
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let fields: FieldFormatter = escaped_field;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi)
        .compact()
        .fmt_fields(debug_fn(fields).delimited(" "))
        .finish()
}

/// `name=value` (the message bare), with control characters escaped.
fn escaped_field(writer: &mut Writer<'_>, field: &Field, value: &dyn fmt::Debug) -> fmt::Result {
    let text = format!("{value:?}");
    if field.name() != "message" {
        write!(writer, "{}=", field.name())?;
    }
    write_escaped(writer, &text)
}

fn write_escaped(out: &mut impl fmt::Write, text: &str) -> fmt::Result {
    for c in text.chars() {
        match c {
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            // C0, DEL and C1 controls; line and paragraph separators; bidirectional overrides,
            // which can make a log line read differently from what it holds.
            c if c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                write!(out, "\\u{{{:x}}}", u32::from(c))?
            }
            c => out.write_char(c)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;

        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    fn escape(text: &str) -> String {
        let mut out = String::new();
        write_escaped(&mut out, text).unwrap();
        out
    }

    #[test]
    fn control_characters_are_escaped_and_text_is_kept() {
        assert_eq!(escape("acme\n2026 INFO forged"), "acme\\n2026 INFO forged");
        assert_eq!(escape("a\r\tb"), "a\\r\\tb");
        assert_eq!(escape("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(escape("\u{7f}\u{9b}\u{0}"), "\\u{7f}\\u{9b}\\u{0}");
        assert_eq!(escape("x\u{2028}y\u{202e}z"), "x\\u{2028}y\\u{202e}z");
        assert_eq!(escape("Zoë's café — ok 日本"), "Zoë's café — ok 日本");
    }

    #[test]
    fn a_newline_in_a_value_cannot_forge_a_log_line() {
        let captured = Captured::default();
        let subscriber = text(EnvFilter::new("info"), captured.clone(), false);
        let slug = "acme\n2026-12-05T09:00:00Z  INFO ferrodesk: admin signed in\u{1b}[2J";
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("login", slug = %slug);
            let _entered = span.enter();
            tracing::info!(email = %"ada@example.com\r\nforged", "sign-in refused for {}", slug);
        });
        let output = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert_eq!(output.matches('\n').count(), 1, "one event, one line: {output:?}");
        assert!(output.ends_with('\n'));
        assert!(!output.contains('\r') && !output.contains('\u{1b}'), "{output:?}");
        assert!(output.contains("acme\\n2026-12-05T09:00:00Z  INFO"), "{output:?}");
        assert!(output.contains("email=ada@example.com\\r\\nforged"), "{output:?}");
        assert!(output.contains("sign-in refused for acme\\n"), "{output:?}");
    }
}
