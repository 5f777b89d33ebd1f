//! A doctor's clinic day in one statement: the doctor's row, with its weekly hours, the
//! starts its appointments hold and the closures over the day each gathered into an
//! array by a subquery. The slot listing is this one round trip.

use clinic_domain::appointment::AppointmentStatus;
use clinic_domain::closure::Closure;
use clinic_domain::doctor_day::DoctorDay;
use clinic_domain::ids::{ClosureId, DoctorId};
use clinic_domain::ports::StoreError;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, Bool, Integer, Nullable, Record, SmallInt, Text, Time, Timestamptz};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::doctors::{DoctorRow, HoursRow, to_doctor};
use crate::store::PgStore;

/// The doctor's day `[from, until)`. A query type of its own, not `sql_query`, so that
/// diesel prepares it once per connection (its text never changes) instead of having
/// PostgreSQL parse and plan it on every request.
#[derive(QueryId)]
struct DayOf {
    doctor: Uuid,
    from: OffsetDateTime,
    until: OffsetDateTime,
}

type DoctorColumns = (diesel::sql_types::Uuid, Text, Text, Bool, Integer);
type Hours = Array<Record<(SmallInt, Time, Time)>>;
type Closures = Array<
    Record<(diesel::sql_types::Uuid, Nullable<diesel::sql_types::Uuid>, Timestamptz, Timestamptz, Text)>,
>;

type ClosureTuple = (Uuid, Option<Uuid>, OffsetDateTime, OffsetDateTime, String);
type DayRow = (DoctorRow, Vec<(i16, time::Time, time::Time)>, Vec<OffsetDateTime>, Vec<ClosureTuple>);

impl Query for DayOf {
    type SqlType = (DoctorColumns, Hours, Array<Timestamptz>, Closures);
}

impl RunQueryDsl<PgConnection> for DayOf {}

impl QueryFragment<Pg> for DayOf {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "SELECT d.id, d.name, d.specialty, d.active, d.slot_minutes, \
             ARRAY(SELECT (h.weekday, h.start_time, h.end_time) FROM doctor_weekly_hours h \
                   WHERE h.doctor_id = d.id), \
             ARRAY(SELECT a.scheduled_start FROM appointments a WHERE a.doctor_id = d.id \
                   AND a.status <> '",
        );
        // Written out, not bound: the partial index of held slots (doctor, start) is
        // `WHERE status <> 'cancelled'`, and only a literal lets a generic plan use it.
        out.push_sql(AppointmentStatus::Cancelled.as_str());
        out.push_sql("' AND a.scheduled_start >= ");
        out.push_bind_param::<Timestamptz, _>(&self.from)?;
        out.push_sql(" AND a.scheduled_start < ");
        out.push_bind_param::<Timestamptz, _>(&self.until)?;
        out.push_sql(
            " ORDER BY a.scheduled_start), \
             ARRAY(SELECT (c.id, c.doctor_id, c.starts, c.ends, c.reason) FROM closures c \
                   WHERE (c.doctor_id IS NULL OR c.doctor_id = d.id) AND c.starts < ",
        );
        out.push_bind_param::<Timestamptz, _>(&self.until)?;
        out.push_sql(" AND c.ends > ");
        out.push_bind_param::<Timestamptz, _>(&self.from)?;
        out.push_sql(" ORDER BY c.starts, c.id) FROM doctors d WHERE d.id = ");
        out.push_bind_param::<diesel::sql_types::Uuid, _>(&self.doctor)?;
        Ok(())
    }
}

/// The doctor, active or not, with its day `[from, until)`; `None` when there is no such doctor.
pub(crate) fn day_of(
    store: &PgStore,
    id: DoctorId,
    from: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<Option<DoctorDay>, StoreError> {
    // Built per call, so that the store may run it again (on a fresh connection).
    let query = |conn: &mut PgConnection| {
        DayOf { doctor: id.as_uuid(), from, until }.get_result::<DayRow>(conn).optional()
    };
    let Some((row, hours, taken, closures)) = store.run(query)? else { return Ok(None) };
    let hours = hours
        .into_iter()
        .map(|(weekday, start_time, end_time)| HoursRow { doctor_id: row.id, weekday, start_time, end_time })
        .collect();
    let closures = closures
        .into_iter()
        .map(|(id, doctor_id, starts, ends, reason)| Closure {
            id: ClosureId::from_uuid(id),
            doctor_id: doctor_id.map(DoctorId::from_uuid),
            starts,
            ends,
            reason,
        })
        .collect();
    Ok(Some(DoctorDay { doctor: to_doctor(row, hours)?, taken, closures }))
}
