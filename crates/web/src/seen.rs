//! Which tickets this person has seen, kept in the browser because the server has no per-user read
//! marks for tickets: for each ticket, its `updated_at` as of when they last had it open, per user in
//! localStorage. A row is unread while the ticket has changed since then.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use ferrodesk_shared::tickets::Ticket;
use ferrodesk_shared::{TicketId, UserId};
use leptos::prelude::*;

use crate::session::use_session;

/// Enough for months of work; past it the marks of the longest-unchanged tickets go first.
pub const MAX_ENTRIES: usize = 2_000;

/// A ticket nobody assigned to me, and that I never opened, is news only while it is this new.
pub fn news_window() -> Duration {
    Duration::days(7)
}

/// Times are kept in milliseconds; the server may round what it stored to the microsecond, so a
/// change counts only when it is more than this newer than the mark.
const SLACK_MS: i64 = 1;

/// Ticket id -> its `updated_at` (Unix milliseconds) when last seen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeenMarks(HashMap<TicketId, i64>);

impl SeenMarks {
    pub fn from_json(text: &str) -> Self {
        SeenMarks(serde_json::from_str(text).unwrap_or_default())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_default()
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn get(&self, id: TicketId) -> Option<i64> {
        self.0.get(&id).copied()
    }

    /// Records that the ticket was seen as of `updated_at`; false when that changes nothing (an older
    /// or equal mark never replaces a newer one).
    pub fn mark(&mut self, id: TicketId, updated_at: DateTime<Utc>) -> bool {
        let at = updated_at.timestamp_millis();
        if self.get(id).is_some_and(|known| known >= at) {
            return false;
        }
        self.0.insert(id, at);
        self.trim(MAX_ENTRIES);
        true
    }

    /// Keeps the `cap` newest marks.
    fn trim(&mut self, cap: usize) {
        if self.0.len() <= cap {
            return;
        }
        let mut marks: Vec<(TicketId, i64)> = self.0.drain().collect();
        marks.sort_unstable_by_key(|mark| std::cmp::Reverse(mark.1));
        marks.truncate(cap);
        self.0 = marks.into_iter().collect();
    }

    /// Whether `ticket` has activity `me` has not seen: changed since their mark; or, never opened,
    /// assigned to them, or new (created within `news_window`) for everyone else.
    pub fn is_unread(&self, ticket: &Ticket, me: Option<UserId>, now: DateTime<Utc>) -> bool {
        match self.get(ticket.id) {
            Some(seen) => ticket.updated_at.timestamp_millis() - seen > SLACK_MS,
            None => {
                let mine = me.is_some() && ticket.assignee.as_ref().map(|assignee| assignee.id) == me;
                mine || now - ticket.created_at < news_window()
            }
        }
    }
}

/// The signed-in person's marks, shared by the inbox and the open ticket.
#[derive(Clone, Copy)]
pub struct Seen {
    me: Option<UserId>,
    marks: RwSignal<SeenMarks>,
}

fn storage_key(me: UserId) -> String {
    format!("ferrodesk-seen:{me}")
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

fn load(me: Option<UserId>) -> SeenMarks {
    me.and_then(|me| storage()?.get_item(&storage_key(me)).ok().flatten())
        .map(|text| SeenMarks::from_json(&text))
        .unwrap_or_default()
}

impl Seen {
    /// Made once by the inbox for the pages inside it; another tab's marks are read again when it
    /// writes them.
    pub fn provide() -> Self {
        let me = use_session().user().map(|user| user.id);
        let seen = Seen {
            me,
            marks: RwSignal::new(load(me)),
        };
        provide_context(seen);
        let listener = window_event_listener(leptos::ev::storage, move |_| seen.marks.set(load(me)));
        on_cleanup(move || listener.remove());
        seen
    }

    pub fn is_unread(&self, ticket: &Ticket, now: DateTime<Utc>) -> bool {
        self.marks.with(|marks| marks.is_unread(ticket, self.me, now))
    }

    /// Whether it is read right now, without subscribing.
    pub fn is_read_untracked(&self, ticket: &Ticket, now: DateTime<Utc>) -> bool {
        !self.marks.with_untracked(|marks| marks.is_unread(ticket, self.me, now))
    }

    pub fn mark(&self, ticket: &Ticket) {
        let Some(me) = self.me else { return };
        // Also called when an answer arrives, perhaps after the inbox was left.
        let Some(mut marks) = self.marks.try_get_untracked() else {
            return;
        };
        if !marks.mark(ticket.id, ticket.updated_at) {
            return;
        }
        if let Some(storage) = storage() {
            let _ = storage.set_item(&storage_key(me), &marks.to_json());
        }
        self.marks.try_set(marks);
    }
}

pub fn use_seen() -> Seen {
    use_context::<Seen>().unwrap_or_else(Seen::provide)
}

/// The open ticket is seen as it is now, and again whenever it changes while on screen.
pub fn track_open(ticket: RwSignal<Ticket>) {
    let seen = use_seen();
    Effect::new(move |_| ticket.with(|ticket| seen.mark(ticket)));
}

#[cfg(test)]
mod tests {
    use ferrodesk_shared::tickets::{Priority, TicketStatus};
    use ferrodesk_shared::users::UserSummary;

    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap_or_default()
    }

    fn person(id: UserId) -> UserSummary {
        UserSummary {
            id,
            name: "Someone".to_owned(),
            email: "someone@example.com".to_owned(),
            role: ferrodesk_shared::Role::Agent,
        }
    }

    /// A fresh id each call.
    fn id() -> uuid::Uuid {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(1);
        uuid::Uuid::from_u128(u128::from(NEXT.fetch_add(1, Ordering::Relaxed)))
    }

    fn ticket(created: i64, updated: i64, assignee: Option<UserId>) -> Ticket {
        Ticket {
            id: TicketId::from(id()),
            number: 1,
            subject: "Help".to_owned(),
            status: TicketStatus::Open,
            priority: Priority::Normal,
            category: None,
            category_source: None,
            ai_category: None,
            tags: Vec::new(),
            requester: person(UserId::from(id())),
            assignee: assignee.map(person),
            created_at: at(created),
            updated_at: at(updated),
            first_response_at: None,
            solved_at: None,
            preview: None,
            sla: Default::default(),
        }
    }

    #[test]
    fn a_ticket_is_unread_when_it_changed_since_it_was_seen() {
        let me = UserId::from(id());
        let now = at(100);
        let mut marks = SeenMarks::default();
        let mut seen = ticket(-30 * 86_400, 10, None);
        assert!(marks.mark(seen.id, seen.updated_at));
        assert!(!marks.is_unread(&seen, Some(me), now));
        // An older mark never replaces a newer one.
        assert!(!marks.mark(seen.id, at(5)));
        assert!(!marks.is_unread(&seen, Some(me), now));
        seen.updated_at = at(20);
        assert!(marks.is_unread(&seen, Some(me), now));
        // The server's rounding of the same moment is not activity.
        seen.updated_at = at(10) + Duration::microseconds(400);
        assert!(!marks.is_unread(&seen, Some(me), now));
    }

    #[test]
    fn never_opened_tickets_are_unread_when_mine_or_new() {
        let me = UserId::from(id());
        let someone = UserId::from(id());
        let now = at(0);
        let marks = SeenMarks::default();
        let old = -8 * 86_400;
        assert!(marks.is_unread(&ticket(old, old, Some(me)), Some(me), now));
        assert!(!marks.is_unread(&ticket(old, old, Some(someone)), Some(me), now));
        assert!(!marks.is_unread(&ticket(old, old, None), Some(me), now));
        assert!(marks.is_unread(&ticket(-3600, -3600, None), Some(me), now));
        assert!(marks.is_unread(&ticket(-3600, -3600, Some(someone)), Some(me), now));
    }

    #[test]
    fn the_marks_are_bounded_and_survive_storage() {
        let mut marks = SeenMarks::default();
        let tickets: Vec<Ticket> = (0..(MAX_ENTRIES as i64 + 5)).map(|n| ticket(0, n, None)).collect();
        for ticket in &tickets {
            marks.mark(ticket.id, ticket.updated_at);
        }
        assert_eq!(marks.len(), MAX_ENTRIES);
        // The five longest-unchanged went first.
        assert!(tickets[..5].iter().all(|ticket| marks.get(ticket.id).is_none()));
        assert!(tickets[5..].iter().all(|ticket| marks.get(ticket.id).is_some()));
        assert_eq!(SeenMarks::from_json(&marks.to_json()), marks);
        assert_eq!(SeenMarks::from_json("not json"), SeenMarks::default());
    }
}
