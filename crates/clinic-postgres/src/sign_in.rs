//! Sign-in codes, their limits and staff phones, in plain SQL: the limits count rows
//! every instance of the service shares.

use clinic_domain::ids::LoginId;
use clinic_domain::phone::PhoneNumber;
use clinic_domain::ports::{SignInRepository, StoreError};
use clinic_domain::sign_in_code::{
    CodeChecked, CodeHash, CodeIssued, CodeLimits, CodeRequest, StaffPhone, StaffRole, WRONG_CODES_ALLOWED,
};
use diesel::prelude::*;
use diesel::sql_query;
use diesel::sql_types::{BigInt, Binary, Bool, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::store::PgStore;

/// The first key of the advisory locks that make a phone's (and a client's) requests
/// take turns, so two at once cannot both pass a limit.
const SIGN_IN_LOCKS: i32 = 0x6f74_7021; // "otp!"

/// The longest limit window.
const HOUR: Duration = Duration::hours(1);

#[derive(QueryableByName)]
struct Recent {
    #[diesel(sql_type = BigInt)]
    count: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    oldest: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    latest: Option<OffsetDateTime>,
}

#[derive(QueryableByName)]
struct LiveCode {
    #[diesel(sql_type = Binary)]
    code_hash: Vec<u8>,
    #[diesel(sql_type = Timestamptz)]
    expires_at: OffsetDateTime,
    #[diesel(sql_type = Integer)]
    wrong_attempts: i32,
    #[diesel(sql_type = Timestamptz)]
    created_at: OffsetDateTime,
}

#[derive(QueryableByName)]
struct Login {
    #[diesel(sql_type = SqlUuid)]
    login_sub: Uuid,
}

#[derive(QueryableByName)]
struct Staff {
    #[diesel(sql_type = Bool)]
    admin: bool,
}

impl SignInRepository for PgStore {
    fn issue_code(&self, request: &CodeRequest, limits: &CodeLimits) -> Result<CodeIssued, StoreError> {
        let (phone, at) = (request.phone.as_str(), request.at);
        let client = format!("client {}", request.client);
        self.transaction(|conn| {
            // Always the phone's lock first, then the client's: no two requests wait on each other.
            for key in [phone, client.as_str()] {
                sql_query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
                    .bind::<Integer, _>(SIGN_IN_LOCKS)
                    .bind::<Text, _>(key)
                    .execute(conn)?;
            }
            // What no limit or check needs any more goes as new requests come.
            sql_query("DELETE FROM sign_in_requests WHERE requested_at <= $1")
                .bind::<Timestamptz, _>(at - HOUR)
                .execute(conn)?;
            sql_query("DELETE FROM sign_in_codes WHERE expires_at <= $1").bind::<Timestamptz, _>(at).execute(conn)?;
            let recent = |column: &str, value: &str, conn: &mut PgConnection| {
                sql_query(format!(
                    "SELECT count(*) AS count, min(requested_at) AS oldest, max(requested_at) AS latest \
                     FROM sign_in_requests WHERE {column} = $1"
                ))
                .bind::<Text, _>(value.to_owned())
                .get_result::<Recent>(conn)
            };
            let by_phone = recent("phone", phone, conn)?;
            let by_client = recent("client_ip", &request.client, conn)?;
            let waits = [
                by_phone.latest.map(|latest| latest + limits.per_phone_gap - at),
                (by_phone.count >= limits.per_phone_hourly).then_some(by_phone.oldest).flatten().map(|t| t + HOUR - at),
                (by_client.count >= limits.per_client_hourly)
                    .then_some(by_client.oldest)
                    .flatten()
                    .map(|t| t + HOUR - at),
            ];
            if let Some(retry_after) = waits.into_iter().flatten().filter(|wait| wait.is_positive()).max() {
                return Ok(CodeIssued::Limited { retry_after });
            }
            sql_query("INSERT INTO sign_in_requests (phone, client_ip, requested_at) VALUES ($1, $2, $3)")
                .bind::<Text, _>(phone)
                .bind::<Text, _>(&request.client)
                .bind::<Timestamptz, _>(at)
                .execute(conn)?;
            sql_query(
                "INSERT INTO sign_in_codes (phone, code_hash, expires_at, wrong_attempts, created_at) \
                 VALUES ($1, $2, $3, 0, $4) ON CONFLICT (phone) DO UPDATE SET code_hash = excluded.code_hash, \
                 expires_at = excluded.expires_at, wrong_attempts = 0, created_at = excluded.created_at",
            )
            .bind::<Text, _>(phone)
            .bind::<Binary, _>(&request.hash.0)
            .bind::<Timestamptz, _>(at + clinic_domain::sign_in_code::CODE_VALID_FOR)
            .bind::<Timestamptz, _>(at)
            .execute(conn)?;
            Ok(CodeIssued::Issued)
        })
    }

    fn check_code(
        &self,
        phone: &PhoneNumber,
        candidate: &CodeHash,
        at: OffsetDateTime,
    ) -> Result<CodeChecked, StoreError> {
        self.transaction(|conn| {
            // The row lock makes concurrent checks of one phone take turns: each wrong
            // code is counted, and a right one accepted once.
            let live = sql_query(
                "SELECT code_hash, expires_at, wrong_attempts, created_at FROM sign_in_codes \
                 WHERE phone = $1 FOR UPDATE",
            )
            .bind::<Text, _>(phone.as_str())
            .get_result::<LiveCode>(conn)
            .optional()?;
            let Some(live) = live.filter(|code| code.expires_at > at) else {
                return Ok(CodeChecked::Rejected);
            };
            if live.wrong_attempts >= WRONG_CODES_ALLOWED {
                return Ok(CodeChecked::Burnt { issued_at: live.created_at });
            }
            if !CodeHash(live.code_hash).matches(candidate) {
                sql_query("UPDATE sign_in_codes SET wrong_attempts = wrong_attempts + 1 WHERE phone = $1")
                    .bind::<Text, _>(phone.as_str())
                    .execute(conn)?;
                return Ok(CodeChecked::Rejected);
            }
            sql_query("DELETE FROM sign_in_codes WHERE phone = $1")
                .bind::<Text, _>(phone.as_str())
                .execute(conn)?;
            sql_query(
                "INSERT INTO phone_logins (phone, login_sub, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (phone) DO NOTHING",
            )
            .bind::<Text, _>(phone.as_str())
            .bind::<SqlUuid, _>(Uuid::new_v4())
            .bind::<Timestamptz, _>(at)
            .execute(conn)?;
            let login = sql_query("SELECT login_sub FROM phone_logins WHERE phone = $1")
                .bind::<Text, _>(phone.as_str())
                .get_result::<Login>(conn)?;
            Ok(CodeChecked::Accepted { login: LoginId::from_uuid(login.login_sub) })
        })
    }

    fn staff_role(&self, phone: &PhoneNumber) -> Result<Option<StaffRole>, StoreError> {
        let staff = self.run(|conn| {
            sql_query("SELECT admin FROM staff_phones WHERE phone = $1")
                .bind::<Text, _>(phone.as_str())
                .get_result::<Staff>(conn)
                .optional()
        })?;
        Ok(staff.map(|staff| if staff.admin { StaffRole::Admin } else { StaffRole::Staff }))
    }

    fn add_staff(&self, staff: &StaffPhone, at: OffsetDateTime) -> Result<(), StoreError> {
        self.run(|conn| {
            sql_query(
                "INSERT INTO staff_phones (phone, name, admin, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (phone) DO UPDATE SET name = excluded.name, admin = excluded.admin",
            )
            .bind::<Text, _>(staff.phone.as_str())
            .bind::<Text, _>(&staff.name)
            .bind::<Bool, _>(staff.role == StaffRole::Admin)
            .bind::<Timestamptz, _>(at)
            .execute(conn)
        })?;
        Ok(())
    }
}
