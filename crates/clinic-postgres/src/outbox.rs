//! The outbox claim: due rows are locked (`FOR NO KEY UPDATE SKIP LOCKED`) in a
//! transaction the batch holds while it sends, so no other worker or instance sends
//! them too; each row's attempt is committed (in `send_attempts`, from another
//! connection) before any send; the outcomes are written in one statement and
//! committed. A crash, or a lost connection, rolls back: the rows are pending again,
//! and their attempts tell the next worker to ask Twilio before sending.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

use clinic_domain::appointment::{AppointmentStatus, Cancellation};
use clinic_domain::delivery::{Delivery, DeliveryOutcome, DueNotification, Recorded, Scope};
use clinic_domain::ids::{AppointmentId, NotificationId, PatientId};
use clinic_domain::notification::{NotificationKind, NotificationStatus, SkipReason};
use clinic_domain::phone::{PhoneNumber, mask_phone_numbers};
use clinic_domain::ports::ClaimedBatch;
use clinic_domain::ports::StoreError;
use clinic_domain::queue::TicketNow;
use clinic_domain::reminder::ReminderWindow;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{Array, Bool, Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::schema::{appointments, doctors, notifications, patient_profiles, queue_tickets, send_attempts};
use crate::store::{PgPooled, PgStore, corrupt, readable, store_error};

type DueRow = (
    (Uuid, Option<Uuid>, Uuid, String, String, Option<String>, Option<String>, i32, i32),
    Option<(String, OffsetDateTime, i32, Option<String>, Option<String>, String)>,
    Option<(String, i32, i32)>,
    (bool, bool),
);

/// For every lead, every appointment `ReminderWindow::includes` without that reminder gets
/// one, addressed as its patient's profile says now; the text is composed when it is sent.
/// Of an appointment's reminders created at once, the nearest lead's is pending (due when
/// `ReminderWindow::due_for` says) and the others are skipped as superseded; so is a
/// farther lead's still waiting (held through quiet hours) when a nearer one is created.
/// An appointment reminded before reminders had leads (`lead_minutes` NULL) gets no more.
/// The rule is the domain's; this only translates it (its names bound as parameters). One
/// reminder per appointment, version and lead is the unique index's, whichever instance
/// inserts first. The superseded rows are found by their appointments' ids as an array, so
/// that the plan looks them up by index whatever it guesses `created` holds.
const CREATE_REMINDERS: &str = "WITH created AS ( \
      INSERT INTO notifications \
        (id, appointment_id, patient_id, channel, type, to_phone, status, error_message, attempts, \
         next_attempt_at, created_at, updated_at, appointment_version, lead_minutes) \
      SELECT gen_random_uuid(), a.id, a.patient_id, p.preferred_channel, $3, p.phone, \
        CASE WHEN l.minutes = min(l.minutes) OVER (PARTITION BY a.id) THEN $4 ELSE $5 END, \
        CASE WHEN l.minutes = min(l.minutes) OVER (PARTITION BY a.id) THEN NULL ELSE $6 END, \
        0, CASE WHEN $2 > a.scheduled_start THEN $1 ELSE $2 END, $1, $1, a.version, l.minutes \
      FROM appointments a JOIN patient_profiles p ON p.id = a.patient_id \
      CROSS JOIN unnest($7::int4[]) AS l(minutes) \
      WHERE a.status = $8 AND a.scheduled_start >= $1 \
        AND a.scheduled_start < $1 + l.minutes * interval '1 minute' \
        AND COALESCE(a.moved_at, a.created_at) <= a.scheduled_start - l.minutes * interval '1 minute' \
        AND NOT EXISTS (SELECT 1 FROM notifications o WHERE o.appointment_id = a.id \
                        AND o.appointment_version = a.version AND o.type = $3 AND o.lead_minutes IS NULL) \
      ON CONFLICT DO NOTHING \
      RETURNING appointment_id, appointment_version, lead_minutes, status), \
    superseded AS ( \
      UPDATE notifications o SET status = $5, error_message = $6, updated_at = $1 \
      FROM created c \
      WHERE o.appointment_id = ANY (ARRAY(SELECT appointment_id FROM created)) \
        AND c.status = $4 AND o.appointment_id = c.appointment_id \
        AND o.appointment_version = c.appointment_version AND o.type = $3 AND o.status = $4 \
        AND o.lead_minutes > c.lead_minutes) \
    SELECT count(*) AS created FROM created";

#[derive(QueryableByName)]
struct Created {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    created: i64,
}

impl PgStore {
    pub(crate) fn create_reminders(&self, window: &ReminderWindow) -> Result<u64, StoreError> {
        let leads: Vec<i32> =
            window.leads.iter().map(|lead| i32::try_from(lead.whole_minutes()).unwrap_or(i32::MAX)).collect();
        let created = self.run(|conn| {
            diesel::sql_query(CREATE_REMINDERS)
                .bind::<Timestamptz, _>(window.now)
                .bind::<Timestamptz, _>(window.due_at)
                .bind::<Text, _>(NotificationKind::Reminder.as_str())
                .bind::<Text, _>(NotificationStatus::Pending.as_str())
                .bind::<Text, _>(NotificationStatus::Skipped.as_str())
                .bind::<Text, _>(SkipReason::Superseded.describe())
                .bind::<Array<Int4>, _>(&leads)
                .bind::<Text, _>(ReminderWindow::STATUS.as_str())
                .get_result::<Created>(conn)
        })?;
        Ok(u64::try_from(created.created).unwrap_or_default())
    }

    /// Locks the due rows in a transaction the batch holds, then commits their attempts
    /// from another connection, so that they are on record before anything is sent.
    pub(crate) fn claim(
        &self,
        scope: Scope,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Box<dyn ClaimedBatch>, StoreError> {
        let (mut conn, ()) =
            self.holding(|conn| AnsiTransactionManager::begin_transaction(conn).map_err(store_error))?;
        let mut rows = match due_rows(&mut conn, scope, now, limit) {
            Ok(rows) => rows,
            Err(e) => {
                let _ = AnsiTransactionManager::rollback_transaction(&mut *conn);
                return Err(e);
            }
        };
        let mut batch = PgClaimedBatch {
            conn: Mutex::new(Some(conn)),
            rows: Vec::new(),
            batch_id: Uuid::new_v4(),
            store: self.clone(),
        };
        if !rows.is_empty() {
            let unresolved = self.start_attempts(&rows, batch.batch_id, now)?;
            for row in &mut rows {
                let earlier = unresolved.get(&row.id.as_uuid()).copied();
                row.unresolved_since = earlier.map(|(since, _)| since);
                row.lost_since = earlier.and_then(|(_, lost)| lost);
            }
        }
        batch.rows = rows;
        Ok(Box::new(batch))
    }

    /// Commits one attempt per row; when the earliest attempt of each row started that
    /// no outcome was recorded for.
    fn start_attempts(
        &self,
        rows: &[DueNotification],
        batch: Uuid,
        now: OffsetDateTime,
    ) -> Result<HashMap<Uuid, (OffsetDateTime, Option<OffsetDateTime>)>, StoreError> {
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id.as_uuid()).collect();
        let attempts: Vec<i32> =
            rows.iter().map(|r| i32::try_from(r.attempts + 1).unwrap_or(i32::MAX)).collect();
        let earlier: Vec<Unresolved> = self.run(|conn| {
            diesel::sql_query(START_ATTEMPTS)
                .bind::<Array<SqlUuid>, _>(&ids)
                .bind::<Array<Int4>, _>(&attempts)
                .bind::<SqlUuid, _>(batch)
                .bind::<Timestamptz, _>(now)
                .load(conn)
        })?;
        Ok(earlier.into_iter().map(|u| (u.notification_id, (u.since, u.lost_since))).collect())
    }
}

/// Inserts this batch's attempts; marks as abandoned, from now, the earlier attempts no
/// batch recorded (their batch is gone: its lock was free); and reads, from the snapshot
/// before both, when the earliest earlier attempt without an outcome started and when
/// the latest unrecorded one was (or is now) found abandoned.
const START_ATTEMPTS: &str = "WITH started AS ( \
      INSERT INTO send_attempts (notification_id, attempt, batch_id, started_at) \
      SELECT a.id, a.attempt, $3, $4 FROM unnest($1::uuid[], $2::int4[]) AS a(id, attempt)), \
    abandoned AS ( \
      UPDATE send_attempts SET abandoned_at = $4 \
      WHERE notification_id = ANY($1) AND NOT recorded AND abandoned_at IS NULL) \
    SELECT notification_id, min(started_at) AS since, \
      max(COALESCE(abandoned_at, $4)) FILTER (WHERE NOT recorded) AS lost_since \
    FROM send_attempts WHERE notification_id = ANY($1) GROUP BY notification_id";

#[derive(QueryableByName)]
struct Unresolved {
    #[diesel(sql_type = SqlUuid)]
    notification_id: Uuid,
    #[diesel(sql_type = Timestamptz)]
    since: OffsetDateTime,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    lost_since: Option<OffsetDateTime>,
}

/// Locks up to `limit` due rows and reads them with their context. A row that cannot
/// be read (written by hand, or by an old version) is set aside as failed with the
/// reason, so that it never holds up the others.
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
    // Not `FOR UPDATE`: a message's attempts are committed from another connection
    // meanwhile, and their reference to the row must not wait for this lock.
    let ids: Vec<Uuid> = notifications::table
        .filter(crate::notifications::pending())
        .filter(notifications::next_attempt_at.le(now))
        .filter(in_scope)
        .order(notifications::next_attempt_at)
        .limit(i64::from(limit))
        .select(notifications::id)
        .for_no_key_update()
        .skip_locked()
        .load(conn)
        .map_err(store_error)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // The context is read apart from the lock, so that locking a message never locks
    // its appointment, doctor or patient.
    let read = readable(
        conn,
        |conn, only| context(conn, only.as_ref().map_or(&ids[..], std::slice::from_ref)),
        |_| Ok(ids.clone()),
    )
    .map_err(store_error)?;
    let mut due = Vec::with_capacity(read.rows.len());
    for row in read.rows {
        let id = row.0.0;
        match to_due(row) {
            Ok(row) => due.push(row),
            Err(reason) => set_aside(conn, id, &reason, now)?,
        }
    }
    for (id, reason) in read.unreadable {
        set_aside(conn, id, &reason, now)?;
    }
    Ok(due)
}

fn context(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<Vec<DueRow>> {
    let earlier = diesel::alias!(notifications as earlier);
    // Told: another message about the appointment was sent, or may have been (an attempt
    // whose fate is not known, or one in flight).
    let told = diesel::dsl::exists(
        earlier
            .filter(earlier.field(notifications::appointment_id).eq(notifications::appointment_id))
            .filter(earlier.field(notifications::id).ne(notifications::id))
            .filter(
                earlier.field(notifications::status).eq(NotificationStatus::Sent.as_str()).or(earlier
                    .field(notifications::id)
                    .eq_any(send_attempts::table.select(send_attempts::notification_id))),
            ),
    );
    // A message is about an appointment (and its doctor) or, a queue alert, a ticket.
    notifications::table
        .left_join(appointments::table.inner_join(doctors::table))
        .left_join(queue_tickets::table)
        .inner_join(patient_profiles::table)
        .filter(notifications::id.eq_any(ids))
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
                notifications::appointment_version,
            ),
            (
                appointments::status,
                appointments::scheduled_start,
                appointments::version,
                appointments::cancelled_by,
                appointments::cancellation_reason,
                doctors::name,
            )
                .nullable(),
            (queue_tickets::status, queue_tickets::calls, notifications::ticket_call.assume_not_null())
                .nullable(),
            (patient_profiles::sms_opt_in, told),
        ))
        .load(conn)
}

/// Fails a row the service cannot read, keeping why for staff to see.
fn set_aside(conn: &mut PgConnection, id: Uuid, reason: &str, now: OffsetDateTime) -> Result<(), StoreError> {
    // The unreadable value may be a phone number: staff see this reason, and so does the log.
    let reason = &mask_phone_numbers(reason);
    log::warn!("outbox: message {id} set aside as failed: unreadable row: {reason}");
    diesel::update(notifications::table.find(id))
        .set((
            notifications::status.eq(NotificationStatus::Failed.as_str()),
            notifications::error_message.eq(format!("unreadable row: {reason}")),
            notifications::updated_at.eq(now),
        ))
        .execute(conn)
        .map_err(store_error)?;
    Ok(())
}

fn to_due(row: DueRow) -> Result<DueNotification, String> {
    let (
        (id, appointment_id, patient_id, kind, channel, to_phone, message, attempts, about),
        appointment,
        ticket,
        (opt_in, told),
    ) = row;
    let unreadable = |what: &str, value: &dyn std::fmt::Debug| corrupt(what, value).to_string();
    let ticket = ticket
        .map(|(status, calls, call)| {
            Ok::<_, String>(TicketNow {
                status: status.parse().map_err(|()| unreadable("ticket status", &status))?,
                calls: u32::try_from(calls).map_err(|_| unreadable("ticket calls", &calls))?,
                call: u32::try_from(call).map_err(|_| unreadable("ticket call", &call))?,
            })
        })
        .transpose()?;
    // A queue alert has no appointment: these stay at rest, unread (its ticket decides).
    let (status, start, version, cancelled_by, reason, doctor) = match (appointment, &ticket) {
        (Some(appointment), _) => appointment,
        (None, Some(_)) => (
            AppointmentStatus::Booked.as_str().to_owned(),
            OffsetDateTime::UNIX_EPOCH,
            about,
            None,
            None,
            String::new(),
        ),
        (None, None) => return Err("a message about neither an appointment nor a ticket".into()),
    };
    Ok(DueNotification {
        id: NotificationId::from_uuid(id),
        appointment_id: appointment_id.map(AppointmentId::from_uuid),
        ticket,
        patient_id: PatientId::from_uuid(patient_id),
        kind: kind.parse().map_err(|()| unreadable("notification type", &kind))?,
        channel: channel.parse().map_err(|()| unreadable("channel", &channel))?,
        to_phone: to_phone
            .map(|p| PhoneNumber::parse(&p).map_err(|_| unreadable("phone", &p)))
            .transpose()?,
        message,
        attempts: u32::try_from(attempts).map_err(|_| unreadable("attempts", &attempts))?,
        unresolved_since: None,
        lost_since: None,
        appointment_status: status.parse().map_err(|()| unreadable("appointment status", &status))?,
        scheduled_start: start,
        doctor_name: doctor,
        about_version: u32::try_from(about).map_err(|_| unreadable("appointment version", &about))?,
        appointment_version: u32::try_from(version)
            .map_err(|_| unreadable("appointment version", &version))?,
        cancellation: cancelled_by
            .map(|by| {
                let by = by.parse().map_err(|()| unreadable("cancelled_by", &by))?;
                Ok::<_, String>(Cancellation { by, reason })
            })
            .transpose()?,
        patient_told: told,
        patient_sms_opt_in: opt_in,
    })
}

struct PgClaimedBatch {
    /// Holds the rows' locks in its transaction; `None` once finished, or lost.
    conn: Mutex<Option<PgPooled>>,
    rows: Vec<DueNotification>,
    /// Names this batch's attempts.
    batch_id: Uuid,
    /// For recording on a fresh connection when the batch's own was lost.
    store: PgStore,
}

impl ClaimedBatch for PgClaimedBatch {
    fn notifications(&self) -> &[DueNotification] {
        &self.rows
    }

    /// One round trip on the batch's own connection: an error means the connection, its
    /// transaction and its locks are gone.
    fn still_held(&self) -> bool {
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(held) = conn.as_mut() else { return false };
        let alive = diesel::sql_query("SELECT 1").execute(&mut **held).is_ok();
        if !alive {
            // Nothing of it is ours any more; a record goes through a fresh connection.
            // (The pool counts the loss as this one comes back: see `pool.rs`.)
            conn.take();
        }
        alive
    }

    fn finish(&mut self, deliveries: &[Delivery]) -> Result<Recorded, StoreError> {
        let taken = self.conn.get_mut().unwrap_or_else(PoisonError::into_inner).take();
        let Some(mut conn) = taken else {
            // The batch's transaction is gone, and its locks with it: record what no
            // other worker has recorded since, in a transaction of its own.
            return self.store.transaction(|conn| record(conn, self.batch_id, &self.rows, deliveries));
        };
        let recorded = record(&mut conn, self.batch_id, &self.rows, deliveries).map_err(store_error);
        match recorded {
            Ok(recorded) => {
                AnsiTransactionManager::commit_transaction(&mut *conn).map_err(store_error)?;
                Ok(recorded)
            }
            Err(e) => {
                let _ = AnsiTransactionManager::rollback_transaction(&mut *conn);
                Err(e)
            }
        }
    }
}

impl Drop for PgClaimedBatch {
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.get_mut().unwrap_or_else(PoisonError::into_inner).take() {
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
    attempts_before: Vec<i32>,
    settles: Vec<bool>,
}

impl Columns {
    fn push(&mut self, d: &Delivery, attempts_before: u32) {
        let (status, next, sid, code, message, sent_at) = match &d.outcome {
            DeliveryOutcome::Sent { provider_sid } | DeliveryOutcome::Adopted { provider_sid } => {
                (NotificationStatus::Sent, None, Some(provider_sid.clone()), None, None, Some(d.at))
            }
            DeliveryOutcome::Failed { code, message } => {
                (NotificationStatus::Failed, None, None, code.clone(), Some(message.clone()), None)
            }
            DeliveryOutcome::Retry { at, code, message } => {
                (NotificationStatus::Pending, Some(*at), None, code.clone(), Some(message.clone()), None)
            }
            DeliveryOutcome::Unknown { at, message } => {
                (NotificationStatus::Pending, Some(*at), None, None, Some(message.clone()), None)
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
        self.attempts_before.push(i32::try_from(attempts_before).unwrap_or(i32::MAX));
        self.settles.push(d.outcome.settles_attempts());
    }
}

/// Records the outcomes of rows still as this batch claimed them; clears the attempts
/// an outcome settles, and this batch's attempts of the rows it never reached; and
/// names the recorded SIDs that another message has too.
const RECORD: &str = "WITH d AS ( \
      SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int4[], $5::int4[], $6::timestamptz[], \
                           $7::text[], $8::text[], $9::text[], $10::timestamptz[], $11::timestamptz[], \
                           $12::int4[], $13::bool[]) \
        AS d(id, status, message, segments, attempts, next_attempt_at, provider_sid, error_code, \
             error_message, sent_at, updated_at, attempts_before, settles)), \
    recorded AS ( \
      UPDATE notifications AS n SET \
        status = d.status, message = COALESCE(NULLIF(d.message, ''), n.message), segments = d.segments, \
        attempts = d.attempts, \
        next_attempt_at = COALESCE(d.next_attempt_at, n.next_attempt_at), provider_sid = d.provider_sid, \
        error_code = d.error_code, error_message = d.error_message, sent_at = d.sent_at, \
        updated_at = d.updated_at \
      FROM d WHERE n.id = d.id AND n.status = $16 AND n.attempts = d.attempts_before \
      RETURNING n.id, n.provider_sid), \
    settled AS ( \
      DELETE FROM send_attempts s USING recorded r JOIN d ON d.id = r.id \
      WHERE s.notification_id = r.id AND d.settles), \
    released AS ( \
      DELETE FROM send_attempts s WHERE s.batch_id = $14 AND s.notification_id = ANY($15::uuid[])), \
    unknown AS ( \
      UPDATE send_attempts s SET recorded = true FROM recorded r JOIN d ON d.id = r.id \
      WHERE s.notification_id = r.id AND s.batch_id = $14 AND NOT d.settles) \
    SELECT r.id, r.provider_sid AS sid FROM recorded r WHERE r.provider_sid IS NOT NULL AND ( \
      EXISTS (SELECT 1 FROM notifications o WHERE o.provider_sid = r.provider_sid AND o.id <> r.id) \
      OR EXISTS (SELECT 1 FROM recorded r2 WHERE r2.provider_sid = r.provider_sid AND r2.id <> r.id))";

#[derive(QueryableByName)]
struct SharedSid {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    sid: String,
}

fn record(
    conn: &mut PgConnection,
    batch: Uuid,
    rows: &[DueNotification],
    deliveries: &[Delivery],
) -> Result<Recorded, DieselError> {
    if rows.is_empty() {
        return Ok(Recorded::default());
    }
    let attempts_before: HashMap<NotificationId, u32> = rows.iter().map(|r| (r.id, r.attempts)).collect();
    let mut c = Columns::default();
    for d in deliveries {
        c.push(d, attempts_before.get(&d.id).copied().unwrap_or_default());
    }
    let reached: HashSet<NotificationId> = deliveries.iter().map(|d| d.id).collect();
    let unreached: Vec<Uuid> =
        rows.iter().filter(|r| !reached.contains(&r.id)).map(|r| r.id.as_uuid()).collect();
    let shared: Vec<SharedSid> = diesel::sql_query(RECORD)
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
        .bind::<Array<Int4>, _>(c.attempts_before)
        .bind::<Array<Bool>, _>(c.settles)
        .bind::<SqlUuid, _>(batch)
        .bind::<Array<SqlUuid>, _>(unreached)
        .bind::<Text, _>(NotificationStatus::Pending.as_str())
        .load(conn)?;
    let opted_out: Vec<Uuid> =
        deliveries.iter().filter(|d| d.patient_opted_out).map(|d| d.patient_id.as_uuid()).collect();
    if let Some(at) = deliveries.iter().filter(|d| d.patient_opted_out).map(|d| d.at).max() {
        diesel::update(patient_profiles::table.filter(patient_profiles::id.eq_any(opted_out)))
            .set((patient_profiles::sms_opt_in.eq(false), patient_profiles::updated_at.eq(at)))
            .execute(conn)?;
    }
    Ok(Recorded {
        shared_sids: shared.into_iter().map(|s| (NotificationId::from_uuid(s.id), s.sid)).collect(),
    })
}
