//! The walk-in queue: numbers from a per-day counter row, queue alerts into the outbox.

use clinic_domain::ids::{DoctorId, PatientId, TicketId};
use clinic_domain::notification::{NotificationKind, NotificationStatus};
use clinic_domain::phone::PhoneNumber;
use clinic_domain::ports::{QueueRepository, StoreError};
use clinic_domain::queue::{NewTicket, QueueAlert, Ticket, TicketStatus};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{Array, Int4, Text, Timestamptz, Uuid as SqlUuid};
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

use crate::schema::{patient_profiles, queue_days, queue_tickets};
use crate::store::{PgStore, corrupt};

#[derive(Queryable, Selectable)]
#[diesel(table_name = queue_tickets, check_for_backend(diesel::pg::Pg))]
struct TicketRow {
    id: Uuid,
    clinic_day: Date,
    number: i32,
    patient_id: Uuid,
    doctor_id: Option<Uuid>,
    status: String,
    status_token: String,
    room: Option<String>,
    calls: i32,
    issued_position: i32,
    issued_at: OffsetDateTime,
}

/// A ticket with its patient's name and phone.
type Row = (TicketRow, String, Option<String>);

/// Tickets with their patients, as `filter` picks them, by number.
fn tickets(conn: &mut PgConnection, filter: impl FnOnce(Tickets) -> Tickets) -> QueryResult<Vec<Row>> {
    let query = queue_tickets::table
        .inner_join(patient_profiles::table)
        .select((TicketRow::as_select(), patient_profiles::full_name, patient_profiles::phone))
        .order(queue_tickets::number)
        .into_boxed();
    filter(query).load(conn)
}

/// The boxed query `tickets` hands its filter.
type Tickets = diesel::dsl::IntoBoxed<
    'static,
    diesel::dsl::Order<
        diesel::dsl::Select<
            diesel::dsl::InnerJoin<queue_tickets::table, patient_profiles::table>,
            (diesel::dsl::AsSelect<TicketRow, Pg>, patient_profiles::full_name, patient_profiles::phone),
        >,
        queue_tickets::number,
    >,
    Pg,
>;

fn one(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<Row>> {
    Ok(tickets(conn, |q| q.filter(queue_tickets::id.eq(id)))?.pop())
}

fn to_ticket((row, name, phone): Row) -> Result<Ticket, StoreError> {
    let count = |what: &str, n: i32| u32::try_from(n).map_err(|_| corrupt(what, n));
    Ok(Ticket {
        id: TicketId::from_uuid(row.id),
        day: row.clinic_day,
        number: count("ticket number", row.number)?,
        patient_id: PatientId::from_uuid(row.patient_id),
        patient_name: name,
        patient_phone: phone.map(|p| PhoneNumber::parse(&p).map_err(|_| corrupt("phone", p))).transpose()?,
        doctor_id: row.doctor_id.map(DoctorId::from_uuid),
        status: row.status.parse().map_err(|()| corrupt("ticket status", &row.status))?,
        status_token: row.status_token,
        room: row.room,
        calls: count("ticket calls", row.calls)?,
        issued_position: count("issued position", row.issued_position)?,
        issued_at: row.issued_at,
    })
}

fn to_tickets(rows: Vec<Row>) -> Result<Vec<Ticket>, StoreError> {
    rows.into_iter().map(to_ticket).collect()
}

/// Every alert (due at `$8`) is addressed to its ticket's patient as their profile says now; a ticket
/// and call that has its alert already keeps the one it has.
const ENQUEUE_ALERTS: &str = "INSERT INTO notifications \
    (id, ticket_id, ticket_call, patient_id, channel, type, message, segments, to_phone, status, \
     attempts, next_attempt_at, created_at, updated_at, appointment_version) \
    SELECT a.id, t.id, a.call, t.patient_id, p.preferred_channel, $6, a.message, a.segments, p.phone, $7, \
      0, $8, $8, $8, 1 \
    FROM unnest($1::uuid[], $2::uuid[], $3::int4[], $4::text[], $5::int4[]) AS a(id, ticket_id, call, message, segments) \
    JOIN queue_tickets t ON t.id = a.ticket_id JOIN patient_profiles p ON p.id = t.patient_id \
    ON CONFLICT DO NOTHING";

fn enqueue(conn: &mut PgConnection, alerts: &[QueueAlert], at: OffsetDateTime) -> QueryResult<usize> {
    let int = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    diesel::sql_query(ENQUEUE_ALERTS)
        .bind::<Array<SqlUuid>, _>(alerts.iter().map(|a| a.id.as_uuid()).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(alerts.iter().map(|a| a.ticket_id.as_uuid()).collect::<Vec<_>>())
        .bind::<Array<Int4>, _>(alerts.iter().map(|a| int(a.call)).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(alerts.iter().map(|a| a.message.clone()).collect::<Vec<_>>())
        .bind::<Array<Int4>, _>(alerts.iter().map(|a| int(a.segments)).collect::<Vec<_>>())
        .bind::<Text, _>(NotificationKind::QueueAlert.as_str())
        .bind::<Text, _>(NotificationStatus::Pending.as_str())
        .bind::<Timestamptz, _>(at)
        .execute(conn)
}

impl QueueRepository for PgStore {
    fn issue(&self, ticket: &NewTicket) -> Result<Ticket, StoreError> {
        let row = self.transaction(|conn| {
            // The day's row is locked until this commits: issues of one day take turns,
            // so each gets the next number and sees the tickets issued before it.
            let number: i32 = diesel::insert_into(queue_days::table)
                .values((queue_days::clinic_day.eq(ticket.day), queue_days::last_number.eq(1)))
                .on_conflict(queue_days::clinic_day)
                .do_update()
                .set(queue_days::last_number.eq(queue_days::last_number + 1))
                .returning(queue_days::last_number)
                .get_result(conn)?;
            let doctor = ticket.doctor_id.map(|d| d.as_uuid());
            let ahead: i64 = queue_tickets::table
                .filter(queue_tickets::clinic_day.eq(ticket.day))
                .filter(queue_tickets::doctor_id.is_not_distinct_from(doctor))
                .filter(queue_tickets::status.eq(TicketStatus::Waiting.as_str()))
                .count()
                .get_result(conn)?;
            diesel::insert_into(queue_tickets::table)
                .values((
                    queue_tickets::id.eq(ticket.id.as_uuid()),
                    queue_tickets::clinic_day.eq(ticket.day),
                    queue_tickets::number.eq(number),
                    queue_tickets::patient_id.eq(ticket.patient_id.as_uuid()),
                    queue_tickets::doctor_id.eq(doctor),
                    queue_tickets::status.eq(TicketStatus::Waiting.as_str()),
                    queue_tickets::status_token.eq(&ticket.status_token),
                    queue_tickets::issued_position.eq(i32::try_from(ahead + 1).unwrap_or(i32::MAX)),
                    queue_tickets::issued_at.eq(ticket.issued_at),
                ))
                .execute(conn)?;
            one(conn, ticket.id.as_uuid())?.ok_or(DieselError::NotFound)
        })?;
        to_ticket(row)
    }

    fn find(&self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        self.run(|conn| one(conn, id.as_uuid()))?.map(to_ticket).transpose()
    }

    fn find_by_token(&self, token: &str) -> Result<Option<Ticket>, StoreError> {
        let token = token.to_owned();
        let found =
            self.run(|conn| tickets(conn, |q| q.filter(queue_tickets::status_token.eq(token.clone()))))?;
        found.into_iter().next().map(to_ticket).transpose()
    }

    fn day(&self, day: Date) -> Result<Vec<Ticket>, StoreError> {
        to_tickets(self.run(|conn| tickets(conn, |q| q.filter(queue_tickets::clinic_day.eq(day))))?)
    }

    fn serve_times(&self, doctor: Option<DoctorId>, last: u32) -> Result<Vec<Duration>, StoreError> {
        let rows: Vec<(OffsetDateTime, OffsetDateTime)> = self.run(|conn| {
            let mut query = queue_tickets::table
                .filter(queue_tickets::status.eq(TicketStatus::Served.as_str()))
                .filter(queue_tickets::called_at.is_not_null())
                .into_boxed();
            if let Some(doctor) = doctor {
                query = query.filter(queue_tickets::doctor_id.eq(doctor.as_uuid()));
            }
            query
                .order(queue_tickets::finished_at.desc())
                .limit(i64::from(last))
                .select((
                    queue_tickets::called_at.assume_not_null(),
                    queue_tickets::finished_at.assume_not_null(),
                ))
                .load(conn)
        })?;
        Ok(rows.into_iter().map(|(called, served)| served - called).collect())
    }

    fn call(
        &self,
        before: &Ticket,
        room: &str,
        alert: &QueueAlert,
        at: OffsetDateTime,
    ) -> Result<Option<Ticket>, StoreError> {
        let row = self.transaction(|conn| {
            let called: Option<Uuid> = diesel::update(
                queue_tickets::table
                    .find(before.id.as_uuid())
                    .filter(queue_tickets::calls.eq(i32::try_from(before.calls).unwrap_or(i32::MAX)))
                    .filter(
                        queue_tickets::status
                            .eq_any([TicketStatus::Waiting.as_str(), TicketStatus::Called.as_str()]),
                    ),
            )
            .set((
                queue_tickets::status.eq(TicketStatus::Called.as_str()),
                queue_tickets::room.eq(room),
                queue_tickets::calls.eq(queue_tickets::calls + 1),
                queue_tickets::called_at.eq(at),
            ))
            .returning(queue_tickets::id)
            .get_result(conn)
            .optional()?;
            let Some(id) = called else { return Ok(None) };
            enqueue(conn, std::slice::from_ref(alert), alert.created_at)?;
            one(conn, id)
        })?;
        row.map(to_ticket).transpose()
    }

    fn finish(
        &self,
        id: TicketId,
        status: TicketStatus,
        at: OffsetDateTime,
    ) -> Result<Option<Ticket>, StoreError> {
        let row = self.transaction(|conn| {
            let finished: Option<Uuid> = diesel::update(queue_tickets::table.find(id.as_uuid()).filter(
                queue_tickets::status.eq_any([TicketStatus::Waiting.as_str(), TicketStatus::Called.as_str()]),
            ))
            .set((queue_tickets::status.eq(status.as_str()), queue_tickets::finished_at.eq(at)))
            .returning(queue_tickets::id)
            .get_result(conn)
            .optional()?;
            finished.map_or(Ok(None), |id| one(conn, id))
        })?;
        row.map(to_ticket).transpose()
    }

    fn enqueue_alerts(&self, alerts: &[QueueAlert]) -> Result<u64, StoreError> {
        let Some(at) = alerts.iter().map(|a| a.created_at).max() else { return Ok(0) };
        Ok(self.run(|conn| enqueue(conn, alerts, at))? as u64)
    }
}
