//! A ticket's changeable state and the one pure function that changes it. Every write to a ticket
//! (an agent's patch, a reply by staff or customer, an SLA breach, the classifier's verdict) is a
//! `Change`; `apply` checks it against the lifecycle and the permission table and returns the new
//! state with what happened (`Effect`s), or why not (`Refusal`). The repository then writes only the
//! columns that differ (`repo::save`), and `effects` turns the effects into events, notifications and
//! mail. No IO here: the table tests below cover the rules.

use chrono::{DateTime, Duration, Utc};
use ferrodesk_shared::ai::{CategoryGuess, CategorySource};
use ferrodesk_shared::sla::{BreachKind, SlaPolicy, TicketSla};
use ferrodesk_shared::tickets::{Priority, TicketStatus};
use ferrodesk_shared::{Permission, Role};
use uuid::Uuid;

use crate::ai::Categorised;
use crate::error::ApiError;
use crate::sla::domain::{self, SlaState};

/// Everything about a ticket that changes after it is created.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketState {
    pub status: TicketStatus,
    pub priority: Priority,
    pub assignee: Option<Uuid>,
    pub category: Option<String>,
    pub category_source: Option<CategorySource>,
    /// The classifier's verdict, kept when it abstained.
    pub ai: Option<CategoryGuess>,
    pub tags: Vec<String>,
    /// The start of the latest public message, for list rows.
    pub preview: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub solved_at: Option<DateTime<Utc>>,
    pub clock: SlaClock,
}

/// A stored ticket: what never changes after creation, and its state.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketRecord {
    pub id: Uuid,
    pub number: i64,
    pub subject: String,
    pub requester_id: Uuid,
    /// Who wrote the first message (the requester, or the staff member who opened it for them).
    pub created_by: Option<Uuid>,
    pub state: TicketState,
}

impl TicketRecord {
    /// The people a view of the ticket names: its requester, and its assignee if any.
    pub fn people(&self) -> impl Iterator<Item = Uuid> + use<> {
        [Some(self.requester_id), self.state.assignee].into_iter().flatten()
    }
}

/// The SLA's view of a ticket: its targets, the pending time that does not count, what was missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaClock {
    pub created_at: DateTime<Utc>,
    pub pending_since: Option<DateTime<Utc>>,
    pub paused: Duration,
    pub first_response_due_at: Option<DateTime<Utc>>,
    pub resolution_due_at: Option<DateTime<Utc>>,
    pub next_due_at: Option<DateTime<Utc>>,
    pub breached_first_response: bool,
    pub breached_resolution: bool,
    pub escalated: bool,
}

impl SlaClock {
    pub fn view(&self) -> TicketSla {
        TicketSla {
            first_response_due_at: self.first_response_due_at,
            resolution_due_at: self.resolution_due_at,
            next_due_at: self.next_due_at,
            breached: self.breached_first_response || self.breached_resolution,
            escalated: self.escalated,
        }
    }
}

/// The workspace's SLA policy for each priority (its own, or the defaults).
#[derive(Debug, Clone)]
pub struct Policies(pub Vec<SlaPolicy>);

impl Policies {
    pub fn for_priority(&self, priority: Priority) -> SlaPolicy {
        self.0
            .iter()
            .find(|policy| policy.priority == priority)
            .copied()
            .unwrap_or_else(|| SlaPolicy::default_for(priority))
    }
}

/// Who asks for a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub id: Uuid,
    pub role: Role,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Patch {
    pub status: Option<TicketStatus>,
    pub priority: Option<Priority>,
    /// `Some(None)`: unassign.
    pub assignee: Option<Option<Uuid>>,
    /// `Some(None)`: clear the category.
    pub category: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Patch {
        by: Actor,
        patch: Patch,
    },
    /// A message was written; `preview` is its excerpt (public messages only).
    Reply {
        by: Actor,
        internal: bool,
        preview: String,
        /// A public staff reply on an unassigned ticket assigns it to its sender (the workspace's
        /// setting; never for an API key's integration, which is no one to assign to).
        claim: bool,
    },
    /// The scheduler's action on a missed target: give it to `assign_to`, or escalate when nobody can take it.
    Breach {
        kind: BreachKind,
        assign_to: Option<Uuid>,
    },
    /// The classifier's verdict, arriving after the ticket.
    Categorised(Categorised),
    /// Merged into another ticket (its messages moved there): closed, whatever its status was.
    MergedAway {
        by: Actor,
    },
}

/// What a change did, for events, notifications, mail and learning.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    StatusChanged {
        from: TicketStatus,
        to: TicketStatus,
    },
    PriorityChanged {
        from: Priority,
        to: Priority,
    },
    Assigned {
        from: Option<Uuid>,
        to: Option<Uuid>,
    },
    /// A person chose (or cleared) the category: a label the classifier learns from.
    Labelled,
    Tagged,
    FirstResponse,
    /// The customer wrote again on a pending or solved ticket.
    Reopened,
    Breached {
        kind: BreachKind,
        action: BreachOutcome,
    },
    Categorised,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreachOutcome {
    AssignedTo(Uuid),
    EscalatedTo(Priority),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub state: TicketState,
    pub effects: Vec<Effect>,
}

impl Transition {
    /// Whether anything about the ticket changed (and so must be saved and announced).
    pub fn changed(&self, before: &TicketState) -> bool {
        self.state != *before
    }

    pub fn assigned(&self) -> Option<(Option<Uuid>, Option<Uuid>)> {
        self.effects.iter().find_map(|effect| match effect {
            Effect::Assigned { from, to } => Some((*from, *to)),
            _ => None,
        })
    }

    pub fn has(&self, wanted: impl Fn(&Effect) -> bool) -> bool {
        self.effects.iter().any(wanted)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotAllowed(Permission),
    CannotBecome { from: TicketStatus, to: TicketStatus },
    Closed,
    ClosedForReplies,
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> ApiError {
        match refusal {
            Refusal::NotAllowed(permission) => ApiError::forbidden(match permission {
                Permission::EditTicketFields => {
                    "Only staff can change a ticket's status, priority, assignee, category or tags."
                }
                Permission::WriteInternalNote => "Only staff can write internal notes.",
                Permission::AssignAnyone => "Only supervisors can assign a ticket to someone else.",
                _ => "Your role does not allow this.",
            }),
            Refusal::CannotBecome { from, to } => {
                ApiError::conflict(format!("A {} ticket cannot become {}.", from.as_str(), to.as_str()))
            }
            Refusal::Closed => ApiError::conflict("A closed ticket cannot be changed."),
            Refusal::ClosedForReplies => ApiError::conflict("This ticket is closed; please open a new one."),
        }
    }
}

impl TicketState {
    /// A ticket as it arrives: new, unassigned, its targets set by its priority's policy.
    pub fn arriving(priority: Priority, policies: &Policies, preview: String, now: DateTime<Utc>) -> TicketState {
        let mut state = TicketState {
            status: TicketStatus::New,
            priority,
            assignee: None,
            category: None,
            category_source: None,
            ai: None,
            tags: Vec::new(),
            preview: Some(preview),
            updated_at: now,
            first_response_at: None,
            solved_at: None,
            clock: SlaClock {
                created_at: now,
                pending_since: None,
                paused: Duration::zero(),
                first_response_due_at: None,
                resolution_due_at: None,
                next_due_at: None,
                breached_first_response: false,
                breached_resolution: false,
                escalated: false,
            },
        };
        state.refresh_due_times(policies);
        state
    }

    fn refresh_due_times(&mut self, policies: &Policies) {
        let due = domain::deadlines(
            &policies.for_priority(self.priority),
            &SlaState {
                created_at: self.clock.created_at,
                status: self.status,
                first_response_at: self.first_response_at,
                paused: self.clock.paused,
                breached_first_response: self.clock.breached_first_response,
                breached_resolution: self.clock.breached_resolution,
            },
        );
        self.clock.first_response_due_at = Some(due.first_response_due_at);
        self.clock.resolution_due_at = Some(due.resolution_due_at);
        self.clock.next_due_at = due.next_due_at;
    }

    fn move_to(&mut self, next: TicketStatus, now: DateTime<Utc>) {
        let (pending_since, paused) =
            domain::pause_clock(self.status, next, self.clock.pending_since, self.clock.paused, now);
        self.clock.pending_since = pending_since;
        self.clock.paused = paused;
        if next == TicketStatus::Solved {
            self.solved_at = Some(now);
        } else if self.status == TicketStatus::Solved && next != TicketStatus::Closed {
            self.solved_at = None;
        }
        self.status = next;
    }
}

fn require(actor: &Actor, permission: Permission) -> Result<(), Refusal> {
    if actor.role.can(permission) {
        Ok(())
    } else {
        Err(Refusal::NotAllowed(permission))
    }
}

/// The one place a ticket changes.
pub fn apply(
    state: &TicketState,
    change: &Change,
    policies: &Policies,
    now: DateTime<Utc>,
) -> Result<Transition, Refusal> {
    let mut next = state.clone();
    let mut effects = Vec::new();
    match change {
        Change::Patch { by, patch } => {
            require(by, Permission::EditTicketFields)?;
            if let Some(status) = patch.status
                && status != state.status
            {
                if !state.status.can_become(status) {
                    return Err(Refusal::CannotBecome {
                        from: state.status,
                        to: status,
                    });
                }
                next.move_to(status, now);
                effects.push(Effect::StatusChanged {
                    from: state.status,
                    to: status,
                });
            }
            let touches_fields = patch.priority.is_some()
                || patch.assignee.is_some()
                || patch.category.is_some()
                || patch.tags.is_some();
            if state.status == TicketStatus::Closed && touches_fields {
                return Err(Refusal::Closed);
            }
            if let Some(priority) = patch.priority
                && priority != state.priority
            {
                next.priority = priority;
                effects.push(Effect::PriorityChanged {
                    from: state.priority,
                    to: priority,
                });
            }
            if let Some(assignee) = patch.assignee
                && assignee != state.assignee
            {
                // Agents take or drop their own tickets; moving one to or from someone else needs a supervisor.
                let touches_others =
                    assignee.is_some_and(|user| user != by.id) || state.assignee.is_some_and(|user| user != by.id);
                if touches_others {
                    require(by, Permission::AssignAnyone)?;
                } else {
                    require(by, Permission::AssignSelf)?;
                }
                next.assignee = assignee;
                effects.push(Effect::Assigned {
                    from: state.assignee,
                    to: assignee,
                });
            }
            // A person choosing a category (even the one the AI chose) is a label; clearing it takes it back.
            if let Some(category) = &patch.category
                && (*category != state.category || state.category_source == Some(CategorySource::Ai))
            {
                next.category_source = category.as_ref().map(|_| CategorySource::Agent);
                next.category = category.clone();
                effects.push(Effect::Labelled);
            }
            if let Some(tags) = &patch.tags
                && *tags != state.tags
            {
                next.tags = tags.clone();
                effects.push(Effect::Tagged);
            }
            if !effects.is_empty() {
                next.updated_at = now;
            }
        }
        Change::Reply {
            by,
            internal,
            preview,
            claim,
        } => {
            if *internal {
                require(by, Permission::WriteInternalNote)?;
            }
            if state.status == TicketStatus::Closed {
                return Err(Refusal::ClosedForReplies);
            }
            next.updated_at = now;
            if !*internal {
                next.preview = Some(preview.clone());
            }
            let from_staff = by.role.is_staff();
            if from_staff && !*internal {
                if state.first_response_at.is_none() {
                    next.first_response_at = Some(now);
                    effects.push(Effect::FirstResponse);
                }
                if state.status == TicketStatus::New {
                    next.move_to(TicketStatus::Open, now);
                }
                if *claim && state.assignee.is_none() {
                    next.assignee = Some(by.id);
                    effects.push(Effect::Assigned {
                        from: None,
                        to: Some(by.id),
                    });
                }
            }
            if !from_staff && matches!(state.status, TicketStatus::Pending | TicketStatus::Solved) {
                // The customer wrote again: the ticket needs the team's attention once more.
                next.move_to(TicketStatus::Open, now);
                next.solved_at = None;
                effects.push(Effect::Reopened);
            }
            if next.status != state.status {
                effects.push(Effect::StatusChanged {
                    from: state.status,
                    to: next.status,
                });
            }
        }
        Change::MergedAway { by } => {
            require(by, Permission::EditTicketFields)?;
            if state.status == TicketStatus::Closed {
                return Err(Refusal::Closed);
            }
            next.updated_at = now;
            next.move_to(TicketStatus::Closed, now);
            effects.push(Effect::StatusChanged {
                from: state.status,
                to: TicketStatus::Closed,
            });
        }
        Change::Breach { kind, assign_to } => {
            next.updated_at = now;
            match kind {
                BreachKind::FirstResponse => next.clock.breached_first_response = true,
                BreachKind::Resolution => next.clock.breached_resolution = true,
            }
            let action = match assign_to {
                Some(agent) => {
                    next.assignee = Some(*agent);
                    effects.push(Effect::Assigned {
                        from: state.assignee,
                        to: Some(*agent),
                    });
                    BreachOutcome::AssignedTo(*agent)
                }
                None => {
                    next.priority = raised(state.priority);
                    next.clock.escalated = true;
                    if next.priority != state.priority {
                        effects.push(Effect::PriorityChanged {
                            from: state.priority,
                            to: next.priority,
                        });
                    }
                    BreachOutcome::EscalatedTo(next.priority)
                }
            };
            effects.push(Effect::Breached { kind: *kind, action });
        }
        Change::Categorised(verdict) => {
            next.ai = Some(CategoryGuess {
                category: verdict.category.clone(),
                confidence: verdict.confidence,
                assigned: verdict.assigned,
            });
            // Never over a person's choice, which may have landed while the classifier worked.
            if verdict.assigned && state.category_source.is_none() {
                next.category = Some(verdict.category.clone());
                next.category_source = Some(CategorySource::Ai);
            }
            effects.push(Effect::Categorised);
        }
    }
    next.refresh_due_times(policies);
    Ok(Transition { state: next, effects })
}

/// A missed target with nobody to take the ticket raises its priority one step.
fn raised(priority: Priority) -> Priority {
    match priority {
        Priority::Low => Priority::Normal,
        Priority::Normal => Priority::High,
        Priority::High | Priority::Urgent => Priority::Urgent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TicketStatus::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default() + Duration::minutes(minutes)
    }

    fn policies() -> Policies {
        Policies(Priority::ALL.into_iter().map(SlaPolicy::default_for).collect())
    }

    fn ticket(status: TicketStatus) -> TicketState {
        let mut state = TicketState::arriving(Priority::Normal, &policies(), "Hello".into(), at(0));
        state.status = status;
        if status == Pending {
            state.clock.pending_since = Some(at(0));
        }
        state
    }

    const ME: Uuid = Uuid::from_u128(1);
    const OTHER: Uuid = Uuid::from_u128(2);

    fn by(role: Role) -> Actor {
        Actor { id: ME, role }
    }

    fn patch(role: Role, patch: Patch) -> Change {
        Change::Patch { by: by(role), patch }
    }

    fn status(role: Role, to: TicketStatus) -> Change {
        patch(
            role,
            Patch {
                status: Some(to),
                ..Patch::default()
            },
        )
    }

    #[test]
    fn status_changes_follow_the_lifecycle_and_the_role() {
        use Role::*;
        let cases: &[(TicketStatus, Change, Result<TicketStatus, Refusal>)] = &[
            (New, status(Agent, Open), Ok(Open)),
            (Open, status(Agent, Pending), Ok(Pending)),
            (Open, status(Agent, Solved), Ok(Solved)),
            (Solved, status(Agent, Closed), Ok(Closed)),
            (Solved, status(Agent, Open), Ok(Open)),
            (Open, status(Agent, Open), Ok(Open)),
            (
                Closed,
                status(Agent, Open),
                Err(Refusal::CannotBecome { from: Closed, to: Open }),
            ),
            (
                New,
                status(Customer, Open),
                Err(Refusal::NotAllowed(Permission::EditTicketFields)),
            ),
        ];
        for (from, change, expected) in cases {
            let result = apply(&ticket(*from), change, &policies(), at(10)).map(|t| t.state.status);
            assert_eq!(&result, expected, "{from:?} with {change:?}");
        }
    }

    #[test]
    fn replies_move_the_ticket_and_the_clock() {
        use Role::*;
        let reply = |role, internal| Change::Reply {
            by: by(role),
            internal,
            preview: "Thanks".into(),
            claim: false,
        };
        // (from, change, then: status after, first response set, reopened)
        type Then = Result<(TicketStatus, bool, bool), Refusal>;
        let cases: &[(TicketStatus, Change, Then)] = &[
            (New, reply(Agent, false), Ok((Open, true, false))),
            (New, reply(Agent, true), Ok((New, false, false))),
            (New, reply(Customer, false), Ok((New, false, false))),
            (Pending, reply(Customer, false), Ok((Open, false, true))),
            (Solved, reply(Customer, false), Ok((Open, false, true))),
            (Pending, reply(Agent, false), Ok((Pending, true, false))),
            (Closed, reply(Agent, false), Err(Refusal::ClosedForReplies)),
            (
                Open,
                reply(Customer, true),
                Err(Refusal::NotAllowed(Permission::WriteInternalNote)),
            ),
        ];
        for (from, change, expected) in cases {
            let result = apply(&ticket(*from), change, &policies(), at(30)).map(|t| {
                (
                    t.state.status,
                    t.state.first_response_at == Some(at(30)),
                    t.has(|effect| *effect == Effect::Reopened),
                )
            });
            assert_eq!(&result, expected, "{from:?} with {change:?}");
        }
    }

    #[test]
    fn merging_closes_a_ticket_from_any_open_status() {
        use Role::*;
        use TicketStatus::*;
        let merged = |role| Change::MergedAway { by: by(role) };
        let cases: &[(TicketStatus, Role, Result<TicketStatus, Refusal>)] = &[
            (New, Agent, Ok(Closed)),
            (Open, Agent, Ok(Closed)),
            (Pending, Supervisor, Ok(Closed)),
            (Solved, Agent, Ok(Closed)),
            (Closed, Agent, Err(Refusal::Closed)),
            (Open, Customer, Err(Refusal::NotAllowed(Permission::EditTicketFields))),
        ];
        for (from, role, expected) in cases {
            let result = apply(&ticket(*from), &merged(*role), &policies(), at(30)).map(|t| t.state.status);
            assert_eq!(&result, expected, "{from:?} merged by {role:?}");
        }
    }

    #[test]
    fn a_public_staff_reply_claims_an_unassigned_ticket_when_asked() {
        use Role::*;
        let someone = Uuid::now_v7();
        let reply = |role, internal, claim| Change::Reply {
            by: by(role),
            internal,
            preview: "Thanks".into(),
            claim,
        };
        // (assignee before, change, assignee after, an Assigned effect)
        let cases: &[(Option<Uuid>, Change, Option<Uuid>, bool)] = &[
            (None, reply(Agent, false, true), Some(by(Agent).id), true),
            (None, reply(Supervisor, false, true), Some(by(Supervisor).id), true),
            (None, reply(Agent, false, false), None, false),
            (None, reply(Agent, true, true), None, false),
            (None, reply(Customer, false, true), None, false),
            (Some(someone), reply(Agent, false, true), Some(someone), false),
        ];
        for (before, change, after, assigned) in cases {
            let mut state = ticket(TicketStatus::Open);
            state.assignee = *before;
            let transition = apply(&state, change, &policies(), at(30)).expect("allowed");
            assert_eq!(transition.state.assignee, *after, "{before:?} with {change:?}");
            assert_eq!(
                transition.has(|effect| matches!(effect, Effect::Assigned { .. })),
                *assigned,
                "{before:?} with {change:?}"
            );
        }
    }

    #[test]
    fn pending_time_does_not_count_towards_resolution() {
        let state = ticket(Pending);
        let due_before = state.clock.resolution_due_at.unwrap_or_default();
        let reply = Change::Reply {
            by: by(Role::Customer),
            internal: false,
            preview: "Still broken".into(),
            claim: false,
        };
        let after = apply(&state, &reply, &policies(), at(90)).map(|t| t.state);
        let after = after.as_ref().ok();
        assert_eq!(after.map(|s| s.clock.paused), Some(Duration::minutes(90)));
        assert_eq!(
            after.and_then(|s| s.clock.resolution_due_at),
            Some(due_before + Duration::minutes(90))
        );
        assert_eq!(after.and_then(|s| s.clock.pending_since), None);
    }

    #[test]
    fn only_supervisors_move_tickets_between_other_people() {
        use Role::*;
        let assign = |role, from: Option<Uuid>, to: Option<Uuid>| {
            let mut state = ticket(Open);
            state.assignee = from;
            let change = patch(
                role,
                Patch {
                    assignee: Some(to),
                    ..Patch::default()
                },
            );
            apply(&state, &change, &policies(), at(5)).map(|t| t.assigned())
        };
        let refused = Err(Refusal::NotAllowed(Permission::AssignAnyone));
        assert_eq!(assign(Agent, None, Some(ME)), Ok(Some((None, Some(ME)))));
        assert_eq!(assign(Agent, Some(ME), None), Ok(Some((Some(ME), None))));
        assert_eq!(assign(Agent, None, Some(OTHER)), refused);
        assert_eq!(assign(Agent, Some(OTHER), Some(ME)), refused);
        assert_eq!(
            assign(Supervisor, Some(OTHER), Some(ME)),
            Ok(Some((Some(OTHER), Some(ME))))
        );
        assert_eq!(assign(Agent, Some(ME), Some(ME)), Ok(None));
    }

    #[test]
    fn a_closed_ticket_keeps_its_fields() {
        let change = patch(
            Role::Owner,
            Patch {
                priority: Some(Priority::Urgent),
                ..Patch::default()
            },
        );
        assert_eq!(
            apply(&ticket(Closed), &change, &policies(), at(1)),
            Err(Refusal::Closed)
        );
    }

    #[test]
    fn a_new_priority_moves_the_targets() {
        let change = patch(
            Role::Agent,
            Patch {
                priority: Some(Priority::Urgent),
                ..Patch::default()
            },
        );
        let before = ticket(New);
        let after = apply(&before, &change, &policies(), at(1)).map(|t| t.state);
        let urgent = SlaPolicy::default_for(Priority::Urgent);
        assert_eq!(
            after.ok().and_then(|s| s.clock.first_response_due_at),
            Some(at(i64::from(urgent.first_response_minutes)))
        );
    }

    #[test]
    fn nothing_asked_changes_nothing() {
        let before = ticket(Open);
        let same = patch(
            Role::Agent,
            Patch {
                status: Some(Open),
                tags: Some(Vec::new()),
                ..Patch::default()
            },
        );
        let transition = apply(&before, &same, &policies(), at(3));
        assert_eq!(transition.as_ref().map(|t| t.changed(&before)), Ok(false));
        assert_eq!(transition.map(|t| t.effects), Ok(Vec::new()));
    }

    #[test]
    fn categories_label_and_yield_to_people() {
        let guess = |assigned| {
            Change::Categorised(Categorised {
                category: "billing".into(),
                confidence: 0.9,
                assigned,
            })
        };
        let agent_choice = patch(
            Role::Agent,
            Patch {
                category: Some(Some("shipping".into())),
                ..Patch::default()
            },
        );
        let fresh = ticket(New);
        let confident = apply(&fresh, &guess(true), &policies(), at(1)).map(|t| t.state);
        assert_eq!(
            confident.as_ref().ok().and_then(|s| s.category.clone()),
            Some("billing".into())
        );
        assert_eq!(
            confident.as_ref().ok().and_then(|s| s.category_source),
            Some(CategorySource::Ai)
        );
        assert_eq!(confident.as_ref().map(|s| s.updated_at), Ok(at(0)));
        let unsure = apply(&fresh, &guess(false), &policies(), at(1)).map(|t| t.state);
        assert_eq!(unsure.as_ref().ok().and_then(|s| s.category.clone()), None);
        assert_eq!(unsure.ok().and_then(|s| s.ai).map(|ai| ai.assigned), Some(false));
        // A person's choice stands, whether it came before or after the classifier.
        let labelled = apply(&fresh, &agent_choice, &policies(), at(1)).map(|t| t.state);
        let late = labelled.and_then(|s| apply(&s, &guess(true), &policies(), at(2)).map(|t| t.state));
        assert_eq!(late.ok().and_then(|s| s.category), Some("shipping".into()));
        // Re-choosing the AI's category is still a label.
        let relabel = patch(
            Role::Agent,
            Patch {
                category: Some(Some("billing".into())),
                ..Patch::default()
            },
        );
        let relabelled = confident.and_then(|s| apply(&s, &relabel, &policies(), at(3)));
        assert_eq!(relabelled.map(|t| t.has(|e| *e == Effect::Labelled)), Ok(true));
    }

    #[test]
    fn a_breach_assigns_or_escalates_once() {
        let state = ticket(New);
        let assigned = apply(
            &state,
            &Change::Breach {
                kind: BreachKind::FirstResponse,
                assign_to: Some(OTHER),
            },
            &policies(),
            at(300),
        );
        let assigned = assigned.ok();
        assert_eq!(assigned.as_ref().and_then(|t| t.state.assignee), Some(OTHER));
        assert_eq!(
            assigned.as_ref().map(|t| t.state.clock.breached_first_response),
            Some(true)
        );
        // The first-response target is acted on: the scheduler watches resolution next.
        assert_eq!(
            assigned.as_ref().and_then(|t| t.state.clock.next_due_at),
            assigned.as_ref().and_then(|t| t.state.clock.resolution_due_at)
        );
        let escalated = apply(
            &state,
            &Change::Breach {
                kind: BreachKind::FirstResponse,
                assign_to: None,
            },
            &policies(),
            at(300),
        )
        .ok();
        assert_eq!(escalated.as_ref().map(|t| t.state.priority), Some(Priority::High));
        assert_eq!(escalated.as_ref().map(|t| t.state.clock.escalated), Some(true));
        assert!(escalated.is_some_and(|t| t.has(|e| matches!(
            e,
            Effect::Breached {
                action: BreachOutcome::EscalatedTo(Priority::High),
                ..
            }
        ))));
        for (from, to) in [
            (Priority::Low, Priority::Normal),
            (Priority::High, Priority::Urgent),
            (Priority::Urgent, Priority::Urgent),
        ] {
            assert_eq!(raised(from), to);
        }
    }
}
