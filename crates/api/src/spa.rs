//! Serves the web app: the files Trunk built, and `index.html` for every other path so that the
//! client-side router can take a reloaded or shared URL (`/inbox/...`). Mounted after the API.

use std::path::{Path, PathBuf};

use actix_files::{Files, NamedFile};
use actix_web::dev::{ServiceRequest, ServiceResponse, fn_service};
use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpResponse, web};

pub fn configure(config: &mut web::ServiceConfig, dir: &Path) {
    let index = dir.join("index.html");
    if !index.is_file() {
        tracing::warn!(dir = %dir.display(), "the web app is not built here; `/` shows how to build it");
        config.default_service(web::to(not_built));
        return;
    }
    let fallback_index = index.clone();
    config.service(
        Files::new("/", dir)
            .index_file("index.html")
            .use_etag(true)
            .default_handler(fn_service(move |request: ServiceRequest| {
                let index = fallback_index.clone();
                async move { serve_index(request, &index).await }
            })),
    );
}

async fn serve_index(request: ServiceRequest, index: &PathBuf) -> Result<ServiceResponse, actix_web::Error> {
    let (request, _) = request.into_parts();
    let mut response = NamedFile::open(index)?.into_response(&request);
    // The page names hashed asset files: it must be revalidated, the assets need not be.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        CacheControl(vec![CacheDirective::NoCache])
            .to_string()
            .parse()
            .map_err(actix_web::error::ErrorInternalServerError)?,
    );
    Ok(ServiceResponse::new(request, response))
}

async fn not_built() -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .content_type("text/html; charset=utf-8")
        .body(
            "<!doctype html><title>Ferrodesk</title><h1>Ferrodesk is running</h1>\
             <p>The web app has not been built. Run <code>bash scripts/run</code> from the repository, \
             or set <code>FERRODESK_WEB_DIR</code> to a built copy. The API answers under \
             <a href=\"/api/docs/\">/api/docs</a>.</p>",
        )
}
