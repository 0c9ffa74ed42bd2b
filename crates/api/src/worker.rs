//! A background worker: one loop that runs its job at once when woken (a change committed and rang
//! the bell) and every `every` otherwise (retries, and what another instance or a crash left), until
//! stopped. The mail, categorisation and webhook workers are each this loop around their own job,
//! a plain async function of `now` that tests call directly.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::error::ApiResult;

/// What a job is told: stop claiming new work once this turns `true`.
pub type Stopping = watch::Receiver<bool>;

/// A running worker, for a graceful stop.
#[derive(Clone)]
pub struct Worker {
    name: &'static str,
    /// How long `stop` waits for the work in flight.
    stop_wait: Duration,
    stop: Arc<watch::Sender<bool>>,
    task: Arc<Mutex<Option<JoinHandle<()>>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Worker {
    /// Runs `job` until stopped: at once, then whenever `wake` is notified, and at least every
    /// `every`. A failed run is logged and tried again on the next turn: the work stays queued in
    /// the database (which may be restarting), so a fault delays it and loses nothing.
    pub fn spawn<Job, Run>(
        name: &'static str,
        wake: Arc<Notify>,
        every: Duration,
        stop_wait: Duration,
        mut job: Job,
    ) -> Worker
    where
        Job: FnMut(Stopping) -> Run + Send + 'static,
        Run: Future<Output = ApiResult<()>> + Send + 'static,
    {
        let (stop, mut stopping) = watch::channel(false);
        let task = tokio::spawn(async move {
            while !*stopping.borrow() {
                if let Err(error) = job(stopping.clone()).await {
                    tracing::warn!(%error, worker = name, "a background worker's run failed; it tries again");
                }
                tokio::select! {
                    changed = stopping.changed() => {
                        // The handle is gone with the app: nobody can stop this worker any more, so it ends.
                        if changed.is_err() {
                            break;
                        }
                    }
                    _ = tokio::time::timeout(every, wake.notified()) => {}
                }
            }
        });
        Worker {
            name,
            stop_wait,
            stop: Arc::new(stop),
            task: Arc::new(Mutex::new(Some(task))),
        }
    }

    /// Stops claiming, lets the work in flight finish (up to the worker's stop wait) and returns.
    /// Work cut short loses nothing: it is claimed under a lease (`db::lease`) and taken again
    /// when the lease runs out.
    pub async fn stop(&self) {
        self.stop.send_replace(true);
        let task = lock(&self.task).take();
        if let Some(task) = task
            && tokio::time::timeout(self.stop_wait, task).await.is_err()
        {
            tracing::warn!(worker = self.name, "a background worker did not stop in time");
        }
    }
}
