//! What a company's page loads: the loader (`/widget.js`), the iframe document (`/widget/{slug}`) and
//! its two assets. All are compiled into the binary (`crates/api/widget/`), so the self-hosted
//! server needs no files for them, and sent gzipped at the best level when the browser takes gzip.

use std::io::Write;
use std::sync::OnceLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

use crate::error::ApiResult;
use crate::state::AppState;

pub const LOADER: &str = include_str!("../../widget/widget.js");
const APP_JS: &str = include_str!("../../widget/app.js");
const APP_CSS: &str = include_str!("../../widget/app.css");
const FRAME_HTML: &str = include_str!("../../widget/frame.html");

/// A file served from memory, gzipped once on first use.
struct Embedded {
    text: &'static str,
    content_type: &'static str,
    gzipped: OnceLock<web::Bytes>,
}

impl Embedded {
    const fn new(text: &'static str, content_type: &'static str) -> Embedded {
        Embedded {
            text,
            content_type,
            gzipped: OnceLock::new(),
        }
    }

    fn respond(&self, request: &HttpRequest, cache: &'static str) -> HttpResponse {
        let mut response = HttpResponse::Ok();
        response
            .insert_header((header::CONTENT_TYPE, self.content_type))
            .insert_header((header::CACHE_CONTROL, cache))
            .insert_header((header::VARY, "Accept-Encoding"));
        if accepts_gzip(request) {
            let body = self.gzipped.get_or_init(|| gzip_best(self.text.as_bytes())).clone();
            response.insert_header((header::CONTENT_ENCODING, "gzip"));
            return response.body(body);
        }
        response.body(self.text)
    }
}

static LOADER_FILE: Embedded = Embedded::new(LOADER, "text/javascript; charset=utf-8");
static APP_JS_FILE: Embedded = Embedded::new(APP_JS, "text/javascript; charset=utf-8");
static APP_CSS_FILE: Embedded = Embedded::new(APP_CSS, "text/css; charset=utf-8");

fn accepts_gzip(request: &HttpRequest) -> bool {
    request
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|coding| coding.trim().starts_with("gzip")))
}

pub fn gzip_best(raw: &[u8]) -> web::Bytes {
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(raw.len() / 3), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(raw);
    web::Bytes::from(encoder.finish().unwrap_or_default())
}

/// The assets' version: their hash, so a deploy changes the iframe's asset URLs.
fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let digest = Sha256::new().chain_update(APP_JS).chain_update(APP_CSS).finalize();
        digest.iter().take(6).map(|byte| format!("{byte:02x}")).collect()
    })
}

/// The loader: short-cached, so a new version reaches every company's page within minutes.
pub async fn loader(request: HttpRequest) -> HttpResponse {
    let mut response = LOADER_FILE.respond(&request, "public, max-age=300");
    // Any site may load it with a `<script>` tag.
    response.headers_mut().insert(
        header::HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("cross-origin"),
    );
    response
}

/// The iframe's script and style, named by version: cached for a year.
pub async fn asset(request: HttpRequest, file: web::Path<String>) -> HttpResponse {
    let file = match file.as_str() {
        "app.js" => &APP_JS_FILE,
        "app.css" => &APP_CSS_FILE,
        _ => return HttpResponse::NotFound().finish(),
    };
    file.respond(&request, "public, max-age=31536000, immutable")
}

/// The iframe document for a workspace whose widget is on. Framed only by the workspace's allowed
/// origins (`frame-ancestors`, which replaces the app's `'none'`); anything else is a plain 404 page.
pub async fn document(
    state: web::Data<AppState>,
    request: HttpRequest,
    slug: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let not_found = || {
        HttpResponse::NotFound()
            .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
            .body("This help widget is not available.")
    };
    let Some(super::Enabled {
        workspace, settings, ..
    }) = super::enabled(&state, &slug).await?
    else {
        return Ok(not_found());
    };
    let origins = super::allowed_origins(&settings);
    let origins_json = serde_json::to_string(&origins).map_err(anyhow::Error::from)?;
    let html = FRAME_HTML
        .replace("{{slug}}", &escape(&workspace.slug))
        .replace("{{origins}}", &escape(&origins_json))
        .replace("{{version}}", version());
    let ancestors = if origins.is_empty() {
        "'none'".to_owned()
    } else {
        origins.join(" ")
    };
    let info = request.connection_info();
    let host = info.host();
    let policy = format!(
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
         connect-src 'self' ws://{host} wss://{host}; base-uri 'none'; form-action 'none'; \
         frame-ancestors {ancestors}"
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, policy))
        .body(html))
}

fn escape(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The loader goes on every page of a company's site: it must stay small.
    #[test]
    fn the_loader_is_under_5_kb_gzipped() {
        let size = gzip_best(LOADER.as_bytes()).len();
        assert!(size < 5 * 1024, "widget.js is {size} bytes gzipped; the budget is 5 KB");
    }

    #[test]
    fn the_iframe_is_small() {
        let size = gzip_best(APP_JS.as_bytes()).len()
            + gzip_best(APP_CSS.as_bytes()).len()
            + gzip_best(FRAME_HTML.as_bytes()).len();
        assert!(
            size < 200 * 1024,
            "the iframe is {size} bytes gzipped; the budget is 200 KB"
        );
    }

    #[test]
    fn the_frame_template_has_its_placeholders_and_no_inline_script() {
        for placeholder in ["{{slug}}", "{{origins}}", "{{version}}"] {
            assert!(FRAME_HTML.contains(placeholder), "frame.html lacks {placeholder}");
        }
        assert!(
            !FRAME_HTML.contains("<script>"),
            "frame.html must not have inline scripts (CSP)"
        );
        assert_eq!(escape(r#"["<a>"]"#), "[&quot;&lt;a&gt;&quot;]");
    }
}
