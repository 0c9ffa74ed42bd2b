//! How the contract's enums are stored. `ferrodesk_shared` stays free of sea-orm, so each enum a
//! column holds has a sea-orm twin here: the same variants, stored as the same snake_case strings
//! `as_str()` gives (so no row changes), converted both ways by exhaustive matches.

use ferrodesk_shared::Role;
use ferrodesk_shared::ai::CategorySource;
use ferrodesk_shared::csat::Rating;
use ferrodesk_shared::notifications::NotificationKind;
use ferrodesk_shared::sla::{BreachAction, BreachKind};
use ferrodesk_shared::tickets::{Priority, TicketStatus};
use ferrodesk_shared::webhooks::DeliveryStatus;
use ferrodesk_shared::widget::WidgetPosition;
use ferrodesk_shared::workspaces::Plan;
use sea_orm::entity::prelude::*;

/// Declares `$stored`, the column type of the contract enum `$shared`, with `From` both ways. A
/// variant added to `$shared` fails to compile here until it is added to the list.
macro_rules! stored_enum {
    ($(#[$meta:meta])* $stored:ident <=> $shared:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
        pub enum $stored {
            $($variant),+
        }

        impl From<$shared> for $stored {
            fn from(value: $shared) -> Self {
                match value {
                    $($shared::$variant => $stored::$variant),+
                }
            }
        }

        impl From<$stored> for $shared {
            fn from(value: $stored) -> Self {
                match value {
                    $($stored::$variant => $shared::$variant),+
                }
            }
        }
    };
}

stored_enum! {
    /// `users.role`, `invitations.role`.
    StoredRole <=> Role { Customer, Agent, Supervisor, Owner }
}

stored_enum! {
    /// `workspaces.plan`.
    StoredPlan <=> Plan { Free, Pro }
}

stored_enum! {
    /// `sla_breaches.kind`.
    StoredBreachKind <=> BreachKind { FirstResponse, Resolution }
}

stored_enum! {
    /// `sla_breaches.action`.
    StoredBreachAction <=> BreachAction { Assigned, Escalated }
}

stored_enum! {
    /// `tickets.status`.
    StoredStatus <=> TicketStatus { New, Open, Pending, Solved, Closed }
}

stored_enum! {
    /// `tickets.priority`, `sla_policies.priority`.
    StoredPriority <=> Priority { Low, Normal, High, Urgent }
}

stored_enum! {
    /// `tickets.category_source`: who set the category.
    StoredCategorySource <=> CategorySource { Ai, Agent }
}

stored_enum! {
    /// `notifications.kind`.
    StoredNotificationKind <=> NotificationKind { TicketCreated, TicketAssigned, CustomerReplied, TicketEscalated, WebhookDisabled }
}

stored_enum! {
    /// `csat_surveys.rating`.
    StoredRating <=> Rating { Good, Bad }
}

stored_enum! {
    /// `webhook_deliveries.status`.
    StoredDeliveryStatus <=> DeliveryStatus { Pending, Delivered, Failed }
}

#[cfg(test)]
mod tests {
    use sea_orm::Iterable;

    use super::*;

    /// Each twin stores exactly the string the contract names its value by, which is what the rows
    /// written before the twins existed hold.
    fn stores_the_contract_names<S, T>(name: fn(&T) -> String)
    where
        S: ActiveEnum<Value = String> + Iterable + Copy + Into<T>,
    {
        for stored in S::iter() {
            assert_eq!(stored.to_value(), name(&stored.into()));
        }
    }

    fn serde_name<T: serde::Serialize>(value: &T) -> String {
        serde_json::to_value(value)
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    #[test]
    fn twins_store_the_contract_names() {
        stores_the_contract_names::<StoredRole, Role>(|role| role.as_str().to_owned());
        stores_the_contract_names::<StoredPlan, Plan>(|plan| plan.as_str().to_owned());
        stores_the_contract_names::<StoredNotificationKind, NotificationKind>(|kind| kind.as_str().to_owned());
        stores_the_contract_names::<StoredDeliveryStatus, DeliveryStatus>(|status| status.as_str().to_owned());
        stores_the_contract_names::<StoredStatus, TicketStatus>(|status| status.as_str().to_owned());
        stores_the_contract_names::<StoredPriority, Priority>(|priority| priority.as_str().to_owned());
        stores_the_contract_names::<StoredRating, Rating>(|rating| rating.as_str().to_owned());
        stores_the_contract_names::<StoredCategorySource, CategorySource>(serde_name);
        // The breach enums have no `as_str`; the strings stored were their serde names.
        stores_the_contract_names::<StoredBreachKind, BreachKind>(serde_name);
        stores_the_contract_names::<StoredBreachAction, BreachAction>(serde_name);
    }
}

stored_enum! {
    /// `widget_settings.position`.
    StoredWidgetPosition <=> WidgetPosition { BottomRight, BottomLeft }
}
