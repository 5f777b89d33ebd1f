//! Moving an appointment between states, safely against concurrent moves.

use crate::appointment::{Appointment, AppointmentStatus, StatusChangeRefused, status_change};
use crate::ids::AppointmentId;
use crate::ports::{AppointmentRepository, Clock, StoreError};

/// Why an appointment could not be moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MoveError {
    NotFound,
    Refused(StatusChangeRefused),
    Store(StoreError),
}

impl From<StoreError> for MoveError {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

/// Moves the appointment `id` to `wanted` by the rules of [`status_change`]. `visible`
/// says whether the caller may see it (a patient, only their own). The update is
/// conditional on the status read: if a concurrent change wins the race, the move is
/// decided again on the status it left.
pub(crate) fn move_to(
    appointments: &dyn AppointmentRepository,
    clock: &dyn Clock,
    id: AppointmentId,
    wanted: AppointmentStatus,
    visible: impl Fn(&Appointment) -> bool,
) -> Result<Appointment, MoveError> {
    for _ in 0..2 {
        let appointment = appointments.find(id)?.filter(&visible).ok_or(MoveError::NotFound)?;
        let now = clock.now();
        let change = status_change(appointment.status, wanted, appointment.scheduled_start <= now)
            .map_err(MoveError::Refused)?;
        let Some(to) = change else { return Ok(appointment) };
        if let Some(moved) = appointments.change_status(id, appointment.status, to, now)? {
            return Ok(moved);
        }
    }
    Err(StoreError::failed(format!("appointment {id} kept changing")).into())
}
