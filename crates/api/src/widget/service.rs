//! Widget rules in action: the owner's settings and secret, and what a visitor does (write in, read
//! and reply to its conversations, sign in with an identity token). Conversations are tickets: they
//! are created and answered through the tickets service as the visitor's customer, and shown through
//! the customer's projection.

use actix_web::web::Bytes;
use chrono::{DateTime, Duration, Utc};
use ferrodesk_shared::Role;
use ferrodesk_shared::attachments::Attachment;
use ferrodesk_shared::tickets::{Message, NewMessage, Ticket, TicketDetail, TicketListQuery, TicketSort};
use ferrodesk_shared::widget::{
    Conversation, ConversationList, ConversationMessage, ConversationStarted, ConversationSummary, NewConversation,
    NewVisitorMessage, Visitor, VisitorSession, WidgetConfig, WidgetSecret, WidgetSettings, WidgetSettingsUpdate,
};
use ferrodesk_shared::{Permission, TicketId};
use uuid::Uuid;

use crate::auth::{Principal, WorkspaceScope};
use crate::clock;
use crate::db::{self, entities::users, entities::widget_settings, entities::widget_visitors};
use crate::error::{ApiError, ApiResult};
use crate::limits::{self, Key, Limit};
use crate::state::AppState;
use crate::tickets::service::{self as tickets, VisitorCreate};
use crate::users::domain::{Email, parse_person_name};
use crate::users::repo::{self as users_repo, NewUser};
use crate::validation::Fields;

use super::domain::{self, Identity};
use super::repo;
use super::visitor::{Visiting, WidgetCall};

/// How long an anonymous visitor's token lasts (the iframe keeps it; a returning visitor finds
/// their conversations).
const ANONYMOUS_LIFETIME: Duration = Duration::days(180);
/// How long an identified visitor's token lasts: the company's page signs a new identity token on
/// each load, so a short life costs nothing.
const IDENTIFIED_LIFETIME: Duration = Duration::hours(12);
/// The most conversations a visitor's list shows.
const LIST_LIMIT: u32 = 50;

pub fn view(settings: &widget_settings::Model) -> WidgetSettings {
    WidgetSettings {
        enabled: settings.enabled,
        colour: settings.colour.clone(),
        label: settings.label.clone(),
        greeting: settings.greeting.clone(),
        position: settings.position.into(),
        allowed_origins: super::allowed_origins(settings),
        identity_required: settings.identity_required,
        has_secret: settings.secret.is_some(),
        suggest_answers: settings.suggest_answers,
    }
}

pub async fn settings(state: &AppState, owner: &Principal) -> ApiResult<WidgetSettings> {
    owner.require(Permission::ManageWorkspace)?;
    Ok(view(&repo::settings(&state.db, owner.scope()).await?))
}

/// Applies the fields the owner sent; the others keep their values. All are checked before any is
/// stored.
pub async fn update(state: &AppState, owner: &Principal, update: WidgetSettingsUpdate) -> ApiResult<WidgetSettings> {
    owner.require(Permission::ManageWorkspace)?;
    let mut fields = Fields::default();
    let colour = fields.optional("colour", update.colour.as_deref(), domain::parse_colour);
    let label = fields.optional("label", update.label.as_deref(), domain::parse_label);
    let greeting = fields.optional("greeting", update.greeting.as_deref(), domain::parse_greeting);
    let origins = fields.optional(
        "allowed_origins",
        update.allowed_origins.as_deref(),
        domain::parse_origins,
    );
    let (Some(colour), Some(label), Some(greeting), Some(origins)) = (colour, label, greeting, origins) else {
        return Err(fields.into_error());
    };
    let txn = db::begin_write(&state.db).await?;
    let mut row = repo::settings(&txn, owner.scope()).await?;
    if let Some(enabled) = update.enabled {
        row.enabled = enabled;
    }
    if let Some(colour) = colour {
        row.colour = colour;
    }
    if let Some(label) = label {
        row.label = label;
    }
    if let Some(greeting) = greeting {
        row.greeting = greeting;
    }
    if let Some(position) = update.position {
        row.position = position.into();
    }
    if let Some(origins) = origins {
        row.allowed_origins = serde_json::to_string(&origins).map_err(anyhow::Error::from)?;
    }
    if let Some(required) = update.identity_required {
        row.identity_required = required;
    }
    if let Some(suggest) = update.suggest_answers {
        row.suggest_answers = suggest;
    }
    row.updated_at = clock::now();
    repo::save_settings(&txn, row.clone()).await?;
    txn.commit().await?;
    Ok(view(&row))
}

/// A new identity secret, returned this once; the old one (and every visitor it signed in) stops
/// working at once.
pub async fn rotate_secret(state: &AppState, owner: &Principal) -> ApiResult<WidgetSecret> {
    owner.require(Permission::ManageWorkspace)?;
    let secret = domain::new_secret();
    let sealed = state
        .ai
        .keys()
        .seal(owner.scope().uuid(), &secret)
        .map_err(ApiError::Internal)?;
    let txn = db::begin_write(&state.db).await?;
    let mut row = repo::settings(&txn, owner.scope()).await?;
    row.secret = Some(sealed);
    row.secret_id = Some(Uuid::now_v7());
    row.updated_at = clock::now();
    repo::save_settings(&txn, row).await?;
    txn.commit().await?;
    Ok(WidgetSecret { secret })
}

pub fn config(call: &WidgetCall) -> WidgetConfig {
    let settings = &call.settings;
    WidgetConfig {
        workspace_name: call.workspace.name.clone(),
        colour: settings.colour.clone(),
        label: settings.label.clone(),
        greeting: settings.greeting.clone(),
        position: settings.position.into(),
        identity_required: settings.identity_required,
        suggest_answers: settings.suggest_answers,
    }
}

pub fn visitor_of(visiting: &Visiting) -> Visitor {
    Visitor {
        name: visiting.user.name.clone(),
        email: visiting.user.email.clone(),
        identified: visiting.row.identified,
    }
}

/// The limits on starting conversations: per visitor (or, before it has a token, per client
/// address) and per workspace per day. Counted before anything is written; a refusal by the daily
/// cap gives the caller's count back.
async fn count_new_conversation(state: &AppState, call: &WidgetCall, now: DateTime<Utc>) -> ApiResult<()> {
    let limits = &state.settings.limits;
    let workspace = call.scope.uuid().to_string();
    let caller = match (&call.visitor, call.client) {
        (Some(visitor), _) => Some(Key::new("widget_conversations_visitor", &[&visitor.row.id.to_string()])),
        (None, Some(address)) => Some(Key::new(
            "widget_conversations_address",
            &[&workspace, &address.to_string()],
        )),
        (None, None) => None,
    };
    let hit = match caller {
        Some(key) => Some(
            limits::take(
                &state.db,
                &key,
                Limit::per_hour(limits.widget_conversations_per_hour),
                now,
            )
            .await?,
        ),
        None => None,
    };
    let daily = Key::new("widget_conversations_workspace", &[&workspace]);
    if let Err(refused) = limits::take(&state.db, &daily, Limit::per_day(limits.widget_daily_cap), now).await {
        if let Some(hit) = hit {
            limits::give_back(&state.db, hit).await?;
        }
        return Err(refused);
    }
    Ok(())
}

/// A visitor writes in. A visitor with a token writes as its customer; a new one names itself, and
/// gets a token. Typing an address proves nothing: the new visitor sees only what it writes here,
/// never that address's earlier requests (those need the emailed link, or an identity token).
pub async fn start(
    state: &AppState,
    call: &WidgetCall,
    request: NewConversation,
    idempotency_key: Option<&str>,
) -> ApiResult<ConversationStarted> {
    let now = clock::now();
    let new_visitor = match &call.visitor {
        Some(_) => None,
        None => {
            let mut fields = Fields::default();
            let name = fields.check(
                "name",
                request
                    .name
                    .as_deref()
                    .ok_or_else(|| "is required".to_owned())
                    .and_then(parse_person_name),
            );
            let email = fields.check(
                "email",
                request
                    .email
                    .as_deref()
                    .ok_or_else(|| "is required: we answer there too".to_owned())
                    .and_then(Email::parse),
            );
            let body = fields.check("message", crate::tickets::domain::parse_body(&request.message));
            let (Some(name), Some(email), Some(_)) = (name, email, body) else {
                return Err(fields.into_error());
            };
            Some((name, email))
        }
    };
    count_new_conversation(state, call, now).await?;
    let (visiting, session) = match (new_visitor, &call.visitor) {
        (Some((name, email)), _) => {
            let user = customer(state, &call.scope, email, name, now).await?;
            let (row, token) = new_visitor_row(&call.scope, &user, None, now);
            repo::insert_visitor(&state.db, row.clone()).await?;
            let visiting = Visiting { row, user };
            let session = VisitorSession {
                token,
                visitor: visitor_of(&visiting),
            };
            (visiting, Some(session))
        }
        (None, Some(visiting)) => (
            Visiting {
                row: visiting.row.clone(),
                user: visiting.user.clone(),
            },
            None,
        ),
        (None, None) => return Err(ApiError::Internal(anyhow::anyhow!("a widget call lost its visitor"))),
    };
    let principal = visiting.principal(call.scope);
    let detail = match tickets::create_for_visitor(
        state,
        &principal,
        &request.message,
        &request.attachment_ids,
        visiting.row.id,
        idempotency_key,
    )
    .await?
    {
        VisitorCreate::Created(detail) => *detail,
        VisitorCreate::Replay(ticket) => {
            // Keyed by the customer: only a retry of the same message by the same address
            // (with a random key only that browser knew) gets here.
            repo::relink(&state.db, &call.scope, ticket, visiting.row.id).await?;
            tickets::get(state, &principal, TicketId(ticket)).await?
        }
    };
    Ok(ConversationStarted {
        session,
        conversation: conversation_of(detail),
    })
}

pub async fn list(state: &AppState, call: &WidgetCall) -> ApiResult<ConversationList> {
    let visiting = call.visiting()?;
    let principal = visiting.principal(call.scope);
    let tickets = if visiting.row.identified {
        // An identified customer's requests, whoever opened them (the company vouched for them).
        let query = TicketListQuery {
            sort: Some(TicketSort::Updated),
            limit: Some(LIST_LIMIT),
            ..Default::default()
        };
        tickets::list(state, &principal, query).await?.items
    } else {
        let ids = repo::conversations_of(&state.db, &call.scope, visiting.row.id, u64::from(LIST_LIMIT)).await?;
        tickets::get_many(state, &principal, &ids).await?
    };
    Ok(ConversationList {
        items: tickets.into_iter().map(summary_of).collect(),
    })
}

/// 404 unless the visitor may see this conversation: one it started, or, identified, one of its
/// customer's requests.
async fn reachable(state: &AppState, call: &WidgetCall, id: TicketId) -> ApiResult<Principal> {
    let visiting = call.visiting()?;
    if !visiting.row.identified && !repo::started(&state.db, &call.scope, visiting.row.id, id.0).await? {
        return Err(ApiError::NotFound);
    }
    Ok(visiting.principal(call.scope))
}

pub async fn get(state: &AppState, call: &WidgetCall, id: TicketId) -> ApiResult<Conversation> {
    let principal = reachable(state, call, id).await?;
    Ok(conversation_of(tickets::get(state, &principal, id).await?))
}

pub async fn reply(
    state: &AppState,
    call: &WidgetCall,
    id: TicketId,
    request: NewVisitorMessage,
) -> ApiResult<ConversationMessage> {
    let principal = reachable(state, call, id).await?;
    let key = Key::new("widget_messages_visitor", &[&call.visiting()?.row.id.to_string()]);
    let limit = Limit::per_hour(state.settings.limits.widget_messages_per_hour);
    limits::take(&state.db, &key, limit, clock::now()).await?;
    let message = tickets::reply(
        state,
        &principal,
        id,
        NewMessage {
            body: request.body,
            internal: false,
            macro_id: None,
            attachment_ids: request.attachment_ids,
        },
    )
    .await?;
    Ok(message_of(message))
}

/// A file the visitor may read: on a conversation it may reach (`reachable`: an unidentified
/// visitor only those it started, even when another visitor typed the same address), or its own
/// upload not sent yet; 404 otherwise.
pub async fn attachment(state: &AppState, call: &WidgetCall, id: uuid::Uuid) -> ApiResult<(Attachment, Bytes)> {
    let principal = call.visiting()?.principal(call.scope);
    let row = crate::attachments::repo::find(&state.db, &call.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if let Some(ticket) = row.ticket_id {
        reachable(state, call, TicketId(ticket)).await?;
    }
    crate::attachments::service::download(state, &principal, id).await
}

/// Signs the visitor in as the customer the company's server vouches for.
pub async fn identify(state: &AppState, call: &WidgetCall, token: &str) -> ApiResult<VisitorSession> {
    let now = clock::now();
    if let Some(address) = call.client {
        let key = Key::new("widget_identify_address", &[&address.to_string()]);
        limits::take(&state.db, &key, Limit::per_hour(600), now).await?;
    }
    let (Some(sealed), Some(secret_id)) = (&call.settings.secret, call.settings.secret_id) else {
        return Err(ApiError::IdentityRejected(
            "This workspace has no widget identity secret yet: its owner makes one in the widget settings.",
        ));
    };
    let secret = state
        .ai
        .keys()
        .open(call.scope.uuid(), sealed)
        .map_err(ApiError::Internal)?;
    let Identity {
        email,
        name,
        external_id,
    } = domain::verify_identity(token, &secret, call.slug(), now)?;
    let name = name.unwrap_or_else(|| email.local_part().to_owned());
    let user = customer(state, &call.scope, email, name, now)
        .await
        .map_err(|error| match error {
            ApiError::Validation(_) => ApiError::IdentityRejected(
                "The identity token's email belongs to someone on the team: the widget is for customers.",
            ),
            other => other,
        })?;
    let (mut row, token) = new_visitor_row(&call.scope, &user, Some(secret_id), now);
    row.external_id = external_id;
    repo::insert_visitor(&state.db, row.clone()).await?;
    let visiting = Visiting { row, user };
    Ok(VisitorSession {
        token,
        visitor: visitor_of(&visiting),
    })
}

/// The customer with this address: found, or created unproven. Team addresses are refused (a
/// visitor must never act as staff).
async fn customer(
    state: &AppState,
    scope: &WorkspaceScope,
    email: Email,
    name: String,
    now: DateTime<Utc>,
) -> ApiResult<users::Model> {
    let user = users_repo::insert_or_find(
        &state.db,
        scope,
        NewUser {
            email,
            name,
            role: Role::Customer,
            password_hash: None,
            email_verified: false,
        },
        now,
    )
    .await?;
    if users_repo::role_of(&user).is_staff() || user.integration {
        return Err(ApiError::invalid(
            "email",
            "belongs to someone on the team: sign in to the agent app instead",
        ));
    }
    Ok(user)
}

fn new_visitor_row(
    scope: &WorkspaceScope,
    user: &users::Model,
    secret_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> (widget_visitors::Model, String) {
    let (token, hash) = domain::new_visitor_token();
    let lifetime = if secret_id.is_some() {
        IDENTIFIED_LIFETIME
    } else {
        ANONYMOUS_LIFETIME
    };
    let row = widget_visitors::Model {
        id: Uuid::now_v7(),
        workspace_id: scope.uuid(),
        token_hash: hash,
        user_id: Some(user.id),
        identified: secret_id.is_some(),
        secret_id,
        external_id: None,
        created_at: now,
        last_seen_at: now,
        expires_at: now + lifetime,
    };
    (row, token)
}

pub fn summary_of(ticket: Ticket) -> ConversationSummary {
    ConversationSummary {
        id: ticket.id,
        number: ticket.number,
        subject: ticket.subject,
        status: ticket.status,
        preview: ticket.preview.unwrap_or_default(),
        updated_at: ticket.updated_at,
    }
}

pub fn message_of(message: Message) -> ConversationMessage {
    ConversationMessage {
        id: message.id,
        from_team: message.author.role.is_staff(),
        author_name: message.author.name,
        body: message.body,
        created_at: message.created_at,
        attachments: message.attachments,
    }
}

fn conversation_of(detail: TicketDetail) -> Conversation {
    let ticket = detail.ticket;
    Conversation {
        id: ticket.id,
        number: ticket.number,
        subject: ticket.subject,
        status: ticket.status,
        created_at: ticket.created_at,
        updated_at: ticket.updated_at,
        messages: detail
            .messages
            .into_iter()
            .filter(|message| !message.internal)
            .map(message_of)
            .collect(),
    }
}
