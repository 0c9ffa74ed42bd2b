//! The in-process scheduler. It only schedules: each job is a plain async function of `now` that
//! belongs to its feature (`sla::jobs::scan`, `attachments::jobs::sweep`) and that tests call
//! directly. Both run on the SLA schedule (`FERRODESK_SLA_SCHEDULE`, every minute by default).

use tokio_cron_scheduler::{Job, JobScheduler};

use crate::clock;
use crate::state::AppState;

/// Starts the jobs; the returned scheduler must live as long as the server.
pub async fn start(state: AppState) -> anyhow::Result<Option<JobScheduler>> {
    let Some(schedule) = state.settings.sla_schedule.clone() else {
        return Ok(None);
    };
    let scheduler = JobScheduler::new().await?;
    let state_for_sweep = state.clone();
    let job = Job::new_async(schedule.as_str(), move |_, _| {
        let state = state.clone();
        Box::pin(async move {
            if let Err(error) = crate::sla::jobs::scan(&state, clock::now()).await {
                // The next run tries again: a database restart delays escalations, it loses none.
                tracing::warn!(%error, "the SLA scan failed");
            }
        })
    })?;
    scheduler.add(job).await?;
    let sweep_state = state_for_sweep;
    let sweep = Job::new_async(schedule.as_str(), move |_, _| {
        let state = sweep_state.clone();
        Box::pin(async move {
            if let Err(error) = crate::attachments::jobs::sweep(&state, clock::now()).await {
                tracing::warn!(%error, "sweeping unsent uploads failed");
            }
        })
    })?;
    scheduler.add(sweep).await?;
    scheduler.start().await?;
    Ok(Some(scheduler))
}
