//! Reply drafts: the workspace's most similar solved tickets, and either the best agent reply among
//! them adapted offline into a polite frame, or a draft from the workspace's chat-completions
//! provider grounded in those replies. Any provider failure falls back to the offline draft.

use ferrodesk_ai::draft::{compose, placeholders_in};
use ferrodesk_ai::{ChatMessage, ChatModel, ChatRole, claims, nearest, retrieval};
use ferrodesk_shared::ai::{ReplyOrigin, ReplySource, SuggestedReply};
use ferrodesk_shared::{TicketId, UserId};

use crate::auth::Principal;
use crate::db::entities::ai_settings;
use crate::error::{ApiError, ApiResult};
use crate::limits::quotas;
use crate::state::AppState;
use crate::tickets::repo as tickets_repo;
use crate::tickets::state::TicketRecord;

use super::categorise::ticket_text;
use super::provider::{OpenAiCompatible, validate_base_url};
use super::{clip, repo, require_ai};
use crate::users::repo as users_repo;

/// A reply longer than this is cut before it goes into a provider's prompt.
const MAX_REPLY_CHARS: usize = 1_500;

struct Grounding {
    source: ReplySource,
    reply: String,
}

#[tracing::instrument(skip_all, fields(workspace = %principal.scope().id(), ticket = %id))]
pub async fn suggest(state: &AppState, principal: &Principal, id: TicketId) -> ApiResult<SuggestedReply> {
    let scope = principal.scope();
    let db = &state.db;
    let ticket = tickets_repo::find(db, scope, id.0).await?;
    let settings = require_ai(db, scope).await?;
    // Only drafts that go to a (paid) provider count; offline ones cost nothing.
    if settings.provider_base_url.is_some() {
        quotas::ai_suggestion(state, principal).await?;
    }
    let customer = users_repo::find(db, scope, UserId(ticket.requester_id)).await?.name;
    let question = repo::latest_customer_message(db, scope, &ticket)
        .await?
        .unwrap_or_default();
    let query = state.ai.embed(ticket_text(&ticket.subject, &question)).await?;
    let kind = state.ai.kind();
    let limit = retrieval::candidate_limit(kind) as u64;
    let candidates = repo::solved_candidates(db, scope, state.ai.embedder(), ticket.id, limit).await?;
    let neighbours = nearest(
        &query,
        candidates.iter().map(|candidate| candidate.vector.as_slice()),
        retrieval::SOURCES,
        retrieval::min_similarity(kind),
    );
    let ids: Vec<_> = neighbours
        .iter()
        .map(|neighbour| candidates[neighbour.index].ticket_id)
        .collect();
    let mut replies = repo::last_staff_replies(db, scope, &ids).await?;
    let grounding: Vec<Grounding> = neighbours
        .iter()
        .filter_map(|neighbour| {
            let candidate = &candidates[neighbour.index];
            let reply = replies.remove(&candidate.ticket_id)?;
            Some(Grounding {
                source: ReplySource {
                    ticket_id: TicketId(candidate.ticket_id),
                    number: candidate.number,
                    subject: candidate.subject.clone(),
                    similarity: neighbour.similarity.clamp(0.0, 1.0),
                },
                reply,
            })
        })
        .collect();
    // What this ticket's own messages and internal notes report as done: a draft may say so too,
    // and nothing else.
    let own = tickets_repo::messages(db, scope, ticket.id, true).await?;
    let supported = claims::supported_actions(own.iter().map(|message| message.body.as_str()));
    // With nothing similar solved, no draft: a frame around a blank would only look like help.
    let offline = match grounding.first() {
        Some(best) => {
            let draft = compose(&customer, principal.name(), Some(&best.reply), &supported);
            SuggestedReply {
                draft: draft.text,
                origin: ReplyOrigin::Retrieval,
                model: None,
                sources: grounding.iter().map(|g| g.source.clone()).collect(),
                placeholders: draft.placeholders,
                notice: None,
            }
        }
        None => SuggestedReply {
            draft: String::new(),
            origin: ReplyOrigin::NoSimilar,
            model: None,
            sources: Vec::new(),
            placeholders: Vec::new(),
            notice: None,
        },
    };
    let Some(provider) = provider_for(state, &settings)? else {
        return Ok(offline);
    };
    let notes: Vec<&str> = own
        .iter()
        .filter(|message| message.internal)
        .map(|message| message.body.as_str())
        .collect();
    let messages = prompt(principal, &ticket, &customer, &question, &notes, &grounding);
    let answer = tokio::time::timeout(state.settings.ai.provider_timeout, provider.complete(&messages)).await;
    let failure = match answer {
        Ok(Ok(text)) => {
            // The provider was told not to claim actions; its answer is held to it all the same.
            let text = claims::ground(&text, &supported).text;
            return Ok(SuggestedReply {
                placeholders: placeholders_in(&text),
                draft: text,
                origin: ReplyOrigin::Provider,
                model: Some(provider.name().to_owned()),
                sources: offline.sources,
                notice: None,
            });
        }
        Ok(Err(error)) => error.to_string(),
        Err(_) => "the provider did not answer in time".to_owned(),
    };
    tracing::warn!(reason = %failure, "the AI provider failed; answering with the offline draft");
    let instead = match offline.origin {
        ReplyOrigin::NoSimilar => "and no similar solved ticket exists yet to draft from",
        _ => "this draft comes from similar solved tickets",
    };
    Ok(SuggestedReply {
        notice: Some(format!("The AI provider was not used ({failure}); {instead}.")),
        ..offline
    })
}

/// The workspace's provider, if it configured one (its key opened from storage).
fn provider_for(state: &AppState, settings: &ai_settings::Model) -> ApiResult<Option<OpenAiCompatible>> {
    let (Some(base_url), Some(model)) = (&settings.provider_base_url, &settings.provider_model) else {
        return Ok(None);
    };
    // Checked again: the operator may have tightened what is allowed since the owner saved it.
    let url = match validate_base_url(base_url, state.settings.ai.allow_local_providers) {
        Ok(url) => url,
        Err(reason) => {
            tracing::warn!(%reason, "a stored provider URL is no longer allowed; drafting offline");
            return Ok(None);
        }
    };
    let api_key = match &settings.provider_key {
        Some(sealed) => Some(
            state
                .ai
                .keys()
                .open(settings.workspace_id, sealed)
                .map_err(ApiError::Internal)?,
        ),
        None => None,
    };
    Ok(Some(OpenAiCompatible::new(
        state.ai.http().clone(),
        &url,
        model,
        api_key,
    )))
}

fn prompt(
    principal: &Principal,
    ticket: &TicketRecord,
    customer: &str,
    question: &str,
    notes: &[&str],
    grounding: &[Grounding],
) -> Vec<ChatMessage> {
    let system = format!(
        "You are {agent}, a customer support agent. Write a short, polite reply to the customer's latest \
         message. Base the answer only on the earlier replies to similar tickets given below. Never invent \
         numbers, amounts, prices, dates, order numbers or names: where a fact you need is not given, write a \
         placeholder in double braces such as {{{{order_number}}}} or {{{{date}}}}. The earlier replies were \
         to other customers: never say that anything was already done for this customer (refunded, issued, \
         sent, cancelled, replaced, fixed, credited ...) unless this ticket's own notes say so; say what you \
         will do, or leave a placeholder. Greet the customer by first name and sign off as {agent}. Answer \
         with the reply text only.",
        agent = principal.name()
    );
    let mut user = format!(
        "Ticket subject: {subject}\nCustomer: {customer}\nTheir latest message:\n{question}\n",
        subject = ticket.subject,
        question = clip(question, MAX_REPLY_CHARS),
    );
    if !notes.is_empty() {
        user.push_str(
            "\nYour team's internal notes on this ticket (guidance for you; the customer never sees them):\n",
        );
        for note in notes {
            user.push_str(&format!("- {}\n", clip(note, MAX_REPLY_CHARS)));
        }
    }
    if grounding.is_empty() {
        user.push_str(
            "\nNo similar ticket has been solved yet: acknowledge the request and use placeholders for the answer.\n",
        );
    } else {
        user.push_str("\nEarlier replies to similar solved tickets:\n");
        for (at, g) in grounding.iter().enumerate() {
            user.push_str(&format!(
                "\n[{n}] Ticket \"{subject}\":\n{reply}\n",
                n = at + 1,
                subject = g.source.subject,
                reply = clip(&g.reply, MAX_REPLY_CHARS)
            ));
        }
    }
    vec![
        ChatMessage::new(ChatRole::System, system),
        ChatMessage::new(ChatRole::User, user),
    ]
}
