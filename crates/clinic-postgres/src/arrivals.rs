//! Patients arriving for their visits, as the desk marks them.

use clinic_domain::ids::AppointmentId;
use diesel::prelude::*;
use diesel::sql_types::{Timestamptz, Uuid as SqlUuid};
use time::OffsetDateTime;

use crate::store::PgStore;

/// Only a booked visit is marked; the first arrival's time is kept.
const ARRIVE: &str = "UPDATE appointments \
    SET arrived_at = COALESCE(arrived_at, $2), updated_at = $2 \
    WHERE id = $1 AND status = 'booked' RETURNING arrived_at";

#[derive(QueryableByName)]
struct Arrived {
    #[diesel(sql_type = Timestamptz)]
    arrived_at: OffsetDateTime,
}

/// The arrival time, or `None` when the appointment is not booked.
pub(crate) fn mark(
    store: &PgStore,
    id: AppointmentId,
    at: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, clinic_domain::ports::StoreError> {
    let arrived = store.run(|conn| {
        diesel::sql_query(ARRIVE)
            .bind::<SqlUuid, _>(id.as_uuid())
            .bind::<Timestamptz, _>(at)
            .get_result::<Arrived>(conn)
            .optional()
    })?;
    Ok(arrived.map(|row| row.arrived_at))
}
