//! The OpenAI-compatible chat-completions provider (OpenAI, Ollama, vLLM, llama.cpp server): one
//! POST to `{base_url}/chat/completions`. Where it may connect is checked twice: the URL when an
//! owner saves it, and every address its host resolves to when a request is made (so a public name
//! that resolves to a private or metadata address is refused too). Redirects are not followed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ferrodesk_ai::{AiError, ChatFuture, ChatMessage, ChatModel};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde::Deserialize;
use serde_json::json;
use url::{Host, Url};

/// The HTTP client every provider request goes through.
pub fn client(allow_local: bool, timeout: Duration) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(GuardedResolver { allow_local }))
        .user_agent(concat!("ferrodesk/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// Checks an owner's base URL: https (http only where the operator allows local providers), a host,
/// no credentials, query or fragment, and no forbidden address literal.
pub fn validate_base_url(raw: &str, allow_local: bool) -> Result<Url, String> {
    let raw = raw.trim();
    if raw.len() > 300 {
        return Err("must be at most 300 characters".to_owned());
    }
    let url = Url::parse(raw).map_err(|_| "must be a URL like https://api.openai.com/v1".to_owned())?;
    match url.scheme() {
        "https" => {}
        "http" if allow_local => {}
        "http" => return Err("must use https".to_owned()),
        _ => return Err("must be an http(s) URL".to_owned()),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain credentials; put the key in the API key field".to_owned());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment".to_owned());
    }
    let forbidden = match url.host() {
        None => return Err("must name a host".to_owned()),
        Some(Host::Ipv4(ip)) => forbidden_ip(IpAddr::V4(ip), allow_local),
        Some(Host::Ipv6(ip)) => forbidden_ip(IpAddr::V6(ip), allow_local),
        Some(Host::Domain(name)) => forbidden_name(name, allow_local),
    };
    match forbidden {
        Some(reason) => Err(reason),
        None => Ok(url),
    }
}

fn forbidden_name(name: &str, allow_local: bool) -> Option<String> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name == "metadata.google.internal" || name == "metadata" || name.ends_with(".metadata.google.internal") {
        return Some("must not point at a cloud metadata service".to_owned());
    }
    let local =
        name == "localhost" || name.ends_with(".localhost") || name.ends_with(".internal") || name.ends_with(".local");
    (local && !allow_local).then(|| "must be a public address".to_owned())
}

/// Why an address may not be reached, if it may not.
pub fn forbidden_ip(ip: IpAddr, allow_local: bool) -> Option<String> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    let (always, local) = match ip {
        IpAddr::V4(v4) => (
            v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4 == Ipv4Addr::new(100, 100, 100, 200),
            v4.is_loopback() || v4.is_private() || is_shared_v4(v4) || v4.is_documentation(),
        ),
        IpAddr::V6(v6) => (
            is_link_local_v6(v6)
                || v6.is_unspecified()
                || v6.is_multicast()
                || v6 == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254),
            v6.is_loopback() || is_unique_local_v6(v6),
        ),
    };
    if always {
        Some("must not point at a link-local or cloud metadata address".to_owned())
    } else if local && !allow_local {
        Some("must be a public address".to_owned())
    } else {
        None
    }
}

fn is_shared_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    a == 100 && (64..128).contains(&b)
}

fn is_link_local_v6(ip: Ipv6Addr) -> bool {
    (ip.segments()[0] & 0xffc0) == 0xfe80
}

fn is_unique_local_v6(ip: Ipv6Addr) -> bool {
    (ip.segments()[0] & 0xfe00) == 0xfc00
}

/// Resolves with the system and drops every address a provider may not be reached at.
struct GuardedResolver {
    allow_local: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_local = self.allow_local;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            if let Some(reason) = forbidden_name(&host, allow_local) {
                return Err(format!("{host} {reason}").into());
            }
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| forbidden_ip(addr.ip(), allow_local).is_none())
                .collect();
            if allowed.is_empty() {
                return Err(format!("{host} resolves to no address a provider may have").into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// One workspace's provider.
pub struct OpenAiCompatible {
    client: reqwest::Client,
    endpoint: Url,
    model: String,
    api_key: Option<String>,
    label: String,
}

impl OpenAiCompatible {
    pub fn new(client: reqwest::Client, base_url: &Url, model: &str, api_key: Option<String>) -> OpenAiCompatible {
        let mut endpoint = base_url.clone();
        let path = format!("{}/chat/completions", endpoint.path().trim_end_matches('/'));
        endpoint.set_path(&path);
        OpenAiCompatible {
            client,
            endpoint,
            model: model.to_owned(),
            api_key: api_key.filter(|key| !key.is_empty()),
            label: model.to_owned(),
        }
    }
}

#[derive(Deserialize)]
struct Completion {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: AssistantMessage,
}

#[derive(Deserialize)]
struct AssistantMessage {
    content: Option<String>,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    message: String,
}

impl ChatModel for OpenAiCompatible {
    fn name(&self) -> &str {
        &self.label
    }

    fn complete<'a>(&'a self, messages: &'a [ChatMessage]) -> ChatFuture<'a> {
        Box::pin(async move {
            let body = json!({
                "model": self.model,
                "messages": messages,
                "temperature": 0.2,
                "max_tokens": 700,
                "stream": false,
            });
            let mut request = self.client.post(self.endpoint.clone()).json(&body);
            if let Some(key) = &self.api_key {
                request = request.bearer_auth(key);
            }
            let response = request.send().await.map_err(|error| {
                AiError::Chat(if error.is_timeout() {
                    "the provider did not answer in time".to_owned()
                } else {
                    format!("cannot reach the provider: {}", without_url(&error))
                })
            })?;
            let status = response.status();
            let text = response.text().await.map_err(|error| {
                AiError::Chat(format!("reading the provider's answer failed: {}", without_url(&error)))
            })?;
            if !status.is_success() {
                let detail = serde_json::from_str::<ErrorEnvelope>(&text)
                    .map(|envelope| envelope.error.message)
                    .unwrap_or_default();
                let what = match status.as_u16() {
                    401 | 403 => "the provider refused the API key",
                    404 => "the provider does not know this model or path",
                    429 => "the provider is rate limiting or out of quota",
                    500..=599 => "the provider failed",
                    _ => "the provider refused the request",
                };
                let detail: String = detail.chars().take(200).collect();
                return Err(AiError::Chat(if detail.is_empty() {
                    format!("{what} ({status})")
                } else {
                    format!("{what} ({status}): {detail}")
                }));
            }
            let completion: Completion = serde_json::from_str(&text)
                .map_err(|_| AiError::Chat("the provider's answer is not a chat completion".to_owned()))?;
            completion
                .choices
                .into_iter()
                .next()
                .and_then(|choice| choice.message.content)
                .map(|content| content.trim().to_owned())
                .filter(|content| !content.is_empty())
                .ok_or_else(|| AiError::Chat("the provider's answer was empty".to_owned()))
        })
    }
}

/// reqwest's errors name the URL; keep it out of what agents read.
fn without_url(error: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(error);
    let mut deepest = None;
    while let Some(current) = source {
        deepest = Some(current.to_string());
        source = current.source();
    }
    deepest.unwrap_or_else(|| "connection failed".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let ok = |raw: &str, local: bool| validate_base_url(raw, local).map(|url| url.to_string());
        assert_eq!(
            ok("https://api.openai.com/v1", false).as_deref(),
            Ok("https://api.openai.com/v1")
        );
        assert!(ok("http://api.openai.com/v1", false).is_err(), "https only");
        assert!(
            ok("http://localhost:11434/v1", true).is_ok(),
            "Ollama when the operator allows it"
        );
        assert!(ok("https://localhost:11434/v1", false).is_err());
        assert!(ok("https://127.0.0.1/v1", false).is_err());
        assert!(ok("https://10.1.2.3/v1", false).is_err());
        assert!(ok("https://192.168.1.9/v1", true).is_ok());
        for metadata in [
            "http://169.254.169.254/latest",
            "https://[fe80::1]/v1",
            "https://[::ffff:169.254.169.254]/v1",
            "https://metadata.google.internal/v1",
            "https://[fd00:ec2::254]/v1",
            "https://0.0.0.0/v1",
        ] {
            assert!(
                ok(metadata, true).is_err(),
                "{metadata} is refused even for local operators"
            );
        }
        assert!(ok("ftp://example.com", true).is_err());
        assert!(ok("https://user:pw@example.com/v1", false).is_err());
        assert!(ok("https://example.com/v1?x=1", false).is_err());
        assert!(ok("not a url", false).is_err());
    }

    #[test]
    fn endpoint_appends_the_path() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::new();
        for (base, expected) in [
            (
                "https://api.openai.com/v1",
                "https://api.openai.com/v1/chat/completions",
            ),
            (
                "https://api.openai.com/v1/",
                "https://api.openai.com/v1/chat/completions",
            ),
            ("http://127.0.0.1:8000", "http://127.0.0.1:8000/chat/completions"),
        ] {
            let url = Url::parse(base).expect("a url");
            assert_eq!(
                OpenAiCompatible::new(client.clone(), &url, "m", None).endpoint.as_str(),
                expected
            );
        }
    }
}
