//! Twilio's webhooks: delivery status callbacks and incoming texts. Both are signed;
//! an unsigned or badly signed request changes nothing and is refused with 403.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::web::{Data, Form};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use clinic_domain::events::{Answer, Keyword};
use clinic_domain::replies::Handled;
use clinic_twilio::RequestValidator;
use serde_json::json;

use super::blocking;
use crate::app::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::openapi::{DATABASE_UNAVAILABLE, TWILIO_FORM, TWILIO_SIGNATURE};

/// Form fields in the order Twilio sent them.
type Params = Vec<(String, String)>;

/// What checking Twilio's signatures needs: the auth token and the URL Twilio calls us at.
pub struct WebhookSigning {
    pub validator: RequestValidator,
    /// `PUBLIC_BASE_URL`, without a trailing slash.
    pub public_base_url: String,
}

#[utoipa::path(post, path = "/api/webhooks/twilio/status", tag = "ops",
    request_body(content = Object, content_type = "application/x-www-form-urlencoded",
        description = TWILIO_FORM),
    params(("X-Twilio-Signature" = String, Header, description = TWILIO_SIGNATURE)),
    responses(
        (status = 204, description = "Recorded, or not a message of ours"),
        (status = 400, description = "`invalid_input`: no `MessageSid` or `MessageStatus`", body = ErrorBody),
        (status = 403, description = "`forbidden`: missing or bad signature, or webhooks not configured",
            body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn status(
    state: Data<AppState>,
    TwilioRequest(params): TwilioRequest,
) -> Result<HttpResponse, ApiError> {
    let sid = required(&params, "MessageSid", |c| c.is_ascii_alphanumeric())?;
    let status = required(&params, "MessageStatus", |c| c.is_ascii_alphabetic() || c == '-' || c == '_')?
        .to_ascii_lowercase();
    let error_code = match field(&params, "ErrorCode").filter(|code| !code.is_empty()) {
        Some(_) => Some(required(&params, "ErrorCode", |c| c.is_ascii_digit())?),
        None => None,
    };
    let ours = blocking(move || state.events.delivery_status(&sid, &status, error_code.as_deref())).await?;
    if !ours {
        log::info!("status callback for a message that is not ours; ignored");
    }
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/api/webhooks/twilio/inbound", tag = "ops",
    request_body(content = Object, content_type = "application/x-www-form-urlencoded",
        description = TWILIO_FORM),
    params(("X-Twilio-Signature" = String, Header, description = TWILIO_SIGNATURE)),
    responses(
        (status = 200, description = "TwiML; a `<Message>` answers HELP and INFO, a reply to a reminder \
            (C, CONFIRM, X, CANCEL APPT) and any other text (kept for staff); STOP and START get none",
            body = String,
            content_type = "text/xml"),
        (status = 400, description = "`invalid_input`: a form that is not Twilio's", body = ErrorBody),
        (status = 403, description = "`forbidden`: missing or bad signature, or webhooks not configured",
            body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn inbound(
    state: Data<AppState>,
    TwilioRequest(params): TwilioRequest,
) -> Result<HttpResponse, ApiError> {
    let from = field(&params, "From").unwrap_or_default().to_owned();
    let body = field(&params, "Body").unwrap_or_default().to_owned();
    let opt_out_type = field(&params, "OptOutType").map(str::to_owned);
    let received = blocking(move || state.events.received(&from, &body, opt_out_type.as_deref())).await?;
    let sender = received.from.as_ref().map(|p| p.masked()).unwrap_or_default();
    match received.keyword {
        Some(Keyword::OptOut) => {
            log::info!("opt-out from {sender}: {} profile(s) will get no more texts", received.profiles)
        }
        Some(Keyword::OptIn) => {
            log::info!("opt-in from {sender}: {} profile(s) texted again", received.profiles)
        }
        _ => {}
    }
    match received.reply {
        Some(Handled::Confirmed(id)) => log::info!("appointment {id} confirmed by a reply from {sender}"),
        Some(Handled::Cancelled(id)) => log::info!("appointment {id} cancelled by a reply from {sender}"),
        Some(Handled::Kept(id)) => log::info!("text from {sender} kept for staff as message {id}"),
        None => {}
    }
    let twiml = match received.answer {
        Answer::Nothing => "<Response/>".to_owned(),
        Answer::Text(text) => format!("<Response><Message>{}</Message></Response>", xml_escape(&text)),
    };
    Ok(HttpResponse::Ok()
        .content_type("text/xml; charset=utf-8")
        .body(format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>{twiml}")))
}

/// A form Twilio posted, extracted only when its `X-Twilio-Signature` holds, so no
/// webhook handler can read an unchecked request.
pub struct TwilioRequest(Params);

impl FromRequest for TwilioRequest {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // Nothing unsigned is even read: configuration and header first, then the body.
        let checked = signing_of(req).map(|(url, signature)| (url, signature.to_owned()));
        let form = Form::<Params>::from_request(req, payload);
        let state = req.app_data::<Data<AppState>>().cloned();
        Box::pin(async move {
            let (url, signature) = checked?;
            let params = form.await?.into_inner();
            let signing = state.as_ref().and_then(|s| s.webhook_signing.as_ref());
            if signing.is_some_and(|signing| signing.validator.is_valid(&url, &params, &signature)) {
                Ok(Self(params))
            } else {
                log::warn!("refused a webhook with a bad signature for {url}");
                Err(ApiError::forbidden("bad X-Twilio-Signature").into())
            }
        })
    }
}

/// The URL Twilio signed (`PUBLIC_BASE_URL` + path + query) and the signature it sent.
/// Without a public URL or an auth token nothing can be checked, so nothing passes.
fn signing_of(req: &HttpRequest) -> Result<(String, &str), ApiError> {
    let signing =
        req.app_data::<Data<AppState>>().and_then(|state| state.webhook_signing.as_ref()).ok_or_else(
            || ApiError::forbidden("webhooks are off: set PUBLIC_BASE_URL and the Twilio credentials"),
        )?;
    let signature = req
        .headers()
        .get("X-Twilio-Signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::forbidden("missing X-Twilio-Signature"))?;
    let url = match req.query_string() {
        "" => format!("{}{}", signing.public_base_url, req.path()),
        query => format!("{}{}?{query}", signing.public_base_url, req.path()),
    };
    Ok((url, signature))
}

fn field<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
}

/// A field that must be there, short, and made only of `allowed` characters.
fn required(params: &Params, name: &'static str, allowed: fn(char) -> bool) -> Result<String, ApiError> {
    let value = field(params, name).filter(|value| !value.is_empty()).ok_or_else(|| {
        ApiError::invalid_input(format!("{name} is missing")).with_details(json!({ name: "is required" }))
    })?;
    if value.len() > 64 || !value.chars().all(allowed) {
        let problem = "is not a value Twilio sends";
        return Err(
            ApiError::invalid_input(format!("{name} {problem}")).with_details(json!({ name: problem }))
        );
    }
    Ok(value.to_owned())
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}
