//! Patient profiles.

use clinic_domain::ids::PatientId;
use clinic_domain::patient::PatientProfile;
use clinic_domain::patient_search::fold_name;
use clinic_domain::phone::PhoneNumber;
use clinic_domain::ports::{PatientRepository, StoreError};
use diesel::prelude::*;
use diesel::upsert::excluded;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::schema::patient_profiles;
use crate::store::{PgStore, corrupt};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = patient_profiles, check_for_backend(diesel::pg::Pg))]
pub(crate) struct ProfileRow {
    id: Uuid,
    full_name: String,
    phone: Option<String>,
    sms_opt_in: bool,
    preferred_channel: String,
}

impl PatientRepository for PgStore {
    fn find(&self, id: PatientId) -> Result<Option<PatientProfile>, StoreError> {
        self.run(|conn| {
            patient_profiles::table.find(id.as_uuid()).select(ProfileRow::as_select()).first(conn).optional()
        })?
        .map(to_profile)
        .transpose()
    }

    /// A login's own profile: a new one is that login's (its id is the login's).
    fn save(&self, profile: &PatientProfile, at: OffsetDateTime) -> Result<(), StoreError> {
        let row = profile_row(profile);
        let login = patient_profiles::login_sub.eq(Some(profile.id.as_uuid()));
        self.run(|conn| {
            diesel::insert_into(patient_profiles::table)
                .values((&row, login, written(profile, at)))
                .on_conflict(patient_profiles::id)
                .do_update()
                .set((
                    patient_profiles::full_name.eq(excluded(patient_profiles::full_name)),
                    patient_profiles::phone.eq(excluded(patient_profiles::phone)),
                    patient_profiles::sms_opt_in.eq(excluded(patient_profiles::sms_opt_in)),
                    patient_profiles::preferred_channel.eq(excluded(patient_profiles::preferred_channel)),
                    patient_profiles::updated_at.eq(excluded(patient_profiles::updated_at)),
                    patient_profiles::search_name.eq(excluded(patient_profiles::search_name)),
                ))
                .execute(conn)
        })?;
        Ok(())
    }

    fn set_sms_opt_in(
        &self,
        phone: &PhoneNumber,
        opt_in: bool,
        at: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let updated = self.run(|conn| {
            diesel::update(patient_profiles::table.filter(patient_profiles::phone.eq(phone.as_str())))
                .set((patient_profiles::sms_opt_in.eq(opt_in), patient_profiles::updated_at.eq(at)))
                .execute(conn)
        })?;
        Ok(updated as u64)
    }
}

pub(crate) fn profile_row(profile: &PatientProfile) -> ProfileRow {
    ProfileRow {
        id: profile.id.as_uuid(),
        full_name: profile.full_name.clone(),
        phone: profile.phone.as_ref().map(|p| p.as_str().to_owned()),
        sms_opt_in: profile.sms_opt_in,
        preferred_channel: profile.preferred_channel.as_str().to_owned(),
    }
}

/// The columns every write of a profile sets besides the row: its times, and its name
/// folded for search.
pub(crate) fn written(
    profile: &PatientProfile,
    at: OffsetDateTime,
) -> (
    diesel::dsl::Eq<patient_profiles::created_at, OffsetDateTime>,
    diesel::dsl::Eq<patient_profiles::updated_at, OffsetDateTime>,
    diesel::dsl::Eq<patient_profiles::search_name, String>,
) {
    (
        patient_profiles::created_at.eq(at),
        patient_profiles::updated_at.eq(at),
        patient_profiles::search_name.eq(fold_name(&profile.full_name)),
    )
}

/// Folds the names of rows written before the service kept `search_name` (by an
/// older version, or before the migration that added it); how many.
pub(crate) fn fold_missing_search_names(conn: &mut PgConnection) -> QueryResult<usize> {
    let unfolded: Vec<(Uuid, String)> = patient_profiles::table
        .filter(patient_profiles::search_name.is_null())
        .select((patient_profiles::id, patient_profiles::full_name))
        .load(conn)?;
    for (id, name) in &unfolded {
        diesel::update(patient_profiles::table.find(id))
            .set(patient_profiles::search_name.eq(fold_name(name)))
            .execute(conn)?;
    }
    Ok(unfolded.len())
}

pub(crate) fn to_profile(row: ProfileRow) -> Result<PatientProfile, StoreError> {
    Ok(PatientProfile {
        id: PatientId::from_uuid(row.id),
        full_name: row.full_name,
        phone: row.phone.map(|p| PhoneNumber::parse(&p).map_err(|_| corrupt("phone", p))).transpose()?,
        sms_opt_in: row.sms_opt_in,
        preferred_channel: row
            .preferred_channel
            .parse()
            .map_err(|()| corrupt("channel", &row.preferred_channel))?,
    })
}
