//! Twilio's request signature (`X-Twilio-Signature`): base64 of HMAC-SHA1, keyed with
//! the auth token, over the full URL followed by every POST parameter's name and value,
//! sorted by name.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::hmac;

/// Checks (and, for tests and tools, makes) signatures with one auth token.
pub struct RequestValidator {
    key: hmac::Key,
}

impl RequestValidator {
    pub fn new(auth_token: &str) -> Self {
        Self { key: hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, auth_token.as_bytes()) }
    }

    /// The signature Twilio sends for a POST of `params` to `url`.
    pub fn signature(&self, url: &str, params: &[(String, String)]) -> String {
        STANDARD.encode(hmac::sign(&self.key, &signed_bytes(url, params)))
    }

    /// Whether `signature` is Twilio's for this request, compared in constant time. As
    /// Twilio's own validators do, the URL counts with and without its port, since
    /// Twilio may sign `https://host:443/...` for `https://host/...` and back.
    pub fn is_valid(&self, url: &str, params: &[(String, String)], signature: &str) -> bool {
        let Ok(signature) = STANDARD.decode(signature.trim()) else { return false };
        [without_port(url), with_port(url)]
            .iter()
            .any(|url| hmac::verify(&self.key, &signed_bytes(url, params), &signature).is_ok())
    }
}

fn signed_bytes(url: &str, params: &[(String, String)]) -> Vec<u8> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut bytes = url.as_bytes().to_vec();
    for (name, value) in sorted {
        bytes.extend_from_slice(name.as_bytes());
        bytes.extend_from_slice(value.as_bytes());
    }
    bytes
}

/// `(scheme://, host, :port, rest)`; `None` for something that is not an absolute URL.
fn split(url: &str) -> Option<(&str, &str, Option<&str>, &str)> {
    let scheme_end = url.find("://")? + 3;
    let (scheme, after) = url.split_at(scheme_end);
    let authority_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(authority_end);
    let host_start = authority.rfind('@').map_or(0, |at| at + 1);
    match authority[host_start..].rfind(':') {
        Some(colon)
            if !authority[host_start + colon + 1..].is_empty()
                && authority[host_start + colon + 1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            let colon = host_start + colon;
            Some((scheme, &authority[..colon], Some(&authority[colon..]), rest))
        }
        _ => Some((scheme, authority, None, rest)),
    }
}

fn without_port(url: &str) -> String {
    match split(url) {
        Some((scheme, host, _, rest)) => format!("{scheme}{host}{rest}"),
        None => url.to_owned(),
    }
}

fn with_port(url: &str) -> String {
    match split(url) {
        Some((scheme, host, None, rest)) => {
            let port = if scheme == "https://" { ":443" } else { ":80" };
            format!("{scheme}{host}{port}{rest}")
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests;
