//! Patients arriving for their visits, as the desk marks them.

use clinic_domain::ids::AppointmentId;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Timestamptz, Uuid as SqlUuid};
use time::OffsetDateTime;

use crate::store::PgStore;

/// Only a booked visit is marked, and only as it was read (its version): a visit moved
/// to another day meanwhile is not. The first arrival's time is kept.
const ARRIVE: &str = "UPDATE appointments \
    SET arrived_at = COALESCE(arrived_at, $2), updated_at = $2 \
    WHERE id = $1 AND status = 'booked' AND version = $3 RETURNING arrived_at";

#[derive(QueryableByName)]
struct Arrived {
    #[diesel(sql_type = Timestamptz)]
    arrived_at: OffsetDateTime,
}

/// The arrival time, or `None` when the appointment is not booked at `version`.
pub(crate) fn mark(
    store: &PgStore,
    id: AppointmentId,
    version: u32,
    at: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, clinic_domain::ports::StoreError> {
    let arrived = store.run(|conn| {
        diesel::sql_query(ARRIVE)
            .bind::<SqlUuid, _>(id.as_uuid())
            .bind::<Timestamptz, _>(at)
            .bind::<Integer, _>(i32::try_from(version).unwrap_or(i32::MAX))
            .get_result::<Arrived>(conn)
            .optional()
    })?;
    Ok(arrived.map(|row| row.arrived_at))
}
