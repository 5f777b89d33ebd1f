//! Patients as staff keep them, and which login is whom.

use clinic_domain::ids::{LoginId, PatientId};
use clinic_domain::patient::{PatientProfile, PatientRecord, Registered};
use clinic_domain::patient_search::PatientSearch;
use clinic_domain::phone::PhoneNumber;
use clinic_domain::ports::{PatientRecordRepository, StoreError};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Timestamptz};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::patients::{ProfileRow, profile_row, to_profile, written};
use crate::schema::patient_profiles;
use crate::store::{PgStore, store_error, violates};

/// The first key of the advisory locks that serialise registrations of one phone.
const REGISTRATION_LOCKS: i32 = 0x7068_6f6e; // "phon"

/// One patient per login.
const ONE_PER_LOGIN: &str = "patient_profiles_one_per_login";

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
}

impl PatientRecordRepository for PgStore {
    fn register(&self, patient: &PatientProfile, at: OffsetDateTime) -> Result<Registered, StoreError> {
        let phone = patient.phone.as_ref().map(|p| p.as_str().to_owned());
        self.transaction(|conn| {
            // Registrations of one phone take turns here, so of two at once the second
            // finds the first. A phone alone is not unique: family members who log in
            // may share one.
            diesel::sql_query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
                .bind::<Integer, _>(REGISTRATION_LOCKS)
                .bind::<Nullable<Text>, _>(&phone)
                .execute(conn)?;
            let existing: Option<Uuid> = patient_profiles::table
                .filter(patient_profiles::phone.eq(&phone))
                .order((patient_profiles::created_at, patient_profiles::id))
                .select(patient_profiles::id)
                .first(conn)
                .optional()?;
            if let Some(id) = existing {
                return Ok(Registered::PhoneTaken(PatientId::from_uuid(id)));
            }
            diesel::insert_into(patient_profiles::table)
                .values((&profile_row(patient), written(patient, at)))
                .execute(conn)?;
            Ok(Registered::Created)
        })
    }

    fn search(&self, search: &PatientSearch, limit: u32) -> Result<Vec<PatientRecord>, StoreError> {
        let rows: Vec<(ProfileRow, Option<Uuid>)> = self.run(|conn| {
            let query = patient_profiles::table.into_boxed();
            let query = match search {
                PatientSearch::Phone(phone) => query.filter(patient_profiles::phone.eq(phone.as_str())),
                PatientSearch::LastFour(digits) => {
                    query.filter(sql::<Nullable<Text>>("right(phone, 4)").eq(digits.as_str()))
                }
                PatientSearch::Name(folded) => {
                    query.filter(patient_profiles::search_name.like(format!("%{}%", like_literal(folded))))
                }
            };
            query
                .order((patient_profiles::search_name, patient_profiles::full_name, patient_profiles::id))
                .limit(i64::from(limit))
                .select((ProfileRow::as_select(), patient_profiles::login_sub))
                .load(conn)
        })?;
        rows.into_iter().map(to_record).collect()
    }

    fn record(&self, id: PatientId) -> Result<Option<PatientRecord>, StoreError> {
        let row: Option<(ProfileRow, Option<Uuid>)> = self.run(|conn| {
            patient_profiles::table
                .find(id.as_uuid())
                .select((ProfileRow::as_select(), patient_profiles::login_sub))
                .first(conn)
                .optional()
        })?;
        row.map(to_record).transpose()
    }

    fn patient_of_login(&self, login: LoginId) -> Result<Option<PatientId>, StoreError> {
        let id: Option<Uuid> = self.run(|conn| {
            patient_profiles::table
                .filter(patient_profiles::login_sub.eq(login.as_uuid()))
                .select(patient_profiles::id)
                .first(conn)
                .optional()
        })?;
        Ok(id.map(PatientId::from_uuid))
    }

    fn claim(
        &self,
        login: LoginId,
        phone: &PhoneNumber,
        at: OffsetDateTime,
    ) -> Result<Option<PatientId>, StoreError> {
        // The row lock decides between logins claiming one patient: the second waits,
        // then finds `login_sub` set and claims nothing. The unique index decides
        // between two claims of one login.
        let claim = diesel::sql_query(
            "UPDATE patient_profiles SET login_sub = $1, updated_at = $3 \
             WHERE id = (SELECT id FROM patient_profiles WHERE phone = $2 AND login_sub IS NULL \
                         ORDER BY created_at, id LIMIT 1 FOR UPDATE) \
               AND login_sub IS NULL \
               AND NOT EXISTS (SELECT 1 FROM patient_profiles WHERE login_sub = $1) \
             RETURNING id",
        )
        .bind::<diesel::sql_types::Uuid, _>(login.as_uuid())
        .bind::<Text, _>(phone.as_str())
        .bind::<Timestamptz, _>(at);
        self.with_connection(|conn| match claim.clone().get_result::<Claimed>(conn).optional() {
            Ok(claimed) => Ok(claimed.map(|row| PatientId::from_uuid(row.id))),
            Err(e) if violates(&e, ONE_PER_LOGIN) => Ok(None),
            Err(e) => Err(store_error(e)),
        })
    }
}

fn to_record((row, login): (ProfileRow, Option<Uuid>)) -> Result<PatientRecord, StoreError> {
    Ok(PatientRecord { profile: to_profile(row)?, has_login: login.is_some() })
}

/// `text` matched literally by LIKE, whose default escape is the backslash.
fn like_literal(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}
