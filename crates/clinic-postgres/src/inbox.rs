//! What patients text back: the visit a reply is about, its confirmation, and the inbox.

use clinic_domain::ids::{AppointmentId, InboundMessageId, PatientId};
use clinic_domain::inbound::{InboundMessage, InboxEntry, RemindedVisit};
use clinic_domain::notification::{NotificationKind, NotificationStatus};
use clinic_domain::phone::PhoneNumber;
use clinic_domain::ports::{InboxRepository, StoreError};
use diesel::prelude::*;
use diesel::sql_types::{Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::appointments::{AppointmentRow, to_appointment};
use crate::schema::{appointments, doctors, inbound_messages, notifications, patient_profiles};
use crate::store::{PgStore, corrupt};

/// Only a visit still booked, as reminded, and not started is confirmed; the first
/// confirmation's time is kept.
const CONFIRM: &str = "UPDATE appointments \
    SET patient_confirmed_at = COALESCE(patient_confirmed_at, $3), updated_at = $3 \
    WHERE id = $1 AND version = $2 AND status = 'booked' AND scheduled_start > $3";

/// A message without a patient is the oldest profile's with the sender's phone, if any.
const KEEP: &str = "INSERT INTO inbound_messages \
    (id, from_phone, patient_id, appointment_id, body, received_at) \
    VALUES ($1, $2, COALESCE($3, (SELECT id FROM patient_profiles WHERE phone = $2 \
                                  ORDER BY created_at, id LIMIT 1)), $4, $5, $6)";

#[derive(Queryable, Selectable)]
#[diesel(table_name = inbound_messages, check_for_backend(diesel::pg::Pg))]
struct InboundRow {
    id: Uuid,
    from_phone: Option<String>,
    patient_id: Option<Uuid>,
    appointment_id: Option<Uuid>,
    body: String,
    received_at: OffsetDateTime,
    read_at: Option<OffsetDateTime>,
}

impl InboxRepository for PgStore {
    fn reminded_visit(
        &self,
        phone: &PhoneNumber,
        now: OffsetDateTime,
        only: Option<AppointmentId>,
    ) -> Result<Option<RemindedVisit>, StoreError> {
        let still_on = appointments::status.eq("booked").and(appointments::scheduled_start.gt(now));
        let found: Option<(AppointmentRow, String, i32)> = self.run(|conn| {
            let mut query = notifications::table
                .inner_join(appointments::table.inner_join(doctors::table))
                .filter(notifications::kind.eq(NotificationKind::Reminder.as_str()))
                .filter(notifications::status.eq(NotificationStatus::Sent.as_str()))
                .filter(notifications::to_phone.eq(phone.as_str()))
                .order((still_on.desc(), notifications::sent_at.desc(), notifications::id.desc()))
                .select((AppointmentRow::as_select(), doctors::name, notifications::appointment_version))
                .into_boxed();
            if let Some(id) = only {
                query = query.filter(appointments::id.eq(id.as_uuid()));
            }
            query.first(conn).optional()
        })?;
        found
            .map(|(row, doctor_name, version)| {
                Ok(RemindedVisit {
                    appointment: to_appointment(row)?,
                    doctor_name,
                    reminded_version: u32::try_from(version)
                        .map_err(|_| corrupt("reminded version", version))?,
                })
            })
            .transpose()
    }

    fn confirm(&self, id: AppointmentId, version: u32, at: OffsetDateTime) -> Result<bool, StoreError> {
        let updated = self.run(|conn| {
            diesel::sql_query(CONFIRM)
                .bind::<SqlUuid, _>(id.as_uuid())
                .bind::<Int4, _>(i32::try_from(version).unwrap_or(i32::MAX))
                .bind::<Timestamptz, _>(at)
                .execute(conn)
        })?;
        Ok(updated == 1)
    }

    fn keep(&self, message: &InboundMessage) -> Result<(), StoreError> {
        self.run(|conn| {
            diesel::sql_query(KEEP)
                .bind::<SqlUuid, _>(message.id.as_uuid())
                .bind::<Nullable<Text>, _>(message.from.as_ref().map(PhoneNumber::as_str))
                .bind::<Nullable<SqlUuid>, _>(message.patient_id.map(|p| p.as_uuid()))
                .bind::<Nullable<SqlUuid>, _>(message.appointment_id.map(|a| a.as_uuid()))
                .bind::<Text, _>(&message.body)
                .bind::<Timestamptz, _>(message.received_at)
                .execute(conn)
        })?;
        Ok(())
    }

    fn inbox(&self, unread_only: bool, limit: u32) -> Result<Vec<InboxEntry>, StoreError> {
        let rows = self.run(|conn| {
            let mut query = entries().limit(i64::from(limit)).into_boxed();
            if unread_only {
                query = query.filter(inbound_messages::read_at.is_null());
            }
            query.load(conn)
        })?;
        rows.into_iter().map(to_entry).collect()
    }

    fn mark_read(&self, id: InboundMessageId, at: OffsetDateTime) -> Result<Option<InboxEntry>, StoreError> {
        let row = self.run(|conn| {
            diesel::update(
                inbound_messages::table.find(id.as_uuid()).filter(inbound_messages::read_at.is_null()),
            )
            .set(inbound_messages::read_at.eq(at))
            .execute(conn)?;
            entries().filter(inbound_messages::id.eq(id.as_uuid())).first(conn).optional()
        })?;
        row.map(to_entry).transpose()
    }
}

type EntryRow = (InboundRow, Option<String>);
type WithPatient = diesel::dsl::LeftJoin<inbound_messages::table, patient_profiles::table>;
type NewestFirst =
    (diesel::dsl::Desc<inbound_messages::received_at>, diesel::dsl::Desc<inbound_messages::id>);
type EntryColumns =
    (diesel::dsl::AsSelect<InboundRow, diesel::pg::Pg>, diesel::dsl::Nullable<patient_profiles::full_name>);

/// Kept messages with their patient's name, newest first.
fn entries() -> diesel::dsl::Select<diesel::dsl::Order<WithPatient, NewestFirst>, EntryColumns> {
    inbound_messages::table
        .left_join(patient_profiles::table)
        .order((inbound_messages::received_at.desc(), inbound_messages::id.desc()))
        .select((InboundRow::as_select(), patient_profiles::full_name.nullable()))
}

fn to_entry((row, patient_name): EntryRow) -> Result<InboxEntry, StoreError> {
    let from = row
        .from_phone
        .map(|phone| PhoneNumber::parse(&phone).map_err(|_| corrupt("sender's phone", phone)))
        .transpose()?;
    Ok(InboxEntry {
        message: InboundMessage {
            id: InboundMessageId::from_uuid(row.id),
            from,
            patient_id: row.patient_id.map(PatientId::from_uuid),
            appointment_id: row.appointment_id.map(AppointmentId::from_uuid),
            body: row.body,
            received_at: row.received_at,
            read_at: row.read_at,
        },
        patient_name,
    })
}
