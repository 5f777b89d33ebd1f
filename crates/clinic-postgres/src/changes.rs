//! A change of an appointment as one unit of work: the new state if the version is still
//! the one read, the older versions' pending messages skipped, and the change's message.

use clinic_domain::booking_record::{AppointmentChange, ChangeStored};
use clinic_domain::ids::NotificationId;
use clinic_domain::notification::{NotificationKind, NotificationStatus, SkipReason};
use diesel::prelude::*;
use diesel::sql_types::{Int4, Text, Timestamptz, Uuid as SqlUuid};

use crate::appointments::appointment_row;
use crate::schema::appointments;

/// The messages still pending about older versions are skipped, unless a worker is
/// sending one right now (it was true when composed; the change's message follows it).
/// Their attempts stay: one whose fate is unknown may have reached the patient, and so
/// the change's message is worded for a patient who was told.
const SUPERSEDE: &str = "UPDATE notifications SET status = $3, error_message = $4, updated_at = $5 \
    WHERE id IN (SELECT id FROM notifications \
                 WHERE appointment_id = $1 AND appointment_version < $2 AND status = $6 \
                 FOR UPDATE SKIP LOCKED)";

/// The change's message, addressed as the patient's profile says now (or, without a phone
/// there, to where the appointment's earlier messages went: a login's phone), due at once; its
/// text is composed when it is sent. One per change and kind (the unique index).
const TELL: &str = "INSERT INTO notifications \
    (id, appointment_id, patient_id, channel, type, to_phone, status, attempts, next_attempt_at, \
     created_at, updated_at, appointment_version) \
    SELECT $1, a.id, a.patient_id, p.preferred_channel, $2, \
      COALESCE(p.phone, (SELECT c.to_phone FROM notifications c \
                         WHERE c.appointment_id = a.id AND c.to_phone IS NOT NULL \
                         ORDER BY c.created_at LIMIT 1)), \
      $3, 0, $4, $4, $4, a.version \
    FROM appointments a JOIN patient_profiles p ON p.id = a.patient_id WHERE a.id = $5 \
    ON CONFLICT DO NOTHING";

pub(crate) fn store(conn: &mut PgConnection, change: &AppointmentChange) -> QueryResult<ChangeStored> {
    let (before, after) = (&change.before, &change.after);
    let (row, _) = appointment_row(after);
    let updated = diesel::update(
        appointments::table
            .find(before.id.as_uuid())
            .filter(appointments::version.eq(i32::try_from(before.version).unwrap_or(i32::MAX))),
    )
    .set((
        appointments::doctor_id.eq(row.doctor_id),
        appointments::scheduled_start.eq(row.scheduled_start),
        appointments::scheduled_end.eq(row.scheduled_end),
        appointments::status.eq(&row.status),
        appointments::version.eq(row.version),
        appointments::moved_at.eq(row.moved_at),
        appointments::cancelled_by.eq(&row.cancelled_by),
        appointments::cancellation_reason.eq(&row.cancellation_reason),
        appointments::updated_at.eq(change.at),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Ok(ChangeStored::Stale);
    }
    if before.doctor_id != after.doctor_id || before.scheduled_start != after.scheduled_start {
        // The patient confirmed (and arrived for) the old time, not the new one.
        diesel::update(appointments::table.find(after.id.as_uuid()))
            .set((
                appointments::patient_confirmed_at.eq(None::<time::OffsetDateTime>),
                appointments::arrived_at.eq(None::<time::OffsetDateTime>),
            ))
            .execute(conn)?;
    }
    if let Some(kind) = change.message {
        diesel::sql_query(SUPERSEDE)
            .bind::<SqlUuid, _>(after.id.as_uuid())
            .bind::<Int4, _>(row.version)
            .bind::<Text, _>(NotificationStatus::Skipped.as_str())
            .bind::<Text, _>(SkipReason::superseded_by(kind).describe())
            .bind::<Timestamptz, _>(change.at)
            .bind::<Text, _>(NotificationStatus::Pending.as_str())
            .execute(conn)?;
        tell(conn, change, kind)?;
    }
    Ok(ChangeStored::Changed)
}

fn tell(conn: &mut PgConnection, change: &AppointmentChange, kind: NotificationKind) -> QueryResult<()> {
    diesel::sql_query(TELL)
        .bind::<SqlUuid, _>(NotificationId::generate().as_uuid())
        .bind::<Text, _>(kind.as_str())
        .bind::<Text, _>(NotificationStatus::Pending.as_str())
        .bind::<Timestamptz, _>(change.at)
        .bind::<SqlUuid, _>(change.after.id.as_uuid())
        .execute(conn)?;
    Ok(())
}
