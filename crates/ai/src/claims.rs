//! Claims of things done. A draft written from another customer's solved ticket must not tell this
//! customer that something already happened to them ("Your refund was issued today", "We've sent a
//! replacement"): that was the other customer's case. A sentence asserting a completed action
//! (refunded, issued, sent, cancelled, replaced, fixed, credited, ...) stays only when this ticket's
//! own messages or internal notes say the same kind of thing happened; otherwise it becomes a
//! `{{placeholder}}` the agent must fill in. Promises and conditions ("will be refunded", "once it is
//! shipped", "if you cancel") are not claims and stay.

/// A verb's completed forms, the kind of action, and the placeholder a claim of it becomes.
struct Action {
    forms: &'static [&'static str],
    kind: &'static str,
    placeholder: &'static str,
}

const ACTIONS: &[Action] = &[
    Action {
        forms: &["refunded", "reimbursed"],
        kind: "refund",
        placeholder: "refund_status",
    },
    Action {
        forms: &["credited"],
        kind: "credit",
        placeholder: "credit_status",
    },
    Action {
        forms: &["issued"],
        kind: "issue",
        placeholder: "action_taken",
    },
    Action {
        forms: &["sent", "shipped", "dispatched", "posted", "mailed"],
        kind: "send",
        placeholder: "what_was_sent",
    },
    Action {
        forms: &["cancelled", "canceled", "voided", "terminated"],
        kind: "cancel",
        placeholder: "cancellation_status",
    },
    Action {
        forms: &["replaced", "exchanged"],
        kind: "replace",
        placeholder: "replacement_status",
    },
    Action {
        forms: &["fixed", "repaired", "resolved", "corrected", "patched"],
        kind: "fix",
        placeholder: "what_was_fixed",
    },
    Action {
        forms: &[
            "reset",
            "unlocked",
            "reactivated",
            "restored",
            "reinstated",
            "re-enabled",
        ],
        kind: "restore",
        placeholder: "account_status",
    },
    Action {
        forms: &["applied", "added", "waived", "discounted", "upgraded", "downgraded"],
        kind: "adjust",
        placeholder: "adjustment_made",
    },
    Action {
        forms: &[
            "processed",
            "approved",
            "completed",
            "arranged",
            "scheduled",
            "rebooked",
            "booked",
        ],
        kind: "process",
        placeholder: "action_taken",
    },
    Action {
        forms: &["deleted", "removed", "closed", "updated", "changed"],
        kind: "change",
        placeholder: "change_made",
    },
];

/// Words that make a sentence a promise, a condition, an instruction or a question about an
/// action rather than a report that it happened.
const NOT_DONE: &[&str] = &[
    "will", "would", "can", "could", "should", "may", "might", "must", "shall", "once", "if", "when", "whenever",
    "after", "until", "unless", "before", "soon", "going", "need", "needs", "want", "wants", "not", "never", "haven't",
    "hasn't", "hadn't", "wasn't", "weren't", "isn't", "aren't", "don't", "doesn't", "didn't", "won't", "cannot",
    "can't", "yet", "whether", "able",
];

/// The sentence's words, lower-case, leaving out `{{placeholders}}` (whose names, like
/// `what_was_fixed`, are the agent's blanks, not claims).
fn words(sentence: &str) -> Vec<String> {
    let mut plain = String::with_capacity(sentence.len());
    let mut rest = sentence;
    while let Some(open) = rest.find("{{") {
        plain.push_str(&rest[..open]);
        match rest[open..].find("}}") {
            Some(close) => {
                plain.push(' ');
                rest = &rest[open + close + 2..];
            }
            None => {
                rest = &rest[open..];
                break;
            }
        }
    }
    plain.push_str(rest);
    plain
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’' || c == '-'))
        .filter(|word| !word.is_empty())
        .map(|word| word.replace('’', "'").to_lowercase())
        .collect()
}

/// The kinds of completed action `sentence` reports, if it reports any (a question, a promise or a
/// condition reports none).
pub fn claimed_actions(sentence: &str) -> Vec<&'static str> {
    if sentence.trim_end().ends_with('?') {
        return Vec::new();
    }
    let words = words(sentence);
    if words.iter().any(|word| NOT_DONE.contains(&word.as_str())) {
        return Vec::new();
    }
    let mut kinds = Vec::new();
    for action in ACTIONS {
        if words.iter().any(|word| action.forms.contains(&word.as_str())) && !kinds.contains(&action.kind) {
            kinds.push(action.kind);
        }
    }
    if kinds.is_empty() {
        return kinds;
    }
    // "Your refund was issued", "a replacement is on its way ... sent": the thing done names the
    // claim better than the verb does, so it comes first (and picks the placeholder).
    let mut named: Vec<&'static str> = Vec::new();
    for (noun, kind) in THINGS {
        if words.iter().any(|word| word == noun) && !named.contains(kind) {
            named.push(kind);
        }
    }
    for kind in kinds {
        if !named.contains(&kind) {
            named.push(kind);
        }
    }
    named
}

/// Things an action is done to, and the kind of claim a completed verb about them makes.
const THINGS: &[(&str, &str)] = &[
    ("refund", "refund"),
    ("refunds", "refund"),
    ("reimbursement", "refund"),
    ("credit", "credit"),
    ("replacement", "replace"),
    ("cancellation", "cancel"),
    ("voucher", "adjust"),
    ("coupon", "adjust"),
    ("discount", "adjust"),
];

/// Abbreviations whose full stop ends no sentence.
const ABBREVIATIONS: &[&str] = &["e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "vs", "approx", "no", "st"];

/// Whether the full stop at byte `index` closes an abbreviation ("e.g.", "Mr.").
fn after_abbreviation(text: &str, index: usize) -> bool {
    let before = &text[..index];
    let word_start = before
        .rfind(|c: char| !(c.is_alphabetic() || c == '.'))
        .map_or(0, |at| at + before[at..].chars().next().map_or(1, char::len_utf8));
    let word = before[word_start..].to_lowercase();
    ABBREVIATIONS.contains(&word.as_str())
}

fn placeholder_of(kind: &str) -> &'static str {
    ACTIONS
        .iter()
        .find(|action| action.kind == kind)
        .map_or("action_taken", |action| action.placeholder)
}

/// Sentences with their trailing punctuation and spacing, so they join back exactly.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes: Vec<(usize, char)> = text.char_indices().collect();
    let mut at = 0;
    while at < bytes.len() {
        let (index, c) = bytes[at];
        let ends = matches!(c, '.' | '!' | '?' | '\n');
        if ends {
            // Take the run of closing punctuation and the whitespace after it.
            let mut next = at + 1;
            while next < bytes.len() && matches!(bytes[next].1, '.' | '!' | '?' | ')' | '"' | '\'') {
                next += 1;
            }
            // "e.g." or "3.5": a full stop followed by no space is not a sentence's end.
            let spaced = next >= bytes.len() || bytes[next].1.is_whitespace();
            if c == '\n' || (spaced && !(c == '.' && after_abbreviation(text, index))) {
                while next < bytes.len() && bytes[next].1.is_whitespace() {
                    next += 1;
                }
                let end = bytes.get(next).map_or(text.len(), |(index, _)| *index);
                out.push(&text[start..end]);
                start = end;
            }
            at = next.max(at + 1);
            continue;
        }
        at += 1;
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// What a text became once its unsupported claims were taken out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grounded {
    pub text: String,
    /// How many sentences claimed something this ticket does not show.
    pub replaced: usize,
}

/// The kinds of action this ticket's own messages and notes report as done.
pub fn supported_actions<'a>(ticket_texts: impl IntoIterator<Item = &'a str>) -> Vec<&'static str> {
    let mut kinds = Vec::new();
    for text in ticket_texts {
        for sentence in sentences(text) {
            for kind in claimed_actions(sentence) {
                if !kinds.contains(&kind) {
                    kinds.push(kind);
                }
            }
        }
    }
    kinds
}

/// `text` with every sentence that claims an action of a kind not in `supported` replaced by a
/// placeholder naming what the agent must say (`{{refund_status}}`), one per kind.
pub fn ground(text: &str, supported: &[&str]) -> Grounded {
    let mut out = String::with_capacity(text.len());
    let mut replaced = 0;
    let mut placed: Vec<&str> = Vec::new();
    for sentence in sentences(text) {
        let unsupported: Vec<&str> = claimed_actions(sentence)
            .into_iter()
            .filter(|kind| !supported.contains(kind))
            .collect();
        let Some(kind) = unsupported.first() else {
            out.push_str(sentence);
            continue;
        };
        replaced += 1;
        let placeholder = placeholder_of(kind);
        // The sentence's own trailing whitespace (a line break) is kept, so the layout holds.
        let trailing = &sentence[sentence.trim_end().len()..];
        if !placed.contains(&placeholder) {
            placed.push(placeholder);
            out.push_str(&format!("{{{{{placeholder}}}}}"));
            out.push_str(if trailing.is_empty() { "" } else { trailing });
        } else if trailing.contains('\n') {
            out.push_str(trailing);
        }
    }
    Grounded {
        text: out.trim_end().to_owned(),
        replaced,
    }
}

/// Whether `text` still claims an action this ticket does not show (what `suggest-eval` counts).
pub fn has_unsupported_claim(text: &str, supported: &[&str]) -> bool {
    sentences(text)
        .into_iter()
        .any(|sentence| claimed_actions(sentence).iter().any(|kind| !supported.contains(kind)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentence_claims_what_it_reports_as_done_not_what_it_promises() {
        let cases: &[(&str, &[&str])] = &[
            ("Your refund of {{amount}} was issued today.", &["refund", "issue"]),
            ("I've refunded the order to your card.", &["refund"]),
            ("We have sent a replacement by courier.", &["replace", "send"]),
            ("The parcel was lost and a replacement shipped.", &["replace", "send"]),
            ("Your subscription has been cancelled.", &["cancel"]),
            ("I reset your password just now.", &["restore"]),
            ("We’ve added a {{percentage}} voucher to your account.", &["adjust"]),
            ("The bug is fixed in today's release!", &["fix"]),
            // Promises, conditions, instructions and questions claim nothing.
            ("Your refund will be issued within 5 days.", &[]),
            ("Once we receive the item, a replacement is sent.", &[]),
            ("If you cancel before Friday, nothing is charged.", &[]),
            ("Have you reset your router?", &[]),
            ("We haven't shipped it yet.", &[]),
            ("Refunds can be requested from the orders page.", &[]),
            ("Could you send us a photo of the label?", &[]),
            ("Thanks for your patience.", &[]),
        ];
        for (sentence, kinds) in cases {
            assert_eq!(&claimed_actions(sentence), kinds, "{sentence}");
        }
    }

    #[test]
    fn another_customers_actions_become_placeholders_and_this_tickets_stay() {
        let source = "Your refund of {{amount}} was issued today, and we've added a {{percentage}} voucher.\n\
                      It usually shows on your statement within 5 days. Let us know if it does not.";
        // Nothing on this ticket says a refund or a voucher happened.
        let grounded = ground(source, &[]);
        assert_eq!(
            grounded.text,
            "{{refund_status}}\nIt usually shows on your statement within 5 days. Let us know if it does not."
        );
        assert_eq!(grounded.replaced, 1);
        assert!(!has_unsupported_claim(&grounded.text, &[]));

        // This ticket's internal note says the refund went through: the claim is this ticket's own.
        let supported = supported_actions(["Refunded in Stripe, ref in the payment log.", "Where is my money?"]);
        assert_eq!(supported, vec!["refund"]);
        let kept = ground("I've refunded the order. It takes 5 days.", &supported);
        assert_eq!(kept.text, "I've refunded the order. It takes 5 days.");
        assert_eq!(kept.replaced, 0);

        // Two claims of one kind leave one placeholder; the rest of the text is untouched.
        let twice = ground(
            "We shipped it Monday. It was sent by courier. Tracking follows by mail.",
            &[],
        );
        assert_eq!(twice.text, "{{what_was_sent}} Tracking follows by mail.");
        assert_eq!(twice.replaced, 2);
        // A placeholder the check left is no claim itself.
        assert!(!has_unsupported_claim(&twice.text, &[]));
        // A question from the customer is no proof that anything happened.
        assert!(supported_actions(["Have you refunded me?", "Why hasn't it shipped?"]).is_empty());
    }

    #[test]
    fn sentences_split_where_people_end_them() {
        assert_eq!(
            sentences("Hi. Version 3.5 is out, e.g. on web! Done?\nYes"),
            vec!["Hi. ", "Version 3.5 is out, e.g. on web! ", "Done?\n", "Yes"]
        );
    }
}
