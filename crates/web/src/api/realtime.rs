//! The live connection's address; the socket itself (first-message auth, replay) is `crate::live`.

use leptos::prelude::window;

/// `GET /api/v1/ws` on this page's host, `wss` when the page came over HTTPS.
pub fn socket_url() -> Option<String> {
    let location = window().location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    Some(format!("{scheme}://{}/api/v1/ws", location.host().ok()?))
}
