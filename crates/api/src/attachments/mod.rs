//! Attachments: files on replies, notes and customers' messages. Uploaded first (the type read from
//! the bytes, size and hourly count checked, the bytes kept in `store`: a folder under the data
//! folder, or an S3-compatible store), then tied to the message that is sent with their ids, in the
//! message's transaction. Read back only by those who may see that message.

pub mod domain;
pub mod handlers;
pub mod jobs;
pub mod links;
pub mod repo;
pub mod service;
pub mod store;

use actix_web::web;

use crate::config::AttachmentSettings;
use crate::routes::resource;

pub fn routes(config: &mut web::ServiceConfig, settings: &AttachmentSettings) {
    config
        .service(
            resource("/attachments")
                // One byte over the limit is enough to know it is too large.
                .app_data(web::PayloadConfig::new(settings.max_bytes + 1))
                .post(handlers::upload),
        )
        .service(resource("/attachments/{id}").get(handlers::download))
        .service(resource("/attachments/{id}/signed").get(handlers::download_signed));
}
