//! Doctors and their weekly hours.

use clinic_domain::doctor::Doctor;
use clinic_domain::doctor_day::DoctorDay;
use clinic_domain::ids::DoctorId;
use clinic_domain::ports::{DoctorRepository, StoreError};
use clinic_domain::schedule::{OpeningHours, SlotLength, WeeklySchedule, iso_weekday};
use diesel::prelude::*;
use time::{OffsetDateTime, Time};
use uuid::Uuid;

use crate::schema::{doctor_weekly_hours, doctors};
use crate::store::{PgStore, corrupt};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = doctors, check_for_backend(diesel::pg::Pg))]
pub(crate) struct DoctorRow {
    pub(crate) id: Uuid,
    name: String,
    specialty: String,
    active: bool,
    slot_minutes: i32,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = doctor_weekly_hours, check_for_backend(diesel::pg::Pg))]
pub(crate) struct HoursRow {
    pub(crate) doctor_id: Uuid,
    pub(crate) weekday: i16,
    pub(crate) start_time: Time,
    pub(crate) end_time: Time,
}

impl DoctorRepository for PgStore {
    fn list_active(&self) -> Result<Vec<Doctor>, StoreError> {
        let rows = self.run(|conn| {
            with_hours_joined()
                .filter(doctors::active)
                .order((doctors::name, doctors::id))
                .select(<(DoctorRow, Option<HoursRow>)>::as_select())
                .load(conn)
        })?;
        grouped(rows)
    }

    /// The doctor and its weekly hours in one statement: a booking's one read of them.
    fn find(&self, id: DoctorId) -> Result<Option<Doctor>, StoreError> {
        let rows = self.run(|conn| {
            with_hours_joined()
                .filter(doctors::id.eq(id.as_uuid()))
                .select(<(DoctorRow, Option<HoursRow>)>::as_select())
                .load(conn)
        })?;
        Ok(grouped(rows)?.pop())
    }

    /// One statement: see `doctor_day.rs`.
    fn day_of(
        &self,
        id: DoctorId,
        from: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<Option<DoctorDay>, StoreError> {
        crate::doctor_day::day_of(self, id, from, until)
    }

    fn any(&self) -> Result<bool, StoreError> {
        self.run(|conn| {
            diesel::select(diesel::dsl::exists(doctors::table.select(doctors::id))).get_result(conn)
        })
    }

    fn insert(&self, doctor: &Doctor, at: OffsetDateTime) -> Result<(), StoreError> {
        self.transaction(|conn| {
            diesel::insert_into(doctors::table)
                .values((doctor_row(doctor), doctors::created_at.eq(at), doctors::updated_at.eq(at)))
                .execute(conn)?;
            insert_hours(conn, doctor.id, &doctor.schedule)
        })
    }

    fn update(&self, doctor: &Doctor, at: OffsetDateTime) -> Result<bool, StoreError> {
        let updated = self.run(|conn| {
            diesel::update(doctors::table.find(doctor.id.as_uuid()))
                .set((
                    doctors::name.eq(&doctor.name),
                    doctors::specialty.eq(&doctor.specialty),
                    doctors::active.eq(doctor.active),
                    doctors::updated_at.eq(at),
                ))
                .execute(conn)
        })?;
        Ok(updated == 1)
    }

    fn replace_schedule(
        &self,
        id: DoctorId,
        schedule: &WeeklySchedule,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.transaction(|conn| {
            let updated = diesel::update(doctors::table.find(id.as_uuid()))
                .set((
                    doctors::slot_minutes.eq(i32::from(schedule.slot_length().minutes())),
                    doctors::updated_at.eq(at),
                ))
                .execute(conn)?;
            if updated == 0 {
                return Ok(false);
            }
            diesel::delete(
                doctor_weekly_hours::table.filter(doctor_weekly_hours::doctor_id.eq(id.as_uuid())),
            )
            .execute(conn)?;
            insert_hours(conn, id, schedule)?;
            Ok(true)
        })
    }
}

fn doctor_row(doctor: &Doctor) -> DoctorRow {
    DoctorRow {
        id: doctor.id.as_uuid(),
        name: doctor.name.clone(),
        specialty: doctor.specialty.clone(),
        active: doctor.active,
        slot_minutes: i32::from(doctor.schedule.slot_length().minutes()),
    }
}

fn insert_hours(conn: &mut PgConnection, id: DoctorId, schedule: &WeeklySchedule) -> QueryResult<()> {
    let rows: Vec<HoursRow> = schedule
        .hours()
        .iter()
        .map(|h| HoursRow {
            doctor_id: id.as_uuid(),
            weekday: i16::from(h.weekday.number_from_monday()),
            start_time: h.start,
            end_time: h.end,
        })
        .collect();
    diesel::insert_into(doctor_weekly_hours::table).values(&rows).execute(conn)?;
    Ok(())
}

/// Doctors each with their hours, one row per opening (a doctor without hours: one row).
fn with_hours_joined() -> diesel::dsl::LeftJoin<doctors::table, doctor_weekly_hours::table> {
    doctors::table.left_join(doctor_weekly_hours::table)
}

/// The joined rows, one doctor per run of rows, in their order.
fn grouped(rows: Vec<(DoctorRow, Option<HoursRow>)>) -> Result<Vec<Doctor>, StoreError> {
    let mut doctors: Vec<(DoctorRow, Vec<HoursRow>)> = Vec::new();
    for (row, hours) in rows {
        match doctors.last_mut() {
            Some((last, all)) if last.id == row.id => all.extend(hours),
            _ => doctors.push((row, hours.into_iter().collect())),
        }
    }
    doctors.into_iter().map(|(row, hours)| to_doctor(row, hours)).collect()
}

pub(crate) fn to_doctor(row: DoctorRow, hours: Vec<HoursRow>) -> Result<Doctor, StoreError> {
    let slot_length = SlotLength::from_minutes(i64::from(row.slot_minutes))
        .ok_or_else(|| corrupt("slot length", row.slot_minutes))?;
    let hours = hours
        .into_iter()
        .map(|h| {
            let weekday = iso_weekday(i64::from(h.weekday)).ok_or_else(|| corrupt("weekday", h.weekday))?;
            Ok(OpeningHours { weekday, start: h.start_time, end: h.end_time })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let schedule = WeeklySchedule::from_parts(slot_length, hours)
        .ok_or_else(|| corrupt("schedule of doctor", row.id))?;
    Ok(Doctor {
        id: DoctorId::from_uuid(row.id),
        name: row.name,
        specialty: row.specialty,
        active: row.active,
        schedule,
    })
}
