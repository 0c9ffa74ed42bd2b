//! Request rate limits of the authenticated API: a token bucket per caller (a signed-in user, or an
//! API key) and one per workspace, both checked on every request that names a principal.
//! Every such answer carries the IETF `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`
//! fields of the tighter bucket; a spent bucket answers `429 rate_limited` with `Retry-After`.
//!
//! Several instances: the buckets live in this process's memory, and each instance takes
//! `1 / FERRODESK_INSTANCES` of every configured size. Keeping them in the database would add a write
//! to every request and make all requests of a workspace queue on one row (on SQLite, on the one write
//! lock), which costs more than the limit protects; behind a balancer that spreads requests evenly the
//! shares add up to the configured size, and a client pinned to one instance gets its share, never more.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_governor::governor::clock::{Clock, DefaultClock};
use actix_governor::governor::middleware::StateInformationMiddleware;
use actix_governor::governor::state::keyed::DefaultKeyedStateStore;
use actix_governor::governor::{Quota, RateLimiter};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest};
use ferrodesk_shared::{UserId, WorkspaceId};
use uuid::Uuid;

use crate::auth::Principal;
use crate::config::{ApiRateLimitSettings, BucketSize};
use crate::error::ApiError;
use crate::workspaces::plans;
use ferrodesk_shared::workspaces::Plan;

pub const LIMIT_HEADER: &str = "ratelimit-limit";
pub const REMAINING_HEADER: &str = "ratelimit-remaining";
pub const RESET_HEADER: &str = "ratelimit-reset";

/// Whose bucket a request draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BucketKey {
    /// A person signed in with a session.
    User(UserId),
    /// An integration calling with an API key (its id): the API-key principal maps here.
    ApiKey(Uuid),
    /// Everyone of one workspace together.
    Workspace(WorkspaceId),
    /// A widget visitor (by its id), once it has a token.
    Visitor(Uuid),
    /// A client address on the widget's public endpoints, before a visitor has a token.
    Address(std::net::IpAddr),
}

impl BucketKey {
    /// The caller's own bucket: a person's, or an API key's (each key of a workspace has its own,
    /// though they all act as the one integration user, so one busy tool does not starve another).
    pub fn caller(principal: &Principal) -> BucketKey {
        match principal.api_key() {
            Some(key) => BucketKey::ApiKey(key.id.0),
            None => BucketKey::User(principal.id()),
        }
    }
}

/// What one request was told: the figures of the bucket closest to empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The bucket's size (its burst).
    pub limit: u32,
    /// Requests left right now.
    pub remaining: u32,
    /// Seconds until the bucket is full again.
    pub reset_seconds: u64,
    /// Refused: seconds until the next request would pass.
    pub retry_after_seconds: Option<u64>,
}

type Limiter = RateLimiter<BucketKey, DefaultKeyedStateStore<BucketKey>, DefaultClock, StateInformationMiddleware>;

/// The buckets of this process, shared by every worker thread.
pub struct RequestLimits {
    caller: Limiter,
    /// Pro's workspace bucket: the configured size.
    workspace: Limiter,
    /// Free's: the configured size divided by the plan's `api_rate_divisor`.
    workspace_free: Limiter,
    clock: DefaultClock,
    /// Checks since start; every few thousand, buckets that are full again are dropped.
    checks: AtomicU64,
}

/// Buckets that refilled completely are forgotten this often (in checks), so memory follows the
/// callers of the last minutes, not of the process's life.
const FORGET_EVERY: u64 = 4096;

impl RequestLimits {
    pub fn new(settings: &ApiRateLimitSettings) -> anyhow::Result<RequestLimits> {
        let instances = settings.instances.max(1);
        Ok(RequestLimits {
            caller: RateLimiter::dashmap(quota(settings.caller, instances)?).with_middleware(),
            workspace: RateLimiter::dashmap(quota(settings.workspace, instances)?).with_middleware(),
            workspace_free: RateLimiter::dashmap(quota(
                settings.workspace,
                instances * plans::limits(Plan::Free).api_rate_divisor,
            )?)
            .with_middleware(),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        })
    }

    /// Draws one request from the caller's and the workspace's buckets, or refuses with 429. The
    /// decision is kept on the request, so the headers go out with whatever the handler answers, and
    /// a second extractor on the same request does not count it twice.
    pub fn admit(&self, request: &HttpRequest, principal: &Principal, plan: Plan) -> Result<(), ApiError> {
        self.admit_as(request, BucketKey::caller(principal), principal.scope().id(), plan)
    }

    /// `admit` for a caller that is not a principal (a widget visitor, a client address).
    pub fn admit_as(
        &self,
        request: &HttpRequest,
        caller: BucketKey,
        workspace: WorkspaceId,
        plan: Plan,
    ) -> Result<(), ApiError> {
        if let Some(decision) = request.extensions().get::<Decision>() {
            return match decision.retry_after_seconds {
                Some(retry_after_seconds) => Err(ApiError::RateLimited {
                    retry_after_seconds,
                    kind: "api_requests",
                }),
                None => Ok(()),
            };
        }
        let decision = self.check(caller, workspace, plan);
        request.extensions_mut().insert(decision);
        match decision.retry_after_seconds {
            Some(retry_after_seconds) => Err(ApiError::RateLimited {
                retry_after_seconds,
                kind: "api_requests",
            }),
            None => Ok(()),
        }
    }

    /// The caller's bucket first: a caller who spent their own bucket does not also drain the
    /// workspace's, which their colleagues share.
    pub fn check(&self, caller: BucketKey, workspace: WorkspaceId, plan: Plan) -> Decision {
        if self.checks.fetch_add(1, Ordering::Relaxed) % FORGET_EVERY == FORGET_EVERY - 1 {
            self.caller.retain_recent();
            self.workspace.retain_recent();
            self.workspace_free.retain_recent();
        }
        let caller = self.draw(&self.caller, &caller);
        if caller.retry_after_seconds.is_some() {
            return caller;
        }
        let workspace = self.draw(self.workspace_limiter(plan), &BucketKey::Workspace(workspace));
        if workspace.retry_after_seconds.is_some() || workspace.remaining < caller.remaining {
            workspace
        } else {
            caller
        }
    }

    /// Each plan's workspace bucket (`workspaces::plans::limits`).
    fn workspace_limiter(&self, plan: Plan) -> &Limiter {
        match plan {
            Plan::Free => &self.workspace_free,
            Plan::Pro => &self.workspace,
        }
    }

    fn draw(&self, limiter: &Limiter, key: &BucketKey) -> Decision {
        match limiter.check_key(key) {
            Ok(snapshot) => {
                let quota = snapshot.quota();
                let limit = quota.burst_size().get();
                let remaining = snapshot.remaining_burst_capacity();
                Decision {
                    limit,
                    remaining,
                    reset_seconds: whole_seconds(quota.replenish_interval() * (limit - remaining.min(limit))),
                    retry_after_seconds: None,
                }
            }
            Err(refusal) => {
                let quota = refusal.quota();
                let wait = refusal.wait_time_from(self.clock.now());
                Decision {
                    limit: quota.burst_size().get(),
                    remaining: 0,
                    reset_seconds: whole_seconds(quota.burst_size_replenished_in()),
                    retry_after_seconds: Some(whole_seconds(wait).max(1)),
                }
            }
        }
    }
}

/// `per_minute` requests a minute, at most `burst` at once; each divided by the instances.
fn quota(size: BucketSize, instances: u32) -> anyhow::Result<Quota> {
    let share = |value: u32| NonZeroU32::new((value / instances).max(1)).unwrap_or(NonZeroU32::MIN);
    let per_minute = share(size.per_minute);
    let interval = Duration::from_secs(60) / per_minute.get();
    Quota::with_period(interval)
        .map(|quota| quota.allow_burst(share(size.burst)))
        .ok_or_else(|| anyhow::anyhow!("a request rate limit must allow at least one request a minute"))
}

fn whole_seconds(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

/// Writes the decision taken for this request, if any, as the IETF RateLimit header fields; wraps
/// the whole API, so errors answered after the caller was known carry them too.
pub async fn headers(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(request).await?;
    let decision = response.request().extensions().get::<Decision>().copied();
    if let Some(decision) = decision {
        let headers = response.headers_mut();
        for (name, value) in [
            (LIMIT_HEADER, u64::from(decision.limit)),
            (REMAINING_HEADER, u64::from(decision.remaining)),
            (RESET_HEADER, decision.reset_seconds),
        ] {
            headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(caller: BucketSize, workspace: BucketSize, instances: u32) -> RequestLimits {
        RequestLimits::new(&ApiRateLimitSettings {
            caller,
            workspace,
            instances,
        })
        .expect("valid sizes")
    }

    /// A bucket that refills one request a minute: nothing comes back while a test runs.
    fn slow(burst: u32) -> BucketSize {
        BucketSize { per_minute: 1, burst }
    }

    #[test]
    fn remaining_counts_down_then_refuses_with_a_wait() {
        let limits = limits(slow(3), slow(100), 1);
        let user = BucketKey::User(UserId(Uuid::now_v7()));
        let workspace = WorkspaceId(Uuid::now_v7());
        let seen: Vec<u32> = (0..3)
            .map(|_| limits.check(user, workspace, Plan::Pro).remaining)
            .collect();
        assert_eq!(seen, [2, 1, 0]);
        let refused = limits.check(user, workspace, Plan::Pro);
        assert_eq!(refused.limit, 3);
        assert!(refused.retry_after_seconds.is_some_and(|wait| (1..=60).contains(&wait)));
        assert!(
            refused.reset_seconds <= 180 && refused.reset_seconds >= 120,
            "{refused:?}"
        );
    }

    #[test]
    fn the_workspace_bucket_is_shared_and_reported_when_tighter() {
        let limits = limits(slow(10), slow(3), 1);
        let workspace = WorkspaceId(Uuid::now_v7());
        let ada = BucketKey::User(UserId(Uuid::now_v7()));
        let bob = BucketKey::User(UserId(Uuid::now_v7()));
        assert_eq!(
            limits.check(ada, workspace, Plan::Pro).limit,
            3,
            "the tighter bucket is the one shown"
        );
        limits.check(ada, workspace, Plan::Pro);
        assert_eq!(limits.check(bob, workspace, Plan::Pro).remaining, 0);
        assert!(limits.check(bob, workspace, Plan::Pro).retry_after_seconds.is_some());
        let elsewhere = limits.check(bob, WorkspaceId(Uuid::now_v7()), Plan::Pro);
        assert!(
            elsewhere.retry_after_seconds.is_none(),
            "another workspace has its own bucket"
        );
    }

    #[test]
    fn a_free_workspace_gets_a_tenth_of_the_workspace_bucket() {
        let limits = limits(slow(1000), slow(100), 1);
        let user = BucketKey::User(UserId(Uuid::now_v7()));
        let free = limits.check(user, WorkspaceId(Uuid::now_v7()), Plan::Free);
        let pro = limits.check(user, WorkspaceId(Uuid::now_v7()), Plan::Pro);
        assert_eq!((free.limit, pro.limit), (10, 100));
        let workspace = WorkspaceId(Uuid::now_v7());
        let passed = (0..20)
            .filter(|_| limits.check(user, workspace, Plan::Free).retry_after_seconds.is_none())
            .count();
        assert_eq!(passed, 10);
    }

    #[test]
    fn each_instance_takes_its_share() {
        let limits = limits(slow(9), slow(100), 3);
        let decision = limits.check(
            BucketKey::ApiKey(Uuid::now_v7()),
            WorkspaceId(Uuid::now_v7()),
            Plan::Pro,
        );
        assert_eq!(decision.limit, 3);
        let tiny = limits_share(1, 4);
        assert_eq!(tiny, 1, "a share is never zero");
    }

    fn limits_share(burst: u32, instances: u32) -> u32 {
        limits(slow(burst), slow(burst), instances)
            .check(
                BucketKey::User(UserId(Uuid::now_v7())),
                WorkspaceId(Uuid::now_v7()),
                Plan::Pro,
            )
            .limit
    }

    /// The cost of the limit on every request (two keyed buckets), over many callers and workspaces:
    /// `cargo test -p ferrodesk --lib request_limit_overhead -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement, not a test"]
    #[allow(clippy::print_stdout)]
    fn request_limit_overhead() {
        let big = BucketSize {
            per_minute: 6_000_000,
            burst: 1_000_000,
        };
        let limits = limits(big, big, 1);
        let users: Vec<BucketKey> = (0..1000).map(|_| BucketKey::User(UserId(Uuid::now_v7()))).collect();
        let workspaces: Vec<WorkspaceId> = (0..100).map(|_| WorkspaceId(Uuid::now_v7())).collect();
        let rounds = 1_000_000;
        let started = std::time::Instant::now();
        for round in 0..rounds {
            let decision = limits.check(
                users[round % users.len()],
                workspaces[round % workspaces.len()],
                Plan::Pro,
            );
            std::hint::black_box(decision);
        }
        let per_request = started.elapsed().as_nanos() / rounds as u128;
        println!("request rate limit: {per_request} ns per request (two buckets, 1,000 callers, 100 workspaces)");
    }
}
