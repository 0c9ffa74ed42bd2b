use sea_orm::entity::prelude::*;

use crate::db::stored::StoredPlan;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workspaces")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub plan: StoredPlan,
    pub ticket_seq: i64,
    pub event_seq: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Billing (`billing::`): the Stripe customer made before the first Checkout, the subscription
    /// and its state as last read from Stripe, and the end of a failed payment's grace period.
    pub stripe_customer_id: Option<String>,
    pub stripe_subscription_id: Option<String>,
    pub billing_status: Option<String>,
    pub billing_period_end: Option<DateTimeUtc>,
    pub billing_cancel_at_period_end: bool,
    pub billing_grace_until: Option<DateTimeUtc>,
    /// The first public staff reply on an unassigned ticket assigns it to its sender.
    pub assign_on_reply: bool,
    /// Solved tickets offer their customer a satisfaction rating (`csat::`).
    pub csat_enabled: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
