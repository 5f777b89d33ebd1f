//! Access tokens: JWTs in the format Supabase Auth issues, so a Supabase project's
//! tokens work unchanged: HS256 with the shared secret, and with `AUTH_JWKS_URL` the
//! ES256/RS256 tokens of newer projects. `app_metadata.clinic_role` makes staff.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};
use clinic_domain::ids::PatientId;
use clinic_domain::patient::PatientLogin;
use clinic_domain::phone::PhoneNumber;
use clinic_domain::sign_in::SignedIn;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::app::AppState;
use crate::codes::HmacCodes;
use crate::config::{Config, Secret};
use crate::error::ApiError;
use crate::routes::blocking;

mod jwks;

pub use jwks::Jwks;

/// What Supabase calls an authenticated user's audience.
const AUDIENCE: &str = "authenticated";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    aud: Option<Audience>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    #[serde(default)]
    app_metadata: AppMetadata,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct AppMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    clinic_role: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Patient,
    /// `clinic_role` `staff`.
    Staff,
    /// `clinic_role` `admin`: staff who may also register staff phones on the desk.
    Admin,
}

impl Role {
    /// Staff and admins alike: the API's staff routes and the desk let both in.
    pub fn is_staff(self) -> bool {
        matches!(self, Self::Staff | Self::Admin)
    }
}

/// A caller with a valid token. As a handler's argument, `login.id` is the patient the
/// login is (see its `FromRequest`); from [`TokenKeys::verify`], the token's `sub`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub login: PatientLogin,
    pub role: Role,
}

/// Signs and checks access tokens with the shared secret.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Sign-in codes are hashed under a key derived from the same secret.
    codes: Arc<HmacCodes>,
    /// A Supabase project's public keys (`AUTH_JWKS_URL`).
    jwks: Option<Arc<Jwks>>,
}

/// A token checked as far as the keys at hand allow.
enum Checked {
    Done(Result<Caller, ApiError>),
    /// Signed with a published key not fetched yet.
    UnknownKey(Arc<Jwks>),
}

/// Every algorithm's checks but the algorithm, pinned to `algorithm`.
fn validation(algorithm: Algorithm) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.leeway = 0;
    // `aud` is optional for us, but when present it must be Supabase's; checked below.
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp", "sub"]);
    validation
}

fn refused(problem: impl fmt::Display) -> ApiError {
    ApiError::unauthorized(format!("invalid access token: {problem}"))
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation: validation(Algorithm::HS256),
            codes: Arc::new(HmacCodes::new(secret)),
            jwks: None,
        }
    }

    /// The keys `config` asks for: the secret's, and a Supabase project's public keys
    /// when `AUTH_JWKS_URL` is set (fetched now).
    pub fn configured(secret: &[u8], config: &Config) -> Self {
        let keys = Self::new(secret);
        match &config.jwks_url {
            Some(url) => Self { jwks: Some(Arc::new(Jwks::fetch(url))), ..keys },
            None => keys,
        }
    }

    /// Makes and hashes sign-in codes.
    pub fn codes(&self) -> Arc<HmacCodes> {
        self.codes.clone()
    }

    /// The token's caller, with the keys at hand (a key not fetched yet is refused).
    pub fn verify(&self, token: &str) -> Result<Caller, ApiError> {
        match self.check(token) {
            Checked::Done(caller) => caller,
            Checked::UnknownKey(_) => Err(refused("unknown signing key")),
        }
    }

    /// Each algorithm only with its own key: HS256 with the secret, ES256 and RS256 with
    /// the published key of the token's `kid` pinned to that algorithm; nothing else (no
    /// `none`, no HS256 keyed by a public key).
    fn check(&self, token: &str) -> Checked {
        let header = match jsonwebtoken::decode_header(token) {
            Ok(header) => header,
            Err(e) => return Checked::Done(Err(refused(e))),
        };
        match header.alg {
            Algorithm::HS256 => Checked::Done(self.caller(token, &self.decoding, &self.validation)),
            Algorithm::ES256 | Algorithm::RS256 => {
                let Some(jwks) = &self.jwks else {
                    return Checked::Done(Err(refused("AUTH_JWKS_URL is not set for public-key tokens")));
                };
                let Some(kid) = header.kid else { return Checked::Done(Err(refused("no key id (kid)"))) };
                match jwks.key(&kid) {
                    None => Checked::UnknownKey(jwks.clone()),
                    Some(pinned) if pinned.algorithm != header.alg => {
                        Checked::Done(Err(refused("the algorithm is not the key's")))
                    }
                    Some(pinned) => {
                        Checked::Done(self.caller(token, &pinned.key, &validation(pinned.algorithm)))
                    }
                }
            }
            other => Checked::Done(Err(refused(format!("{other:?} is not accepted")))),
        }
    }

    fn caller(&self, token: &str, key: &DecodingKey, validation: &Validation) -> Result<Caller, ApiError> {
        let claims = jsonwebtoken::decode::<Claims>(token, key, validation).map_err(refused)?.claims;
        let audience_ok = match &claims.aud {
            None => true,
            Some(Audience::One(aud)) => aud == AUDIENCE,
            Some(Audience::Many(auds)) => auds.iter().any(|a| a == AUDIENCE),
        };
        if !audience_ok {
            return Err(refused("audience must be \"authenticated\""));
        }
        let role = match claims.app_metadata.clinic_role.as_deref() {
            Some("staff") => Role::Staff,
            Some("admin") => Role::Admin,
            _ => Role::Patient,
        };
        let login = PatientLogin {
            id: PatientId::from_uuid(claims.sub),
            phone: claims.phone.as_deref().and_then(PhoneNumber::from_login_claim),
        };
        Ok(Caller { login, role })
    }

    /// A token like Supabase's, for ops and development (`clinic token`).
    pub fn issue(
        &self,
        sub: Uuid,
        staff: bool,
        ttl: Duration,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        self.sign(sub, None, staff.then(|| "staff".into()), ttl)
    }

    /// The token a sign-in by code earns: Supabase's shape, its `phone` claim without
    /// the `+` as Supabase writes it, and the staff role of a staff phone.
    pub fn issue_signed_in(
        &self,
        signed_in: &SignedIn,
        ttl: Duration,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let phone = signed_in.phone.as_str().trim_start_matches('+').to_owned();
        let role = signed_in.staff.map(|role| role.as_str().to_owned());
        self.sign(signed_in.login.as_uuid(), Some(phone), role, ttl)
    }

    fn sign(
        &self,
        sub: Uuid,
        phone: Option<String>,
        clinic_role: Option<String>,
        ttl: Duration,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = Claims {
            sub,
            iat: Some(now),
            exp: now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)),
            aud: Some(Audience::One(AUDIENCE.into())),
            phone,
            app_metadata: AppMetadata { clinic_role },
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }
}

/// The request's caller, by its bearer token.
fn caller(req: &HttpRequest) -> impl Future<Output = Result<Caller, ApiError>> + 'static {
    token_caller(req, bearer_token(req).map(str::to_owned))
}

/// The caller `token` makes. A token signed with a published key not fetched yet has the
/// keys fetched again (off the async workers, at most once a minute) and is checked once
/// more.
pub(crate) fn token_caller(
    req: &HttpRequest,
    token: Result<String, ApiError>,
) -> impl Future<Output = Result<Caller, ApiError>> + 'static {
    let keys = req.app_data::<web::Data<TokenKeys>>().cloned();
    async move {
        let keys = keys.ok_or_else(|| ApiError::internal("token keys are not configured"))?;
        let token = token?;
        match keys.check(&token) {
            Checked::Done(caller) => caller,
            Checked::UnknownKey(jwks) => {
                blocking(move || {
                    if let Err(e) = jwks.refetch_if_due() {
                        log::warn!("AUTH_JWKS_URL: cannot fetch the signing keys: {e}");
                    }
                    Ok::<_, ApiError>(())
                })
                .await?;
                keys.verify(&token)
            }
        }
    }
}

/// The `<token>` of `Authorization: Bearer <token>`.
pub fn bearer_token(req: &HttpRequest) -> Result<&str, ApiError> {
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing Authorization: Bearer <token>"))?;
    header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::unauthorized("Authorization must be: Bearer <token>"))
}

/// The bearer must equal `secret` (an ops secret such as `CRON_SECRET`), compared in
/// constant time; 401 with `refusal` otherwise.
pub fn require_bearer_secret(
    req: &HttpRequest,
    secret: &Secret,
    refusal: &'static str,
) -> Result<(), ApiError> {
    let given = bearer_token(req)?;
    if bool::from(given.as_bytes().ct_eq(secret.expose().as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::unauthorized(refusal))
    }
}

/// The caller as a patient: the token checked, then its login matched to the patient it
/// is, once per request (a login may claim a patient staff registered; see
/// `PatientRecords::patient_of`), so every handler sees the patient's own id.
impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(patient_caller(req, caller(req)))
    }
}

/// A caller whose token is checked but whose login is not matched to a patient yet: for a
/// handler that does it in its own blocking call, one unit of work (one pooled connection)
/// with the rest of the request (`PatientRecords::patient_of`).
pub struct Login(pub Caller);

impl FromRequest for Login {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = caller(req);
        Box::pin(async move { Ok(Self(token.await?)) })
    }
}

/// The caller `token` makes, its login matched to the patient it is.
fn patient_caller(
    req: &HttpRequest,
    token: impl Future<Output = Result<Caller, ApiError>> + 'static,
) -> impl Future<Output = Result<Caller, ApiError>> + 'static {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    async move { as_patient(state, token.await?).await }
}

/// `caller` with its login matched to the patient it is.
pub(crate) async fn as_patient(
    state: Option<web::Data<AppState>>,
    caller: Caller,
) -> Result<Caller, ApiError> {
    let Caller { login, role } = caller;
    let state = state.ok_or_else(|| ApiError::internal("the app state is not configured"))?;
    let login = blocking(move || state.patients.patient_of(&login)).await?;
    Ok(Caller { login, role })
}

/// A caller with a staff role; anyone else is refused with 403.
#[derive(Debug, Clone)]
pub struct Staff(pub Caller);

impl FromRequest for Staff {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = caller(req);
        Box::pin(async move {
            let caller = token.await?;
            if caller.role.is_staff() { Ok(Self(caller)) } else { Err(ApiError::forbidden("staff only")) }
        })
    }
}

#[cfg(test)]
mod tests;
