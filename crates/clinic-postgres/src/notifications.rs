//! The outbox's rows.

use clinic_domain::appointment::Appointment;
use clinic_domain::delivery::Scope;
use clinic_domain::ids::{AppointmentId, NotificationId, PatientId, TicketId};
use clinic_domain::notification::NotificationFilter;
use clinic_domain::notification::StatusReport;
use clinic_domain::notification::{NewNotification, Notification, NotificationStatus};
use clinic_domain::phone::PhoneNumber;
use clinic_domain::ports::{ClaimedBatch, NotificationRepository, StoreError};
use clinic_domain::reminder::ReminderWindow;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::appointments::appointment_row;
use crate::closures;
use crate::schema::{early_status_reports, notifications};
use crate::store::{PgStore, corrupt};

#[derive(Queryable, Selectable)]
#[diesel(table_name = notifications, check_for_backend(diesel::pg::Pg))]
struct NotificationRow {
    id: Uuid,
    appointment_id: Option<Uuid>,
    ticket_id: Option<Uuid>,
    patient_id: Uuid,
    channel: String,
    kind: String,
    status: String,
    message: Option<String>,
    segments: Option<i32>,
    to_phone: Option<String>,
    attempts: i32,
    provider_sid: Option<String>,
    error_code: Option<String>,
    error_message: Option<String>,
    delivery_status: Option<String>,
    created_at: OffsetDateTime,
    sent_at: Option<OffsetDateTime>,
}

impl NotificationRepository for PgStore {
    fn list(&self, filter: NotificationFilter) -> Result<Vec<Notification>, StoreError> {
        let rows: Vec<NotificationRow> = self.run(|conn| {
            let mut query = notifications::table
                .order((notifications::created_at.desc(), notifications::id.desc()))
                .limit(i64::from(filter.limit))
                .select(NotificationRow::as_select())
                .into_boxed();
            if let Some(status) = filter.status {
                query = query.filter(notifications::status.eq(status.as_str()));
            }
            if let Some(kind) = filter.kind {
                query = query.filter(notifications::kind.eq(kind.as_str()));
            }
            query.load(conn)
        })?;
        rows.into_iter().map(to_notification).collect()
    }

    fn claim_due(
        &self,
        scope: Scope,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Box<dyn ClaimedBatch>, StoreError> {
        self.claim(scope, now, limit)
    }

    fn create_reminders(&self, window: &ReminderWindow) -> Result<u64, StoreError> {
        PgStore::create_reminders(self, window)
    }

    fn delivery_status(&self, sid: &str) -> Result<Option<Option<String>>, StoreError> {
        self.run(|conn| {
            notifications::table
                .filter(notifications::provider_sid.eq(sid))
                .select(notifications::delivery_status)
                .first(conn)
                .optional()
        })
    }

    fn record_delivery_status(
        &self,
        sid: &str,
        current: Option<String>,
        status: &str,
        error_code: Option<String>,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let updated = self.run(|conn| {
            let target = notifications::table
                .filter(notifications::provider_sid.eq(sid))
                .filter(notifications::delivery_status.is_not_distinct_from(current.clone()));
            let changes = (notifications::delivery_status.eq(status), notifications::updated_at.eq(at));
            match &error_code {
                Some(code) => {
                    diesel::update(target).set((changes, notifications::error_code.eq(code))).execute(conn)
                }
                None => diesel::update(target).set(changes).execute(conn),
            }
        })?;
        Ok(updated == 1)
    }

    fn keep_early_report(&self, report: &StatusReport) -> Result<(), StoreError> {
        self.run(|conn| {
            diesel::insert_into(early_status_reports::table)
                .values((
                    early_status_reports::provider_sid.eq(&report.sid),
                    early_status_reports::delivery_status.eq(&report.status),
                    early_status_reports::error_code.eq(&report.error_code),
                    early_status_reports::reported_at.eq(report.at),
                ))
                .execute(conn)
        })?;
        Ok(())
    }

    fn take_early_reports(
        &self,
        sids: &[String],
        forget_before: OffsetDateTime,
    ) -> Result<Vec<StatusReport>, StoreError> {
        let taken: Vec<(String, String, Option<String>, OffsetDateTime)> = self.run(|conn| {
            diesel::delete(
                early_status_reports::table.filter(
                    early_status_reports::provider_sid
                        .eq_any(sids)
                        .or(early_status_reports::reported_at.lt(forget_before)),
                ),
            )
            .returning((
                early_status_reports::provider_sid,
                early_status_reports::delivery_status,
                early_status_reports::error_code,
                early_status_reports::reported_at,
            ))
            .get_results(conn)
        })?;
        Ok(taken
            .into_iter()
            .map(|(sid, status, error_code, at)| StatusReport { sid, status, error_code, at })
            .collect())
    }
}

fn to_notification(row: NotificationRow) -> Result<Notification, StoreError> {
    Ok(Notification {
        id: NotificationId::from_uuid(row.id),
        appointment_id: row.appointment_id.map(AppointmentId::from_uuid),
        ticket_id: row.ticket_id.map(TicketId::from_uuid),
        patient_id: PatientId::from_uuid(row.patient_id),
        channel: row.channel.parse().map_err(|()| corrupt("channel", &row.channel))?,
        kind: row.kind.parse().map_err(|()| corrupt("notification type", &row.kind))?,
        status: row.status.parse().map_err(|()| corrupt("notification status", &row.status))?,
        message: row.message,
        segments: row.segments.and_then(|s| u32::try_from(s).ok()),
        to_phone: row
            .to_phone
            .map(|p| PhoneNumber::parse(&p).map_err(|_| corrupt("phone", p)))
            .transpose()?,
        attempts: u32::try_from(row.attempts).map_err(|_| corrupt("attempts", row.attempts))?,
        provider_sid: row.provider_sid,
        error_code: row.error_code,
        error_message: row.error_message,
        delivery_status: row.delivery_status,
        created_at: row.created_at,
        sent_at: row.sent_at,
    })
}

/// `status = 'pending'` as a literal, not a parameter: a generic plan (which a prepared
/// statement may settle on) can then use the partial index of pending rows,
/// `notifications_due`, instead of reading every message ever sent.
pub(crate) fn pending() -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    diesel::dsl::sql("notifications.status = 'pending'")
}

/// A new message's columns, as [`insert_booked`] binds them.
struct NewNotificationRow<'a> {
    id: Uuid,
    patient_id: Uuid,
    channel: &'a str,
    kind: &'a str,
    message: Option<&'a str>,
    segments: Option<i32>,
    to_phone: Option<&'a str>,
    status: &'a str,
    error_message: Option<&'a str>,
    created_at: OffsetDateTime,
    appointment_version: i32,
}

/// A new message's row in the outbox: pending and due now, or skipped with its reason.
fn new_row(notification: &NewNotification) -> NewNotificationRow<'_> {
    let status = match notification.skipped {
        None => NotificationStatus::Pending,
        Some(_) => NotificationStatus::Skipped,
    };
    NewNotificationRow {
        id: notification.id.as_uuid(),
        patient_id: notification.patient_id.as_uuid(),
        channel: notification.channel.as_str(),
        kind: notification.kind.as_str(),
        message: Some(&notification.message),
        segments: i32::try_from(notification.segments).ok(),
        to_phone: notification.to_phone.as_ref().map(|p| p.as_str()),
        status: status.as_str(),
        error_message: notification.skipped.as_ref().map(|reason| reason.describe()),
        created_at: notification.created_at,
        appointment_version: 1,
    }
}

/// A new booking's appointment and its confirmation in one statement, unless a closure
/// covers the appointment (after the booking's locks: `closures.rs`); whether it was stored.
/// A slot already held fails it with the one-per-doctor-and-start unique violation.
pub(crate) fn insert_booked(
    conn: &mut PgConnection,
    booked: &Appointment,
    confirmation: &NewNotification,
) -> QueryResult<bool> {
    let open = closures::open_sql("$3", "$4", "$5");
    let sql = format!(
        "WITH booked AS (\
           INSERT INTO appointments (id, patient_id, doctor_id, scheduled_start, scheduled_end, status, \
                                     created_at, updated_at, version) \
           SELECT $1, $2, $3, $4, $5, $6, $7, $7, $8 WHERE {open} RETURNING id) \
         INSERT INTO notifications (id, appointment_id, patient_id, channel, type, message, segments, \
                                    to_phone, status, error_message, next_attempt_at, created_at, \
                                    updated_at, appointment_version) \
         SELECT $9, id, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, $18, $19 FROM booked"
    );
    // The appointment's columns as `appointment_row` maps them, as every other write does.
    let (booked, _) = appointment_row(booked);
    let row = new_row(confirmation);
    let stored = diesel::sql_query(sql)
        .bind::<SqlUuid, _>(booked.id)
        .bind::<SqlUuid, _>(booked.patient_id)
        .bind::<SqlUuid, _>(booked.doctor_id)
        .bind::<Timestamptz, _>(booked.scheduled_start)
        .bind::<Timestamptz, _>(booked.scheduled_end)
        .bind::<Text, _>(&booked.status)
        .bind::<Timestamptz, _>(booked.created_at)
        .bind::<Integer, _>(booked.version)
        .bind::<SqlUuid, _>(row.id)
        .bind::<SqlUuid, _>(row.patient_id)
        .bind::<Text, _>(row.channel)
        .bind::<Text, _>(row.kind)
        .bind::<Nullable<Text>, _>(row.message)
        .bind::<Nullable<Integer>, _>(row.segments)
        .bind::<Nullable<Text>, _>(row.to_phone)
        .bind::<Text, _>(row.status)
        .bind::<Nullable<Text>, _>(row.error_message)
        .bind::<Timestamptz, _>(row.created_at)
        .bind::<Integer, _>(row.appointment_version)
        .execute(conn)?;
    Ok(stored == 1)
}
