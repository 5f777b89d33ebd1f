//! Access tokens: HS256 JWTs in the format Supabase Auth issues, so a Supabase
//! project's tokens work unchanged. `app_metadata.clinic_role` makes staff.

use std::future::{Future, Ready, ready};
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
use crate::config::Secret;
use crate::error::ApiError;
use crate::routes::blocking;

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
    /// `clinic_role` `staff` or `admin`.
    Staff,
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
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        // `aud` is optional for us, but when present it must be Supabase's; checked below.
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            codes: Arc::new(HmacCodes::new(secret)),
        }
    }

    /// Makes and hashes sign-in codes.
    pub fn codes(&self) -> Arc<HmacCodes> {
        self.codes.clone()
    }

    pub fn verify(&self, token: &str) -> Result<Caller, ApiError> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| ApiError::unauthorized(format!("invalid access token: {e}")))?
            .claims;
        let audience_ok = match &claims.aud {
            None => true,
            Some(Audience::One(aud)) => aud == AUDIENCE,
            Some(Audience::Many(auds)) => auds.iter().any(|a| a == AUDIENCE),
        };
        if !audience_ok {
            return Err(ApiError::unauthorized("invalid access token: audience must be \"authenticated\""));
        }
        let role = match claims.app_metadata.clinic_role.as_deref() {
            Some("staff" | "admin") => Role::Staff,
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

fn caller(req: &HttpRequest) -> Result<Caller, ApiError> {
    let keys = req
        .app_data::<web::Data<TokenKeys>>()
        .ok_or_else(|| ApiError::internal("token keys are not configured"))?;
    keys.verify(bearer_token(req)?)
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
        let token = caller(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let Caller { login, role } = token?;
            let state = state.ok_or_else(|| ApiError::internal("the app state is not configured"))?;
            let login = blocking(move || state.patients.patient_of(&login)).await?;
            Ok(Caller { login, role })
        })
    }
}

/// A caller with a staff role; anyone else is refused with 403.
#[derive(Debug, Clone)]
pub struct Staff(pub Caller);

impl FromRequest for Staff {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(caller(req).and_then(|caller| match caller.role {
            Role::Staff => Ok(Self(caller)),
            Role::Patient => Err(ApiError::forbidden("staff only")),
        }))
    }
}

#[cfg(test)]
mod tests;
