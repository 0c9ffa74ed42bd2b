//! The AI on a ticket: the category field with what the classifier thought, and the line under a
//! suggested reply saying where it came from and what is left for the agent to fill in.

use ferrodesk_shared::ErrorCode;
use ferrodesk_shared::ai::{BUILTIN_CATEGORIES, CategoryDef, CategorySource, ReplyOrigin, SuggestedReply};
use ferrodesk_shared::tickets::Ticket;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::api::{ApiError, use_api};

/// A 0..=1 score as people read it: `92 %`.
pub fn percent(score: f32) -> String {
    let score = if score.is_finite() { score.clamp(0.0, 1.0) } else { 0.0 };
    format!("{} %", (score * 100.0).round() as u32)
}

/// What a failed suggestion means for the agent, and whom to ask.
pub fn suggest_error(error: &ApiError) -> String {
    match error.body.as_ref().map(|body| body.code) {
        Some(ErrorCode::UpgradeRequired) => {
            "Suggested replies come with the Pro plan. The workspace's owner can upgrade under Plan & billing."
                .to_owned()
        }
        Some(ErrorCode::Forbidden) => {
            "AI is turned off for this workspace. The owner can turn it on in AI settings.".to_owned()
        }
        _ => format!("We could not draft a reply. {}", error.message()),
    }
}

/// The placeholders of a draft still in `text`, in the draft's order: what the agent has yet to fill in.
pub fn unfilled(placeholders: &[String], text: &str) -> Vec<String> {
    placeholders
        .iter()
        .filter(|name| text.contains(&format!("{{{{{name}}}}}")))
        .cloned()
        .collect()
}

/// Where the first `{{placeholder}}` of `text` is, in UTF-16 units (what a textarea's selection counts).
pub fn first_placeholder(text: &str) -> Option<(u32, u32)> {
    let start = text.find("{{")?;
    let end = start + text[start..].find("}}")? + 2;
    let units = |bytes: &str| bytes.encode_utf16().count() as u32;
    Some((units(&text[..start]), units(&text[..end])))
}

/// The categories an agent may pick: the workspace's (built-in first), then the ticket's own when it
/// is one nobody defined (an old or removed one), so the select can still show it.
pub fn category_choices(known: &[CategoryDef], current: Option<&str>) -> Vec<(String, String)> {
    let mut choices: Vec<(String, String)> = if known.is_empty() {
        BUILTIN_CATEGORIES
            .iter()
            .map(|name| ((*name).to_owned(), String::new()))
            .collect()
    } else {
        known
            .iter()
            .map(|category| (category.name.clone(), category.description.clone()))
            .collect()
    };
    if let Some(current) = current
        && !choices.iter().any(|(name, _)| name == current)
    {
        choices.push((current.to_owned(), "Not one of this workspace's categories".to_owned()));
    }
    choices
}

/// The category select of the properties column: the AI's badge when it chose, its guess with a
/// one-click "Apply" when it left the choice to a person.
#[component]
pub fn CategoryField(ticket: RwSignal<Ticket>, set_category: Callback<Option<String>>) -> impl IntoView {
    let api = use_api();
    let known =
        LocalResource::new(
            move || async move { api.ai().categories().await.map(|list| list.items).unwrap_or_default() },
        );
    let current = move || ticket.with(|t| t.category.clone());
    let badge = move || {
        ticket.with(|t| {
            (t.category.is_some() && t.category_source == Some(CategorySource::Ai)).then(|| {
                let confidence = t
                    .ai_category
                    .as_ref()
                    .filter(|guess| Some(&guess.category) == t.category.as_ref())
                    .map(|guess| guess.confidence);
                let text = match confidence {
                    Some(confidence) => format!("AI · {}", percent(confidence)),
                    None => "AI".to_owned(),
                };
                let title = match confidence {
                    Some(confidence) => format!(
                        "Set by the AI when the ticket arrived, {} sure. Change it if it is wrong: it learns from you.",
                        percent(confidence)
                    ),
                    None => "Set by the AI when the ticket arrived. Change it if it is wrong: it learns from you."
                        .to_owned(),
                };
                let category = t.category.clone();
                view! {
                    <span class="ai-badge" title=title data-testid="category-ai-badge">{text}</span>
                    <button type="button" class="button ghost small confirm" title="Right? Confirm it: the AI learns from it"
                        aria-label=format!("Confirm the category {}", category.clone().unwrap_or_default())
                        on:click=move |_| set_category.run(category.clone())>"✓"</button>
                }
            })
        })
    };
    // The classifier's guess, offered while nobody has chosen.
    let guess = move || {
        ticket.with(|t| {
            if t.category.is_some() {
                return None;
            }
            t.ai_category.clone()
        })
    };
    view! {
        <div class="field">
            <div class="row wrap">
                <label for="prop-category">"Category"</label>
                <span class="spacer"></span>
                {badge}
            </div>
            <select id="prop-category" class="select" data-testid="category-select"
                prop:value=move || current().unwrap_or_default()
                on:change=move |event| {
                    let value = event_target_value(&event);
                    set_category.run((!value.is_empty()).then_some(value));
                }>
                <option value="" selected=move || current().is_none()>"None"</option>
                {move || {
                    let current = current();
                    let known = known.get().unwrap_or_default();
                    category_choices(&known, current.as_deref())
                        .into_iter()
                        .map(|(name, description)| {
                            let selected = current.as_deref() == Some(name.as_str());
                            view! { <option value=name.clone() title=description selected=selected>{name.clone()}</option> }
                        })
                        .collect_view()
                }}
            </select>
            {move || guess().map(|guess| {
                let category = guess.category.clone();
                view! {
                    <div class="ai-hint" data-testid="category-ai-hint">
                        <span>"AI suggests: " <strong>{guess.category.clone()}</strong> {format!(" ({})", percent(guess.confidence))}</span>
                        <button type="button" class="button small" aria-label=format!("Apply the category {}", guess.category)
                            on:click=move |_| set_category.run(Some(category.clone()))>"Apply"</button>
                    </div>
                }
            })}
        </div>
    }
}

/// Under a suggested reply: where it came from, what to fill in, and why the provider was not used.
#[component]
pub fn DraftOrigin(
    suggestion: SuggestedReply,
    /// The composer's text, so the "Fill in" hint shrinks as the agent fills placeholders in.
    draft: RwSignal<String>,
    /// What the agent had written before the draft replaced it, to put back.
    replaced: RwSignal<Option<String>>,
    dismiss: Callback<()>,
) -> impl IntoView {
    let location = use_location();
    let search = move || location.search.get_untracked();
    let link = move |number: i64, subject: &str, id: ferrodesk_shared::TicketId| {
        let href = format!("/inbox/{id}{}", {
            let search = search();
            if search.is_empty() {
                String::new()
            } else {
                format!("?{}", search.trim_start_matches('?'))
            }
        });
        view! { <a href=href>{format!("#{number} {subject}")}</a> }
    };
    let sources = suggestion.sources.clone();
    let origin = match suggestion.origin {
        ReplyOrigin::Retrieval => match sources.first() {
            Some(source) => view! {
                "Drafted from " {link(source.number, &source.subject, source.ticket_id)}
                {format!(" ({} similar)", percent(source.similarity))}
            }
            .into_any(),
            None => "Drafted from a similar solved ticket".into_any(),
        },
        ReplyOrigin::Provider => {
            let model = suggestion
                .model
                .clone()
                .unwrap_or_else(|| "your AI provider".to_owned());
            let grounded = sources
                .iter()
                .map(|source| format!("#{}", source.number))
                .collect::<Vec<_>>();
            let grounded = (!grounded.is_empty()).then(|| format!(", using {}", grounded.join(", ")));
            view! { "Drafted by " <strong>{model}</strong> {grounded} }.into_any()
        }
        ReplyOrigin::NoSimilar => {
            "No similar solved ticket yet, so no draft: this answer is yours to write. Once solved, it helps draft the next one."
                .into_any()
        }
    };
    let also = (suggestion.origin == ReplyOrigin::Retrieval && sources.len() > 1).then(|| {
        let others = sources[1..]
            .iter()
            .map(|source| format!("#{} ({})", source.number, percent(source.similarity)))
            .collect::<Vec<_>>()
            .join(", ");
        format!(". Also similar: {others}")
    });
    let placeholders = suggestion.placeholders.clone();
    let to_fill = move || draft.with(|text| unfilled(&placeholders, text));
    view! {
        <div class="draft-origin" role="status" data-testid="draft-origin">
            <div class="row">
                <span class="ai-mark" aria-hidden="true">"✦"</span>
                <span class="origin-text">{origin}{also}</span>
                <span class="spacer"></span>
                {move || replaced.get().map(|before| view! {
                    <button type="button" class="button ghost small" on:click=move |_| {
                        draft.set(before.clone());
                        replaced.set(None);
                        dismiss.run(());
                    }>"Undo"</button>
                })}
                <button type="button" class="button ghost small" aria-label="Hide where the draft came from"
                    on:click=move |_| dismiss.run(())>"×"</button>
            </div>
            {move || {
                let missing = to_fill();
                (!missing.is_empty()).then(|| view! {
                    <div class="fill-in" data-testid="draft-placeholders">
                        "Fill in: " {missing.join(", ")}
                    </div>
                })
            }}
            {suggestion.notice.clone().map(|notice| view! {
                <div class="draft-notice" data-testid="draft-notice">{notice}</div>
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_whole_and_bounded() {
        assert_eq!(percent(0.916), "92 %");
        assert_eq!(percent(0.0), "0 %");
        assert_eq!(percent(1.4), "100 %");
        assert_eq!(percent(f32::NAN), "0 %");
    }

    #[test]
    fn placeholders_left_and_where_the_first_is() {
        let names = vec!["order_number".to_owned(), "amount".to_owned()];
        assert_eq!(unfilled(&names, "Order {{order_number}}: {{amount}}"), names);
        assert_eq!(unfilled(&names, "Order 1234: {{amount}}"), ["amount"]);
        assert!(unfilled(&names, "Order 1234: 10 €").is_empty());
        // "é" is one UTF-16 unit but two bytes.
        assert_eq!(first_placeholder("Hé {{x}} y"), Some((3, 8)));
        assert_eq!(first_placeholder("no placeholder"), None);
    }

    #[test]
    fn an_unknown_current_category_is_kept_as_a_choice() {
        let known = vec![CategoryDef {
            name: "billing".into(),
            description: "Invoices".into(),
            builtin: true,
        }];
        let names = |choices: Vec<(String, String)>| choices.into_iter().map(|(name, _)| name).collect::<Vec<_>>();
        assert_eq!(names(category_choices(&known, Some("legacy"))), ["billing", "legacy"]);
        assert_eq!(names(category_choices(&known, Some("billing"))), ["billing"]);
        assert_eq!(names(category_choices(&[], None)).len(), BUILTIN_CATEGORIES.len());
    }
}
