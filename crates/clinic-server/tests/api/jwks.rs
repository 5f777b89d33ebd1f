//! Tokens of a Supabase project that signs with asymmetric keys, checked against its
//! JWKS served by a local HTTP server with keys made here.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{SECRET, Settings, TestApp, User, spawn_app, spawn_app_with};

/// A JWKS at `url`, its keys changeable, its fetches counted.
struct JwksServer {
    url: String,
    addr: SocketAddr,
    keys: Arc<Mutex<Value>>,
    fetches: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl JwksServer {
    fn start(keys: Value) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (keys, fetches, stop) =
            (Arc::new(Mutex::new(keys)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
        let (served, counted, stopped) = (keys.clone(), fetches.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                // The request's head, up to its empty line; a GET has no body.
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                counted.fetch_add(1, Ordering::SeqCst);
                let body = served.lock().unwrap().to_string();
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body.as_bytes()));
            }
        });
        let url = format!("http://{addr}/auth/v1/.well-known/jwks.json");
        Self { url, addr, keys, fetches, stop, thread: Some(thread) }
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A P-256 key pair made for the test, and its public half as a JWK.
struct SigningKey {
    kid: &'static str,
    pkcs8: Vec<u8>,
    jwk: Value,
    /// The public point, as an attacker would find it.
    public: Vec<u8>,
}

impl SigningKey {
    fn generate(kid: &'static str) -> Self {
        let random = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &random).unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &random).unwrap();
        let public = pair.public_key().as_ref().to_vec();
        let jwk = json!({
            "kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
            "x": URL_SAFE_NO_PAD.encode(&public[1..33]), "y": URL_SAFE_NO_PAD.encode(&public[33..65]),
        });
        Self { kid, pkcs8: pkcs8.as_ref().to_vec(), jwk, public }
    }

    /// A staff token as a Supabase project would sign it.
    fn sign(&self, kid: &str) -> String {
        let header = Header { kid: Some(kid.into()), ..Header::new(Algorithm::ES256) };
        jsonwebtoken::encode(&header, &staff_claims(), &EncodingKey::from_ec_der(&self.pkcs8)).unwrap()
    }
}

fn staff_claims() -> Value {
    let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 3600;
    json!({"sub": Uuid::new_v4(), "exp": exp, "aud": "authenticated", "app_metadata": {"clinic_role": "staff"}})
}

fn jwks(keys: &[&SigningKey]) -> Value {
    json!({ "keys": keys.iter().map(|key| key.jwk.clone()).collect::<Vec<_>>() })
}

fn app_with(server: &JwksServer) -> TestApp {
    let mut settings = Settings::default();
    settings.vars.push(("AUTH_JWKS_URL", server.url.clone()));
    spawn_app_with(settings)
}

/// The status of a staff route called with `token`.
fn status(app: &TestApp, token: &str) -> u16 {
    app.get("/api/admin/notifications", Some(&User { id: Uuid::nil(), token: token.into() })).status
}

#[test]
fn es256_tokens_signed_with_a_published_key_are_accepted_beside_hs256() {
    let key = SigningKey::generate("key-1");
    let server = JwksServer::start(jwks(&[&key]));
    let app = app_with(&server);
    assert_eq!(server.fetches(), 1, "fetched at start");
    assert_eq!(status(&app, &key.sign(key.kid)), 200);
    assert_eq!(status(&app, &app.staff().token), 200, "the secret's tokens still work");
    assert_eq!(server.fetches(), 1, "a known key is not fetched again");
}

#[test]
fn a_rotated_key_is_fetched_once_and_unknown_keys_not_again_within_a_minute() {
    let (old, new) = (SigningKey::generate("old"), SigningKey::generate("new"));
    let server = JwksServer::start(jwks(&[&old]));
    let app = app_with(&server);
    *server.keys.lock().unwrap() = jwks(&[&old, &new]);
    assert_eq!(status(&app, &new.sign(new.kid)), 200, "fetched on its unknown kid");
    assert_eq!(server.fetches(), 2);
    assert_eq!(status(&app, &new.sign("never-published")), 401);
    assert_eq!(server.fetches(), 2, "at most one fetch a minute");
}

#[test]
fn none_hs256_keyed_by_the_public_key_and_mismatched_keys_are_refused() {
    let (key, other) = (SigningKey::generate("key-1"), SigningKey::generate("key-2"));
    let server = JwksServer::start(jwks(&[&key]));
    let app = app_with(&server);
    let claims = URL_SAFE_NO_PAD.encode(staff_claims().to_string());
    let none = format!("{}.{claims}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#));
    assert_eq!(status(&app, &none), 401, "alg none");

    let hs256 = |secret: &[u8]| {
        let header = Header { kid: Some(key.kid.into()), ..Header::new(Algorithm::HS256) };
        jsonwebtoken::encode(&header, &staff_claims(), &EncodingKey::from_secret(secret)).unwrap()
    };
    assert_eq!(status(&app, &hs256(&key.public)), 401, "HS256 keyed by the public point");
    assert_eq!(status(&app, &hs256(key.jwk.to_string().as_bytes())), 401, "HS256 keyed by the JWK");
    assert_eq!(status(&app, &hs256(SECRET)), 200, "HS256 is the secret's, whatever the kid");

    assert_eq!(status(&app, &other.sign(key.kid)), 401, "signed by another key under this kid");
    let rs256 = format!(
        "{}.{claims}.{}",
        URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"RS256","typ":"JWT","kid":"{}"}}"#, key.kid)),
        key.sign(key.kid).rsplit('.').next().unwrap()
    );
    assert_eq!(status(&app, &rs256), 401, "RS256 named on an ES256 key");
}

#[test]
fn without_auth_jwks_url_public_key_tokens_are_refused() {
    let key = SigningKey::generate("key-1");
    let app = spawn_app();
    let refused =
        app.get("/api/admin/notifications", Some(&User { id: Uuid::nil(), token: key.sign(key.kid) }));
    assert_eq!((refused.status, refused.code()), (401, "unauthorized"));
}

#[test]
fn rs256_tokens_are_accepted_and_symmetric_keys_in_the_set_ignored() {
    let rsa: Value = serde_json::from_str(include_str!("data/rs256-test-key.jwk.json")).unwrap();
    let oct = json!({"kty": "oct", "kid": "oct-1", "k": URL_SAFE_NO_PAD.encode(b"a shared key")});
    let server = JwksServer::start(json!({ "keys": [rsa, oct] }));
    let app = app_with(&server);
    let sign = |alg: Algorithm, kid: &str, key: &EncodingKey| {
        jsonwebtoken::encode(&Header { kid: Some(kid.into()), ..Header::new(alg) }, &staff_claims(), key)
            .unwrap()
    };
    let rsa_key = EncodingKey::from_rsa_der(include_bytes!("data/rs256-test-key.der"));
    assert_eq!(status(&app, &sign(Algorithm::RS256, "rsa-1", &rsa_key)), 200);
    assert_eq!(status(&app, &sign(Algorithm::RS512, "rsa-1", &rsa_key)), 401, "RS256 only");
    let shared = EncodingKey::from_secret(b"a shared key");
    assert_eq!(status(&app, &sign(Algorithm::HS256, "oct-1", &shared)), 401, "no secret from the JWKS");
}
