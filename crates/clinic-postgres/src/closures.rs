//! Closures, and the locks that order them against bookings.
//!
//! A booking takes two shared advisory locks, the whole clinic's and its doctor's, and
//! then checks for a closure over its slot; a closure takes its own one exclusively
//! (the clinic's or its doctor's) before it lists the appointments it affects. Bookings
//! never wait for each other, and of a booking and a closure over its slot one waits
//! for the other to commit: either the booking committed first and the closure lists
//! it, or the closure did and the booking, whose check runs after its locks, sees it.

use clinic_domain::appointment::{Appointment, AppointmentStatus};
use clinic_domain::booking_record::ChangeStored;
use clinic_domain::closure::Closure;
use clinic_domain::ids::{ClosureId, DoctorId};
use clinic_domain::ports::{ClosureRepository, StoreError};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{Bool, Integer, Timestamptz, Uuid as SqlUuid};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::appointments::{AppointmentRow, to_appointment};
use crate::changes;
use crate::schema::{appointments, closures};
use crate::store::PgStore;

/// The advisory locks' first key ("clos"); the second is [`WHOLE_CLINIC`] or a doctor's.
const CLOSURE_LOCKS: i32 = 0x636c_6f73;
/// The second key of the whole clinic's lock. A doctor whose key is the same merely
/// waits for clinic-wide closures as well.
const WHOLE_CLINIC: i32 = 0;

/// A doctor's lock key: the first four bytes of a random (v4) id are random enough.
fn doctor_key(doctor: DoctorId) -> i32 {
    let [a, b, c, d, ..] = doctor.as_uuid().into_bytes();
    i32::from_be_bytes([a, b, c, d])
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = closures, check_for_backend(diesel::pg::Pg))]
struct ClosureRow {
    id: Uuid,
    doctor_id: Option<Uuid>,
    starts: OffsetDateTime,
    ends: OffsetDateTime,
    reason: String,
}

/// A booking's two shared locks, the whole clinic's and its doctor's.
fn shared_locks(doctor: DoctorId) -> String {
    format!(
        "SELECT pg_advisory_xact_lock_shared({CLOSURE_LOCKS}, {WHOLE_CLINIC}), \
         pg_advisory_xact_lock_shared({CLOSURE_LOCKS}, {})",
        doctor_key(doctor)
    )
}

/// A booking's `BEGIN`, with its shared locks (see [`closed_for_booking`]) in the same
/// round trip; the closure check follows in a statement of its own. Formatted rather
/// than bound: several statements in one message go by the simple protocol
/// (`batch_execute`), which takes no bind parameters; only integers are formatted in.
pub(crate) fn begin_booking(doctor: DoctorId) -> String {
    format!("BEGIN; {}", shared_locks(doctor))
}

/// The condition, in SQL, that no closure of doctor `$doctor` or of the whole clinic
/// overlaps `[$starts, $ends)`: [`closed_for_booking`]'s check, inside a statement.
pub(crate) fn open_sql(doctor: &str, starts: &str, ends: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM closures WHERE (doctor_id IS NULL OR doctor_id = {doctor}) \
         AND starts < {ends} AND ends > {starts})"
    )
}

/// In a booking's transaction, before its appointment is stored: waits for a closure
/// of its doctor or the clinic being recorded, then says whether one covers the
/// appointment's time ([`Closure::covers`]).
pub(crate) fn closed_for_booking(conn: &mut PgConnection, booked: &Appointment) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Open {
        #[diesel(sql_type = Bool)]
        open: bool,
    }
    conn.batch_execute(&shared_locks(booked.doctor_id))?;
    // A statement of its own, so that it reads what committed while it waited.
    let open = diesel::sql_query(format!("SELECT {} AS open", open_sql("$1", "$2", "$3")))
        .bind::<SqlUuid, _>(booked.doctor_id.as_uuid())
        .bind::<Timestamptz, _>(booked.scheduled_start)
        .bind::<Timestamptz, _>(booked.scheduled_end)
        .get_result::<Open>(conn)?;
    Ok(!open.open)
}

/// Cancels the appointments a closure affects and that have not begun, inside the
/// closure's own transaction, as the clinic's cancels with the closure's reason: each a
/// new version with its patient's cancellation message. A visit that has begun happened
/// or not (staff record that: a cancel would be final), and one a patient cancelled
/// meanwhile, are left as they are. All are listed, as they now are.
pub(crate) fn cancel_for_closure(
    conn: &mut PgConnection,
    closure: &Closure,
    affected: Vec<Appointment>,
    at: OffsetDateTime,
) -> QueryResult<Vec<Appointment>> {
    let mut listed = Vec::with_capacity(affected.len());
    for appointment in affected {
        if appointment.status == AppointmentStatus::Booked && appointment.scheduled_start > at {
            let change = closure.cancellation(&appointment, at);
            if changes::store(conn, &change)? == ChangeStored::Changed {
                listed.push(change.after);
                continue;
            }
        }
        listed.push(appointment);
    }
    Ok(listed)
}

impl ClosureRepository for PgStore {
    fn close(
        &self,
        closure: &Closure,
        cancel_booked: bool,
        at: OffsetDateTime,
    ) -> Result<Vec<Appointment>, StoreError> {
        self.transaction(|conn| {
            diesel::sql_query("SELECT pg_advisory_xact_lock($1, $2)")
                .bind::<Integer, _>(CLOSURE_LOCKS)
                .bind::<Integer, _>(closure.doctor_id.map_or(WHOLE_CLINIC, doctor_key))
                .execute(conn)?;
            let affected = affected_by(conn, closure)?;
            let affected =
                if cancel_booked { cancel_for_closure(conn, closure, affected, at)? } else { affected };
            // Last, so that a closure that cannot be stored takes its cancellations with it.
            diesel::insert_into(closures::table)
                .values((closure_row(closure), closures::created_at.eq(at)))
                .execute(conn)?;
            Ok(affected)
        })
    }

    fn overlapping(&self, from: OffsetDateTime, until: OffsetDateTime) -> Result<Vec<Closure>, StoreError> {
        let rows: Vec<ClosureRow> = self.run(|conn| {
            closures::table
                .filter(closures::starts.lt(until))
                .filter(closures::ends.gt(from))
                .order((closures::starts, closures::id))
                .select(ClosureRow::as_select())
                .load(conn)
        })?;
        Ok(rows.into_iter().map(to_closure).collect())
    }

    fn remove(&self, id: ClosureId) -> Result<bool, StoreError> {
        let deleted = self.run(|conn| diesel::delete(closures::table.find(id.as_uuid())).execute(conn))?;
        Ok(deleted == 1)
    }
}

/// The booked appointments in the closure ([`Closure::affects`]), by start. One a patient
/// cancels meanwhile is left out by the cancelling update, which is conditional.
fn affected_by(conn: &mut PgConnection, closure: &Closure) -> QueryResult<Vec<Appointment>> {
    let mut query = appointments::table
        .filter(appointments::status.eq(AppointmentStatus::Booked.as_str()))
        .filter(appointments::scheduled_start.lt(closure.ends))
        .filter(appointments::scheduled_end.gt(closure.starts))
        .order((appointments::scheduled_start, appointments::id))
        .select(AppointmentRow::as_select())
        .into_boxed();
    if let Some(doctor) = closure.doctor_id {
        query = query.filter(appointments::doctor_id.eq(doctor.as_uuid()));
    }
    let rows: Vec<AppointmentRow> = query.load(conn)?;
    // A status the service does not know is a row it cannot read.
    rows.into_iter()
        .map(|row| to_appointment(row).map_err(|e| DieselError::DeserializationError(Box::new(e))))
        .collect()
}

fn closure_row(closure: &Closure) -> ClosureRow {
    ClosureRow {
        id: closure.id.as_uuid(),
        doctor_id: closure.doctor_id.map(|d| d.as_uuid()),
        starts: closure.starts,
        ends: closure.ends,
        reason: closure.reason.clone(),
    }
}

fn to_closure(row: ClosureRow) -> Closure {
    Closure {
        id: ClosureId::from_uuid(row.id),
        doctor_id: row.doctor_id.map(DoctorId::from_uuid),
        starts: row.starts,
        ends: row.ends,
        reason: row.reason,
    }
}
