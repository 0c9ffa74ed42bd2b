//! The live connection: one WebSocket per tab while someone is signed in. It authenticates with
//! its first message, remembers the last event id, reconnects with backoff after a drop and asks
//! for what it missed. Pages subscribe to the events they care about. When the API client gets a
//! new access token the socket re-authenticates with it, so it outlives the old token; when the
//! server closes the socket for a reason (session revoked, role changed, token expired) the client
//! refreshes its token first, and signs out if that fails.

use std::collections::VecDeque;
use std::time::Duration;

use ferrodesk_shared::events::{ClientEvent, CloseReason, ServerEvent};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use crate::api::Api;
use crate::api::realtime::socket_url;
use crate::session::Session;

/// How many recent events are kept for subscribers that have not run yet.
const KEEP: usize = 200;

#[derive(Clone, Copy)]
pub struct Live {
    log: RwSignal<VecDeque<(u64, ServerEvent)>>,
    next: StoredValue<u64>,
    last_event_id: StoredValue<Option<i64>>,
    connected: RwSignal<bool>,
    /// Bumped after a reconnect that could not replay: pages reload what they show.
    resyncs: RwSignal<u32>,
    generation: StoredValue<u32>,
    /// The socket of the current generation, for re-authenticating it with a refreshed token.
    socket: StoredValue<Option<WebSocket>, LocalStorage>,
}

impl Live {
    fn new() -> Self {
        Live {
            log: RwSignal::new(VecDeque::new()),
            next: StoredValue::new(1),
            last_event_id: StoredValue::new(None),
            connected: RwSignal::new(false),
            resyncs: RwSignal::new(0),
            generation: StoredValue::new(0),
            socket: StoredValue::new_local(None),
        }
    }

    pub fn connected(&self) -> bool {
        self.connected.get()
    }

    pub fn resyncs(&self) -> ReadSignal<u32> {
        self.resyncs.read_only()
    }

    fn push(&self, event: ServerEvent) {
        let number = self.next.get_value();
        self.next.set_value(number + 1);
        self.log.update(|log| {
            log.push_back((number, event));
            while log.len() > KEEP {
                log.pop_front();
            }
        });
    }

    /// Calls `handle` once for every event that arrives from now on, in order.
    pub fn subscribe(&self, handle: impl Fn(&ServerEvent) + 'static) {
        let seen = StoredValue::new(self.next.get_value() - 1);
        let log = self.log;
        Effect::new(move |_| {
            log.with(|log| {
                for (number, event) in log.iter() {
                    if *number > seen.get_value() {
                        seen.set_value(*number);
                        handle(event);
                    }
                }
            });
        });
    }
}

pub fn use_live() -> Live {
    use_context::<Live>().unwrap_or_else(Live::new)
}

/// Provides the live connection and keeps it open while someone is signed in.
pub fn provide_live(api: Api, session: Session) -> Live {
    let live = Live::new();
    provide_context(live);
    Effect::new(move |_| {
        let signed_in = session.user().map(|user| user.id);
        // A new sign-in (or sign-out, or a new role) retires the previous connection.
        live.generation.update_value(|generation| *generation += 1);
        live.last_event_id.set_value(None);
        if signed_in.is_some() {
            open(api, session, live, live.generation.get_value(), 0);
        } else {
            live.connected.set(false);
        }
    });
    // A refreshed token goes over the open socket, which would otherwise close when the old one expires.
    let token = api.token_signal();
    Effect::new(move |_| {
        let Some(token) = token.get() else { return };
        if !live.connected.get_untracked() {
            return;
        }
        live.socket.with_value(|socket| {
            if let Some(socket) = socket.as_ref().filter(|socket| socket.ready_state() == WebSocket::OPEN) {
                let auth = ClientEvent::Auth {
                    access_token: token,
                    last_event_id: None,
                };
                if let Ok(text) = serde_json::to_string(&auth) {
                    let _ = socket.send_with_str(&text);
                }
            }
        });
    });
    live
}

fn open(api: Api, session: Session, live: Live, generation: u32, attempt: u32) {
    let (Some(url), Some(token)) = (socket_url(), api.token()) else {
        return;
    };
    let Ok(socket) = WebSocket::new(&url) else {
        retry(api, session, live, generation, attempt + 1);
        return;
    };
    let current = move || live.generation.get_value() == generation;
    live.socket.set_value(Some(socket.clone()));

    let auth_socket = socket.clone();
    let on_open = Closure::<dyn FnMut()>::new(move || {
        let auth = ClientEvent::Auth {
            access_token: token.clone(),
            last_event_id: live.last_event_id.get_value(),
        };
        if let Ok(text) = serde_json::to_string(&auth) {
            let _ = auth_socket.send_with_str(&text);
        }
    });
    let message_socket = socket.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
        if !current() {
            let _ = message_socket.close();
            return;
        }
        let Some(text) = message.data().as_string() else { return };
        let Ok(event) = serde_json::from_str::<ServerEvent>(&text) else {
            return;
        };
        match &event {
            ServerEvent::Ready { last_event_id } => {
                live.connected.set(true);
                if live.last_event_id.get_value().is_none() {
                    live.last_event_id.set_value(Some(*last_event_id));
                }
            }
            ServerEvent::Resync { last_event_id } => {
                live.last_event_id.set_value(Some(*last_event_id));
                live.resyncs.update(|count| *count += 1);
            }
            other => {
                if let Some(id) = other.event_id() {
                    live.last_event_id.set_value(Some(id));
                }
            }
        }
        live.push(event);
    });
    let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
        live.connected.set(false);
        if !current() {
            return;
        }
        match CloseReason::parse(&event.reason()) {
            // The new role comes with a new token; updating the session reconnects.
            Some(CloseReason::RoleChanged) => leptos::task::spawn_local(async move {
                match api.refresh().await {
                    Ok(auth) => session.start(auth),
                    Err(error) if error.status == 401 => api.end_session(),
                    Err(_) => retry(api, session, live, generation, attempt + 1),
                }
            }),
            // At once, with a fresh token (or a sign-out when the session is gone).
            Some(CloseReason::SessionRevoked | CloseReason::TokenExpired) => {
                reconnect(api, session, live, generation, 0, Duration::ZERO)
            }
            // Other tabs hold this user's sockets: try again later rather than push.
            Some(CloseReason::TooManyConnections) => retry(api, session, live, generation, 4),
            Some(CloseReason::GoingAway) | None => retry(api, session, live, generation, attempt + 1),
        }
    });
    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    // The socket owns its handlers from here; they live as long as it does.
    on_open.forget();
    on_message.forget();
    on_close.forget();
}

/// Reconnects after 1, 2, 4 ... 15 s.
fn retry(api: Api, session: Session, live: Live, generation: u32, attempt: u32) {
    let delay = Duration::from_millis((1000u64 << attempt.min(4)).min(15_000));
    reconnect(api, session, live, generation, attempt, delay);
}

/// After `delay`, refreshes the access token (in case it expired) and opens a new socket; a refresh
/// refused with 401 means the session is over, and the tab signs out instead.
fn reconnect(api: Api, session: Session, live: Live, generation: u32, attempt: u32, delay: Duration) {
    set_timeout(
        move || {
            if live.generation.get_value() != generation {
                return;
            }
            leptos::task::spawn_local(async move {
                if let Err(error) = api.refresh().await
                    && error.status == 401
                {
                    api.end_session();
                    return;
                }
                if live.generation.get_value() == generation {
                    open(api, session, live, generation, attempt);
                }
            });
        },
        delay,
    );
}
