//! The OpenAPI document as other people's tools read it: unique, meaningful operation ids (a
//! generator names functions after them and silently drops clashes), every `$ref` defined, both
//! security schemes declared, an operation open to keys naming the one scope a key needs (as an
//! alternative to a session), and every status an operation can answer documented with the error
//! body. The rules here restate what the code answers (see `error.rs`, `routes.rs`, `limits`), so
//! they fail when the document and the server drift apart. `scripts/contract` adds an outside
//! validator and a generated client.

use std::collections::{BTreeMap, BTreeSet};

use ferrodesk_shared::api_keys::ApiScope;
use serde_json::{Value, json};

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];
const RATE_LIMIT_HEADERS: [&str; 3] = ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"];
const API_KEY: &str = "api_key";

/// Every way `document` breaks the contract, one line each.
fn problems(document: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let version = document["openapi"].as_str().unwrap_or_default();
    if !version.starts_with("3.1.") {
        problems.push(format!("openapi is {version:?}, expected 3.1.x"));
    }
    dangling_refs(document, document, "#", &mut problems);

    let schemes = document["components"]["securitySchemes"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for scheme in ["session", "api_key"] {
        match schemes.get(scheme) {
            Some(found) if found["type"] == "http" && found["scheme"] == "bearer" => {}
            _ => problems.push(format!("security scheme {scheme} is not an http bearer scheme")),
        }
    }

    let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            let Some(operation) = item.get(method) else { continue };
            let name = format!("{} {path}", method.to_uppercase());
            operation_problems(&name, operation, &schemes, &mut problems);
            match operation["operationId"].as_str() {
                Some(id) => ids.entry(id.to_owned()).or_default().push(name),
                None => problems.push(format!("{name}: no operationId")),
            }
        }
    }
    for (id, operations) in ids {
        if operations.len() > 1 {
            problems.push(format!("operationId {id} is used by {}", operations.join(", ")));
        }
        let camel = id.starts_with(|c: char| c.is_ascii_lowercase())
            && id.chars().all(|c| c.is_ascii_alphanumeric())
            && id.chars().any(|c| c.is_ascii_uppercase());
        if !camel {
            problems.push(format!("operationId {id} is not a verbNoun in lowerCamelCase"));
        }
    }
    problems
}

fn operation_problems(
    name: &str,
    operation: &Value,
    schemes: &serde_json::Map<String, Value>,
    problems: &mut Vec<String>,
) {
    let security: Vec<&Value> = operation["security"].as_array().into_iter().flatten().collect();
    for requirement in &security {
        for (scheme, roles) in requirement.as_object().into_iter().flatten() {
            if !schemes.contains_key(scheme) {
                problems.push(format!("{name}: security names the undeclared scheme {scheme}"));
            }
            let roles: Vec<&str> = roles
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            match scheme.as_str() {
                "session" if !roles.is_empty() => problems.push(format!("{name}: session names roles {roles:?}")),
                // A key needs exactly one scope per operation (the extractor's type declares one),
                // and the description says which, for readers who do not look at `security`.
                API_KEY => match roles.as_slice() {
                    [scope] if ApiScope::ALL.iter().any(|known| known.as_str() == *scope) => {
                        let description = operation["description"].as_str().unwrap_or_default();
                        if !description.contains(&format!("`{scope}`")) {
                            problems.push(format!("{name}: the description does not name the scope {scope}"));
                        }
                    }
                    _ => problems.push(format!("{name}: api_key must name one known scope, not {roles:?}")),
                },
                _ => {}
            }
        }
    }
    // Keys are another way in to a person's operation, never the only one.
    let accepts = |scheme: &str| security.iter().any(|requirement| requirement.get(scheme).is_some());
    if accepts(API_KEY) && !accepts("session") {
        problems.push(format!("{name}: accepts api_key but not session"));
    }
    // Required credentials: an empty requirement `{}` among them makes them optional.
    let secured = !security.is_empty() && security.iter().all(|requirement| *requirement != &json!({}));
    let parameters: Vec<&Value> = operation["parameters"].as_array().into_iter().flatten().collect();
    let has_in = |place: &str| parameters.iter().any(|parameter| parameter["in"] == place);
    let has_body = operation.get("requestBody").is_some();

    // What the server can answer for an operation of this shape, whatever its handler does.
    let mut required: BTreeSet<&str> = BTreeSet::from(["500", "503"]);
    if has_body || has_in("query") {
        required.insert("400");
    }
    if has_body {
        required.extend(["408", "413", "415"]);
    }
    if has_in("path") {
        required.insert("404");
    }
    if secured {
        // 403: a role below the operation's, or a key (without the scope, or on a people-only one).
        required.extend(["401", "403", "429"]);
    }
    let responses = operation["responses"].as_object().cloned().unwrap_or_default();
    for status in required {
        if !responses.contains_key(status) {
            problems.push(format!("{name}: status {status} is not documented"));
        }
    }
    if !responses.keys().any(|status| status.starts_with('2')) {
        problems.push(format!("{name}: no success status"));
    }
    for (status, response) in &responses {
        if response["description"].as_str().unwrap_or_default().trim().is_empty() {
            problems.push(format!("{name}: {status} has no description"));
        }
        if status.starts_with('4') || status.starts_with('5') {
            let schema = &response["content"]["application/json"]["schema"]["$ref"];
            if schema != "#/components/schemas/ErrorBody" {
                problems.push(format!("{name}: {status} does not answer ErrorBody"));
            }
        }
        let headers = &response["headers"];
        if secured {
            for header in RATE_LIMIT_HEADERS {
                if headers.get(header).is_none() {
                    problems.push(format!("{name}: {status} lacks the {header} header"));
                }
            }
        }
        if (status == "429" || status == "503") && headers.get("Retry-After").is_none() {
            problems.push(format!("{name}: {status} lacks Retry-After"));
        }
    }
}

/// Each `$ref` must point at something in the document.
fn dangling_refs(root: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(target) = map.get("$ref").and_then(Value::as_str) {
                let found = target
                    .strip_prefix('#')
                    .and_then(|pointer| root.pointer(pointer))
                    .is_some();
                if !found {
                    problems.push(format!("{at}: $ref {target} is not defined"));
                }
            }
            for (key, child) in map {
                dangling_refs(root, child, &format!("{at}/{key}"), problems);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                dangling_refs(root, child, &format!("{at}/{index}"), problems);
            }
        }
        _ => {}
    }
}

#[test]
fn the_document_keeps_the_contract() {
    let document: Value = serde_json::from_str(&ferrodesk::openapi::document_json()).unwrap();
    let found = problems(&document);
    assert!(
        found.is_empty(),
        "the OpenAPI document breaks the contract:\n{}",
        found.join("\n")
    );
    // The inbox is in it, with the schemas its query names (a generator dropped it once).
    let inbox = &document["paths"]["/api/v1/tickets"]["get"];
    assert_eq!(inbox["operationId"], "listTickets");
    for schema in ["InboxView", "TicketSort", "ErrorBody", "ErrorCode"] {
        assert!(
            document["components"]["schemas"].get(schema).is_some(),
            "{schema} is defined"
        );
    }
    let public = &document["paths"]["/api/v1/workspaces/{slug}"]["get"];
    assert!(
        public.get("security").is_none(),
        "a public endpoint asks for no credentials"
    );
    assert_eq!(
        inbox["security"],
        json!([{ "session": [] }, { "api_key": ["tickets:read"] }])
    );
    let keys = &document["paths"]["/api/v1/api-keys"]["post"];
    assert_eq!(keys["security"], json!([{ "session": [] }]), "keys cannot make keys");
}

/// The checker finds what it claims to find: a clash, a dangling reference, a forgotten status.
#[test]
fn the_contract_check_catches_a_broken_document() {
    let error = json!({ "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } });
    let limited = json!({ "description": "x", "content": error["application/json"].clone() });
    let broken = json!({
        "openapi": "3.1.0",
        "components": {
            "schemas": { "ErrorBody": { "type": "object" } },
            "securitySchemes": { "session": { "type": "http", "scheme": "bearer" } },
        },
        "paths": {
            "/a": { "get": {
                "operationId": "list",
                "responses": {
                    "200": { "description": "ok", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/InboxView" } } } },
                    "500": { "description": "x", "content": error }, "503": limited,
                },
            } },
            "/b/{id}": { "get": {
                "operationId": "list",
                "parameters": [{ "name": "id", "in": "path" }],
                "security": [{ "session": [] }],
                "responses": { "200": { "description": "" } },
            } },
            "/c": { "get": {
                "operationId": "listCs",
                "description": "API keys: needs `tickets:read`.",
                "security": [{ "api_key": ["tickets:write"] }],
                "responses": { "200": { "description": "ok" } },
            } },
            "/d": { "get": {
                "operationId": "listDs",
                "security": [{ "session": ["owner"] }, { "api_key": ["tickets:read", "users:read"] }],
                "responses": { "200": { "description": "ok" } },
            } },
        },
    });
    let found = problems(&broken).join("\n");
    for expected in [
        "security scheme api_key",
        "$ref #/components/schemas/InboxView is not defined",
        "operationId list is used by GET /a, GET /b/{id}",
        "operationId list is not a verbNoun",
        "GET /a: 503 lacks Retry-After",
        "GET /b/{id}: status 404 is not documented",
        "GET /b/{id}: status 401 is not documented",
        "GET /b/{id}: status 429 is not documented",
        "GET /b/{id}: 200 has no description",
        "GET /b/{id}: 200 lacks the RateLimit-Remaining header",
        "GET /b/{id}: status 403 is not documented",
        "GET /c: the description does not name the scope tickets:write",
        "GET /c: accepts api_key but not session",
        "GET /d: session names roles",
        "GET /d: api_key must name one known scope",
    ] {
        assert!(found.contains(expected), "expected {expected:?} among:\n{found}");
    }
}
