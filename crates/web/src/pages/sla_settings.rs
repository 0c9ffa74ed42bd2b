//! SLA settings (supervisors and owners): per priority, how fast the team promises a first reply
//! and a solution, edited in hours and minutes and saved all at once; and the workflow switches
//! (assign on reply), each saved as it changes.

use ferrodesk_shared::sla::{SlaPolicies, SlaPolicy};
use ferrodesk_shared::tickets::Priority;
use ferrodesk_shared::workspaces::{HelpdeskSettings, HelpdeskSettingsPatch};
use leptos::ev;
use leptos::prelude::*;

use crate::api::{use_api, use_submit};
use crate::components::toast::use_toasts;
use crate::pages::dashboard::duration;
use crate::pages::shell::{Rail, StaffOnly, SupervisorOnly};

/// Most pressing first, the way people read the table.
const ORDER: [Priority; 4] = [Priority::Urgent, Priority::High, Priority::Normal, Priority::Low];

#[component]
pub fn SlaSettings() -> impl IntoView {
    view! {
        <StaffOnly>
            <div class="workspace two">
                <Rail />
                <SupervisorOnly page="SLA settings">
                    <SlaSettingsPage />
                </SupervisorOnly>
            </div>
        </StaffOnly>
    }
}

/// A target as two fields, hours and minutes.
#[derive(Clone, Copy)]
struct DurationFields {
    hours: RwSignal<String>,
    minutes: RwSignal<String>,
}

impl DurationFields {
    fn new() -> Self {
        DurationFields {
            hours: RwSignal::new(String::new()),
            minutes: RwSignal::new(String::new()),
        }
    }

    fn fill(&self, total: u32) {
        self.hours.set((total / 60).to_string());
        self.minutes.set((total % 60).to_string());
    }

    /// The total in minutes, or `None` when a field is not a whole number (minutes 0 to 59).
    fn read(&self) -> Option<u32> {
        let number = |text: String| -> Option<u32> {
            let text = text.trim();
            if text.is_empty() { Some(0) } else { text.parse().ok() }
        };
        let hours = number(self.hours.get())?;
        let minutes = number(self.minutes.get())?;
        (minutes < 60).then_some(())?;
        hours.checked_mul(60)?.checked_add(minutes)
    }
}

#[derive(Clone, Copy)]
struct PolicyFields {
    priority: Priority,
    first_response: DurationFields,
    resolution: DurationFields,
}

impl PolicyFields {
    fn fill(&self, policy: &SlaPolicy) {
        self.first_response.fill(policy.first_response_minutes);
        self.resolution.fill(policy.resolution_minutes);
    }

    fn read(&self) -> Result<SlaPolicy, String> {
        let name = capitalised(self.priority.as_str());
        let first = self
            .first_response
            .read()
            .ok_or_else(|| format!("{name}, first response: enter whole hours, and minutes from 0 to 59."))?;
        let resolution = self
            .resolution
            .read()
            .ok_or_else(|| format!("{name}, resolution: enter whole hours, and minutes from 0 to 59."))?;
        Ok(SlaPolicy {
            priority: self.priority,
            first_response_minutes: first,
            resolution_minutes: resolution,
        })
    }
}

fn capitalised(word: &str) -> String {
    let mut letters = word.chars();
    match letters.next() {
        Some(first) => first.to_uppercase().chain(letters).collect(),
        None => String::new(),
    }
}

#[component]
fn SlaSettingsPage() -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let fields: Vec<PolicyFields> = ORDER
        .into_iter()
        .map(|priority| PolicyFields {
            priority,
            first_response: DurationFields::new(),
            resolution: DurationFields::new(),
        })
        .collect();
    let fields = StoredValue::new(fields);
    let fill = move |policies: &[SlaPolicy]| {
        fields.with_value(|fields| {
            for field in fields {
                let policy = policies
                    .iter()
                    .find(|policy| policy.priority == field.priority)
                    .copied()
                    .unwrap_or_else(|| SlaPolicy::default_for(field.priority));
                field.fill(&policy);
            }
        });
    };

    // What the server holds, to tell unsaved changes apart.
    let saved = RwSignal::new(None::<Vec<SlaPolicy>>);
    let loading = use_submit();
    let load_error = loading.error();
    let reload = move || {
        loading.dispatch(api.sla().policies(), move |policies| {
            fill(&policies.items);
            saved.set(Some(policies.items));
        });
    };
    reload();

    let read_all = move || -> Result<Vec<SlaPolicy>, String> {
        fields.with_value(|fields| fields.iter().map(PolicyFields::read).collect())
    };
    let changed = move || {
        let Some(saved) = saved.get() else { return false };
        match read_all() {
            Ok(current) => current.iter().any(|policy| !saved.contains(policy)),
            Err(_) => true,
        }
    };

    let saving = use_submit();
    let local_error = RwSignal::new(None::<String>);
    let server_error = saving.error();
    let on_submit = move |event: ev::SubmitEvent| {
        event.prevent_default();
        saving.clear();
        let items = match read_all() {
            Ok(items) => items,
            Err(problem) => {
                local_error.set(Some(problem));
                return;
            }
        };
        local_error.set(None);
        saving.dispatch(api.sla().save_policies(SlaPolicies { items }), move |policies| {
            fill(&policies.items);
            saved.set(Some(policies.items));
            toasts.info("SLA targets saved. New tickets use them from now on.");
        });
    };
    let reset = move |_| {
        let defaults: Vec<SlaPolicy> = ORDER.into_iter().map(SlaPolicy::default_for).collect();
        fill(&defaults);
        local_error.set(None);
        saving.clear();
    };
    let problem = move || {
        local_error.get().or_else(|| {
            server_error.get().map(|error| {
                error
                    .field("items")
                    .map(|field| capitalised(&field))
                    .unwrap_or_else(|| error.message())
            })
        })
    };

    view! {
        <main class="page" data-testid="sla-settings">
            <div class="page-head"><h1>"SLA settings"</h1></div>
            <p class="muted intro">
                "How fast your team promises to answer and to solve, by priority. Time a ticket spends pending "
                "(waiting on the customer) does not count towards resolution. New tickets use these targets; "
                "changing a ticket's priority recalculates its due times."
            </p>
            {move || load_error.get().map(|error| view! {
                <div class="alert error row" role="alert">
                    <span>{format!("We could not load the targets. {}", error.message())}</span>
                    <span class="spacer"></span>
                    <button class="button small" on:click=move |_| reload()>"Try again"</button>
                </div>
            })}
            <form class="card sla-form" on:submit=on_submit novalidate aria-busy=move || saved.with(Option::is_none).to_string()>
                <table class="table sla-table">
                    <thead>
                        <tr>
                            <th scope="col">"Priority"</th>
                            <th scope="col">"First response within"</th>
                            <th scope="col">"Resolution within"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {fields.get_value().into_iter().map(|field| {
                            let name = capitalised(field.priority.as_str());
                            view! {
                                <tr data-testid=format!("sla-{}", field.priority.as_str())>
                                    <th scope="row">
                                        <span class=format!("priority-name {}", field.priority.as_str())>{name.clone()}</span>
                                    </th>
                                    <td><DurationInput label=format!("{name} first response") fields=field.first_response /></td>
                                    <td><DurationInput label=format!("{name} resolution") fields=field.resolution /></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                {move || problem().map(|problem| view! {
                    <div class="alert error" role="alert" data-testid="sla-error">{problem}</div>
                })}
                <div class="row">
                    <button class="button primary" type="submit" disabled=move || saving.pending() || saved.with(Option::is_none)>
                        {move || if saving.pending() { "Saving…" } else { "Save targets" }}
                    </button>
                    <button class="button ghost" type="button" on:click=reset>"Use the defaults"</button>
                    <span class="spacer"></span>
                    {move || changed().then(|| view! { <span class="small muted">"Unsaved changes"</span> })}
                </div>
            </form>
            <WorkflowSettings />
        </main>
    }
}

/// The helpdesk's workflow switches, saved on change; after a refusal the box shows what the
/// server holds.
#[component]
fn WorkflowSettings() -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let settings = RwSignal::new(None::<HelpdeskSettings>);
    let loading = use_submit();
    let load_error = loading.error();
    loading.dispatch(api.workspaces().settings(), move |loaded| settings.set(Some(loaded)));
    let saving = use_submit();
    // Saves one setting; `said` words the saved state for the toast.
    let save = move |patch: HelpdeskSettingsPatch, said: fn(&HelpdeskSettings) -> &'static str| {
        saving.dispatch_with(api.workspaces().update_settings(patch), move |result| match result {
            Ok(saved) => {
                toasts.info(said(&saved));
                settings.set(Some(saved));
            }
            Err(error) => {
                toasts.error(format!("The setting was not saved. {}", error.message()));
                // Put the box back to what the server holds.
                loading.dispatch(api.workspaces().settings(), move |loaded| settings.set(Some(loaded)));
            }
        });
    };
    let set_assign_on_reply = move |on: bool| {
        let patch = HelpdeskSettingsPatch {
            assign_on_reply: Some(on),
            ..HelpdeskSettingsPatch::default()
        };
        save(patch, |saved| {
            if saved.assign_on_reply {
                "Replies now assign unassigned tickets."
            } else {
                "Replies no longer assign tickets."
            }
        });
    };
    let set_csat = move |on: bool| {
        let patch = HelpdeskSettingsPatch {
            csat_enabled: Some(on),
            ..HelpdeskSettingsPatch::default()
        };
        save(patch, |saved| {
            if saved.csat_enabled {
                "Solved tickets now ask their customer for a rating."
            } else {
                "Solved tickets no longer ask for a rating."
            }
        });
    };
    view! {
        <section class="card stack workflow-settings" aria-labelledby="workflow-title">
            <h2 id="workflow-title">"Workflow"</h2>
            {move || load_error.get().map(|error| view! {
                <div class="alert error" role="alert">{format!("We could not load the workflow settings. {}", error.message())}</div>
            })}
            <label class="check">
                <input type="checkbox" data-testid="assign-on-reply"
                    disabled=move || settings.with(Option::is_none) || saving.pending()
                    prop:checked=move || settings.with(|settings| settings.as_ref().is_some_and(|settings| settings.assign_on_reply))
                    on:change=move |event| set_assign_on_reply(event_target_checked(&event)) />
                " Assign a ticket to the first teammate who replies publicly"
            </label>
            <span class="small muted">
                "Only unassigned tickets; internal notes and replies through an API key never assign."
            </span>
            <label class="check">
                <input type="checkbox" data-testid="csat-enabled"
                    disabled=move || settings.with(Option::is_none) || saving.pending()
                    prop:checked=move || settings.with(|settings| settings.as_ref().is_some_and(|settings| settings.csat_enabled))
                    on:change=move |event| set_csat(event_target_checked(&event)) />
                " Ask customers to rate the help when their ticket is solved"
            </label>
            <span class="small muted">
                "One email per ticket, the first time it is solved, with a good and a bad link; the dashboard shows the ratings."
            </span>
        </section>
    }
}

/// Hours and minutes side by side, with the total written out for a quick check.
#[component]
fn DurationInput(label: String, fields: DurationFields) -> impl IntoView {
    let total = move || match fields.read() {
        Some(0) => "Set at least 1 minute".to_owned(),
        Some(minutes) => format!("= {}", duration(Some(f64::from(minutes)))),
        None => "Whole hours; minutes 0–59".to_owned(),
    };
    view! {
        <div class="duration-input" role="group" aria-label=label.clone()>
            <input class="input" type="number" min="0" step="1" inputmode="numeric" aria-label=format!("{label}, hours")
                prop:value=move || fields.hours.get() on:input=move |event| fields.hours.set(event_target_value(&event)) />
            <span class="unit">"h"</span>
            <input class="input" type="number" min="0" max="59" step="1" inputmode="numeric" aria-label=format!("{label}, minutes")
                prop:value=move || fields.minutes.get() on:input=move |event| fields.minutes.set(event_target_value(&event)) />
            <span class="unit">"min"</span>
            <span class="small muted total">{total}</span>
        </div>
    }
}
