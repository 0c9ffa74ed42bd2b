//! Outbound HTTP to addresses people type in (the AI provider, webhook endpoints): where it may
//! connect is checked twice, the URL when it is saved and every address its host resolves to when
//! a request is made, so a public name that resolves to a private or metadata address is refused
//! too. Redirects are never followed (a 3xx is an answer, not a new destination).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// A client whose connections pass the guard, with a connect timeout and a whole-request timeout.
pub fn guarded_client(
    allow_local: bool,
    connect_timeout: Duration,
    timeout: Duration,
) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(connect_timeout.min(timeout))
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(GuardedResolver { allow_local }))
        .user_agent(concat!("ferrodesk/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// Why a URL's host may not be reached, if it may not: a forbidden address literal or name.
pub fn forbidden_host(url: &Url, allow_local: bool) -> Option<String> {
    match url.host() {
        None => Some("must name a host".to_owned()),
        Some(Host::Ipv4(ip)) => forbidden_ip(IpAddr::V4(ip), allow_local),
        Some(Host::Ipv6(ip)) => forbidden_ip(IpAddr::V6(ip), allow_local),
        Some(Host::Domain(name)) => forbidden_name(name, allow_local),
    }
}

pub fn forbidden_name(name: &str, allow_local: bool) -> Option<String> {
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

/// Resolves with the system and drops every address that may not be reached.
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
                return Err(format!("{host} resolves to no address we may connect to").into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// reqwest's errors name the URL; keep it out of what people read.
pub fn without_url(error: &reqwest::Error) -> String {
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
    fn addresses() {
        let ip = |raw: &str| raw.parse::<IpAddr>().expect("an address");
        assert!(forbidden_ip(ip("127.0.0.1"), false).is_some());
        assert!(forbidden_ip(ip("127.0.0.1"), true).is_none());
        assert!(forbidden_ip(ip("10.0.0.1"), false).is_some());
        assert!(forbidden_ip(ip("100.64.0.1"), false).is_some());
        assert!(forbidden_ip(ip("169.254.169.254"), true).is_some());
        assert!(forbidden_ip(ip("::ffff:169.254.169.254"), true).is_some());
        assert!(forbidden_ip(ip("fd00::1"), false).is_some());
        assert!(forbidden_ip(ip("93.184.216.34"), false).is_none());
        assert!(forbidden_name("localhost", false).is_some());
        assert!(forbidden_name("metadata.google.internal", true).is_some());
        assert!(forbidden_name("example.com", false).is_none());
    }
}
