//! The outbox's rows.

use clinic_domain::delivery::Scope;
use clinic_domain::ids::{AppointmentId, NotificationId, PatientId, TicketId};
use clinic_domain::notification::NotificationFilter;
use clinic_domain::notification::StatusReport;
use clinic_domain::notification::{NewNotification, Notification, NotificationStatus};
use clinic_domain::phone::PhoneNumber;
use clinic_domain::ports::{ClaimedBatch, NotificationRepository, StoreError};
use clinic_domain::reminder::ReminderWindow;
use diesel::prelude::*;
use time::OffsetDateTime;
use uuid::Uuid;

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
                .filter(notifications::delivery_status.is_not_distinct_from(current));
            let changes = (notifications::delivery_status.eq(status), notifications::updated_at.eq(at));
            match error_code {
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

#[derive(Insertable)]
#[diesel(table_name = notifications, check_for_backend(diesel::pg::Pg))]
struct NewNotificationRow<'a> {
    id: Uuid,
    appointment_id: Uuid,
    patient_id: Uuid,
    channel: &'a str,
    kind: &'a str,
    message: Option<&'a str>,
    segments: Option<i32>,
    to_phone: Option<&'a str>,
    status: &'a str,
    error_message: Option<&'a str>,
    next_attempt_at: OffsetDateTime,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    appointment_version: i32,
}

/// Puts a new message into the outbox: pending and due now, or skipped with its reason.
pub(crate) fn insert(conn: &mut PgConnection, notification: &NewNotification) -> QueryResult<()> {
    let status = match notification.skipped {
        None => NotificationStatus::Pending,
        Some(_) => NotificationStatus::Skipped,
    };
    let row = NewNotificationRow {
        id: notification.id.as_uuid(),
        appointment_id: notification.appointment_id.as_uuid(),
        patient_id: notification.patient_id.as_uuid(),
        channel: notification.channel.as_str(),
        kind: notification.kind.as_str(),
        message: Some(&notification.message),
        segments: i32::try_from(notification.segments).ok(),
        to_phone: notification.to_phone.as_ref().map(|p| p.as_str()),
        status: status.as_str(),
        error_message: notification.skipped.as_ref().map(|reason| reason.describe()),
        next_attempt_at: notification.created_at,
        created_at: notification.created_at,
        updated_at: notification.created_at,
        appointment_version: 1,
    };
    diesel::insert_into(notifications::table).values(&row).execute(conn)?;
    Ok(())
}
