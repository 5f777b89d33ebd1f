//! Every error the API answers with, in one place: `{"error", "code", "details"}`
//! with a stable `code`. Causes of 5xx answers are logged, never sent.

use std::collections::BTreeMap;
use std::fmt;

use actix_web::error::{BlockingError, JsonPayloadError, PayloadError, QueryPayloadError, UrlencodedError};
use actix_web::http::StatusCode;
use actix_web::http::header::RETRY_AFTER;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use clinic_domain::admin::AdminError;
use clinic_domain::appointment::StatusChangeRefused;
use clinic_domain::booking::BookingError;
use clinic_domain::closures::ClosureError;
use clinic_domain::ids::PatientId;
use clinic_domain::patient_records::PatientRecordsError;
use clinic_domain::ports::StoreError;
use clinic_domain::profile::ProfileError;
use clinic_domain::replies::InboxError;
use clinic_domain::sign_in::SignInError;
use clinic_domain::validation::FieldErrors;
use clinic_domain::walk_ins::QueueError;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Option<Value>,
    /// Seconds, sent as `Retry-After`.
    retry_after: Option<u64>,
}

/// The body of every error answer.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"error": "that slot is already booked", "code": "slot_taken"}))]
pub struct ErrorBody<'a> {
    /// For people; may change.
    error: &'a str,
    /// For programs; stable.
    code: &'static str,
    /// Where useful: the fields at fault, or a reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    details: Option<&'a Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), details: None, retry_after: None }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// For people: what a page shows.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// `details.reason`, where the answer gives one (`slot_not_bookable`: `in_the_past`…).
    pub fn reason(&self) -> Option<&str> {
        self.details.as_ref()?.get("reason")?.as_str()
    }

    /// Seconds to wait before asking again, for a 429.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    /// The message per field of an `invalid_input` answer: what a form shows next to each.
    pub fn field_messages(&self) -> BTreeMap<String, String> {
        let fields =
            self.details.as_ref().and_then(Value::as_object).filter(|_| self.code == "invalid_input");
        fields
            .into_iter()
            .flatten()
            .filter_map(|(field, message)| Some((field.clone(), message.as_str()?.to_owned())))
            .collect()
    }

    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_input", message)
    }

    /// 400 with one message per field in `details`.
    pub fn invalid_fields(errors: &FieldErrors) -> Self {
        Self::invalid_input(errors.to_string()).with_details(json!(errors.fields()))
    }

    /// 429 `too_many_requests`, `Retry-After` in whole seconds (at least one).
    pub fn too_many_requests(message: impl Into<String>, retry_after: time::Duration) -> Self {
        let seconds = u64::try_from(retry_after.whole_seconds()).unwrap_or(0);
        let seconds = seconds + u64::from(retry_after.subsec_nanoseconds() > 0);
        Self {
            retry_after: Some(seconds.max(1)),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message)
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 431: one header is larger than any the API reads.
    pub fn header_too_large(name: &str) -> Self {
        Self::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "header_too_large",
            format!("the {name} header is too large"),
        )
    }

    /// A bug: the cause goes to the log, the client learns nothing of it.
    /// 409 `patient_exists`, naming the patient who has the phone.
    fn patient_exists(existing: PatientId, message: String) -> Self {
        Self::new(StatusCode::CONFLICT, "patient_exists", message)
            .with_details(json!({ "patient_id": existing }))
    }

    /// 409 `status_change_refused`, with why in `details.reason`.
    fn status_change_refused(refused: StatusChangeRefused, message: String) -> Self {
        let details = match refused {
            StatusChangeRefused::NotStarted => json!({ "reason": "not_started" }),
            StatusChangeRefused::NotToday => json!({ "reason": "not_today" }),
            StatusChangeRefused::Closed(status) => json!({ "reason": "closed", "status": status.as_str() }),
        };
        Self::new(StatusCode::CONFLICT, "status_change_refused", message).with_details(details)
    }

    pub fn internal(cause: impl fmt::Display) -> Self {
        log::error!("internal error: {cause}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "internal error")
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut answer = HttpResponse::build(self.status);
        if let Some(seconds) = self.retry_after {
            answer.insert_header((RETRY_AFTER, seconds));
        }
        answer.json(ErrorBody { error: &self.message, code: self.code, details: self.details.as_ref() })
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(cause) => {
                log::warn!("database unavailable: {cause}");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database_unavailable",
                    "the database is unavailable; try again shortly",
                )
            }
            StoreError::Failed(cause) => Self::internal(cause),
        }
    }
}

impl From<BlockingError> for ApiError {
    fn from(error: BlockingError) -> Self {
        Self::internal(error)
    }
}

impl From<BookingError> for ApiError {
    fn from(error: BookingError) -> Self {
        let message = error.to_string();
        match error {
            BookingError::PatientProfileNotFound => {
                Self::new(StatusCode::BAD_REQUEST, "patient_profile_not_found", message)
            }
            BookingError::PatientNotFound => Self::not_found("patient_not_found", message),
            BookingError::DoctorNotFound => Self::not_found("doctor_not_found", message),
            BookingError::AppointmentNotFound => Self::not_found("appointment_not_found", message),
            BookingError::NotBookable(reason) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "slot_not_bookable", message)
                    .with_details(json!({ "reason": reason.as_str() }))
            }
            BookingError::SlotTaken => Self::new(StatusCode::CONFLICT, "slot_taken", message),
            BookingError::IdempotencyKeyReused => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused", message)
            }
            BookingError::NotCancellable(_) => {
                Self::new(StatusCode::CONFLICT, "appointment_not_cancellable", message)
            }
            BookingError::NotMovable(refused) => Self::status_change_refused(refused, message),
            BookingError::Store(error) => error.into(),
        }
    }
}

impl From<AdminError> for ApiError {
    fn from(error: AdminError) -> Self {
        let message = error.to_string();
        match error {
            AdminError::Invalid(fields) => Self::invalid_fields(&fields),
            AdminError::DoctorNotFound => Self::not_found("doctor_not_found", message),
            AdminError::AppointmentNotFound => Self::not_found("appointment_not_found", message),
            AdminError::StatusChange(refused) => Self::status_change_refused(refused, message),
            AdminError::Store(error) => error.into(),
        }
    }
}

impl From<ClosureError> for ApiError {
    fn from(error: ClosureError) -> Self {
        let message = error.to_string();
        match error {
            ClosureError::Invalid(fields) => Self::invalid_fields(&fields),
            ClosureError::DoctorNotFound => Self::not_found("doctor_not_found", message),
            ClosureError::ClosureNotFound => Self::not_found("closure_not_found", message),
            ClosureError::Store(error) => error.into(),
        }
    }
}

impl From<InboxError> for ApiError {
    fn from(error: InboxError) -> Self {
        match error {
            InboxError::NotFound => Self::not_found("message_not_found", error.to_string()),
            InboxError::Store(error) => error.into(),
        }
    }
}

impl From<ProfileError> for ApiError {
    fn from(error: ProfileError) -> Self {
        match error {
            ProfileError::NotFound => Self::not_found("patient_profile_not_found", error.to_string()),
            ProfileError::Invalid(fields) => Self::invalid_fields(&fields),
            ProfileError::Store(error) => error.into(),
        }
    }
}

impl From<PatientRecordsError> for ApiError {
    fn from(error: PatientRecordsError) -> Self {
        let message = error.to_string();
        match error {
            PatientRecordsError::Invalid(fields) => Self::invalid_fields(&fields),
            PatientRecordsError::PhoneTaken(existing) => Self::patient_exists(existing, message),
            PatientRecordsError::NotFound => Self::not_found("patient_not_found", message),
            PatientRecordsError::Store(error) => error.into(),
        }
    }
}

impl From<SignInError> for ApiError {
    fn from(error: SignInError) -> Self {
        let message = error.to_string();
        match error {
            SignInError::Invalid(fields) => Self::invalid_fields(&fields),
            SignInError::TooMany { retry_after } => Self::too_many_requests(message, retry_after),
            SignInError::WrongCode => Self::new(StatusCode::UNAUTHORIZED, "invalid_code", message),
            SignInError::NoRandomness => Self::internal(message),
            SignInError::Store(error) => error.into(),
        }
    }
}

impl From<QueueError> for ApiError {
    fn from(error: QueueError) -> Self {
        let message = error.to_string();
        match error {
            QueueError::Invalid(fields) => Self::invalid_fields(&fields),
            QueueError::PatientNotFound => Self::not_found("patient_not_found", message),
            QueueError::PatientExists(existing) => Self::patient_exists(existing, message),
            QueueError::DoctorNotFound => Self::not_found("doctor_not_found", message),
            QueueError::NotFound => Self::not_found("ticket_not_found", message),
            QueueError::OtherDay => Self::new(StatusCode::CONFLICT, "ticket_of_another_day", message),
            QueueError::Finished => Self::new(StatusCode::CONFLICT, "ticket_finished", message),
            QueueError::Changed => Self::new(StatusCode::CONFLICT, "ticket_changed", message),
            QueueError::Store(error) => error.into(),
        }
    }
}

/// Bodies that are not the JSON a route takes: 400, or 413 over the size limit.
pub fn json_error(error: JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    match error {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => too_large(),
        JsonPayloadError::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
        ),
        JsonPayloadError::Payload(e) if timed_out(&e) => too_slow(),
        JsonPayloadError::Deserialize(e) => ApiError::invalid_input(format!("invalid JSON body: {e}"))
            .with_details(json!({ "body": e.to_string() })),
        other => ApiError::invalid_input(format!("invalid JSON body: {other}")),
    }
    .into()
}

pub fn form_error(error: UrlencodedError, _: &HttpRequest) -> actix_web::Error {
    match error {
        UrlencodedError::Overflow { .. } => too_large(),
        UrlencodedError::Payload(e) if timed_out(&e) => too_slow(),
        other => ApiError::invalid_input(format!("invalid form body: {other}")),
    }
    .into()
}

pub fn query_error(error: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::invalid_input(format!("invalid query: {error}")).into()
}

/// The body's deadline passed (`limits::BODY_TIMEOUT`).
fn timed_out(error: &PayloadError) -> bool {
    matches!(error, PayloadError::Io(e) if e.kind() == std::io::ErrorKind::TimedOut)
}

fn too_slow() -> ApiError {
    ApiError::new(StatusCode::REQUEST_TIMEOUT, "request_timeout", "the request body took too long to arrive")
}

fn too_large() -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the body is over 64 KiB")
}

pub async fn not_found() -> HttpResponse {
    ApiError::not_found("not_found", "no such resource").error_response()
}

pub async fn method_not_allowed() -> HttpResponse {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "method not allowed on this resource")
        .error_response()
}
