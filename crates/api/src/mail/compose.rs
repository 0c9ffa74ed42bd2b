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
             Follow it and reply here:\n{}\n\nThis link signs you in for 7 days; please do not forward it.{}",
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
pub fn agent_replied(sender: &Sender<'_>, ticket: &Ticket, message: &Message, link: &str) -> OutgoingEmail {
    let root = sender.thread_root(ticket);
    OutgoingEmail {
        to_address: ticket.requester.email.clone(),
        to_name: ticket.requester.name.clone(),
        from_name: format!("{} ({})", message.author.name, sender.workspace_name),
        subject: format!("Re: [#{}] {}", ticket.number, ticket.subject),
        body_text: format!(
            "{}\n\n---\n{} replied to your request #{}. See the whole conversation and answer here:\n{}{}",
            message.body,
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

pub fn invitation(sender: &Sender<'_>, email: &str, inviter: &str, role: Role, link: &str) -> OutgoingEmail {
    OutgoingEmail {
        to_address: email.to_owned(),
        to_name: String::new(),
        from_name: sender.sender_name(),
        subject: format!("{inviter} invited you to {} on Ferrodesk", sender.workspace_name),
        body_text: format!(
            "Hello,\n\n{inviter} invited you to join {} on Ferrodesk as {} {}.\n\nAccept the invitation here \
             (it works once, for 7 days):\n{link}{}",
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

pub fn sign_in_link(sender: &Sender<'_>, customer: &UserSummary, link: &str) -> OutgoingEmail {
    OutgoingEmail {
        to_address: customer.email.clone(),
        to_name: customer.name.clone(),
        from_name: sender.sender_name(),
        subject: format!("Your sign-in link for {}", sender.workspace_name),
        body_text: format!(
            "Hello {},\n\nUse this link to see your requests with {} (it works for 7 days):\n{link}\n\n\
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
