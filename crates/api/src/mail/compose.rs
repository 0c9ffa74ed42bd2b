//! The words of each email. Replies about one ticket share a thread: the confirmation's
//! Message-ID is the root that every later mail names in `In-Reply-To` and `References`.

use ferrodesk_shared::Role;
use ferrodesk_shared::tickets::{Message, Ticket};
use ferrodesk_shared::users::UserSummary;

use super::OutgoingEmail;

/// What every email needs to know about where it comes from.
pub struct Sender<'a> {
    pub workspace_name: &'a str,
    pub public_url: &'a str,
    /// The right-hand side of Message-IDs.
    pub domain: &'a str,
}

impl Sender<'_> {
    fn sender_name(&self) -> String {
        format!("{} Support", self.workspace_name)
    }

    fn thread_root(&self, ticket: &Ticket) -> String {
        format!("<ticket-{}@{}>", ticket.id, self.domain)
    }
}

fn signature(sender: &Sender<'_>) -> String {
    format!("\n\n-- \n{} Support, powered by Ferrodesk", sender.workspace_name)
}

/// To the customer, when their ticket is created: number, subject and a link to follow it.
pub fn ticket_received(sender: &Sender<'_>, ticket: &Ticket, requester: &UserSummary, link: &str) -> OutgoingEmail {
    OutgoingEmail {
        to_address: requester.email.clone(),
        to_name: requester.name.clone(),
        from_name: sender.sender_name(),
        subject: format!("[#{}] {}", ticket.number, ticket.subject),
        body_text: format!(
            "Hello {},\n\nWe have received your request #{} \"{}\" and will answer as soon as we can.\n\n\
             Follow it and reply here:\n{}\n\nThis link signs you in once and soon expires; please do not forward it. \
             An old link offers to email you a new one.{}",
            requester.name,
            ticket.number,
            ticket.subject,
            link,
            signature(sender)
        ),
        message_id: sender.thread_root(ticket),
        in_reply_to: None,
        references: None,
    }
}

/// To the customer, for each public reply of the team.
pub fn agent_replied(
    sender: &Sender<'_>,
    ticket: &Ticket,
    message: &Message,
    link: &str,
    file_links: &[String],
) -> OutgoingEmail {
    let root = sender.thread_root(ticket);
    OutgoingEmail {
        to_address: ticket.requester.email.clone(),
        to_name: ticket.requester.name.clone(),
        from_name: format!("{} ({})", message.author.name, sender.workspace_name),
        subject: format!("Re: [#{}] {}", ticket.number, ticket.subject),
        body_text: format!(
            "{}{}\n\n---\n{} replied to your request #{}. See the whole conversation and answer here:\n{}{}",
            message.body,
            files_line(message, file_links),
            message.author.name,
            ticket.number,
            link,
            signature(sender)
        ),
        message_id: format!("<message-{}@{}>", message.id, sender.domain),
        in_reply_to: Some(root.clone()),
        references: Some(root),
    }
}

/// To the customer, when their ticket is first solved: one link to rate it good, one bad. In the
/// ticket's thread, like the replies.
pub fn satisfaction_survey(sender: &Sender<'_>, ticket: &Ticket, link: &str) -> OutgoingEmail {
    let root = sender.thread_root(ticket);
    OutgoingEmail {
        to_address: ticket.requester.email.clone(),
        to_name: ticket.requester.name.clone(),
        from_name: sender.sender_name(),
        subject: format!("How did we do? [#{}] {}", ticket.number, ticket.subject),
        body_text: format!(
            "Hello {},\n\nYour request #{} \"{}\" is solved. How would you rate the help you received?\n\n             Good, I'm satisfied:\n{link}?rating=good\n\nBad, I'm unsatisfied:\n{link}?rating=bad\n\n             One click is enough; the page lets you add a comment. The links work for 30 days.\n\n             If something is still wrong, just write to us again on your request.{}",
            ticket.requester.name,
            ticket.number,
            ticket.subject,
            signature(sender)
        ),
        message_id: format!("<survey-{}@{}>", ticket.id, sender.domain),
        in_reply_to: Some(root.clone()),
        references: Some(root),
    }
}

/// The files a reply carries, each with its own link (`attachments::links`: it opens without
/// signing in, for 30 days).
fn files_line(message: &Message, links: &[String]) -> String {
    if message.attachments.is_empty() {
        return String::new();
    }
    let files: Vec<String> = message
        .attachments
        .iter()
        .zip(links)
        .map(|(file, link)| format!("- {} ({}):\n  {link}", file.filename, size_words(file.size_bytes)))
        .collect();
    format!("\n\nAttached:\n{}", files.join("\n"))
}

/// "820 bytes", "12 KB", "3.4 MB".
fn size_words(bytes: u64) -> String {
    match bytes {
        0..1_024 => format!("{bytes} bytes"),
        1_024..1_048_576 => format!("{} KB", bytes.div_ceil(1_024)),
        _ => format!("{:.1} MB", bytes as f64 / 1_048_576.0),
    }
}

/// "1 hour", "72 hours", "30 minutes": how long a link works, in words.
pub fn lifetime(seconds: i64) -> String {
    let plural = |count: i64, unit: &str| format!("{count} {unit}{}", if count == 1 { "" } else { "s" });
    if seconds >= 3600 && seconds % 3600 == 0 {
        plural(seconds / 3600, "hour")
    } else {
        plural((seconds / 60).max(1), "minute")
    }
}

pub fn invitation(
    sender: &Sender<'_>,
    email: &str,
    inviter: &str,
    role: Role,
    link: &str,
    valid_for: &str,
) -> OutgoingEmail {
    OutgoingEmail {
        to_address: email.to_owned(),
        to_name: String::new(),
        from_name: sender.sender_name(),
        subject: format!("{inviter} invited you to {} on Ferrodesk", sender.workspace_name),
        body_text: format!(
            "Hello,\n\n{inviter} invited you to join {} on Ferrodesk as {} {}.\n\nAccept the invitation here \
             (it works once, for {valid_for}):\n{link}{}",
            sender.workspace_name,
            if role == Role::Agent { "an" } else { "a" },
            role,
            signature(sender)
        ),
        message_id: format!("<invitation-{}@{}>", uuid::Uuid::now_v7(), sender.domain),
        in_reply_to: None,
        references: None,
    }
}

pub fn sign_in_link(sender: &Sender<'_>, customer: &UserSummary, link: &str, valid_for: &str) -> OutgoingEmail {
    OutgoingEmail {
        to_address: customer.email.clone(),
        to_name: customer.name.clone(),
        from_name: sender.sender_name(),
        subject: format!("Your sign-in link for {}", sender.workspace_name),
        body_text: format!(
            "Hello {},\n\nUse this link to see your requests with {} (it works once, for {valid_for}):\n{link}\n\n\
             If you did not ask for it, you can ignore this email.{}",
            customer.name,
            sender.workspace_name,
            signature(sender)
        ),
        message_id: format!("<sign-in-{}@{}>", uuid::Uuid::now_v7(), sender.domain),
        in_reply_to: None,
        references: None,
    }
}

/// Asks the person who signed up to confirm the address. Opening the link proves the address and
/// keeps the password chosen at sign-up.
pub fn confirm_email(sender: &Sender<'_>, person: &UserSummary, link: &str, valid_for: &str) -> OutgoingEmail {
    OutgoingEmail {
        to_address: person.email.clone(),
        to_name: person.name.clone(),
        from_name: sender.sender_name(),
        subject: format!("Confirm your email address for {}", sender.workspace_name),
        body_text: format!(
            "Hello {},\n\nPlease confirm that this is your email address for {} (the link works once, \
             for {valid_for}):\n{link}\n\nIf you did not sign up, ignore this email: nothing is shared \
             with whoever typed your address.{}",
            person.name,
            sender.workspace_name,
            signature(sender)
        ),
        message_id: format!("<confirm-{}@{}>", uuid::Uuid::now_v7(), sender.domain),
        in_reply_to: None,
        references: None,
    }
}

/// Someone tried to sign up with an address that already has an account: tell its owner, never
/// the person who typed it. Customers get a sign-in link; staff sign in with their password.
pub fn already_registered(
    sender: &Sender<'_>,
    person: &UserSummary,
    sign_in: &str,
    link_valid_for: Option<&str>,
) -> OutgoingEmail {
    let how = match link_valid_for {
        Some(valid_for) => format!("Sign in with this link (it works once, for {valid_for}):\n{sign_in}"),
        None => format!("Sign in here with your password:\n{sign_in}"),
    };
    OutgoingEmail {
        to_address: person.email.clone(),
        to_name: person.name.clone(),
        from_name: sender.sender_name(),
        subject: format!("You already have an account with {}", sender.workspace_name),
        body_text: format!(
            "Hello {},\n\nSomeone (probably you) tried to sign up for {} with this address, which already \
             has an account. {how}\n\nIf it was not you, you can ignore this email.{}",
            person.name,
            sender.workspace_name,
            signature(sender)
        ),
        message_id: format!("<registered-{}@{}>", uuid::Uuid::now_v7(), sender.domain),
        in_reply_to: None,
        references: None,
    }
}
