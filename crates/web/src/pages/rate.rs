//! `/rate/:token`: where a solved ticket's "How did we do?" mail lands. The link's `?rating=` is
//! the one click: the page sends it as soon as it opens (a page, not the GET, records it, so a mail
//! scanner fetching the link rates nothing), then offers a comment. No session: the token is the key.

use ferrodesk_shared::csat::{Rating, Survey, SurveyAnswer};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{ApiError, use_api, use_submit};

fn parse_rating(text: &str) -> Option<Rating> {
    match text {
        "good" => Some(Rating::Good),
        "bad" => Some(Rating::Bad),
        _ => None,
    }
}

fn rating_words(rating: Rating) -> &'static str {
    match rating {
        Rating::Good => "Good, I'm satisfied",
        Rating::Bad => "Bad, I'm unsatisfied",
    }
}

/// Words for a link that does not open.
fn failure_words(error: &ApiError) -> String {
    match error.status {
        404 => "This rating link is not valid. Check that the whole link from the email was opened.".to_owned(),
        410 => "This rating link has expired. Thank you all the same: you can always write to us again.".to_owned(),
        _ => error.message(),
    }
}

#[component]
pub fn RatePage() -> impl IntoView {
    let api = use_api();
    let token = use_params_map().get_untracked().get("token").unwrap_or_default();
    let clicked = use_query_map()
        .get_untracked()
        .get("rating")
        .and_then(|rating| parse_rating(&rating));
    let survey: RwSignal<Option<Result<Survey, ApiError>>> = RwSignal::new(None);
    let loading = use_submit();
    {
        let token = token.clone();
        loading.dispatch_with(
            async move {
                match (api.csat().survey(&token).await, clicked) {
                    (Ok(open), Some(rating)) if open.rating.is_none() => {
                        api.csat().answer(&token, SurveyAnswer { rating, comment: None }).await
                    }
                    (other, _) => other,
                }
            },
            move |result| survey.set(Some(result)),
        );
    }
    let token = StoredValue::new(token);
    let sending = use_submit();
    let send = move |rating: Rating, comment: Option<String>| {
        let token = token.get_value();
        let call = async move { api.csat().answer(&token, SurveyAnswer { rating, comment }).await };
        sending.dispatch(call, move |saved| survey.set(Some(Ok(saved))));
    };

    view! {
        <div class="portal rate-page">
            {move || match survey.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(error)) => view! {
                    <div class="card stack">
                        <h1>"How did we do?"</h1>
                        <p class="alert error" role="alert">{failure_words(&error)}</p>
                    </div>
                }.into_any(),
                Some(Ok(open)) => view! { <SurveyCard open=open send=send sending=sending /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn SurveyCard(
    open: Survey,
    send: impl Fn(Rating, Option<String>) + Copy + Send + Sync + 'static,
    sending: crate::api::Submit,
) -> impl IntoView {
    let helper = open.agent_first_name.clone().map_or_else(
        || "the help you received".to_owned(),
        |name| format!("the help {name} gave you"),
    );
    let about = format!("Your request #{} “{}”", open.ticket_number, open.subject);
    let about_lower = format!("your request #{} “{}”", open.ticket_number, open.subject);
    let comment = RwSignal::new(String::new());
    let error = sending.error();
    let body = match (open.rating, open.comment.clone()) {
        (None, _) => view! {
            <p>{format!("{about} is solved. How would you rate {helper}?")}</p>
            <div class="rate-choices">
                <button class="button primary" data-testid="rate-good" disabled=move || sending.pending()
                    on:click=move |_| send(Rating::Good, None)>{rating_words(Rating::Good)}</button>
                <button class="button" data-testid="rate-bad" disabled=move || sending.pending()
                    on:click=move |_| send(Rating::Bad, None)>{rating_words(Rating::Bad)}</button>
            </div>
        }
        .into_any(),
        (Some(rating), None) => view! {
            <p role="status" data-testid="rated">
                {format!("Thank you! You rated the help with {}: {}.", about_lower, rating_words(rating))}
            </p>
            <form class="stack" on:submit=move |event| {
                event.prevent_default();
                let text = comment.get_untracked();
                if !text.trim().is_empty() {
                    send(rating, Some(text));
                }
            }>
                <label class="stack" for="rate-comment">
                    <span>"Anything to add? (optional)"</span>
                    <textarea id="rate-comment" rows="4" maxlength="2000"
                        placeholder="What went well, or what could we do better?"
                        prop:value=move || comment.get()
                        on:input=move |event| comment.set(event_target_value(&event))></textarea>
                </label>
                <div><button class="button primary" type="submit" disabled=move || sending.pending()>"Send comment"</button></div>
            </form>
        }
        .into_any(),
        (Some(rating), Some(said)) => view! {
            <p role="status" data-testid="rated">
                {format!("Thank you! You rated the help with {}: {}.", about_lower, rating_words(rating))}
            </p>
            <blockquote class="rate-comment" data-testid="rate-comment">{said}</blockquote>
            <p class="muted">"Your comment reached the team."</p>
        }
        .into_any(),
    };
    view! {
        <div class="card stack">
            <span class="muted small">{open.workspace_name.clone()}</span>
            <h1>"How did we do?"</h1>
            {body}
            {move || error.get().map(|error| view! { <p class="alert error" role="alert">{failure_words(&error)}</p> })}
        </div>
    }
}
