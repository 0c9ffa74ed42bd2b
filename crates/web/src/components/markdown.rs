//! Message bodies: plain text with a safe Markdown subset (paragraphs, **bold**, *italic*, `code`,
//! [links](https://...) and bare URLs). Built as DOM nodes, never as HTML, so nothing a customer
//! types can become markup; links open in a new tab without access to this page.

use leptos::prelude::*;

#[derive(Debug, Clone, PartialEq)]
enum Span {
    Text(String),
    Bold(String),
    Italic(String),
    Code(String),
    Link { text: String, href: String },
}

fn safe_href(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://") || url.starts_with("mailto:")
}

/// Splits one paragraph into styled spans.
fn spans(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    let flush = |plain: &mut String, out: &mut Vec<Span>| {
        if !plain.is_empty() {
            out.push(Span::Text(std::mem::take(plain)));
        }
    };
    while let Some(c) = rest.chars().next() {
        let delimited = |open: &str, close: &str| -> Option<(String, usize)> {
            let inner = rest.strip_prefix(open)?;
            let end = inner.find(close)?;
            (end > 0 && !inner[..end].contains('\n')).then(|| (inner[..end].to_owned(), open.len() + end + close.len()))
        };
        if let Some((inner, used)) = delimited("**", "**") {
            flush(&mut plain, &mut out);
            out.push(Span::Bold(inner));
            rest = &rest[used..];
        } else if let Some((inner, used)) = delimited("`", "`") {
            flush(&mut plain, &mut out);
            out.push(Span::Code(inner));
            rest = &rest[used..];
        } else if let Some((inner, used)) = delimited("*", "*").filter(|(inner, _)| !inner.starts_with(' ')) {
            flush(&mut plain, &mut out);
            out.push(Span::Italic(inner));
            rest = &rest[used..];
        } else if let Some(link) = markdown_link(rest) {
            flush(&mut plain, &mut out);
            rest = &rest[link.1..];
            out.push(link.0);
        } else if rest.starts_with("https://") || rest.starts_with("http://") {
            flush(&mut plain, &mut out);
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let url = rest[..end].trim_end_matches(['.', ',', ')', '!', '?', ';', ':']);
            out.push(Span::Link {
                text: url.to_owned(),
                href: url.to_owned(),
            });
            rest = &rest[url.len()..];
        } else {
            plain.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    flush(&mut plain, &mut out);
    out
}

fn markdown_link(rest: &str) -> Option<(Span, usize)> {
    let inner = rest.strip_prefix('[')?;
    let text_end = inner.find("](")?;
    let after = &inner[text_end + 2..];
    let href_end = after.find(')')?;
    let href = &after[..href_end];
    let text = &inner[..text_end];
    (safe_href(href) && !text.contains('\n')).then(|| {
        (
            Span::Link {
                text: text.to_owned(),
                href: href.to_owned(),
            },
            1 + text_end + 2 + href_end + 1,
        )
    })
}

#[component]
pub fn MessageText(body: String) -> impl IntoView {
    let paragraphs: Vec<String> = body
        .split("\n\n")
        .map(str::trim)
        .filter(|paragraph| !paragraph.is_empty())
        .map(str::to_owned)
        .collect();
    view! {
        <div class="body">
            {paragraphs
                .into_iter()
                .map(|paragraph| {
                    view! {
                        <p>
                            {spans(&paragraph)
                                .into_iter()
                                .map(|span| match span {
                                    Span::Text(text) => text.into_any(),
                                    Span::Bold(text) => view! { <strong>{text}</strong> }.into_any(),
                                    Span::Italic(text) => view! { <em>{text}</em> }.into_any(),
                                    Span::Code(text) => view! { <code>{text}</code> }.into_any(),
                                    Span::Link { text, href } => {
                                        view! {
                                            <a href=href target="_blank" rel="noopener noreferrer">
                                                {text}
                                            </a>
                                        }
                                            .into_any()
                                    }
                                })
                                .collect_view()}
                        </p>
                    }
                })
                .collect_view()}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_links_and_refuses_script_urls() {
        assert_eq!(
            spans("a **b** *c* `d` [e](https://x.example) https://y.example."),
            vec![
                Span::Text("a ".into()),
                Span::Bold("b".into()),
                Span::Text(" ".into()),
                Span::Italic("c".into()),
                Span::Text(" ".into()),
                Span::Code("d".into()),
                Span::Text(" ".into()),
                Span::Link {
                    text: "e".into(),
                    href: "https://x.example".into()
                },
                Span::Text(" ".into()),
                Span::Link {
                    text: "https://y.example".into(),
                    href: "https://y.example".into()
                },
                Span::Text(".".into()),
            ]
        );
        assert_eq!(
            spans("[x](javascript:alert(1))"),
            vec![Span::Text("[x](javascript:alert(1))".into())]
        );
        assert_eq!(spans("<b>hi</b>"), vec![Span::Text("<b>hi</b>".into())]);
    }
}
