//! The outbox claim: due rows are locked (`FOR UPDATE SKIP LOCKED`) in a transaction
//! the batch holds while it sends, so no other worker or instance sends them too; the
//! outcomes are written in one statement and committed. A crash, or dropping the batch
//! unfinished, rolls back: the rows are pending again for the next worker.

use clinic_domain::ids::{AppointmentId, NotificationId, PatientId};
use clinic_domain::notification::{NotificationKind, NotificationStatus};
use clinic_domain::outbox::{ClaimedBatch, Delivery, DeliveryOutcome, DueNotification, Scope};
use clinic_domain::phone::PhoneNumber;
use clinic_domain::ports::StoreError;
use clinic_domain::reminders::ReminderWindow;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::pg::Pg;
use diesel::pg::data_types::PgInterval;
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Int4, Interval, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::schema::{appointments, doctors, notifications, patient_profiles};
use crate::store::{PgPooled, PgStore, corrupt, store_error};

type DueRow = (
    (Uuid, Uuid, Uuid, String, String, Option<String>, Option<String>, i32),
    (String, OffsetDateTime),
    String,
    bool,
);

/// Every booked appointment of the window without a reminder gets one, addressed as its
/// patient's profile says now; the text is composed when it is first sent.
const CREATE_REMINDERS: &str = "INSERT INTO notifications \
    (id, appointment_id, patient_id, channel, type, to_phone, status, attempts, next_attempt_at, created_at, updated_at) \
    SELECT gen_random_uuid(), a.id, a.patient_id, p.preferred_channel, 'reminder', p.phone, 'pending', 0, $4, $4, $4 \
    FROM appointments a JOIN patient_profiles p ON p.id = a.patient_id \
    WHERE a.status = 'booked' AND a.scheduled_start >= $1 AND a.scheduled_start < $2 \
      AND a.created_at <= a.scheduled_start - $3 \
    ON CONFLICT (appointment_id, type) WHERE type IN ('confirmation', 'reminder') DO NOTHING";

impl PgStore {
    pub(crate) fn create_reminders(&self, window: &ReminderWindow) -> Result<u64, StoreError> {
        let notice = PgInterval::from_microseconds(window.min_notice.whole_microseconds() as i64);
        let created = self.run(|conn| {
            diesel::sql_query(CREATE_REMINDERS)
                .bind::<Timestamptz, _>(window.starts_from)
                .bind::<Timestamptz, _>(window.starts_before)
                .bind::<Interval, _>(notice)
                .bind::<Timestamptz, _>(window.now)
                .execute(conn)
        })?;
        Ok(created as u64)
    }

    pub(crate) fn claim(
        &self,
        scope: Scope,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Box<dyn ClaimedBatch>, StoreError> {
        let mut conn = self.connection()?;
        AnsiTransactionManager::begin_transaction(&mut *conn).map_err(store_error)?;
        let mut batch = PgClaimedBatch { conn: Some(conn), rows: Vec::new() };
        let conn =
            batch.conn.as_mut().ok_or_else(|| StoreError::Failed("claim without a connection".into()))?;
        batch.rows = due_rows(conn, scope, now, limit)?;
        Ok(Box::new(batch))
    }
}

fn due_rows(
    conn: &mut PgConnection,
    scope: Scope,
    now: OffsetDateTime,
    limit: u32,
) -> Result<Vec<DueNotification>, StoreError> {
    let reminder = NotificationKind::Reminder.as_str();
    let in_scope: Box<dyn BoxableExpression<notifications::table, Pg, SqlType = Bool>> = match scope {
        Scope::Everything { reminders_created_before } => Box::new(
            notifications::kind.ne(reminder).or(notifications::created_at.lt(reminders_created_before)),
        ),
        Scope::Reminders => Box::new(notifications::kind.eq(reminder)),
    };
    let ids: Vec<Uuid> = notifications::table
        .filter(notifications::status.eq(NotificationStatus::Pending.as_str()))
        .filter(notifications::next_attempt_at.le(now))
        .filter(in_scope)
        .order(notifications::next_attempt_at)
        .limit(i64::from(limit))
        .select(notifications::id)
        .for_update()
        .skip_locked()
        .load(conn)
        .map_err(store_error)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // The context is read apart from the lock, so that locking a message never locks
    // its appointment, doctor or patient.
    let rows: Vec<DueRow> = notifications::table
        .inner_join(appointments::table.inner_join(doctors::table))
        .inner_join(patient_profiles::table)
        .filter(notifications::id.eq_any(&ids))
        .order(notifications::next_attempt_at)
        .select((
            (
                notifications::id,
                notifications::appointment_id,
                notifications::patient_id,
                notifications::kind,
                notifications::channel,
                notifications::to_phone,
                notifications::message,
                notifications::attempts,
            ),
            (appointments::status, appointments::scheduled_start),
            doctors::name,
            patient_profiles::sms_opt_in,
        ))
        .load(conn)
        .map_err(store_error)?;
    rows.into_iter().map(to_due).collect()
}

fn to_due(row: DueRow) -> Result<DueNotification, StoreError> {
    let (
        (id, appointment_id, patient_id, kind, channel, to_phone, message, attempts),
        (status, start),
        doctor,
        opt_in,
    ) = row;
    Ok(DueNotification {
        id: NotificationId::from_uuid(id),
        appointment_id: AppointmentId::from_uuid(appointment_id),
        patient_id: PatientId::from_uuid(patient_id),
        kind: kind.parse().map_err(|()| corrupt("notification type", &kind))?,
        channel: channel.parse().map_err(|()| corrupt("channel", &channel))?,
        to_phone: to_phone.map(|p| PhoneNumber::parse(&p).map_err(|_| corrupt("phone", p))).transpose()?,
        message,
        attempts: u32::try_from(attempts).map_err(|_| corrupt("attempts", attempts))?,
        appointment_status: status.parse().map_err(|()| corrupt("appointment status", &status))?,
        scheduled_start: start,
        doctor_name: doctor,
        patient_sms_opt_in: opt_in,
    })
}

struct PgClaimedBatch {
    /// Holds the transaction; `None` once finished.
    conn: Option<PgPooled>,
    rows: Vec<DueNotification>,
}

impl ClaimedBatch for PgClaimedBatch {
    fn notifications(&self) -> &[DueNotification] {
        &self.rows
    }

    fn finish(&mut self, deliveries: &[Delivery]) -> Result<(), StoreError> {
        let Some(mut conn) = self.conn.take() else {
            return Ok(());
        };
        let written = record(&mut conn, deliveries);
        if written.is_err() {
            let _ = AnsiTransactionManager::rollback_transaction(&mut *conn);
            return written;
        }
        AnsiTransactionManager::commit_transaction(&mut *conn).map_err(store_error)
    }
}

impl Drop for PgClaimedBatch {
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            if let Err(e) = AnsiTransactionManager::rollback_transaction(&mut *conn) {
                log::warn!("releasing an unfinished outbox batch: {e}");
            }
        }
    }
}

/// The outcomes as columns, one array each, for a single `UPDATE ... FROM unnest(...)`.
#[derive(Default)]
struct Columns {
    id: Vec<Uuid>,
    status: Vec<String>,
    message: Vec<String>,
    segments: Vec<i32>,
    attempts: Vec<i32>,
    next_attempt_at: Vec<Option<OffsetDateTime>>,
    provider_sid: Vec<Option<String>>,
    error_code: Vec<Option<String>>,
    error_message: Vec<Option<String>>,
    sent_at: Vec<Option<OffsetDateTime>>,
    updated_at: Vec<OffsetDateTime>,
}

impl Columns {
    fn push(&mut self, d: &Delivery) {
        let (status, next, sid, code, message, sent_at) = match &d.outcome {
            DeliveryOutcome::Sent { provider_sid } => {
                (NotificationStatus::Sent, None, Some(provider_sid.clone()), None, None, Some(d.at))
            }
            DeliveryOutcome::Failed { code, message } => {
                (NotificationStatus::Failed, None, None, code.clone(), Some(message.clone()), None)
            }
            DeliveryOutcome::Retry { at, code, message } => {
                (NotificationStatus::Pending, Some(*at), None, code.clone(), Some(message.clone()), None)
            }
            DeliveryOutcome::Skipped(reason) => {
                (NotificationStatus::Skipped, None, None, None, Some(reason.describe().to_owned()), None)
            }
        };
        self.id.push(d.id.as_uuid());
        self.status.push(status.as_str().to_owned());
        self.message.push(d.message.clone());
        self.segments.push(i32::try_from(d.segments).unwrap_or(i32::MAX));
        self.attempts.push(i32::try_from(d.attempts).unwrap_or(i32::MAX));
        self.next_attempt_at.push(next);
        self.provider_sid.push(sid);
        self.error_code.push(code);
        self.error_message.push(message);
        self.sent_at.push(sent_at);
        self.updated_at.push(d.at);
    }
}

const RECORD: &str = "UPDATE notifications AS n SET \
    status = d.status, message = d.message, segments = d.segments, attempts = d.attempts, \
    next_attempt_at = COALESCE(d.next_attempt_at, n.next_attempt_at), provider_sid = d.provider_sid, \
    error_code = d.error_code, error_message = d.error_message, sent_at = d.sent_at, updated_at = d.updated_at \
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int4[], $5::int4[], $6::timestamptz[], $7::text[], \
                $8::text[], $9::text[], $10::timestamptz[], $11::timestamptz[]) \
      AS d(id, status, message, segments, attempts, next_attempt_at, provider_sid, error_code, error_message, \
           sent_at, updated_at) \
    WHERE n.id = d.id";

fn record(conn: &mut PgConnection, deliveries: &[Delivery]) -> Result<(), StoreError> {
    if deliveries.is_empty() {
        return Ok(());
    }
    let mut c = Columns::default();
    deliveries.iter().for_each(|d| c.push(d));
    diesel::sql_query(RECORD)
        .bind::<Array<SqlUuid>, _>(c.id)
        .bind::<Array<Text>, _>(c.status)
        .bind::<Array<Text>, _>(c.message)
        .bind::<Array<Int4>, _>(c.segments)
        .bind::<Array<Int4>, _>(c.attempts)
        .bind::<Array<Nullable<Timestamptz>>, _>(c.next_attempt_at)
        .bind::<Array<Nullable<Text>>, _>(c.provider_sid)
        .bind::<Array<Nullable<Text>>, _>(c.error_code)
        .bind::<Array<Nullable<Text>>, _>(c.error_message)
        .bind::<Array<Nullable<Timestamptz>>, _>(c.sent_at)
        .bind::<Array<Timestamptz>, _>(c.updated_at)
        .execute(conn)
        .map_err(store_error)?;
    let opted_out: Vec<Uuid> =
        deliveries.iter().filter(|d| d.patient_opted_out).map(|d| d.patient_id.as_uuid()).collect();
    if let Some(at) = deliveries.iter().filter(|d| d.patient_opted_out).map(|d| d.at).max() {
        diesel::update(patient_profiles::table.filter(patient_profiles::id.eq_any(opted_out)))
            .set((patient_profiles::sms_opt_in.eq(false), patient_profiles::updated_at.eq(at)))
            .execute(conn)
            .map_err(store_error)?;
    }
    Ok(())
}
