//! The supervisor dashboard: a date range (in the browser's time zone) with presets, stat tiles,
//! tickets created and solved per day, the backlog by status, the widget's conversations and
//! deflection, customer satisfaction (per day and per agent), and a row per agent. Every chart has
//! a table beside it with the exact numbers. The URL holds the range; the numbers refresh live
//! (at most every few seconds) as tickets move.

use std::time::Duration;

use chrono::{Datelike, Local, NaiveDate};
use ferrodesk_shared::csat::{CsatDay, CsatStats};
use ferrodesk_shared::events::ServerEvent;
use ferrodesk_shared::reports::{Backlog, Overview, ReportQuery, WidgetStats};
use ferrodesk_shared::tickets::TicketStatus;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::{ApiError, use_api};
use crate::components::badges::{Avatar, StatusPill};
use crate::components::charts::{Bar, BarChart, LineChart, Series};
use crate::live::use_live;
use crate::pages::shell::{Rail, StaffOnly, SupervisorOnly, is_owner};
use crate::session::use_session;

/// The presets, in days ending today.
const PRESETS: [i64; 3] = [7, 30, 90];
const DEFAULT_DAYS: i64 = 30;
/// The server answers for at most 366 days after the first.
const MAX_SPAN_DAYS: i64 = 366;
/// Live changes refetch at most this often.
const REFRESH_AFTER: Duration = Duration::from_secs(3);

#[component]
pub fn Dashboard() -> impl IntoView {
    view! {
        <StaffOnly>
            <div class="workspace two">
                <Rail />
                <SupervisorOnly page="The dashboard">
                    <DashboardPage />
                </SupervisorOnly>
            </div>
        </StaffOnly>
    }
}

/// The browser's IANA time zone (`Europe/Paris`), or UTC when it does not say.
pub fn browser_time_zone() -> String {
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    js_sys::Reflect::get(&format.resolved_options(), &"timeZone".into())
        .ok()
        .and_then(|zone| zone.as_string())
        .filter(|zone| !zone.is_empty())
        .unwrap_or_else(|| "UTC".to_owned())
}

fn today() -> NaiveDate {
    Local::now().date_naive()
}

fn days_before(day: NaiveDate, days: i64) -> NaiveDate {
    day - chrono::Duration::days(days)
}

/// `3 Mar – 9 Mar 2026`, `28 Dec 2025 – 3 Jan 2026`, `3 Mar 2026`.
pub fn range_label(from: NaiveDate, to: NaiveDate) -> String {
    if from == to {
        to.format("%-d %b %Y").to_string()
    } else if from.year() == to.year() {
        format!("{} – {}", from.format("%-d %b"), to.format("%-d %b %Y"))
    } else {
        format!("{} – {}", from.format("%-d %b %Y"), to.format("%-d %b %Y"))
    }
}

/// Minutes as people say them: `45 min`, `2 h 5 min`, `3 d 4 h`; a dash when there is nothing.
pub fn duration(minutes: Option<f64>) -> String {
    let Some(minutes) = minutes.filter(|minutes| minutes.is_finite()) else {
        return "—".to_owned();
    };
    let minutes = minutes.round().max(0.0) as i64;
    match minutes {
        0 => "< 1 min".to_owned(),
        1..60 => format!("{minutes} min"),
        60..1440 => match minutes % 60 {
            0 => format!("{} h", minutes / 60),
            rest => format!("{} h {rest} min", minutes / 60),
        },
        _ => match (minutes % 1440) / 60 {
            0 => format!("{} d", minutes / 1440),
            hours => format!("{} d {hours} h", minutes / 1440),
        },
    }
}

/// `12.5%`, `0%`.
fn percent(rate: f64) -> String {
    let value = (rate * 1000.0).round() / 10.0;
    if value.fract() == 0.0 {
        format!("{value:.0}%")
    } else {
        format!("{value:.1}%")
    }
}

fn backlog_of(backlog: &Backlog, status: TicketStatus) -> u64 {
    match status {
        TicketStatus::New => backlog.new,
        TicketStatus::Open => backlog.open,
        TicketStatus::Pending => backlog.pending,
        TicketStatus::Solved => backlog.solved,
        TicketStatus::Closed => backlog.closed,
    }
}

/// What still needs the team: new, open and pending.
fn backlog_total(backlog: &Backlog) -> u64 {
    backlog.new + backlog.open + backlog.pending
}

#[component]
fn DashboardPage() -> impl IntoView {
    let api = use_api();
    let live = use_live();
    let query = use_query_map();
    let navigate = use_navigate();
    let zone = StoredValue::new(browser_time_zone());
    // Read when needed, not once: a dashboard left open overnight moves to the new day.
    let last_days = |days: i64| (days_before(today(), days - 1), today());

    let range = Memo::new(move |_| {
        query.with(|query| {
            let day = |name: &str| query.get(name).and_then(|value| value.parse::<NaiveDate>().ok());
            match (day("from"), day("to")) {
                (Some(from), Some(to)) => (from, to),
                _ => last_days(DEFAULT_DAYS),
            }
        })
    });
    let problem = Memo::new(move |_| {
        let (from, to) = range.get();
        if from > to {
            Some("The first day must be on or before the last day.")
        } else if (to - from).num_days() > MAX_SPAN_DAYS {
            Some("Pick a range of at most a year.")
        } else {
            None
        }
    });

    let data = RwSignal::new(None::<Overview>);
    let failed = RwSignal::new(None::<ApiError>);
    let loading = RwSignal::new(true);
    // Answers to an older request are dropped when a newer one was sent.
    let generation = StoredValue::new(0u64);

    // Safe to call from a timer after the page is gone: it then does nothing.
    let load = move || {
        let (Some((from, to)), Some(None)) = (range.try_get_untracked(), problem.try_get_untracked()) else {
            return;
        };
        let Some(tz) = zone.try_get_value() else { return };
        let Some(this) = generation.try_update_value(|generation| {
            *generation += 1;
            *generation
        }) else {
            return;
        };
        loading.set(true);
        let request = ReportQuery { from, to, tz: Some(tz) };
        spawn_local(async move {
            let result = api.reports().overview(request).await;
            if generation.try_get_value() != Some(this) {
                return;
            }
            match result {
                Ok(overview) => {
                    failed.set(None);
                    data.set(Some(overview));
                }
                Err(error) => failed.set(Some(error)),
            }
            loading.set(false);
        });
    };
    Effect::new(move |_| {
        range.track();
        if problem.get().is_none() {
            load();
        }
    });

    // Live: tickets moving change the numbers. Refetch once a few seconds after the first change
    // (later changes in that window ride along), and after a resync.
    let scheduled = StoredValue::new(false);
    live.subscribe(move |event| {
        if !matches!(
            event,
            ServerEvent::TicketCreated { .. } | ServerEvent::TicketUpdated { .. } | ServerEvent::MessageCreated { .. }
        ) || scheduled.get_value()
        {
            return;
        }
        scheduled.set_value(true);
        set_timeout(
            move || {
                if scheduled.try_update_value(|scheduled| *scheduled = false).is_some() {
                    load();
                }
            },
            REFRESH_AFTER,
        );
    });
    let resyncs = live.resyncs();
    Effect::new(move |previous: Option<u32>| {
        let now = resyncs.get();
        if previous.is_some_and(|previous| previous != now) {
            load();
        }
        now
    });

    let set_range = move |from: NaiveDate, to: NaiveDate| {
        navigate(
            &format!("/dashboard?from={from}&to={to}"),
            NavigateOptions {
                replace: true,
                ..Default::default()
            },
        );
    };
    let set_range = StoredValue::new_local(set_range);
    let preset_active = move |days: i64| range.get() == last_days(days);
    let on_from = move |event: leptos::ev::Event| {
        if let Ok(from) = event_target_value(&event).parse::<NaiveDate>() {
            let to = range.get_untracked().1;
            set_range.with_value(|set| set(from, to));
        }
    };
    let on_to = move |event: leptos::ev::Event| {
        if let Ok(to) = event_target_value(&event).parse::<NaiveDate>() {
            let from = range.get_untracked().0;
            set_range.with_value(|set| set(from, to));
        }
    };

    view! {
        <main class="page dashboard" data-testid="dashboard">
            <div class="page-head">
                <div>
                    <h1>"Dashboard"</h1>
                    <div class="muted" data-testid="dashboard-range">
                        {move || {
                            let (from, to) = range.get();
                            format!("{} · time zone {}", range_label(from, to), zone.get_value())
                        }}
                    </div>
                </div>
                <span class="spacer"></span>
                {move || (loading.get() && data.with(Option::is_some)).then(|| view! { <span class="small muted" role="status">"Updating…"</span> })}
            </div>
            <div class="range-picker" role="group" aria-label="Date range">
                <div class="presets">
                    {PRESETS
                        .into_iter()
                        .map(|days| {
                            view! {
                                <button type="button" class="button small" class:active=move || preset_active(days)
                                    aria-pressed=move || preset_active(days).to_string()
                                    on:click=move |_| set_range.with_value(|set| {
                                        let (from, to) = last_days(days);
                                        set(from, to);
                                    })>
                                    {format!("Last {days} days")}
                                </button>
                            }
                        })
                        .collect_view()}
                </div>
                <label class="date-field">
                    <span>"From"</span>
                    <input class="input" type="date" aria-label="From" max=today().to_string()
                        prop:value=move || range.get().0.to_string() on:change=on_from />
                </label>
                <label class="date-field">
                    <span>"To"</span>
                    <input class="input" type="date" aria-label="To" max=today().to_string()
                        prop:value=move || range.get().1.to_string() on:change=on_to />
                </label>
            </div>
            {move || problem.get().map(|problem| view! { <div class="alert error" role="alert">{problem}</div> })}
            {move || failed.get().map(|error| view! {
                <div class="alert error row" role="alert">
                    <span>{dashboard_error(&error)}</span>
                    <span class="spacer"></span>
                    <button class="button small" on:click=move |_| load()>"Try again"</button>
                </div>
            })}
            {move || match data.get() {
                None if failed.with(Option::is_some) || problem.with(Option::is_some) => ().into_any(),
                None => view! { <DashboardSkeleton /> }.into_any(),
                Some(overview) => view! { <OverviewView overview=overview /> }.into_any(),
            }}
        </main>
    }
}

fn dashboard_error(error: &ApiError) -> String {
    match error.status {
        403 => "The dashboard is for supervisors and owners. Ask one of them if you need these numbers.".to_owned(),
        404 => "The dashboard is not available on this server yet. Try again in a little while.".to_owned(),
        _ => format!("We could not load the numbers. {}", error.message()),
    }
}

#[component]
fn DashboardSkeleton() -> impl IntoView {
    view! {
        <div class="tiles" aria-busy="true" aria-label="Loading the numbers">
            {(0..5).map(|_| view! { <div class="tile skeleton"></div> }).collect_view()}
        </div>
        <div class="skeleton chart-skeleton"></div>
        <div class="skeleton chart-skeleton"></div>
    }
}

#[component]
fn Tile(
    label: &'static str,
    value: String,
    detail: String,
    testid: &'static str,
    #[prop(optional)] warn: bool,
) -> impl IntoView {
    view! {
        <div class="tile" class:warn=warn data-testid=testid>
            <div class="tile-label">{label}</div>
            <div class="tile-value" data-testid=format!("{testid}-value")>{value}</div>
            <div class="tile-detail small muted">{detail}</div>
        </div>
    }
}

#[component]
fn OverviewView(overview: Overview) -> impl IntoView {
    let range = range_label(overview.from, overview.to);
    let created_total: u64 = overview.created_per_day.iter().map(|day| day.count).sum();
    let solved_total: u64 = overview.solved_per_day.iter().map(|day| day.count).sum();
    let backlog = overview.backlog.clone();
    let open_backlog = backlog_total(&backlog);
    let all_tickets = open_backlog + backlog.solved + backlog.closed;
    let sla = overview.sla.clone();

    // One row per day: the created and solved series share their dates.
    let days: Vec<(NaiveDate, u64, u64)> = overview
        .created_per_day
        .iter()
        .map(|created| {
            let solved = overview
                .solved_per_day
                .iter()
                .find(|solved| solved.date == created.date)
                .map_or(0, |solved| solved.count);
            (created.date, created.count, solved)
        })
        .collect();
    let per_day_chart = if created_total == 0 && solved_total == 0 {
        view! {
            <div class="empty chart-empty" data-testid="per-day-empty">
                <strong>{format!("No tickets were created or solved between {range}.")}</strong>
                "Pick a longer range, or come back once customers write in. New tickets count here live."
            </div>
        }
        .into_any()
    } else {
        let labels = days
            .iter()
            .map(|(date, _, _)| date.format("%-d %b").to_string())
            .collect();
        let hover_labels = days
            .iter()
            .map(|(date, _, _)| date.format("%a %-d %b %Y").to_string())
            .collect();
        let series = vec![
            Series {
                name: "Created".to_owned(),
                class: "series-created",
                values: days.iter().map(|(_, created, _)| *created as f64).collect(),
            },
            Series {
                name: "Solved".to_owned(),
                class: "series-solved",
                values: days.iter().map(|(_, _, solved)| *solved as f64).collect(),
            },
        ];
        view! {
            <LineChart title=format!("Tickets created and solved per day, {range}") labels=labels hover_labels=hover_labels
                series=series y_title="Tickets per day" x_title="Day" unit="ticket" testid="per-day-chart" />
        }
        .into_any()
    };
    let bars = TicketStatus::ALL
        .into_iter()
        .map(|status| Bar {
            label: capitalised(status.as_str()),
            value: backlog_of(&backlog, status) as f64,
            class: status_class(status),
        })
        .collect::<Vec<_>>();

    view! {
        <div class="tiles" data-testid="tiles">
            <Tile label="Average first response" value=duration(overview.first_response.average_minutes)
                detail=format!("over {} answered {}", overview.first_response.count, plural(overview.first_response.count, "ticket"))
                testid="tile-first-response-average" />
            <Tile label="Median first response" value=duration(overview.first_response.median_minutes)
                detail="half the tickets were answered faster".to_owned() testid="tile-first-response-median" />
            <Tile label="Average resolution" value=duration(overview.resolution.average_minutes)
                detail=format!("over {} solved {}", overview.resolution.count, plural(overview.resolution.count, "ticket"))
                testid="tile-resolution-average" />
            <Tile label="SLA breach rate" value=percent(sla.breach_rate)
                detail=format!("{} of {} new {} missed a target", sla.breached, sla.tickets, plural(sla.tickets, "ticket"))
                testid="tile-breach-rate" warn={sla.breached > 0} />
            <Tile label="Backlog" value=open_backlog.to_string()
                detail="new, open and pending right now".to_owned() testid="tile-backlog" />
        </div>

        <section class="chart-row" aria-label="Tickets per day">
            <div class="chart-box">{per_day_chart}</div>
            <div class="table-box">
                <div class="table-scroll">
                    <table class="table compact" data-testid="per-day-table">
                        <caption class="sr-only">{format!("Tickets created and solved per day, {range}")}</caption>
                        <thead><tr><th scope="col">"Day"</th><th scope="col" class="num">"Created"</th><th scope="col" class="num">"Solved"</th></tr></thead>
                        <tbody>
                            {days.iter().rev().map(|(date, created, solved)| view! {
                                <tr>
                                    <td>{date.format("%a %-d %b").to_string()}</td>
                                    <td class="num">{*created}</td>
                                    <td class="num">{*solved}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                        <tfoot>
                            <tr>
                                <th scope="row">"Total"</th>
                                <td class="num" data-testid="created-total">{created_total}</td>
                                <td class="num" data-testid="solved-total">{solved_total}</td>
                            </tr>
                        </tfoot>
                    </table>
                </div>
            </div>
        </section>

        <section class="chart-row" aria-label="Backlog by status">
            <div class="chart-box">
                <BarChart title="Tickets by status right now".to_owned() bars=bars y_title="Tickets" x_title="Status"
                    unit="ticket" testid="backlog-chart" />
            </div>
            <div class="table-box">
                <table class="table compact" data-testid="backlog-table">
                    <caption class="sr-only">"Tickets by status right now"</caption>
                    <thead><tr><th scope="col">"Status"</th><th scope="col" class="num">"Tickets"</th></tr></thead>
                    <tbody>
                        {TicketStatus::ALL.into_iter().map(|status| view! {
                            <tr>
                                <td><StatusPill status=status /></td>
                                <td class="num" data-testid=format!("backlog-{}", status.as_str())>{backlog_of(&backlog, status)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                    <tfoot>
                        <tr>
                            <th scope="row">"Backlog (new, open, pending)"</th>
                            <td class="num" data-testid="backlog-total">{open_backlog}</td>
                        </tr>
                        <tr>
                            <th scope="row" class="muted">"All tickets"</th>
                            <td class="num muted">{all_tickets}</td>
                        </tr>
                    </tfoot>
                </table>
            </div>
        </section>

        <WidgetCard stats=overview.widget.clone() range=range.clone() />

        <CsatCard stats=overview.csat.clone() range=range.clone() />

        <section class="agents" aria-label="Agents">
            <h2>{format!("Agents, {range}")}</h2>
            {if overview.agents.is_empty() {
                view! { <p class="muted">"Nobody answers tickets here yet. Invite your team from the Team page."</p> }.into_any()
            } else {
                view! {
                    <table class="table" data-testid="agents-table">
                        <thead>
                            <tr>
                                <th scope="col">"Agent"</th>
                                <th scope="col" class="num" title="Tickets created in the range and assigned to them">"Assigned"</th>
                                <th scope="col" class="num" title="Tickets solved in the range and assigned to them">"Solved"</th>
                                <th scope="col" class="num">"Median first response"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {overview.agents.iter().map(|row| view! {
                                <tr data-testid="agent-row">
                                    <td>
                                        <div class="row">
                                            <Avatar name=row.agent.name.clone() />
                                            <span>{row.agent.name.clone()}</span>
                                            <span class="small faint">{row.agent.role.as_str()}</span>
                                        </div>
                                    </td>
                                    <td class="num">{row.assigned}</td>
                                    <td class="num">{row.solved}</td>
                                    <td class="num">{duration(row.median_first_response_minutes)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

/// The embeddable widget in the range: conversations visitors started, questions a suggested
/// answer settled without a ticket, and the share of questions those are.
#[component]
fn WidgetCard(stats: WidgetStats, range: String) -> impl IntoView {
    let session = use_session();
    let questions = stats.conversations + stats.deflected;
    let body = if questions == 0 {
        view! {
            <div class="empty chart-empty" data-testid="widget-empty">
                <strong>"No widget activity in this range."</strong>
                "Conversations started in the widget on your site, and questions its suggested answers settled, count here."
                {move || is_owner(session.role()).then(|| view! {
                    " " <a href="/settings/widget">"Set up the widget"</a>
                })}
            </div>
        }
        .into_any()
    } else {
        view! {
            <div class="stats">
                <div class="stat" data-testid="widget-conversations">
                    <div class="stat-label">"Conversations"</div>
                    <div class="stat-value" data-testid="widget-conversations-value">{stats.conversations}</div>
                    <div class="small muted">"started by visitors, each a ticket"</div>
                </div>
                <div class="stat" data-testid="widget-deflected">
                    <div class="stat-label">"Answered without a ticket"</div>
                    <div class="stat-value" data-testid="widget-deflected-value">{stats.deflected}</div>
                    <div class="small muted">"settled by a suggested answer"</div>
                </div>
                <div class="stat" data-testid="widget-deflection-rate">
                    <div class="stat-label">"Deflection rate"</div>
                    <div class="stat-value" data-testid="widget-deflection-rate-value">{percent(stats.deflection_rate)}</div>
                    <div class="small muted">
                        {format!("{} of {questions} {} answered without a ticket", stats.deflected, plural(questions, "question"))}
                    </div>
                </div>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="widget-card" aria-labelledby="widget-card-title" data-testid="widget-card">
            <div class="row">
                <h2 id="widget-card-title">"Widget"</h2>
                <span class="small muted">{range}</span>
            </div>
            {body}
        </section>
    }
}

/// Customer satisfaction in the range: the share of good ratings, how many customers answered the
/// survey, and the ratings per day and per agent.
#[component]
fn CsatCard(stats: CsatStats, range: String) -> impl IntoView {
    let rated = stats.good + stats.bad;
    let body = if rated == 0 {
        view! {
            <div class="empty chart-empty" data-testid="csat-empty">
                <strong>"No ratings in this range."</strong>
                {format!(
                    "When a ticket is solved, its customer is mailed a one-click good or bad rating; {} {} mailed in this range.",
                    stats.offered,
                    plural(stats.offered, "survey")
                )}
            </div>
        }
        .into_any()
    } else {
        let days: Vec<CsatDay> = stats
            .per_day
            .iter()
            .rev()
            .filter(|day| day.good + day.bad > 0)
            .cloned()
            .collect();
        let response = if stats.offered == 0 {
            0.0
        } else {
            rated as f64 / stats.offered as f64
        };
        view! {
            <div class="stats">
                <div class="stat" data-testid="csat-score">
                    <div class="stat-label">"Satisfaction"</div>
                    <div class="stat-value" data-testid="csat-score-value">{percent(stats.score.unwrap_or(0.0))}</div>
                    <div class="small muted">{format!("{} good of {rated} {}", stats.good, plural(rated, "rating"))}</div>
                </div>
                <div class="stat" data-testid="csat-bad">
                    <div class="stat-label">"Bad ratings"</div>
                    <div class="stat-value" data-testid="csat-bad-value">{stats.bad}</div>
                    <div class="small muted">"customers who were not satisfied"</div>
                </div>
                <div class="stat" data-testid="csat-response">
                    <div class="stat-label">"Response rate"</div>
                    <div class="stat-value">{percent(response.min(1.0))}</div>
                    <div class="small muted">{format!("of {} {} mailed in the range", stats.offered, plural(stats.offered, "survey"))}</div>
                </div>
            </div>
            <div class="chart-row">
                <div class="table-box">
                    <table class="table compact" data-testid="csat-days">
                        <caption class="sr-only">{format!("Ratings per day, {range}")}</caption>
                        <thead><tr><th scope="col">"Day"</th><th scope="col" class="num">"Good"</th><th scope="col" class="num">"Bad"</th></tr></thead>
                        <tbody>
                            {days.into_iter().map(|day| view! {
                                <tr>
                                    <td>{day.date.format("%a %-d %b").to_string()}</td>
                                    <td class="num">{day.good}</td>
                                    <td class="num">{day.bad}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <div class="table-box">
                    <table class="table compact" data-testid="csat-agents">
                        <caption class="sr-only">{format!("Ratings per agent, {range}")}</caption>
                        <thead><tr><th scope="col">"Agent"</th><th scope="col" class="num">"Good"</th><th scope="col" class="num">"Bad"</th><th scope="col" class="num">"Satisfaction"</th></tr></thead>
                        <tbody>
                            {stats.per_agent.into_iter().map(|row| view! {
                                <tr data-testid="csat-agent-row">
                                    <td>{row.agent.name}</td>
                                    <td class="num">{row.good}</td>
                                    <td class="num">{row.bad}</td>
                                    <td class="num">{percent(row.score.unwrap_or(0.0))}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="widget-card" aria-labelledby="csat-card-title" data-testid="csat-card">
            <div class="row">
                <h2 id="csat-card-title">"Customer satisfaction"</h2>
                <span class="small muted">{range}</span>
            </div>
            {body}
        </section>
    }
}

fn status_class(status: TicketStatus) -> &'static str {
    match status {
        TicketStatus::New => "status-new",
        TicketStatus::Open => "status-open",
        TicketStatus::Pending => "status-pending",
        TicketStatus::Solved => "status-solved",
        TicketStatus::Closed => "status-closed",
    }
}

fn capitalised(word: &str) -> String {
    let mut letters = word.chars();
    match letters.next() {
        Some(first) => first.to_uppercase().chain(letters).collect(),
        None => String::new(),
    }
}

fn plural(count: u64, word: &str) -> String {
    if count == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_durations_and_rates() {
        assert_eq!(duration(None), "—");
        assert_eq!(duration(Some(0.2)), "< 1 min");
        assert_eq!(duration(Some(45.0)), "45 min");
        assert_eq!(duration(Some(125.0)), "2 h 5 min");
        assert_eq!(duration(Some(120.0)), "2 h");
        assert_eq!(duration(Some(1440.0 * 3.0 + 250.0)), "3 d 4 h");
        assert_eq!(percent(0.125), "12.5%");
        assert_eq!(percent(0.0), "0%");
    }

    #[test]
    fn writes_ranges() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        assert_eq!(range_label(day(2026, 3, 3), day(2026, 3, 9)), "3 Mar – 9 Mar 2026");
        assert_eq!(
            range_label(day(2025, 12, 28), day(2026, 1, 3)),
            "28 Dec 2025 – 3 Jan 2026"
        );
        assert_eq!(range_label(day(2026, 3, 3), day(2026, 3, 3)), "3 Mar 2026");
    }
}
