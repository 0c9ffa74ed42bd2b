//! What a subscription's state means for a workspace's plan: pure, so every case is a row in a table
//! test. The job feeds it the subscription as Stripe has it now (re-read, never taken from the
//! event), so the order events arrive in does not matter.

use chrono::{DateTime, Duration, Utc};
use ferrodesk_shared::workspaces::Plan;
use ferrodesk_stripe::{Status, Subscription};

/// The workspace's billing as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub plan: Plan,
    pub subscription: Option<String>,
    pub grace_until: Option<DateTime<Utc>>,
}

/// What to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Billed {
    pub plan: Plan,
    pub subscription: String,
    pub status: String,
    pub period_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    pub grace_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Apply(Billed),
    /// Nothing changes, and why (kept as the event's outcome).
    Ignore(&'static str),
}

/// Whether a subscription is still (or about to be) paid for.
fn is_live(status: &Status) -> bool {
    match status {
        Status::Active | Status::Trialing | Status::PastDue | Status::Unpaid | Status::Incomplete => true,
        Status::IncompleteExpired | Status::Canceled | Status::Paused | Status::Other(_) => false,
    }
}

/// The plan and billing state that `subscription` gives the workspace, at `now`. After a failed
/// payment (`past_due`, `unpaid`) Pro stays on until `grace` has passed since the failure was first
/// seen; then Free. A subscription that is not the workspace's current one changes nothing once it
/// has ended (an old cancelled one must not downgrade a new one).
pub fn decide(
    stored: &Stored,
    subscription: &Subscription,
    pro_price: &str,
    now: DateTime<Utc>,
    grace: Duration,
) -> Decision {
    let current = stored.subscription.as_deref();
    if current.is_some_and(|current| current != subscription.id) && !is_live(&subscription.status) {
        return Decision::Ignore("an older subscription");
    }
    if !subscription.prices.iter().any(|price| price == pro_price) {
        return Decision::Ignore("not the Pro price");
    }
    let (plan, grace_until) = match &subscription.status {
        Status::Active | Status::Trialing => (Plan::Pro, None),
        Status::PastDue | Status::Unpaid => {
            let until = stored.grace_until.unwrap_or(now + grace);
            (if now < until { Plan::Pro } else { Plan::Free }, Some(until))
        }
        Status::Canceled | Status::IncompleteExpired | Status::Paused => (Plan::Free, None),
        // The first payment is under way: nothing is paid for yet.
        Status::Incomplete => (stored.plan, stored.grace_until),
        Status::Other(_) => return Decision::Ignore("a status Ferrodesk does not know"),
    };
    Decision::Apply(Billed {
        plan,
        subscription: subscription.id.clone(),
        status: subscription.status.as_str().to_owned(),
        period_end: subscription
            .current_period_end
            .and_then(|end| DateTime::from_timestamp(end, 0)),
        cancel_at_period_end: subscription.cancel_at_period_end,
        grace_until,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRO: &str = "price_pro";

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + hours * 3600, 0).unwrap_or_default()
    }

    fn subscription(id: &str, status: Status, price: &str) -> Subscription {
        Subscription {
            id: id.to_owned(),
            customer: "cus_1".to_owned(),
            status,
            prices: vec![price.to_owned()],
            current_period_end: Some(1_802_592_000),
            cancel_at_period_end: false,
        }
    }

    fn stored(plan: Plan, subscription: Option<&str>, grace_until: Option<DateTime<Utc>>) -> Stored {
        Stored {
            plan,
            subscription: subscription.map(str::to_owned),
            grace_until,
        }
    }

    /// The plan and grace period a decision gives, or why it changes nothing.
    type Expected = Result<(Plan, Option<DateTime<Utc>>), &'static str>;

    #[test]
    fn each_status_gives_its_plan() {
        let week = Duration::days(7);
        let now = at(0);
        // (stored, subscription status, price) -> plan and grace, or ignored
        let cases: Vec<(Stored, Status, &str, Expected)> = vec![
            (
                stored(Plan::Free, None, None),
                Status::Active,
                PRO,
                Ok((Plan::Pro, None)),
            ),
            (
                stored(Plan::Free, None, None),
                Status::Trialing,
                PRO,
                Ok((Plan::Pro, None)),
            ),
            // A failed payment starts the grace period, and a later event keeps its start.
            (
                stored(Plan::Pro, Some("sub_1"), None),
                Status::PastDue,
                PRO,
                Ok((Plan::Pro, Some(now + week))),
            ),
            (
                stored(Plan::Pro, Some("sub_1"), Some(at(5))),
                Status::Unpaid,
                PRO,
                Ok((Plan::Pro, Some(at(5)))),
            ),
            // Once the grace period is over: Free, while still unpaid.
            (
                stored(Plan::Pro, Some("sub_1"), Some(at(0))),
                Status::PastDue,
                PRO,
                Ok((Plan::Free, Some(at(0)))),
            ),
            // Paid again: Pro, the grace period forgotten.
            (
                stored(Plan::Free, Some("sub_1"), Some(at(-1))),
                Status::Active,
                PRO,
                Ok((Plan::Pro, None)),
            ),
            (
                stored(Plan::Pro, Some("sub_1"), None),
                Status::Canceled,
                PRO,
                Ok((Plan::Free, None)),
            ),
            (
                stored(Plan::Pro, Some("sub_1"), None),
                Status::Paused,
                PRO,
                Ok((Plan::Free, None)),
            ),
            (
                stored(Plan::Free, None, None),
                Status::IncompleteExpired,
                PRO,
                Ok((Plan::Free, None)),
            ),
            // The first payment is under way: whatever the workspace had.
            (
                stored(Plan::Free, None, None),
                Status::Incomplete,
                PRO,
                Ok((Plan::Free, None)),
            ),
            (
                stored(Plan::Pro, None, None),
                Status::Incomplete,
                PRO,
                Ok((Plan::Pro, None)),
            ),
            (
                stored(Plan::Free, None, None),
                Status::Active,
                "price_other",
                Err("not the Pro price"),
            ),
            (
                stored(Plan::Pro, Some("sub_1"), None),
                Status::Other("new".into()),
                PRO,
                Err("a status Ferrodesk does not know"),
            ),
        ];
        for (before, status, price, expected) in cases {
            let decision = decide(&before, &subscription("sub_1", status.clone(), price), PRO, now, week);
            let got = match decision {
                Decision::Apply(billed) => {
                    assert_eq!(billed.status, status.as_str());
                    assert_eq!(billed.subscription, "sub_1");
                    Ok((billed.plan, billed.grace_until))
                }
                Decision::Ignore(why) => Err(why),
            };
            assert_eq!(got, expected, "{before:?} {status:?} {price}");
        }
    }

    #[test]
    fn an_ended_older_subscription_does_not_touch_the_current_one() {
        let week = Duration::days(7);
        let current = stored(Plan::Pro, Some("sub_new"), None);
        let old = subscription("sub_old", Status::Canceled, PRO);
        assert_eq!(
            decide(&current, &old, PRO, at(0), week),
            Decision::Ignore("an older subscription")
        );
        // A new live subscription replaces the stored one (subscribed again after cancelling).
        let renewed = subscription("sub_newer", Status::Active, PRO);
        let Decision::Apply(billed) = decide(&current, &renewed, PRO, at(0), week) else {
            panic!("applied");
        };
        assert_eq!((billed.plan, billed.subscription.as_str()), (Plan::Pro, "sub_newer"));
    }

    #[test]
    fn the_period_end_is_read_from_seconds() {
        let Decision::Apply(billed) = decide(
            &stored(Plan::Free, None, None),
            &subscription("sub_1", Status::Active, PRO),
            PRO,
            at(0),
            Duration::days(7),
        ) else {
            panic!("applied");
        };
        assert_eq!(billed.period_end.map(|end| end.timestamp()), Some(1_802_592_000));
    }
}
