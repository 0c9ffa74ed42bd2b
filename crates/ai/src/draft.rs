//! The offline reply draft: an agent's answer from a similar solved ticket, adapted into a polite
//! frame for this customer. It never carries over another ticket's facts: numbers, amounts, dates,
//! times and references become `{{placeholders}}` the agent fills in.

/// A draft and the placeholders in it (names without braces, in order of first appearance).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    pub text: String,
    pub placeholders: Vec<String>,
}

/// The placeholder left where no earlier answer fits.
pub const ANSWER_PLACEHOLDER: &str = "answer";

/// A polite reply to `customer_name` signed by `agent_name`: the adapted `answer` when there is one,
/// a `{{answer}}` placeholder otherwise. Claims of things done that this ticket does not show
/// (`supported`: the kinds its own messages and notes report, `claims::supported_actions`) become
/// placeholders (`claims::ground`).
pub fn compose(customer_name: &str, agent_name: &str, answer: Option<&str>, supported: &[&str]) -> Draft {
    let body = answer
        .map(|answer| crate::claims::ground(&adapt_answer(answer), supported).text)
        .filter(|body| !body.trim().is_empty())
        .unwrap_or_else(|| format!("{{{{{ANSWER_PLACEHOLDER}}}}}"));
    let greeting = match first_name(customer_name) {
        Some(name) => format!("Hi {name},"),
        None => "Hello,".to_owned(),
    };
    let sign_off = match agent_name.trim() {
        "" => "Best regards".to_owned(),
        name => format!("Best regards,\n{name}"),
    };
    let text = format!("{greeting}\n\nThank you for getting in touch.\n\n{body}\n\n{sign_off}");
    let placeholders = placeholders_in(&text);
    Draft { text, placeholders }
}

/// The customer's first name, if the name looks like one (not an email's local part with digits).
fn first_name(name: &str) -> Option<&str> {
    let first = name.split_whitespace().next()?;
    let looks_like_a_name = first.chars().any(char::is_alphabetic)
        && first
            .chars()
            .all(|c| c.is_alphabetic() || c == '-' || c == '\'' || c == '.');
    looks_like_a_name.then_some(first)
}

/// The answer of an earlier reply without its greeting and sign-off, its facts masked.
pub fn adapt_answer(reply: &str) -> String {
    let lines: Vec<&str> = reply.lines().collect();
    let mut start = 0;
    while start < lines.len() && (lines[start].trim().is_empty() || is_opening(lines[start])) {
        start += 1;
    }
    let mut end = lines.len();
    while end > start && lines[end - 1].trim().is_empty() {
        end -= 1;
    }
    // The sign-off and whatever follows it (the name, a signature).
    if let Some(sign_off) = (start..end).rev().take(4).find(|&at| is_sign_off(lines[at])) {
        end = sign_off;
    }
    while end > start && lines[end - 1].trim().is_empty() {
        end -= 1;
    }
    // The writer's name as the last paragraph, maybe with their team under it ("Priya",
    // "— Hannah\nNorthwind Support"): the draft is signed by whoever sends it.
    let last_paragraph = (start..end)
        .rev()
        .find(|&at| lines[at].trim().is_empty())
        .map_or(start, |blank| blank + 1);
    if last_paragraph > start && end - last_paragraph <= 3 && lines[last_paragraph..end].iter().all(|l| is_signature(l))
    {
        end = last_paragraph;
        while end > start && lines[end - 1].trim().is_empty() {
            end -= 1;
        }
    }
    lines[start..end]
        .iter()
        .map(|line| mask_facts(line))
        .collect::<Vec<_>>()
        .join("\n")
}

fn words_lower(line: &str) -> String {
    line.trim().to_lowercase()
}

/// "Hi Anna,", "Hello!", "Dear Mr Smith,", "Thanks for reaching out." as the first line.
fn is_opening(line: &str) -> bool {
    let lower = words_lower(line);
    if lower.chars().count() > 80 {
        return false;
    }
    const GREETINGS: [&str; 7] = [
        "hi",
        "hello",
        "hey",
        "dear",
        "good morning",
        "good afternoon",
        "good evening",
    ];
    const THANKS: [&str; 4] = [
        "thank you for",
        "thanks for",
        "thank you so much for",
        "thanks so much for",
    ];
    let greeting = GREETINGS.iter().any(|greeting| {
        lower
            .strip_prefix(greeting)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', ',', '!', '.']))
    }) && lower.split_whitespace().count() <= 5;
    let thanks = THANKS.iter().any(|thanks| lower.starts_with(thanks)) && !lower.contains('?');
    greeting || thanks
}

/// "Best regards,", "Kind regards", "Thanks,", "Cheers!" on a line of their own.
fn is_sign_off(line: &str) -> bool {
    let lower = words_lower(line);
    const SIGN_OFFS: [&str; 10] = [
        "best",
        "kind regards",
        "regards",
        "warm regards",
        "thanks",
        "thank you",
        "many thanks",
        "cheers",
        "sincerely",
        "all the best",
    ];
    lower.split_whitespace().count() <= 3
        && SIGN_OFFS.iter().any(|sign_off| {
            lower
                .strip_prefix(sign_off)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([',', '!', '.', ' ']))
        })
}

/// A line that could only be a name or a team: a few capitalised words, no sentence.
fn is_signature(line: &str) -> bool {
    let line = line.trim().trim_start_matches(['—', '–', '-', '~']).trim();
    let words: Vec<&str> = line.split_whitespace().collect();
    const JOINERS: [&str; 6] = ["from", "at", "of", "the", "and", "&"];
    (1..=4).contains(&words.len())
        && !line.contains(['.', '?', '!', ':', ';', ',', '{'])
        && words
            .iter()
            .all(|word| word.starts_with(char::is_uppercase) || JOINERS.contains(word))
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// A month's name or its three-letter abbreviation. Only ever a date next to a day's number:
/// "may" and "march" are words too.
fn is_month(word: &str) -> bool {
    let lower = word.to_lowercase();
    let lower = lower.trim_end_matches('.');
    MONTHS
        .iter()
        .any(|month| *month == lower || (lower.len() == 3 && month.starts_with(lower)))
}

/// What a token holding a digit stands for.
fn fact_kind(core: &str) -> &'static str {
    let digits = core.chars().filter(char::is_ascii_digit).count();
    if core.contains(['$', '€', '£', '¥'])
        || core.to_lowercase().ends_with("usd")
        || core.to_lowercase().ends_with("eur")
    {
        "amount"
    } else if core.ends_with('%') {
        "percentage"
    } else if core.contains(':') && digits <= 4 {
        "time"
    } else if core.matches(['/', '-']).count() == 2
        && (3..=8).contains(&digits)
        && core.chars().all(|c| c.is_ascii_digit() || c == '/' || c == '-')
    {
        "date"
    } else if core.starts_with('#') || digits >= 5 || core.chars().any(char::is_alphabetic) {
        "reference"
    } else {
        "number"
    }
}

/// Splits a token into leading punctuation, the core, and trailing punctuation.
fn split_punctuation(token: &str) -> (&str, &str, &str) {
    let leading = token.len() - token.trim_start_matches(['(', '"', '\'', '[']).len();
    let rest = &token[leading..];
    let core_len = rest
        .trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '"', '\'', ']'])
        .len();
    (&token[..leading], &rest[..core_len], &rest[core_len..])
}

/// Replaces the facts of one line with placeholders, keeping its spacing, links, e-mail addresses and
/// any `{{placeholder}}` already there.
pub fn mask_facts(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let tokens: Vec<&str> = line.split(' ').collect();
    let mut skip_next = false;
    let mut day_before = false;
    for (at, token) in tokens.iter().enumerate() {
        if at > 0 {
            out.push(' ');
        }
        if skip_next {
            skip_next = false;
            // The day that went with a month became part of `{{date}}`; keep its punctuation.
            let (_, _, trailing) = split_punctuation(token);
            out.pop();
            out.push_str(trailing);
            continue;
        }
        let (leading, core, trailing) = split_punctuation(token);
        let untouchable = core.contains("{{")
            || core.contains("://")
            || core.starts_with("www.")
            || core.contains('@')
            || !core.chars().any(|c| c.is_ascii_digit());
        let day_follows = tokens.get(at + 1).is_some_and(|next| {
            let (_, day, _) = split_punctuation(next);
            is_day(day)
        });
        if is_month(core) && (day_follows || day_before) {
            // "March 3" / "3 March": one date.
            out.push_str(leading);
            out.push_str("{{date}}");
            if day_follows && !day_before {
                skip_next = true;
            } else {
                out.push_str(trailing);
            }
            day_before = false;
            continue;
        }
        day_before = false;
        if is_weekday(core) {
            // "It should arrive Thursday": another customer's day, not this one's.
            out.push_str(leading);
            out.push_str("{{date}}");
            out.push_str(trailing);
            continue;
        }
        if untouchable {
            out.push_str(token);
            continue;
        }
        if is_day(core)
            && tokens.get(at + 1).is_some_and(|next| {
                let (_, word, _) = split_punctuation(next);
                is_month(word)
            })
        {
            // The month that follows becomes the date; drop the day.
            out.pop();
            day_before = true;
            continue;
        }
        out.push_str(leading);
        out.push_str("{{");
        out.push_str(fact_kind(core));
        out.push_str("}}");
        out.push_str(trailing);
    }
    out
}

/// A day of the week on its own ("Saturdays", a habit, stays).
fn is_weekday(word: &str) -> bool {
    const WEEKDAYS: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let lower = word.to_lowercase();
    WEEKDAYS.contains(&lower.as_str())
}

fn is_day(word: &str) -> bool {
    let digits = word.trim_end_matches(|c: char| c.is_alphabetic());
    let suffix = &word[digits.len()..];
    !digits.is_empty()
        && digits.len() <= 2
        && digits.chars().all(|c| c.is_ascii_digit())
        && ["", "st", "nd", "rd", "th"].contains(&suffix.to_lowercase().as_str())
}

/// The names of the `{{placeholders}}` in a text, each once, in order.
pub fn placeholders_in(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else { break };
        let name = after[..close].trim();
        if !name.is_empty() && name.len() <= 60 && !name.contains('{') && !found.iter().any(|seen| seen == name) {
            found.push(name.to_owned());
        }
        rest = &after[close + 2..];
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adapts_an_agent_reply_for_another_customer() {
        let reply = "Hi Sam,\n\nThanks for reaching out!\n\nI've refunded $49.99 to your card ending 4242 on \
                     March 3rd. It takes 5-7 business days; your reference is #88412.\n\nBest regards,\nPriya";
        // This ticket's own notes say a refund was made: the sentence stays, its facts masked.
        let draft = compose("Emma Larsen", "Marcus Webb", Some(reply), &["refund"]);
        assert_eq!(
            draft.text,
            "Hi Emma,\n\nThank you for getting in touch.\n\nI've refunded {{amount}} to your card ending \
             {{number}} on {{date}}. It takes {{number}} business days; your reference is {{reference}}.\n\n\
             Best regards,\nMarcus Webb"
        );
        assert_eq!(draft.placeholders, vec!["amount", "number", "date", "reference"]);
        assert!(!draft.text.contains("Sam") && !draft.text.contains("Priya"));
        // Nothing on this ticket says so: the other customer's refund is not claimed.
        let draft = compose("Emma Larsen", "Marcus Webb", Some(reply), &[]);
        assert_eq!(
            draft.text,
            "Hi Emma,\n\nThank you for getting in touch.\n\n{{refund_status}} It takes {{number}} business days; \
             your reference is {{reference}}.\n\nBest regards,\nMarcus Webb"
        );
        assert_eq!(draft.placeholders, vec!["refund_status", "number", "reference"]);
    }

    #[test]
    fn no_answer_leaves_a_placeholder_and_odd_names_get_hello() {
        let draft = compose("user123", "", None, &[]);
        assert_eq!(
            draft.text,
            "Hello,\n\nThank you for getting in touch.\n\n{{answer}}\n\nBest regards"
        );
        assert_eq!(draft.placeholders, vec!["answer"]);
    }

    #[test]
    fn keeps_links_emails_and_existing_placeholders() {
        let masked =
            mask_facts("See https://help.example.com/a/123 or write to help2@example.com about {{Order Number}}.");
        assert_eq!(
            masked,
            "See https://help.example.com/a/123 or write to help2@example.com about {{Order Number}}."
        );
        assert_eq!(placeholders_in(&masked), vec!["Order Number"]);
    }

    #[test]
    fn facts_of_each_kind() {
        let cases = [
            ("It costs €12", "It costs {{amount}}"),
            ("Save 20% today.", "Save {{percentage}} today."),
            ("Call at 10:30.", "Call at {{time}}."),
            ("Shipped 2026-03-04, arriving", "Shipped {{date}}, arriving"),
            ("Order ABC1234 shipped", "Order {{reference}} shipped"),
            ("on 3 March.", "on {{date}}."),
            ("by May 12, then", "by {{date}}, then"),
            ("(2 items)", "({{number}} items)"),
            ("You may need 2 March tickets", "You may need {{date}} tickets"),
            ("You may reset it", "You may reset it"),
            ("Tracking: NW-EX-55812.", "Tracking: {{reference}}."),
            ("It should arrive Thursday, and", "It should arrive {{date}}, and"),
            ("We deliver on Saturdays.", "We deliver on Saturdays."),
            ("nothing to mask here", "nothing to mask here"),
        ];
        for (line, expected) in cases {
            assert_eq!(mask_facts(line), expected, "{line}");
        }
    }

    #[test]
    fn strips_sign_offs_only_at_the_end() {
        assert_eq!(
            adapt_answer("Hello!\nThanks to the update, it works.\nCheers,\nAnn\nSupport team"),
            "Thanks to the update, it works."
        );
        assert_eq!(
            adapt_answer("Reset it from Settings.\n\nThanks"),
            "Reset it from Settings."
        );
    }

    #[test]
    fn strips_the_writers_name_and_team_but_not_the_answer() {
        let cases = [
            // The demo's replies end with the agent's first name alone.
            (
                "Hi Emma,\n\nThe duplicate charge is on its way back.\n\nPriya",
                "The duplicate charge is on its way back.",
            ),
            ("It works again.\n\n— Hannah\nNorthwind Support", "It works again."),
            ("It works again.\n\nThe Northwind Team", "It works again."),
            ("Best,\nPriya Shah", ""),
            // A last paragraph that says something stays.
            (
                "Try again now.\n\nLet me know if it helps.",
                "Try again now.\n\nLet me know if it helps.",
            ),
            (
                "Try again now.\n\nOrder Number {{Order Number}}",
                "Try again now.\n\nOrder Number {{Order Number}}",
            ),
            (
                "Try again now.\n\nSettings > Security > Reset",
                "Try again now.\n\nSettings > Security > Reset",
            ),
            // A one-paragraph answer is never taken for a name.
            ("Northwind Support", "Northwind Support"),
        ];
        for (reply, expected) in cases {
            assert_eq!(adapt_answer(reply), expected, "{reply:?}");
        }
    }
}
