//! Signing in by a code texted to the phone: ask for a code, then trade it for a token
//! of the same shape as Supabase's. Public routes: no token needed.

use std::time::Duration;

use actix_web::web::{Data, Json};
use actix_web::{HttpRequest, HttpResponse};
use clinic_domain::sign_in::SignIn;
use clinic_domain::sign_in_code::CODE_VALID_FOR;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{blocking, blocking_apart};
use crate::auth::TokenKeys;
use crate::error::{ApiError, ErrorBody};
use crate::openapi::{DATABASE_UNAVAILABLE, INVALID_INPUT};

/// How long a token from a code signs in: a clinic's working day.
pub(crate) const TOKEN_TTL: Duration = Duration::from_secs(8 * 3600);

const TOO_MANY: &str = "`too_many_requests`: over a limit; `Retry-After` says when to ask again";

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeWanted {
    /// E.164.
    #[schema(pattern = r"^\+[1-9][0-9]{6,14}$", example = "+6591234567")]
    phone: String,
}

#[derive(Serialize, ToSchema)]
pub struct CodeSent {
    /// Seconds the texted code is valid.
    #[schema(example = 300)]
    expires_in: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeGiven {
    #[schema(pattern = r"^\+[1-9][0-9]{6,14}$", example = "+6591234567")]
    phone: String,
    /// The 6 digits texted.
    #[schema(pattern = "^[0-9]{6}$", example = "123456")]
    code: String,
}

#[derive(Serialize, ToSchema)]
pub struct AccessToken {
    /// A bearer token for the API.
    access_token: String,
    #[schema(example = "bearer")]
    token_type: &'static str,
    /// Seconds.
    #[schema(example = 28800)]
    expires_in: u64,
}

#[utoipa::path(post, path = "/api/auth/otp", tag = "public", request_body = CodeWanted,
    responses(
        (status = 202, description = "A code is texted if the number can take texts: the same answer \
            for every well-formed number", body = CodeSent),
        (status = 400, description = INVALID_INPUT, body = ErrorBody),
        (status = 429, description = TOO_MANY, body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds"))),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn request_code(
    req: HttpRequest,
    sign_in: Data<SignIn>,
    body: Json<CodeWanted>,
) -> Result<HttpResponse, ApiError> {
    // The connection's own address: a forwarded-for header is whatever the caller says.
    let client = req.peer_addr().map(|addr| addr.ip().to_string()).unwrap_or_default();
    blocking_apart(move || sign_in.request_code(&body.phone, &client)).await?;
    Ok(HttpResponse::Accepted().json(CodeSent { expires_in: CODE_VALID_FOR.whole_seconds() }))
}

#[utoipa::path(post, path = "/api/auth/verify", tag = "public", request_body = CodeGiven,
    responses(
        (status = 200, description = "Signed in", body = AccessToken),
        (status = 400, description = INVALID_INPUT, body = ErrorBody),
        (status = 401, description = "`invalid_code`: wrong or expired code, or none asked for", body = ErrorBody),
        (status = 429, description = "`too_many_requests`: 5 wrong codes burnt this one; ask for a new one \
            after `Retry-After`", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds"))),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn verify(
    sign_in: Data<SignIn>,
    tokens: Data<TokenKeys>,
    body: Json<CodeGiven>,
) -> Result<HttpResponse, ApiError> {
    let signed_in = blocking(move || sign_in.verify(&body.phone, &body.code)).await?;
    let access_token = tokens.issue_signed_in(&signed_in, TOKEN_TTL).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(AccessToken {
        access_token,
        token_type: "bearer",
        expires_in: TOKEN_TTL.as_secs(),
    }))
}
