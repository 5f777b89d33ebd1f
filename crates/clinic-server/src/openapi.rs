//! The OpenAPI 3.1 document at `GET /api/openapi.json`, generated from the handlers'
//! `#[utoipa::path]` and the views' `ToSchema`, so it cannot drift from the code; a test
//! holds it to the route table.

use std::sync::LazyLock;

use actix_web::HttpResponse;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, PathItem, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::error::ErrorBody;
use crate::routes::{
    admin, closures, health, inbox, metrics, ops, patient, public, reception, reschedule, sign_in, walk_ins,
    webhooks,
};

const UNAUTHORIZED: &str = "`unauthorized`: missing, malformed, expired or foreign token";
const FORBIDDEN: &str = "`forbidden`: a patient's token on a staff route";
pub const INVALID_INPUT: &str = "`invalid_input`: malformed JSON, unknown fields or invalid values; \
    `details` names the fields";
pub const DATABASE_UNAVAILABLE: &str = "`database_unavailable`: the database does not answer; retry";
pub const TWILIO_FORM: &str = "The form Twilio posts (`MessageSid`, `MessageStatus`, `From`, `Body`, …)";
pub const TWILIO_SIGNATURE: &str =
    "Twilio's signature of `PUBLIC_BASE_URL` + path + query and the fields, with `TWILIO_AUTH_TOKEN`";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "clinic",
        description = "The appointment service of a family clinic; docs/api.md tells the same in prose. \
            Errors are `{\"error\", \"code\", \"details\"}` with a stable `code`. Every path answers \
            a method it does not take with 405 `method_not_allowed`, HEAD wherever it answers GET, \
            and an unknown path with 404 `not_found`."
    ),
    paths(
        health::live,
        health::ready,
        metrics::scrape,
        document_json,
        public::clinic,
        public::doctors,
        public::slots,
        patient::profile,
        patient::save_profile,
        patient::book,
        patient::appointments,
        patient::appointment,
        patient::cancel,
        reschedule::by_patient,
        admin::create_doctor,
        admin::update_doctor,
        admin::replace_schedule,
        admin::day,
        admin::set_status,
        admin::mark_arrived,
        reschedule::by_staff,
        admin::notifications,
        closures::close,
        closures::list,
        closures::reopen,
        reception::register_patient,
        reception::search_patients,
        reception::patient_file,
        reception::book_for_patient,
        inbox::list,
        inbox::mark_read,
        walk_ins::issue,
        walk_ins::list,
        walk_ins::call,
        walk_ins::set_status,
        walk_ins::public_status,
        ops::reminders,
        webhooks::status,
        webhooks::inbound,
        sign_in::request_code,
        sign_in::verify,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Conventions),
    tags(
        (name = "public", description = "No token needed"),
        (name = "patient", description = "Any valid token; the caller is the patient"),
        (name = "staff", description = "`clinic_role` staff or admin"),
        (name = "ops", description = "Health, the reminders job, Twilio's webhooks"),
    )
)]
struct ApiDoc;

/// The document, built once.
pub fn document() -> &'static Document {
    static DOCUMENT: LazyLock<Document> = LazyLock::new(ApiDoc::openapi);
    &DOCUMENT
}

#[utoipa::path(get, path = "/api/openapi.json", tag = "public",
    responses((status = 200, description = "This document", body = Object)))]
pub async fn document_json() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

/// Every operation of the document as (method, path), e.g. `("GET", "/healthz")`.
pub fn operations(document: &Document) -> Vec<(&'static str, String)> {
    let mut operations = Vec::new();
    for (path, item) in &document.paths.paths {
        for (method, operation) in methods(item) {
            if operation.is_some() {
                operations.push((method, path.clone()));
            }
        }
    }
    operations
}

fn methods(item: &PathItem) -> [(&'static str, &Option<Operation>); 6] {
    [
        ("GET", &item.get),
        ("HEAD", &item.head),
        ("POST", &item.post),
        ("PUT", &item.put),
        ("PATCH", &item.patch),
        ("DELETE", &item.delete),
    ]
}

/// What holds for every route rather than one: the bearer schemes, 401 wherever a token is
/// needed and 403 on the staff routes, HEAD beside GET, and the answers to a body that is too
/// large or not JSON.
struct Conventions;

impl Modify for Conventions {
    fn modify(&self, document: &mut Document) {
        let components = document.components.get_or_insert_with(Default::default);
        let bearer = || SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build());
        components.add_security_scheme("bearer", bearer());
        components.add_security_scheme("cron_secret", bearer());
        for (path, item) in &mut document.paths.paths {
            let staff = path.starts_with("/api/admin/");
            let operations =
                [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                add_auth_errors(operation, staff);
                add_body_errors(operation);
            }
            item.head = item.get.as_ref().map(head_of);
        }
    }
}

/// HEAD answers what GET does, without the body.
fn head_of(get: &Operation) -> Operation {
    let mut head = get.clone();
    head.operation_id = get.operation_id.as_ref().map(|id| format!("head_{id}"));
    for response in head.responses.responses.values_mut() {
        if let utoipa::openapi::RefOr::T(response) = response {
            response.content.clear();
        }
    }
    head
}

/// A patient's token is 401 when missing or bad, and on the staff routes a patient's is 403.
fn add_auth_errors(operation: &mut Operation, staff: bool) {
    let needs_token = operation.tags.iter().flatten().any(|tag| tag == "patient" || tag == "staff");
    if needs_token {
        add_error(operation, "401", UNAUTHORIZED);
    }
    if staff {
        add_error(operation, "403", FORBIDDEN);
    }
}

/// Every body is limited to 64 KiB, and a JSON one must be JSON.
fn add_body_errors(operation: &mut Operation) {
    let Some(body) = &operation.request_body else { return };
    let takes_json = body.content.contains_key("application/json");
    add_error(operation, "413", "`payload_too_large`: a body over 64 KiB");
    if takes_json {
        add_error(operation, "415", "`unsupported_media_type`: a body that is not `application/json`");
    }
}

fn add_error(operation: &mut Operation, status: &str, description: &str) {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
    let response =
        ResponseBuilder::new().description(description).content("application/json", content).build();
    operation.responses.responses.entry(status.into()).or_insert_with(|| response.into());
}
