//! What a file is, decided by its bytes, never by its name or the uploader's word: a short list of
//! types a helpdesk needs (screenshots, PDFs, archives, plain text), each with the type it is served
//! as and whether a browser may show it inline. Anything else (HTML, SVG, scripts, executables) is
//! refused: served from our origin, it could run as us.

/// How a kind of file is stored and served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The `Content-Type` it is served with.
    pub content_type: &'static str,
}

impl Kind {
    /// Shown in the page (images); everything else downloads.
    pub fn inline(&self) -> bool {
        shown_inline(self.content_type)
    }
}

/// Whether a file of this type is shown in the page: images only.
pub fn shown_inline(content_type: &str) -> bool {
    content_type.starts_with("image/")
}

const PNG: Kind = Kind {
    content_type: "image/png",
};
const JPEG: Kind = Kind {
    content_type: "image/jpeg",
};
const GIF: Kind = Kind {
    content_type: "image/gif",
};
const WEBP: Kind = Kind {
    content_type: "image/webp",
};
const PDF: Kind = Kind {
    content_type: "application/pdf",
};
const ZIP: Kind = Kind {
    content_type: "application/zip",
};
const TEXT: Kind = Kind {
    content_type: "text/plain; charset=utf-8",
};

/// The kind of `bytes`, from their first bytes (and for text, all of them); none when it is not
/// one we take.
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Some(PNG);
    }
    if starts(b"\xff\xd8\xff") {
        return Some(JPEG);
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Some(GIF);
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Some(WEBP);
    }
    if starts(b"%PDF-") {
        return Some(PDF);
    }
    // Also .docx, .xlsx and the like, which are zip archives: they download as what they are.
    if starts(b"PK\x03\x04") {
        return Some(ZIP);
    }
    if is_plain_text(bytes) {
        return Some(TEXT);
    }
    None
}

/// UTF-8 without NUL or other control characters than tab, newline, carriage return and form feed:
/// a log, a CSV, a note. Markup that would be a page is not text here.
fn is_plain_text(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    if text.is_empty() {
        return false;
    }
    let controls = text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}'));
    let head = text
        .trim_start()
        .chars()
        .take(64)
        .collect::<String>()
        .to_ascii_lowercase();
    let markup = ["<!doctype", "<html", "<svg", "<script", "<?xml"]
        .iter()
        .any(|tag| head.starts_with(tag));
    !controls && !markup
}

/// The most characters a file name keeps.
pub const MAX_NAME_CHARS: usize = 120;

/// A file name safe to store and to put in a header: no folders, no control characters, no quotes,
/// at most `MAX_NAME_CHARS`; `fallback` when nothing is left.
pub fn clean_name(name: &str, fallback: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | '/'))
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .chars()
        .take(MAX_NAME_CHARS)
        .collect();
    if cleaned.trim().is_empty() {
        fallback.to_owned()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_known_by_their_bytes_not_their_names() {
        let mut webp = b"RIFF\x00\x00\x00\x00WEBPVP8 ".to_vec();
        webp.extend_from_slice(&[0; 8]);
        let cases: Vec<(&str, Vec<u8>, Option<&str>)> = vec![
            ("png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(), Some("image/png")),
            ("jpeg", b"\xff\xd8\xff\xe0\0\x10JFIF".to_vec(), Some("image/jpeg")),
            ("gif", b"GIF89a\x01\0\x01\0".to_vec(), Some("image/gif")),
            ("webp", webp, Some("image/webp")),
            ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3".to_vec(), Some("application/pdf")),
            ("zip", b"PK\x03\x04\x14\0\0\0".to_vec(), Some("application/zip")),
            (
                "a log",
                b"2026-12-06 ERROR card declined\n\tat checkout\n".to_vec(),
                Some("text/plain; charset=utf-8"),
            ),
            (
                "a csv in utf-8",
                "name,city\nJosé,Málaga\n".as_bytes().to_vec(),
                Some("text/plain; charset=utf-8"),
            ),
            ("html", b"<!DOCTYPE html><script>alert(1)</script>".to_vec(), None),
            ("html without doctype", b"  <html><body>".to_vec(), None),
            ("svg", b"<svg xmlns='http://www.w3.org/2000/svg'>".to_vec(), None),
            ("xml", b"<?xml version='1.0'?><svg/>".to_vec(), None),
            ("an executable", b"MZ\x90\0\x03\0\0\0".to_vec(), None),
            ("an elf binary", b"\x7fELF\x02\x01\x01".to_vec(), None),
            ("binary with a nul", b"hello\0world".to_vec(), None),
            ("latin-1, not utf-8", b"caf\xe9".to_vec(), None),
            ("empty", Vec::new(), None),
        ];
        for (name, bytes, expected) in cases {
            assert_eq!(sniff(&bytes).map(|kind| kind.content_type), expected, "{name}");
        }
        assert!(sniff(b"\x89PNG\r\n\x1a\n").is_some_and(|kind| kind.inline()));
        assert!(sniff(b"%PDF-1.4").is_some_and(|kind| !kind.inline()));
    }

    #[test]
    fn names_lose_folders_quotes_and_control_characters() {
        let long = "a".repeat(300);
        let cases = [
            ("screenshot.png", "screenshot.png"),
            ("C:\\Users\\ann\\invoice 12.pdf", "invoice 12.pdf"),
            ("../../etc/passwd", "passwd"),
            ("say \"hi\".txt", "say hi.txt"),
            ("line\r\nbreak.txt", "linebreak.txt"),
            (".hidden", "hidden"),
            ("   ", "file"),
            ("", "file"),
        ];
        for (given, expected) in cases {
            assert_eq!(clean_name(given, "file"), expected, "{given:?}");
        }
        assert_eq!(clean_name(&long, "file").chars().count(), MAX_NAME_CHARS);
    }
}
