//! One call a person started (a form sent, a button pressed): whether it is on its way and what the
//! server refused, as signals for the page, and the dispatch that keeps both true.

use std::future::Future;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::ApiError;

/// A submission's state. Only the latest dispatch's answer counts (an older one that arrives late
/// is dropped), and none counts once the page that started it is gone.
#[derive(Clone, Copy)]
pub struct Submit {
    pending: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
    latest: StoredValue<u64>,
}

pub fn use_submit() -> Submit {
    Submit {
        pending: RwSignal::new(false),
        error: RwSignal::new(None),
        latest: StoredValue::new(0),
    }
}

impl Submit {
    /// On its way (tracked: buttons read it to disable themselves and say "Saving…").
    pub fn pending(&self) -> bool {
        self.pending.get()
    }

    /// On its way, read without subscribing (to ignore a second press).
    pub fn pending_untracked(&self) -> bool {
        self.pending.get_untracked()
    }

    /// What the server refused last, for `FormError` and the fields.
    pub fn error(&self) -> Signal<Option<ApiError>> {
        self.error.into()
    }

    pub fn clear(&self) {
        self.error.set(None);
    }

    /// Sends `call`; on success hands its answer to `on_ok`, on failure keeps the error for the page.
    pub fn dispatch<T: 'static>(
        &self,
        call: impl Future<Output = Result<T, ApiError>> + 'static,
        on_ok: impl FnOnce(T) + 'static,
    ) {
        let error = self.error;
        self.dispatch_with(call, move |result| match result {
            Ok(answer) => on_ok(answer),
            Err(failure) => {
                let _ = error.try_set(Some(failure));
            }
        });
    }

    /// Sends `call` and hands the whole result to `done`, for a page that says failures its own way
    /// (a toast) instead of in the form.
    pub fn dispatch_with<T: 'static>(
        &self,
        call: impl Future<Output = Result<T, ApiError>> + 'static,
        done: impl FnOnce(Result<T, ApiError>) + 'static,
    ) {
        let Some(this) = self.latest.try_update_value(|latest| {
            *latest += 1;
            *latest
        }) else {
            return;
        };
        self.pending.set(true);
        self.error.set(None);
        let (pending, latest) = (self.pending, self.latest);
        spawn_local(async move {
            let result = call.await;
            // A newer dispatch owns the signals now, or the page is gone (`try_set` hands the value back).
            if latest.try_get_value() != Some(this) || pending.try_set(false).is_some() {
                return;
            }
            done(result);
        });
    }
}
