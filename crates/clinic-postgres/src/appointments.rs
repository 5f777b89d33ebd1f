//! Appointments, and the booking unit of work.

use clinic_domain::appointment::DayEntry;
use clinic_domain::appointment::{Appointment, AppointmentStatus, Cancellation};
use clinic_domain::booking_record::{
    AppointmentChange, BookingKey, BookingReads, BookingStored, ChangeStored, IdempotencyKey, NewBooking,
};
use clinic_domain::ids::{AppointmentId, DoctorId, PatientId};
use clinic_domain::phone::PhoneNumber;
use clinic_domain::ports::{AppointmentRepository, PatientRepository, StoreError};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::patients::{ProfileRow, to_profile};
use crate::schema::{appointments, idempotency_keys, patient_profiles};
use crate::store::{PgStore, corrupt, in_transaction, readable, store_error, violates};
use crate::{changes, closures, notifications};

/// The partial unique index that makes one appointment per doctor and start a database fact.
const ONE_PER_DOCTOR_AND_START: &str = "appointments_one_per_doctor_and_start";

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = appointments, check_for_backend(diesel::pg::Pg))]
pub(crate) struct AppointmentRow {
    pub(crate) id: Uuid,
    pub(crate) patient_id: Uuid,
    pub(crate) doctor_id: Uuid,
    pub(crate) scheduled_start: OffsetDateTime,
    pub(crate) scheduled_end: OffsetDateTime,
    pub(crate) status: String,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) version: i32,
    pub(crate) moved_at: Option<OffsetDateTime>,
    pub(crate) cancelled_by: Option<String>,
    pub(crate) cancellation_reason: Option<String>,
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = idempotency_keys, check_for_backend(diesel::pg::Pg))]
struct KeyRow {
    patient_id: Uuid,
    key: String,
    doctor_id: Uuid,
    scheduled_start: OffsetDateTime,
    appointment_id: Uuid,
    created_at: OffsetDateTime,
}

/// Why a booking transaction was rolled back.
enum Abort {
    SlotTaken,
    KeyAlreadyUsed(BookingKey),
    Closed,
    Store(StoreError),
}

impl From<DieselError> for Abort {
    fn from(error: DieselError) -> Self {
        if violates(&error, ONE_PER_DOCTOR_AND_START) {
            Self::SlotTaken
        } else {
            Self::Store(store_error(error))
        }
    }
}

impl From<StoreError> for Abort {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

impl AppointmentRepository for PgStore {
    /// `BEGIN` with the closure locks, the key's claim (with a key), then the appointment
    /// and its confirmation in one statement unless a closure covers it, and `COMMIT`.
    fn book(&self, booking: &NewBooking) -> Result<BookingStored, StoreError> {
        let begin = closures::begin_booking(booking.appointment.doctor_id);
        let stored = self.with_connection(|conn| {
            in_transaction(conn, &begin, |conn| {
                if let Some(key) = &booking.key {
                    // Waits on a concurrent request holding the same key; claims the key
                    // unless it is still live, in which case nothing is booked.
                    let claim = diesel::insert_into(idempotency_keys::table)
                        .values(key_row(key))
                        .on_conflict((idempotency_keys::patient_id, idempotency_keys::key))
                        .do_update()
                        .set(key_row(key));
                    let expired = idempotency_keys::created_at.lt(booking.keys_used_since);
                    let claimed =
                        diesel::query_dsl::methods::FilterDsl::filter(claim, expired).execute(conn)?;
                    if claimed == 0 {
                        let earlier = find_key(conn, key.patient_id, &key.key, booking.keys_used_since)?
                            .ok_or_else(|| StoreError::failed("idempotency key vanished"))?;
                        return Err(Abort::KeyAlreadyUsed(earlier));
                    }
                }
                if !notifications::insert_booked(conn, &booking.appointment, &booking.confirmation)? {
                    return Err(Abort::Closed);
                }
                Ok(())
            })
        });
        match stored {
            Ok(()) => Ok(BookingStored::Booked),
            Err(Abort::SlotTaken) => Ok(BookingStored::SlotTaken),
            Err(Abort::KeyAlreadyUsed(earlier)) => Ok(BookingStored::KeyAlreadyUsed(earlier)),
            Err(Abort::Closed) => Ok(BookingStored::Closed),
            Err(Abort::Store(error)) => Err(error),
        }
    }

    fn find_for_booking(
        &self,
        patient: PatientId,
        key: Option<IdempotencyKey>,
        used_since: OffsetDateTime,
    ) -> Result<BookingReads, StoreError> {
        let Some(key) = key else {
            return Ok(BookingReads { profile: PatientRepository::find(self, patient)?, earlier: None });
        };
        let used = idempotency_keys::patient_id
            .eq(patient_profiles::id)
            .and(idempotency_keys::key.eq(key.as_str()))
            .and(idempotency_keys::created_at.ge(used_since));
        let row: Option<(ProfileRow, Option<KeyRow>)> = self.run(|conn| {
            patient_profiles::table
                .left_join(idempotency_keys::table.on(used))
                .filter(patient_profiles::id.eq(patient.as_uuid()))
                .select((ProfileRow::as_select(), Option::<KeyRow>::as_select()))
                .first(conn)
                .optional()
        })?;
        let Some((profile, key)) = row else { return Ok(BookingReads::default()) };
        Ok(BookingReads { profile: Some(to_profile(profile)?), earlier: key.map(to_key).transpose()? })
    }

    fn forget_booking_keys(&self, used_before: OffsetDateTime) -> Result<u64, StoreError> {
        let deleted = self.run(|conn| {
            diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(used_before)))
                .execute(conn)
        })?;
        Ok(deleted as u64)
    }

    /// An appointment the service cannot read is as good as not there (and logged).
    fn find(&self, id: AppointmentId) -> Result<Option<Appointment>, StoreError> {
        self.run(|conn| {
            let found =
                appointments::table.find(id.as_uuid()).select(AppointmentRow::as_select()).first(conn);
            match found {
                Err(DieselError::DeserializationError(e)) => {
                    log::warn!("appointment {id} left out: unreadable row: {e}");
                    Err(DieselError::NotFound)
                }
                other => other,
            }
            .optional()
        })?
        .map(to_appointment)
        .transpose()
    }

    fn list_for_patient(&self, patient: PatientId) -> Result<Vec<Appointment>, StoreError> {
        let query = || {
            appointments::table
                .filter(appointments::patient_id.eq(patient.as_uuid()))
                .order((appointments::scheduled_start, appointments::id))
                .into_boxed()
        };
        self.run(|conn| {
            readable(
                conn,
                |conn, only| match only {
                    None => query().select(AppointmentRow::as_select()).load(conn),
                    Some(id) => {
                        query().filter(appointments::id.eq(id)).select(AppointmentRow::as_select()).load(conn)
                    }
                },
                |conn| query().select(appointments::id).load(conn),
            )
        })?
        .logged("appointment")
        .into_iter()
        .map(to_appointment)
        .collect()
    }

    fn list_between(
        &self,
        from: OffsetDateTime,
        until: OffsetDateTime,
        doctor: Option<DoctorId>,
    ) -> Result<Vec<DayEntry>, StoreError> {
        let query = || {
            let mut query = appointments::table
                .inner_join(patient_profiles::table)
                .filter(appointments::scheduled_start.ge(from))
                .filter(appointments::scheduled_start.lt(until))
                .order((appointments::scheduled_start, appointments::doctor_id, appointments::id))
                .into_boxed();
            if let Some(doctor) = doctor {
                query = query.filter(appointments::doctor_id.eq(doctor.as_uuid()));
            }
            query
        };
        let columns = (
            AppointmentRow::as_select(),
            patient_profiles::full_name,
            patient_profiles::phone,
            appointments::patient_confirmed_at,
            appointments::arrived_at,
        );
        type Row = (AppointmentRow, String, Option<String>, Option<OffsetDateTime>, Option<OffsetDateTime>);
        let rows: Vec<Row> = self
            .run(|conn| {
                readable(
                    conn,
                    |conn, only| match only {
                        None => query().select(columns).load(conn),
                        Some(id) => query().filter(appointments::id.eq(id)).select(columns).load(conn),
                    },
                    |conn| query().select(appointments::id).load(conn),
                )
            })?
            .logged("appointment");
        rows.into_iter()
            .map(|(row, patient_name, phone, patient_confirmed_at, arrived_at)| {
                Ok(DayEntry {
                    patient_confirmed_at,
                    arrived_at,
                    appointment: to_appointment(row)?,
                    patient_name,
                    patient_phone: phone
                        .map(|p| PhoneNumber::parse(&p).map_err(|_| corrupt("phone", p)))
                        .transpose()?,
                })
            })
            .collect()
    }

    fn mark_arrived(
        &self,
        id: AppointmentId,
        version: u32,
        at: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        crate::arrivals::mark(self, id, version, at)
    }

    fn change(&self, change: &AppointmentChange) -> Result<ChangeStored, StoreError> {
        self.with_connection(|conn| {
            let stored = PgConnection::transaction(conn, |conn| {
                // A move into a new slot is a booking of it, closures included.
                let (before, after) = (&change.before, &change.after);
                let moves = after.status == AppointmentStatus::Booked
                    && (before.doctor_id != after.doctor_id
                        || before.scheduled_start != after.scheduled_start);
                if moves && closures::closed_for_booking(conn, after)? {
                    return Ok(ChangeStored::Closed);
                }
                changes::store(conn, change)
            });
            match stored {
                Err(error) if violates(&error, ONE_PER_DOCTOR_AND_START) => Ok(ChangeStored::SlotTaken),
                other => other.map_err(store_error),
            }
        })
    }
}

fn find_key(
    conn: &mut PgConnection,
    patient: PatientId,
    key: &IdempotencyKey,
    used_since: OffsetDateTime,
) -> Result<Option<BookingKey>, StoreError> {
    let row: Option<KeyRow> = idempotency_keys::table
        .find((patient.as_uuid(), key.as_str()))
        .filter(idempotency_keys::created_at.ge(used_since))
        .select(KeyRow::as_select())
        .first(conn)
        .optional()
        .map_err(store_error)?;
    row.map(to_key).transpose()
}

fn to_key(row: KeyRow) -> Result<BookingKey, StoreError> {
    Ok(BookingKey {
        patient_id: PatientId::from_uuid(row.patient_id),
        key: IdempotencyKey::parse(&row.key).ok_or_else(|| corrupt("idempotency key", &row.key))?,
        doctor_id: DoctorId::from_uuid(row.doctor_id),
        scheduled_start: row.scheduled_start,
        appointment_id: AppointmentId::from_uuid(row.appointment_id),
        created_at: row.created_at,
    })
}

fn key_row(key: &BookingKey) -> KeyRow {
    KeyRow {
        patient_id: key.patient_id.as_uuid(),
        key: key.key.as_str().to_owned(),
        doctor_id: key.doctor_id.as_uuid(),
        scheduled_start: key.scheduled_start,
        appointment_id: key.appointment_id.as_uuid(),
        created_at: key.created_at,
    }
}

pub(crate) fn appointment_row(
    appointment: &Appointment,
) -> (AppointmentRow, diesel::dsl::Eq<appointments::updated_at, OffsetDateTime>) {
    let row = AppointmentRow {
        id: appointment.id.as_uuid(),
        patient_id: appointment.patient_id.as_uuid(),
        doctor_id: appointment.doctor_id.as_uuid(),
        scheduled_start: appointment.scheduled_start,
        scheduled_end: appointment.scheduled_end,
        status: appointment.status.as_str().to_owned(),
        created_at: appointment.booked_at,
        version: i32::try_from(appointment.version).unwrap_or(i32::MAX),
        moved_at: (appointment.time_set_at != appointment.booked_at).then_some(appointment.time_set_at),
        cancelled_by: appointment.cancellation.as_ref().map(|c| c.by.as_str().to_owned()),
        cancellation_reason: appointment.cancellation.as_ref().and_then(|c| c.reason.clone()),
    };
    (row, appointments::updated_at.eq(appointment.booked_at))
}

pub(crate) fn to_appointment(row: AppointmentRow) -> Result<Appointment, StoreError> {
    Ok(Appointment {
        id: AppointmentId::from_uuid(row.id),
        patient_id: PatientId::from_uuid(row.patient_id),
        doctor_id: DoctorId::from_uuid(row.doctor_id),
        scheduled_start: row.scheduled_start,
        scheduled_end: row.scheduled_end,
        status: row.status.parse().map_err(|()| corrupt("appointment status", &row.status))?,
        booked_at: row.created_at,
        version: u32::try_from(row.version).map_err(|_| corrupt("appointment version", row.version))?,
        time_set_at: row.moved_at.unwrap_or(row.created_at),
        cancellation: row
            .cancelled_by
            .map(|by| {
                let by = by.parse().map_err(|()| corrupt("cancelled_by", &by))?;
                Ok::<_, StoreError>(Cancellation { by, reason: row.cancellation_reason })
            })
            .transpose()?,
    })
}
