//! Deadline math, pure: a ticket's due times from its policy, its history and the clock it was
//! paused for (time spent pending, waiting on the customer, does not count towards resolution).

use chrono::{DateTime, Duration, Utc};
use ferrodesk_shared::sla::SlaPolicy;
use ferrodesk_shared::tickets::TicketStatus;

/// What the math needs to know about a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaState {
    pub created_at: DateTime<Utc>,
    pub status: TicketStatus,
    pub first_response_at: Option<DateTime<Utc>>,
    /// Time already spent pending, closed periods only.
    pub paused: Duration,
    pub breached_first_response: bool,
    pub breached_resolution: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    pub first_response_due_at: DateTime<Utc>,
    pub resolution_due_at: DateTime<Utc>,
    /// The target the scheduler watches next: the first response until it happens, then the
    /// resolution while the ticket is open; none while pending, once solved, or once acted on.
    pub next_due_at: Option<DateTime<Utc>>,
}

pub fn deadlines(policy: &SlaPolicy, state: &SlaState) -> Deadlines {
    let first_response_due_at = state.created_at + Duration::minutes(i64::from(policy.first_response_minutes));
    let resolution_due_at = state.created_at + Duration::minutes(i64::from(policy.resolution_minutes)) + state.paused;
    let next_due_at = match state.status {
        TicketStatus::Solved | TicketStatus::Closed => None,
        TicketStatus::New | TicketStatus::Open | TicketStatus::Pending
            if state.first_response_at.is_none() && !state.breached_first_response =>
        {
            Some(first_response_due_at)
        }
        TicketStatus::Pending => None,
        TicketStatus::New | TicketStatus::Open if !state.breached_resolution => Some(resolution_due_at),
        TicketStatus::New | TicketStatus::Open => None,
    };
    Deadlines {
        first_response_due_at,
        resolution_due_at,
        next_due_at,
    }
}

/// The pending clock when the status changes: `(pending_since, paused)` after the change.
pub fn pause_clock(
    from: TicketStatus,
    to: TicketStatus,
    pending_since: Option<DateTime<Utc>>,
    paused: Duration,
    now: DateTime<Utc>,
) -> (Option<DateTime<Utc>>, Duration) {
    match (from == TicketStatus::Pending, to == TicketStatus::Pending) {
        (false, true) => (Some(now), paused),
        (true, false) => (
            None,
            paused + (now - pending_since.unwrap_or(now)).max(Duration::zero()),
        ),
        (true, true) | (false, false) => (pending_since, paused),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TicketStatus::*;
    use ferrodesk_shared::tickets::Priority;

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default() + Duration::hours(hours)
    }

    fn state(status: TicketStatus, responded: Option<i64>, paused_hours: i64) -> SlaState {
        SlaState {
            created_at: at(0),
            status,
            first_response_at: responded.map(at),
            paused: Duration::hours(paused_hours),
            breached_first_response: false,
            breached_resolution: false,
        }
    }

    #[test]
    fn due_times_by_priority_and_history() {
        let normal = SlaPolicy::default_for(Priority::Normal);
        let urgent = SlaPolicy::default_for(Priority::Urgent);
        // (policy, state, first response due, resolution due, next due), in hours after creation.
        let table = [
            (normal, state(New, None, 0), 8, 72, Some(8)),
            (urgent, state(New, None, 0), 1, 8, Some(1)),
            (normal, state(Open, Some(2), 0), 8, 72, Some(72)),
            (normal, state(Open, Some(2), 10), 8, 82, Some(82)),
            (normal, state(Pending, Some(2), 10), 8, 82, None),
            (normal, state(Pending, None, 0), 8, 72, Some(8)),
            (normal, state(Solved, Some(2), 0), 8, 72, None),
            (normal, state(Closed, None, 0), 8, 72, None),
        ];
        for (policy, state, first, resolution, next) in table {
            let due = deadlines(&policy, &state);
            assert_eq!(due.first_response_due_at, at(first), "{state:?}");
            assert_eq!(due.resolution_due_at, at(resolution), "{state:?}");
            assert_eq!(due.next_due_at, next.map(at), "{state:?}");
        }
    }

    #[test]
    fn a_breach_acted_on_is_not_watched_again() {
        let normal = SlaPolicy::default_for(Priority::Normal);
        let mut waiting = state(Open, None, 0);
        waiting.breached_first_response = true;
        assert_eq!(
            deadlines(&normal, &waiting).next_due_at,
            Some(at(72)),
            "on to the resolution target"
        );
        waiting.breached_resolution = true;
        assert_eq!(deadlines(&normal, &waiting).next_due_at, None);
    }

    #[test]
    fn pending_pauses_the_clock() {
        let zero = Duration::zero();
        assert_eq!(pause_clock(Open, Pending, None, zero, at(5)), (Some(at(5)), zero));
        assert_eq!(
            pause_clock(Pending, Open, Some(at(5)), zero, at(8)),
            (None, Duration::hours(3))
        );
        assert_eq!(
            pause_clock(Pending, Solved, Some(at(5)), Duration::hours(1), at(6)),
            (None, Duration::hours(2))
        );
        assert_eq!(pause_clock(Open, Solved, None, zero, at(6)), (None, zero));
        assert_eq!(
            pause_clock(Pending, Pending, Some(at(5)), zero, at(6)),
            (Some(at(5)), zero)
        );
    }
}
