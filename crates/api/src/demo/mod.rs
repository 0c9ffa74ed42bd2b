//! `ferrodesk --demo`: a workspace that looks lived in, so a newcomer sees a busy inbox at once.
//! Everything goes through the real services (sign-up, invitations, tickets, replies, status
//! changes), so the rules hold; only the clock is moved back afterwards, by `backdate`.

mod backdate;
mod cast;
mod script;

use std::fmt;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use ferrodesk_shared::auth::LoginRequest;
use ferrodesk_shared::tickets::{NewMessage, NewTicket, TicketPatch};
use ferrodesk_shared::widget::WidgetSettingsUpdate;
use ferrodesk_shared::{Role, TicketId};

use crate::auth::Principal;
use crate::auth::principal::authenticate;
use crate::auth::service as auth_service;
use crate::clock;
use crate::state::AppState;
use crate::tickets::service as tickets_service;
use crate::workspaces::repo as workspaces_repo;

use backdate::Timeline;
use cast::{Cast, Person};
use script::{Opener, STORIES, Step, Story};

pub use cast::{PASSWORD, SLUG, WORKSPACE_NAME};

/// The pages that may embed the demo's widget: a local static server on a port that development
/// servers commonly use (`python3 -m http.server 8000`, Vite's 5173, Live Server's 5500, ...).
pub const DEMO_WIDGET_ORIGINS: [&str; 12] = [
    "http://localhost:8000",
    "http://127.0.0.1:8000",
    "http://localhost:3000",
    "http://127.0.0.1:3000",
    "http://localhost:5173",
    "http://127.0.0.1:5173",
    "http://localhost:5500",
    "http://127.0.0.1:5500",
    "http://localhost:8081",
    "http://127.0.0.1:8081",
    "http://localhost:8888",
    "http://127.0.0.1:8888",
];

/// How to sign in to the demo workspace, and what this run created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoReport {
    /// Where the server is reached (`FERRODESK_PUBLIC_URL`).
    pub url: String,
    pub workspace_name: String,
    pub workspace_slug: String,
    /// Shared by every demo account.
    pub password: String,
    /// One account per role: owner, supervisor, agent, customer.
    pub logins: Vec<DemoLogin>,
    /// `None` when the workspace was already there and nothing was seeded.
    pub seeded: Option<Seeded>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLogin {
    pub role: Role,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    pub tickets: usize,
    pub messages: usize,
    /// Staff and customers with an account.
    pub people: usize,
    pub elapsed: StdDuration,
}

impl DemoReport {
    fn new(state: &AppState, seeded: Option<Seeded>) -> DemoReport {
        let login = |role: Role, person: Person| DemoLogin {
            role,
            name: person.name.to_owned(),
            email: person.email.to_owned(),
        };
        DemoReport {
            url: state.settings.public_url.clone(),
            workspace_name: WORKSPACE_NAME.to_owned(),
            workspace_slug: SLUG.to_owned(),
            password: PASSWORD.to_owned(),
            logins: vec![
                login(Role::Owner, cast::OWNER),
                login(Role::Supervisor, cast::SUPERVISOR),
                login(Role::Agent, cast::AGENTS[0]),
                login(Role::Customer, cast::CUSTOMERS[0]),
            ],
            seeded,
        }
    }

    pub fn login(&self, role: Role) -> Option<&DemoLogin> {
        self.logins.iter().find(|login| login.role == role)
    }
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.seeded {
            Some(seeded) => writeln!(
                f,
                "Demo workspace \"{}\" seeded: {} tickets, {} messages, {} people ({:.1} s).",
                self.workspace_name,
                seeded.tickets,
                seeded.messages,
                seeded.people,
                seeded.elapsed.as_secs_f64()
            )?,
            None => writeln!(
                f,
                "Demo workspace \"{}\" is already there; nothing was added.",
                self.workspace_name
            )?,
        }
        writeln!(
            f,
            "Open {} and sign in to the workspace `{}` with the password `{}` as any of:",
            self.url, self.workspace_slug, self.password
        )?;
        for login in &self.logins {
            writeln!(f, "  {:<11} {:<16} {}", login.role.as_str(), login.name, login.email)?;
        }
        writeln!(
            f,
            "The support widget: put <script src=\"{}/widget.js\" data-workspace=\"{}\" async></script> in any \
             HTML page served from localhost on port 8000, 3000, 5173, 5500, 8081 or 8888 \
             (python3 -m http.server 8000).",
            self.url.trim_end_matches('/'),
            self.workspace_slug,
        )?;
        Ok(())
    }
}

/// Seeds the demo workspace unless it exists already; either way, says how to sign in.
#[tracing::instrument(name = "demo_seed", skip_all)]
pub async fn seed(state: &AppState) -> anyhow::Result<DemoReport> {
    if workspaces_repo::find_by_slug(&state.db, SLUG).await?.is_some() {
        check_owner_can_sign_in(state).await?;
        tracing::info!("the demo workspace is already there; nothing seeded");
        return Ok(DemoReport::new(state, None));
    }
    let started = Instant::now();
    let cast = Cast::enrol(state).await?;
    let now = clock::now();
    let mut stories: Vec<(&Story, Vec<DateTime<Utc>>)> = STORIES
        .iter()
        .enumerate()
        .map(|(index, story)| (story, schedule(story, index, now)))
        .collect();
    // Numbers are handed out in creation order: create the oldest first.
    stories.sort_by_key(|(_, times)| times.first().copied());
    let mut timelines = Vec::with_capacity(stories.len());
    for (story, times) in &stories {
        timelines.push(play(state, &cast, story, times).await?);
    }
    // What the categorisation worker does a moment after each ticket arrives, done now, so the
    // demo is the same with or without the worker (and in tests, which run none).
    crate::ai::categorise::drain(state, clock::now()).await?;
    let first_ticket = stories
        .iter()
        .filter_map(|(_, times)| times.first().copied())
        .min()
        .unwrap_or(now);
    backdate::apply(
        state,
        cast.owner.principal.scope(),
        &timelines,
        first_ticket - Duration::days(2),
    )
    .await?;
    // The widget is on for pages served from this machine's usual development ports, so a
    // newcomer can paste the snippet into any HTML file (`python3 -m http.server 8000`) and talk
    // to the demo agents.
    let widget = WidgetSettingsUpdate {
        enabled: Some(true),
        allowed_origins: Some(DEMO_WIDGET_ORIGINS.iter().map(|origin| (*origin).to_owned()).collect()),
        greeting: Some("Hi! Ask Northwind anything: we usually answer within a few hours.".to_owned()),
        ..Default::default()
    };
    crate::widget::service::update(state, &cast.owner.principal, widget).await?;
    let people = 2 + cast.agents.len() + cast.customers.len();
    cast.sign_out(state).await?;

    let seeded = Seeded {
        tickets: stories.len(),
        messages: stories.iter().map(|(story, _)| 1 + messages_in(story)).sum(),
        people,
        elapsed: started.elapsed(),
    };
    tracing::info!(
        tickets = seeded.tickets,
        messages = seeded.messages,
        people = seeded.people,
        elapsed_ms = seeded.elapsed.as_millis() as u64,
        "demo workspace seeded"
    );
    Ok(DemoReport::new(state, Some(seeded)))
}

/// A workspace called `demo` that someone made by hand would make the printed logins a lie.
async fn check_owner_can_sign_in(state: &AppState) -> anyhow::Result<()> {
    let request = LoginRequest {
        workspace_slug: SLUG.to_owned(),
        email: cast::OWNER.email.to_owned(),
        password: PASSWORD.to_owned(),
    };
    let signed_in = auth_service::login(state, request, None).await.map_err(|error| {
        anyhow::anyhow!(
            "a workspace `{SLUG}` exists, but its demo owner cannot sign in ({error}); \
             it was not made by --demo or its password was changed"
        )
    })?;
    let principal = authenticate(state, &signed_in.response.access_token).await?;
    auth_service::logout(state, Some(&signed_in.refresh_token), Some(&principal)).await?;
    Ok(())
}

/// When each event of the story happens: the opening, then one time per step. A few minutes off
/// the hour so the inbox does not look generated; squeezed if a story would run into the future.
fn schedule(story: &Story, index: usize, now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let jitter = i64::try_from((index * 37) % 53).unwrap_or(0);
    let opened = now - Duration::hours(i64::from(story.hours_ago)) - Duration::minutes(jitter);
    let total: i64 = story
        .steps
        .iter()
        .map(|step| i64::from(step.minutes_after_previous()) * 60)
        .sum();
    let room = (now - Duration::minutes(2) - opened).num_seconds().max(0);
    let mut times = Vec::with_capacity(story.steps.len() + 1);
    times.push(opened);
    let mut at = opened;
    for step in story.steps {
        let seconds = i64::from(step.minutes_after_previous()) * 60;
        let seconds = if total > room { seconds * room / total } else { seconds };
        at += Duration::seconds(seconds.max(1));
        times.push(at);
    }
    times
}

fn messages_in(story: &Story) -> usize {
    story
        .steps
        .iter()
        .filter(|step| matches!(step, Step::Reply(..) | Step::Note(..)))
        .count()
}

/// Creates the story's ticket and plays its steps through the services, noting what each stamped.
async fn play(state: &AppState, cast: &Cast, story: &Story, times: &[DateTime<Utc>]) -> anyhow::Result<Timeline> {
    let (opener, requester, request) = match story.opener {
        Opener::Customer(index) => {
            let customer = cast.customer(index)?;
            let request = NewTicket {
                subject: story.subject.to_owned(),
                body: story.body.to_owned(),
                priority: None,
                requester_email: None,
                requester_name: None,
                attachment_ids: Vec::new(),
            };
            (customer, Some(customer), request)
        }
        Opener::OnBehalf { by, name, email } => {
            let request = NewTicket {
                subject: story.subject.to_owned(),
                body: story.body.to_owned(),
                priority: Some(story.priority),
                requester_email: Some(email.to_owned()),
                requester_name: Some(name.to_owned()),
                attachment_ids: Vec::new(),
            };
            (cast.member(by, None)?, None, request)
        }
    };
    let mut times = times.iter().copied();
    let mut next_time = || {
        times
            .next()
            .ok_or_else(|| anyhow::anyhow!("a step of the demo has no time"))
    };
    let created = tickets_service::create(state, opener, request, None).await?;
    let id = created.detail.ticket.id;
    let mut timeline = Timeline::new(id);
    timeline.mark(created.detail.ticket.created_at, next_time()?);
    for step in story.steps {
        let stamped = match *step {
            Step::Reply(_, who, body) => write(state, cast.member(who, requester)?, id, body, false).await?,
            Step::Note(_, who, body) => write(state, cast.member(who, requester)?, id, body, true).await?,
            Step::Triage(_, who, assignee) => {
                let assignee = match assignee {
                    Some(assignee) => Some(Some(cast.member(assignee, None)?.id())),
                    None => None,
                };
                let patch = TicketPatch {
                    priority: Some(story.priority),
                    category: story.category.map(|category| Some(category.to_owned())),
                    tags: (!story.tags.is_empty()).then(|| story.tags.iter().map(|tag| (*tag).to_owned()).collect()),
                    assignee_id: assignee,
                    status: None,
                };
                change(state, cast.member(who, None)?, id, patch).await?
            }
            Step::Status(_, who, status) => {
                let patch = TicketPatch {
                    status: Some(status),
                    ..TicketPatch::default()
                };
                change(state, cast.member(who, None)?, id, patch).await?
            }
        };
        timeline.mark(stamped, next_time()?);
    }
    Ok(timeline)
}

async fn write(
    state: &AppState,
    author: &Principal,
    id: TicketId,
    body: &str,
    internal: bool,
) -> anyhow::Result<DateTime<Utc>> {
    let request = NewMessage {
        body: body.to_owned(),
        internal,
        macro_id: None,
        attachment_ids: Vec::new(),
    };
    Ok(tickets_service::reply(state, author, id, request).await?.created_at)
}

async fn change(
    state: &AppState,
    staff: &Principal,
    id: TicketId,
    patch: TicketPatch,
) -> anyhow::Result<DateTime<Utc>> {
    Ok(tickets_service::update(state, staff, id, patch).await?.updated_at)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use ferrodesk_shared::tickets::{Priority, TicketStatus};

    use super::script::{Opener, STORIES, Step, Who};
    use super::*;

    #[test]
    fn the_script_is_playable() {
        let mut subjects = HashSet::new();
        for story in STORIES {
            assert!(subjects.insert(story.subject), "two stories share `{}`", story.subject);
            let has_account = matches!(story.opener, Opener::Customer(index) if index < cast::CUSTOMERS.len());
            for step in story.steps {
                let who = match *step {
                    Step::Reply(_, who, _)
                    | Step::Note(_, who, _)
                    | Step::Triage(_, who, _)
                    | Step::Status(_, who, _) => who,
                };
                assert!(
                    who != Who::Requester || has_account,
                    "`{}`: the requester has no account",
                    story.subject
                );
                if let Step::Note(_, who, _) | Step::Triage(_, who, _) | Step::Status(_, who, _) = *step {
                    assert_ne!(who, Who::Requester, "`{}`: only staff do this", story.subject);
                }
                if let Step::Triage(_, who, Some(assignee)) = *step {
                    assert!(
                        who == assignee || matches!(who, Who::Supervisor | Who::Owner),
                        "`{}`: only supervisors assign others",
                        story.subject
                    );
                }
            }
        }
    }

    #[test]
    fn the_script_covers_the_inbox() {
        let priorities: HashSet<Priority> = STORIES.iter().map(|story| story.priority).collect();
        assert_eq!(priorities.len(), 4);
        let statuses: HashSet<TicketStatus> = STORIES
            .iter()
            .flat_map(|story| story.steps.iter())
            .filter_map(|step| match step {
                Step::Status(_, _, status) => Some(*status),
                _ => None,
            })
            .collect();
        assert!(statuses.contains(&TicketStatus::Closed) && statuses.contains(&TicketStatus::Pending));
        assert!(STORIES.len() >= 30);
    }

    #[test]
    fn schedules_are_in_order_and_in_the_past() {
        let now = Utc::now();
        for (index, story) in STORIES.iter().enumerate() {
            let times = schedule(story, index, now);
            assert_eq!(times.len(), story.steps.len() + 1);
            assert!(times.windows(2).all(|pair| pair[0] < pair[1]), "{}", story.subject);
            assert!(times.iter().all(|at| *at < now), "{}", story.subject);
            assert!(times[0] >= now - Duration::days(15), "{}", story.subject);
        }
    }
}
