//! The demo clinic: two doctors with weekly schedules, Monday to Saturday, a demo
//! patient the dev token books as, and a demo receptionist's phone for `/desk`.

use clinic_domain::doctor::Doctor;
use clinic_domain::ids::PatientId;
use clinic_domain::patient::{Channel, PatientProfile};
use clinic_domain::phone::PhoneNumber;
use clinic_domain::ports::{DoctorRepository, PatientRepository, SignInRepository, StoreError};
use clinic_domain::schedule::{OpeningHoursInput, ScheduleInput, WeeklySchedule};
use clinic_domain::sign_in_code::{StaffPhone, StaffRole};
use time::OffsetDateTime;
use uuid::Uuid;

/// The patient the printed dev token logs in as.
pub const DEMO_PATIENT: PatientId =
    PatientId::from_uuid(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0001));

/// The demo receptionist signs in at `/desk` with this phone (an admin: staff can be
/// added from the desk).
pub const DEMO_DESK_PHONE: &str = "+6590000000";

/// Seeds the demo doctors when the clinic has none; whether it did.
pub fn seed_demo<S>(store: &S, now: OffsetDateTime) -> Result<bool, StoreError>
where
    S: DoctorRepository + PatientRepository + SignInRepository,
{
    if store.any()? {
        return Ok(false);
    }
    for (name, specialty, slot_minutes, weekly) in [
        ("Dr Tan Wei Ming", "Family medicine", 15, morning_and_afternoon(1..=6)),
        ("Dr Sarah Lim", "Paediatrics", 20, mornings(1..=6)),
    ] {
        let schedule = WeeklySchedule::parse(&ScheduleInput { slot_minutes, weekly })
            .map_err(|e| StoreError::failed(format!("demo schedule: {e}")))?;
        let doctor =
            Doctor::new(name, specialty).map_err(|e| StoreError::failed(format!("demo doctor: {e}")))?;
        store.insert(&Doctor { schedule, ..doctor }, now)?;
    }
    if PatientRepository::find(store, DEMO_PATIENT)?.is_none() {
        let patient = PatientProfile {
            id: DEMO_PATIENT,
            full_name: "Demo Patient".into(),
            phone: PhoneNumber::parse("+6591234567").ok(),
            sms_opt_in: true,
            preferred_channel: Channel::Sms,
        };
        store.save(&patient, now)?;
    }
    let desk =
        PhoneNumber::parse(DEMO_DESK_PHONE).map_err(|e| StoreError::failed(format!("demo desk: {e}")))?;
    store.add_staff(&StaffPhone { phone: desk, name: "Demo Desk".into(), role: StaffRole::Admin }, now)?;
    Ok(true)
}

fn opening(weekday: i64, start: &str, end: &str) -> OpeningHoursInput {
    OpeningHoursInput { weekday, start: start.into(), end: end.into() }
}

fn morning_and_afternoon(days: std::ops::RangeInclusive<i64>) -> Vec<OpeningHoursInput> {
    days.flat_map(|d| [opening(d, "09:00", "12:30"), opening(d, "14:00", "17:30")]).collect()
}

fn mornings(days: std::ops::RangeInclusive<i64>) -> Vec<OpeningHoursInput> {
    days.map(|d| opening(d, "09:00", "13:00")).collect()
}
