//! The public keys a Supabase project signs access tokens with (ES256 or RS256), read
//! from its JWKS URL: fetched at start, cached by `kid`, and fetched again when a token
//! names a key not seen yet (a rotation), at most once a minute.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

/// The least time between two fetches.
const REFETCH_GAP: Duration = Duration::from_secs(60);
/// For one whole fetch.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// A published key and the one algorithm it verifies: a token must name that algorithm.
#[derive(Clone)]
pub struct PinnedKey {
    pub algorithm: Algorithm,
    pub key: DecodingKey,
}

pub struct Jwks {
    url: String,
    agent: ureq::Agent,
    keys: RwLock<HashMap<String, PinnedKey>>,
    /// When an unknown key last had the keys fetched.
    last_fetch: Mutex<Option<Instant>>,
}

impl Jwks {
    /// The keys at `url`; when they cannot be fetched now, none until a token asks again.
    pub fn fetch(url: &str) -> Self {
        let agent = ureq::Agent::config_builder().timeout_global(Some(FETCH_TIMEOUT)).build().into();
        let jwks = Self { url: url.to_owned(), agent, keys: RwLock::default(), last_fetch: Mutex::default() };
        match jwks.fetch_keys() {
            Ok(count) => log::info!("AUTH_JWKS_URL: {count} signing keys"),
            Err(e) => log::warn!("AUTH_JWKS_URL: cannot fetch the signing keys yet: {e}"),
        }
        jwks
    }

    pub fn key(&self, kid: &str) -> Option<PinnedKey> {
        self.keys.read().unwrap_or_else(PoisonError::into_inner).get(kid).cloned()
    }

    /// Fetches the keys again unless a token's unknown key did less than a minute ago
    /// (a stream of made-up `kid`s fetches once a minute); blocks.
    pub fn refetch_if_due(&self) -> Result<(), String> {
        {
            let mut last = self.last_fetch.lock().unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|at| at.elapsed() < REFETCH_GAP) {
                return Ok(());
            }
            *last = Some(Instant::now());
        }
        self.fetch_keys().map(|_| ())
    }

    fn fetch_keys(&self) -> Result<usize, String> {
        let body = self
            .agent
            .get(&self.url)
            .call()
            .and_then(|mut answer| answer.body_mut().read_to_string())
            .map_err(|e| e.to_string())?;
        let set: JwkSet = serde_json::from_str(&body).map_err(|e| format!("not a JWKS: {e}"))?;
        let keys: HashMap<String, PinnedKey> =
            set.keys.iter().filter_map(|jwk| Some((jwk.common.key_id.clone()?, pinned(jwk)?))).collect();
        let count = keys.len();
        *self.keys.write().unwrap_or_else(PoisonError::into_inner) = keys;
        Ok(count)
    }
}

/// The key with its algorithm: ES256 on a P-256 key or RS256 on an RSA key, as the key
/// says or as its type implies; anything else (symmetric keys above all) is left out.
fn pinned(jwk: &Jwk) -> Option<PinnedKey> {
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return None;
    }
    let algorithm = match (&jwk.algorithm, jwk.common.key_algorithm) {
        (AlgorithmParameters::EllipticCurve(ec), None | Some(KeyAlgorithm::ES256))
            if ec.curve == EllipticCurve::P256 =>
        {
            Algorithm::ES256
        }
        (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
        _ => return None,
    };
    Some(PinnedKey { algorithm, key: DecodingKey::from_jwk(jwk).ok()? })
}
