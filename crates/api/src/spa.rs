//! Serves the web app: the files Trunk built, and `index.html` for every other path so that the
//! client-side router can take a reloaded or shared URL (`/inbox/...`). Mounted after the API.
//! Hashed assets are cached for a year and sent gzipped at the highest level.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use actix_files::{Files, NamedFile};
use actix_web::dev::{ServiceRequest, ServiceResponse, fn_service};
use actix_web::http::header::{self, CacheControl, CacheDirective, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, guard, web};
use base64::Engine;
use sha2::{Digest, Sha256};

/// The built web app as found at start-up.
#[derive(Debug, Default)]
pub struct WebApp {
    dir: PathBuf,
    /// `None` when the app is not built there.
    index: Option<PathBuf>,
    /// `sha256-...` of each inline `<script>` in `index.html` (Trunk's loader), for the CSP.
    pub inline_script_hashes: Vec<String>,
    /// Files whose names carry a content hash (`app-0123abcd.js`): they never change.
    assets: Arc<HashMap<String, Asset>>,
}

#[derive(Debug)]
struct Asset {
    path: PathBuf,
    /// Made on the first request that accepts gzip, then kept.
    gzipped: OnceLock<web::Bytes>,
}

impl WebApp {
    pub fn load(dir: &Path) -> WebApp {
        let index = dir.join("index.html");
        if !index.is_file() {
            return WebApp {
                dir: dir.to_owned(),
                ..WebApp::default()
            };
        }
        let inline_script_hashes = match std::fs::read_to_string(&index) {
            Ok(html) => inline_script_hashes(&html),
            Err(error) => {
                tracing::warn!(%error, "cannot read the web app's index.html");
                Vec::new()
            }
        };
        let assets = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                is_hashed(&name).then(|| {
                    (
                        name,
                        Asset {
                            path: entry.path(),
                            gzipped: OnceLock::new(),
                        },
                    )
                })
            })
            .collect();
        let assets: Arc<HashMap<String, Asset>> = Arc::new(assets);
        // Compress in the background, so the first visitor does not wait for it (a debug build
        // takes seconds over the wasm); a request that comes first compresses for itself.
        let warm = assets.clone();
        std::thread::spawn(move || {
            for asset in warm.values() {
                if let Ok(bytes) = gzip_best(&asset.path) {
                    let _ = asset.gzipped.set(bytes);
                }
            }
        });
        WebApp {
            dir: dir.to_owned(),
            index: Some(index),
            inline_script_hashes,
            assets,
        }
    }
}

/// Trunk names built files `<name>-<hex hash>[_bg].<ext>`.
fn is_hashed(name: &str) -> bool {
    let Some((stem, _extension)) = name.rsplit_once('.') else {
        return false;
    };
    let Some((_, hash)) = stem.rsplit_once('-') else {
        return false;
    };
    let hash = hash.strip_suffix("_bg").unwrap_or(hash);
    hash.len() >= 8 && hash.bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// The CSP sources that allow exactly the inline scripts of `html` (computed at start-up, so a
/// rebuilt web app needs no code change).
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut hashes = Vec::new();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<script").map(|offset| from + offset) {
        let Some(open_end) = lower[start..].find('>').map(|offset| start + offset) else {
            break;
        };
        let Some(close) = lower[open_end..].find("</script").map(|offset| open_end + offset) else {
            break;
        };
        let tag = &lower[start..open_end];
        if !tag.contains(" src=") {
            let body = &html[open_end + 1..close];
            let digest = Sha256::digest(body.as_bytes());
            hashes.push(format!(
                "sha256-{}",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
        }
        from = close;
    }
    hashes
}

pub fn configure(config: &mut web::ServiceConfig, web_app: &WebApp) {
    config.route("/favicon.ico", web::get().to(favicon));
    let Some(index) = web_app.index.clone() else {
        tracing::warn!(dir = %web_app.dir.display(), "the web app is not built here; `/` shows how to build it");
        config.default_service(web::to(not_built));
        return;
    };
    let assets = web_app.assets.clone();
    let known = web_app.assets.clone();
    config.service(
        web::resource("/{file}")
            .guard(guard::fn_guard(move |context| {
                known.contains_key(context.head().uri.path().trim_start_matches('/'))
            }))
            .route(web::get().to(move |request: HttpRequest, file: web::Path<String>| {
                let assets = assets.clone();
                async move { serve_asset(&request, &assets, &file).await }
            })),
    );
    config.service(
        Files::new("/", &web_app.dir)
            .index_file("index.html")
            .use_etag(true)
            .default_handler(fn_service(move |request: ServiceRequest| {
                let index = index.clone();
                async move { serve_index(request, &index).await }
            })),
    );
}

fn immutable() -> HeaderValue {
    HeaderValue::from_static("public, max-age=31536000, immutable")
}

async fn serve_asset(
    request: &HttpRequest,
    assets: &HashMap<String, Asset>,
    file: &str,
) -> Result<HttpResponse, actix_web::Error> {
    let Some(asset) = assets.get(file) else {
        return Ok(HttpResponse::NotFound().finish());
    };
    let accepts_gzip = request
        .headers()
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| coding.split(';').next().is_some_and(|name| name.trim() == "gzip"));
    if !accepts_gzip {
        let mut response = NamedFile::open(&asset.path)?.into_response(request);
        response.headers_mut().insert(header::CACHE_CONTROL, immutable());
        return Ok(response);
    }
    let gzipped = match asset.gzipped.get() {
        Some(bytes) => bytes.clone(),
        None => {
            let path = asset.path.clone();
            let bytes = web::block(move || gzip_best(&path)).await??;
            // Two first requests at once may both compress; either result is right.
            asset.gzipped.get_or_init(|| bytes).clone()
        }
    };
    let content_type = actix_files::file_extension_to_mime(
        asset
            .path
            .extension()
            .and_then(|extension| extension.to_str())
            .unwrap_or_default(),
    );
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_ENCODING, "gzip"))
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header((header::CACHE_CONTROL, immutable()))
        .body(gzipped))
}

/// The middleware's on-the-fly gzip uses the fastest level; these files are compressed once, so
/// the smallest output is worth the time.
fn gzip_best(path: &Path) -> std::io::Result<web::Bytes> {
    let raw = std::fs::read(path)?;
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(raw.len() / 3), flate2::Compression::best());
    encoder.write_all(&raw)?;
    Ok(web::Bytes::from(encoder.finish()?))
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

/// A real icon (browsers ask for `/favicon.ico` whatever the page says), not the app's page.
async fn favicon() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/x-icon")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(&include_bytes!("../../web/favicon.ico")[..])
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunk_file_names_are_hashed() {
        assert!(is_hashed("ferrodesk-web-1a2b3c4d5e6f7a8b_bg.wasm"));
        assert!(is_hashed("ferrodesk-web-1a2b3c4d5e6f7a8b.js"));
        assert!(is_hashed("style-0123abcd.css"));
        assert!(!is_hashed("index.html"));
        assert!(!is_hashed("favicon.ico"));
        assert!(!is_hashed("ferrodesk-web.js"));
    }

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_are_not() {
        let html = "<script src=\"/a.js\"></script><SCRIPT type=\"module\">init()</SCRIPT>";
        let expected = format!(
            "sha256-{}",
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"init()"))
        );
        assert_eq!(inline_script_hashes(html), vec![expected]);
    }
}
