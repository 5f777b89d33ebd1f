//! Changing an appointment (its status, its time, its doctor), safely against
//! concurrent changes: each change is stored only if the appointment is still as it was
//! read, and decided again on what it became otherwise.

use time::OffsetDateTime;

use crate::appointment::{Appointment, AppointmentStatus, Cancellation, StatusChangeRefused, status_change};
use crate::booking_record::{AppointmentChange, ChangeStored};
use crate::ids::AppointmentId;
use crate::notification::NotificationKind;
use crate::ports::{AppointmentRepository, Clock, StoreError};

/// Why a change was not made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ChangeError<E> {
    NotFound,
    /// Another appointment holds the new doctor and start.
    SlotTaken,
    /// A closure covers the new slot.
    Closed,
    /// The change's own rule refused it.
    Refused(E),
    Store(StoreError),
}

impl<E> From<StoreError> for ChangeError<E> {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

/// What a change makes of the appointment as read at `now`: its next state and the
/// message telling the patient, or `None` when it is already as wanted.
pub(crate) type Decision = Option<(Appointment, Option<NotificationKind>)>;

/// Reads the appointment `id` (`visible` says whether the caller may see it: a patient,
/// only their own), lets `decide` make the change, and stores it with its message. If a
/// concurrent change got there first, decides again on what it left.
pub(crate) fn change<E>(
    appointments: &dyn AppointmentRepository,
    clock: &dyn Clock,
    id: AppointmentId,
    visible: impl Fn(&Appointment) -> bool,
    decide: impl Fn(&Appointment, OffsetDateTime) -> Result<Decision, E>,
) -> Result<Appointment, ChangeError<E>> {
    for _ in 0..3 {
        let before = appointments.find(id)?.filter(&visible).ok_or(ChangeError::NotFound)?;
        let now = clock.now();
        let Some((after, message)) = decide(&before, now).map_err(ChangeError::Refused)? else {
            return Ok(before);
        };
        let stored =
            appointments.change(&AppointmentChange { before, after: after.clone(), message, at: now })?;
        match stored {
            ChangeStored::Changed => return Ok(after),
            ChangeStored::SlotTaken => return Err(ChangeError::SlotTaken),
            ChangeStored::Closed => return Err(ChangeError::Closed),
            ChangeStored::Stale => {}
        }
    }
    Err(StoreError::failed(format!("appointment {id} kept changing")).into())
}

/// Moves the appointment to `wanted` by the rules of [`status_change`]; a cancellation
/// (with who cancelled, and why) is told to the patient.
pub(crate) fn move_to(
    appointments: &dyn AppointmentRepository,
    clock: &dyn Clock,
    id: AppointmentId,
    wanted: AppointmentStatus,
    cancellation: Option<Cancellation>,
    visible: impl Fn(&Appointment) -> bool,
) -> Result<Appointment, ChangeError<StatusChangeRefused>> {
    move_to_telling(appointments, clock, id, wanted, cancellation, visible, true)
}

/// [`move_to`], telling the patient of a cancellation only with `tell`: a patient who
/// cancelled by replying to a text has had their answer already.
pub(crate) fn move_to_telling(
    appointments: &dyn AppointmentRepository,
    clock: &dyn Clock,
    id: AppointmentId,
    wanted: AppointmentStatus,
    cancellation: Option<Cancellation>,
    visible: impl Fn(&Appointment) -> bool,
    tell: bool,
) -> Result<Appointment, ChangeError<StatusChangeRefused>> {
    change(appointments, clock, id, visible, |before, now| {
        let to = status_change(before.status, wanted, before.scheduled_start <= now)?;
        Ok(to.map(|to| {
            let cancels = tell && to == AppointmentStatus::Cancelled;
            let message = cancels.then_some(NotificationKind::Cancellation);
            (before.with_status(to, cancellation.clone()), message)
        }))
    })
}
