//! Answers before they ask: while a visitor types, the team's answers to the most similar solved
//! tickets (the same embedded retrieval as reply drafts), with the other customer's details masked.
//! "This answered my question" is counted, so the dashboard can show how many questions the widget
//! answered without a ticket.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use ferrodesk_ai::draft::{adapt_answer, mask_facts};
use ferrodesk_ai::{nearest, retrieval};
use ferrodesk_shared::TicketId;
use ferrodesk_shared::tickets::TicketStatus;
use ferrodesk_shared::widget::{SuggestedAnswer, SuggestedAnswers};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::ai::repo as ai_repo;
use crate::auth::WorkspaceScope;
use crate::clock;
use crate::db::entities::{widget_conversations, widget_deflections};
use crate::error::{ApiError, ApiResult};
use crate::limits::{self, Key, Limit};
use crate::state::AppState;
use crate::tickets::repo as tickets_repo;
use crate::users::repo as users_repo;

use super::visitor::WidgetCall;

const MIN_CHARS: usize = 12;
const MAX_CHARS: usize = 2_000;
/// "This answered my question" marks one client address may make in an hour.
const HELPFUL_PER_HOUR: u32 = 30;

fn parse_text(text: &str) -> ApiResult<String> {
    let text = text.trim();
    match text.chars().count() {
        count if count < MIN_CHARS => Err(ApiError::invalid(
            "text",
            format!("must be at least {MIN_CHARS} characters"),
        )),
        count if count > MAX_CHARS => Err(ApiError::invalid(
            "text",
            format!("must be at most {MAX_CHARS} characters"),
        )),
        _ => Ok(text.to_owned()),
    }
}

/// Up to three answers for what the visitor typed. None when the owner turned answers off, the
/// workspace has no AI, or nothing solved is similar enough.
pub async fn suggest(state: &AppState, call: &WidgetCall, text: &str) -> ApiResult<SuggestedAnswers> {
    let text = parse_text(text)?;
    let none = SuggestedAnswers { items: Vec::new() };
    let scope = &call.scope;
    if !call.settings.suggest_answers {
        return Ok(none);
    }
    match crate::ai::require_ai(&state.db, scope).await {
        Ok(_) => {}
        Err(ApiError::UpgradeRequired(_) | ApiError::Forbidden(_)) => return Ok(none),
        Err(other) => return Err(other),
    }
    let query = state.ai.embed(text).await?;
    let kind = state.ai.kind();
    let limit = retrieval::candidate_limit(kind) as u64;
    let candidates = ai_repo::solved_candidates(&state.db, scope, state.ai.embedder(), Uuid::nil(), limit).await?;
    let neighbours = nearest(
        &query,
        candidates.iter().map(|candidate| candidate.vector.as_slice()),
        retrieval::SOURCES,
        retrieval::min_similarity(kind),
    );
    let ids: Vec<Uuid> = neighbours
        .iter()
        .map(|neighbour| candidates[neighbour.index].ticket_id)
        .collect();
    let mut replies = ai_repo::last_staff_replies(&state.db, scope, &ids).await?;
    let requesters = requesters_of(state, scope, &ids).await?;
    let items = neighbours
        .iter()
        .filter_map(|neighbour| {
            let candidate = &candidates[neighbour.index];
            let reply = replies.remove(&candidate.ticket_id)?;
            let (name, email) = requesters.get(&candidate.ticket_id)?;
            let body = for_visitor(&adapt_answer(&reply), name, email);
            // An answer that is all masks tells the visitor nothing.
            let words = body.split_whitespace().filter(|word| !word.starts_with('[')).count();
            (words >= 4).then(|| SuggestedAnswer {
                id: TicketId(candidate.ticket_id),
                title: for_visitor(&mask_facts(&candidate.subject), name, email),
                body,
            })
        })
        .collect();
    Ok(SuggestedAnswers { items })
}

/// The name and address of each ticket's requester: the details an answer must not show.
async fn requesters_of(
    state: &AppState,
    scope: &WorkspaceScope,
    ids: &[Uuid],
) -> ApiResult<HashMap<Uuid, (String, String)>> {
    let tickets = tickets_repo::find_many(&state.db, scope, ids).await?;
    let people = users_repo::summaries(&state.db, scope, tickets.iter().map(|ticket| ticket.requester_id)).await?;
    Ok(tickets
        .into_iter()
        .filter_map(|ticket| {
            let person = people.get(&ticket.requester_id)?;
            Some((ticket.id, (person.name.clone(), person.email.clone())))
        })
        .collect())
}

/// Another customer's details out of a team answer: addresses and the requester's name become
/// `[email]` and `[name]`, the masked facts' `{{placeholders}}` become `[placeholders]`.
pub fn for_visitor(text: &str, requester_name: &str, requester_email: &str) -> String {
    let names: Vec<String> = requester_name
        .split(|c: char| !c.is_alphabetic())
        .filter(|part| part.chars().count() >= 2)
        .map(str::to_lowercase)
        .chain(
            requester_email
                .split('@')
                .next()
                .into_iter()
                .flat_map(|local| local.split(|c: char| !c.is_alphabetic()))
                .filter(|part| part.chars().count() >= 3)
                .map(str::to_lowercase),
        )
        .collect();
    let text = text.replace("{{", "[").replace("}}", "]");
    text.lines()
        .map(|line| {
            line.split(' ')
                .map(|token| {
                    if token.contains('@') {
                        return "[email]".to_owned();
                    }
                    let word: String = token.chars().filter(|c| c.is_alphabetic()).collect();
                    if !word.is_empty() && names.contains(&word.to_lowercase()) {
                        let trailing: String = token.chars().rev().take_while(|c| !c.is_alphanumeric()).collect();
                        return format!("[name]{}", trailing.chars().rev().collect::<String>());
                    }
                    token.to_owned()
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Counts a "This answered my question" for the solved ticket `source` of this workspace.
pub async fn helpful(state: &AppState, call: &WidgetCall, source: TicketId) -> ApiResult<()> {
    let now = clock::now();
    let ticket = tickets_repo::find(&state.db, &call.scope, source.0).await?;
    if !matches!(ticket.state.status, TicketStatus::Solved | TicketStatus::Closed) {
        return Err(ApiError::NotFound);
    }
    let caller = match (&call.visitor, call.client) {
        (Some(visitor), _) => visitor.row.id.to_string(),
        (None, Some(address)) => address.to_string(),
        (None, None) => String::new(),
    };
    let key = Key::new("widget_helpful", &[&call.scope.uuid().to_string(), &caller]);
    limits::take(&state.db, &key, Limit::per_hour(HELPFUL_PER_HOUR), now).await?;
    widget_deflections::ActiveModel {
        id: Set(Uuid::now_v7()),
        workspace_id: Set(call.scope.uuid()),
        source_ticket_id: Set(ticket.id),
        created_at: Set(now),
    }
    .insert(&state.db)
    .await?;
    Ok(())
}

/// The widget's conversations and answered questions in `[start, end)`: for the dashboard.
pub async fn counts(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> ApiResult<(u64, u64)> {
    let conversations = widget_conversations::Entity::find()
        .filter(widget_conversations::Column::WorkspaceId.eq(scope.uuid()))
        .filter(widget_conversations::Column::CreatedAt.gte(start))
        .filter(widget_conversations::Column::CreatedAt.lt(end))
        .count(conn)
        .await?;
    let deflected = widget_deflections::Entity::find()
        .filter(widget_deflections::Column::WorkspaceId.eq(scope.uuid()))
        .filter(widget_deflections::Column::CreatedAt.gte(start))
        .filter(widget_deflections::Column::CreatedAt.lt(end))
        .count(conn)
        .await?;
    Ok((conversations, deflected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_customers_details_are_masked() {
        let reply = "Hi John,\n\nJohn, your refund of $42.50 for order 12345 was sent to john.smith@example.com on 3 March.\nIt takes 5 days.\n\nBest regards,\nAgent Ann";
        let masked = for_visitor(&adapt_answer(reply), "John Smith", "john.smith@example.com");
        assert!(!masked.contains("John") && !masked.contains("john"), "{masked}");
        assert!(!masked.contains("42.50") && !masked.contains("12345"), "{masked}");
        assert!(!masked.contains("Agent Ann"), "{masked}");
        assert!(masked.contains("[name],") && masked.contains("[email]"), "{masked}");
        assert!(!masked.contains("{{"), "{masked}");
        assert_eq!(
            for_visitor("Ask Smithers", "Ann Smith", "ann@example.com"),
            "Ask Smithers"
        );
        assert!(parse_text("short").is_err());
        assert!(parse_text(&"x".repeat(2_001)).is_err());
    }
}
