//! The OpenAI-compatible chat-completions provider (OpenAI, Ollama, vLLM, llama.cpp server): one
//! POST to `{base_url}/chat/completions`. Where it may connect is checked by `net`'s guard: the URL
//! when an owner saves it, and every address its host resolves to when a request is made.
//! Redirects are not followed.

use std::time::Duration;

use ferrodesk_ai::{AiError, ChatFuture, ChatMessage, ChatModel};
use serde::Deserialize;
use serde_json::json;
use url::Url;

use crate::net::{self, without_url};

/// The HTTP client every provider request goes through (the guard of `net`).
pub fn client(allow_local: bool, timeout: Duration) -> anyhow::Result<reqwest::Client> {
    net::guarded_client(allow_local, Duration::from_secs(5), timeout)
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
    let forbidden = net::forbidden_host(&url, allow_local);
    match forbidden {
        Some(reason) => Err(reason),
        None => Ok(url),
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
