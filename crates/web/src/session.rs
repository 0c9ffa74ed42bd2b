//! Who is signed in, shared through context. A reload restores the session from the refresh cookie.

use ferrodesk_shared::Role;
use ferrodesk_shared::auth::AuthResponse;
use ferrodesk_shared::users::User;
use ferrodesk_shared::workspaces::Workspace;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{Api, use_api};

#[derive(Clone, Debug, PartialEq)]
pub struct SignedIn {
    pub user: User,
    pub workspace: Workspace,
}

#[derive(Clone, Copy)]
pub struct Session {
    current: RwSignal<Option<SignedIn>>,
    /// False until the first refresh attempt has answered, so guards do not bounce a reload to sign-in.
    ready: RwSignal<bool>,
    api: Api,
}

impl Session {
    pub fn new(api: Api) -> Self {
        let session = Session {
            current: RwSignal::new(None),
            ready: RwSignal::new(false),
            api,
        };
        spawn_local(async move {
            if let Ok(auth) = api.refresh().await {
                session.current.set(Some(SignedIn {
                    user: auth.user,
                    workspace: auth.workspace,
                }));
            }
            session.ready.set(true);
        });
        // A refresh that failed for good (session revoked elsewhere) signs this tab out.
        let signed_out = api.signed_out();
        Effect::new(move |_| {
            if signed_out.get() > 0 {
                session.current.set(None);
            }
        });
        session
    }

    pub fn start(&self, auth: AuthResponse) {
        self.api.set_token(Some(auth.access_token));
        self.current.set(Some(SignedIn {
            user: auth.user,
            workspace: auth.workspace,
        }));
    }

    pub fn sign_out(&self) {
        let api = self.api;
        let current = self.current;
        spawn_local(async move {
            let _ = api.auth().logout().await;
            api.set_token(None);
            current.set(None);
        });
    }

    pub fn ready(&self) -> bool {
        self.ready.get()
    }

    pub fn role(&self) -> Option<Role> {
        self.current
            .with(|current| current.as_ref().map(|signed_in| signed_in.user.role))
    }

    pub fn user(&self) -> Option<User> {
        self.current
            .with(|current| current.as_ref().map(|signed_in| signed_in.user.clone()))
    }

    pub fn workspace(&self) -> Option<Workspace> {
        self.current
            .with(|current| current.as_ref().map(|signed_in| signed_in.workspace.clone()))
    }
}

pub fn use_session() -> Session {
    match use_context::<Session>() {
        Some(session) => session,
        None => {
            let session = Session::new(use_api());
            provide_context(session);
            session
        }
    }
}
