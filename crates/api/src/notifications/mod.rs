//! In-app notifications: stored per user in the transaction of the change that causes them, pushed
//! live as `notification.created`, listed unread first, and marked read one by one or all at once.

pub mod handlers;
pub mod repo;
pub mod service;

use actix_web::web;

use crate::routes::resource;

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(resource("/notifications").get(handlers::list))
        .service(resource("/notifications/unread-count").get(handlers::unread_count))
        .service(resource("/notifications/read-all").post(handlers::read_all))
        .service(resource("/notifications/{id}/read").post(handlers::read));
}
