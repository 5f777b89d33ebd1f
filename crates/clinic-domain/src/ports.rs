//! What the domain needs from the outside world. Ports are synchronous: the database
//! driver and the HTTP client block, and the server runs them off its async workers.

use std::fmt;
use std::sync::Arc;

use thiserror::Error;
use time::OffsetDateTime;

use crate::appointment::{Appointment, DayEntry};
use crate::booking_record::{
    AppointmentChange, BookingReads, BookingStored, ChangeStored, IdempotencyKey, NewBooking,
};
use crate::closure::Closure;
use crate::delivery::{Delivery, DueNotification, Recorded, Scope};
use crate::doctor::Doctor;
use crate::doctor_day::DoctorDay;
use crate::ids::{AppointmentId, ClosureId, DoctorId, InboundMessageId, LoginId, PatientId, TicketId};
use crate::inbound::{InboundMessage, InboxEntry, RemindedVisit};
use crate::notification::{Notification, NotificationFilter, StatusReport};
use crate::patient::{PatientProfile, PatientRecord, Registered};
use crate::patient_search::PatientSearch;
use crate::phone::PhoneNumber;
use crate::queue::{NewTicket, QueueAlert, Ticket, TicketStatus};
use crate::reminder::ReminderWindow;
use crate::schedule::WeeklySchedule;

/// The time now. Windows, deadlines and backoff ask this, so tests can set it.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// A storage failure, as far as the domain cares; what the adapter saw is kept as its
/// source (and said in its message, so a log line needs nothing else).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StoreError {
    /// The database cannot be reached; the request may be retried.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] Cause),
    /// The database refused a query: a bug or corrupt data.
    #[error("database error: {0}")]
    Failed(#[source] Cause),
}

impl StoreError {
    pub fn unavailable(cause: impl Into<Cause>) -> Self {
        Self::Unavailable(cause.into())
    }

    pub fn failed(cause: impl Into<Cause>) -> Self {
        Self::Failed(cause.into())
    }
}

/// The error underneath a [`StoreError`], whole: the adapter's own, or a sentence.
#[derive(Debug, Clone)]
pub struct Cause(Arc<dyn std::error::Error + Send + Sync>);

impl Cause {
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Arc::new(error))
    }
}

/// A cause the domain or an adapter says in words.
#[derive(Debug, Error)]
#[error("{0}")]
struct Said(String);

impl From<String> for Cause {
    fn from(text: String) -> Self {
        Self::new(Said(text))
    }
}

impl From<&str> for Cause {
    fn from(text: &str) -> Self {
        Self::from(text.to_owned())
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Causes are compared by what they say: tests compare errors, never their types.
impl PartialEq for Cause {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for Cause {}

#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait DoctorRepository: Send + Sync {
    /// Active doctors, by name.
    fn list_active(&self) -> Result<Vec<Doctor>, StoreError>;
    /// A doctor with its schedule, active or not.
    fn find(&self, id: DoctorId) -> Result<Option<Doctor>, StoreError>;
    /// A doctor with its schedule, active or not, with the starts its appointments hold
    /// (not cancelled) in `[from, until)` and the closures overlapping that span (its own
    /// and the whole clinic's): a day's free slots from one round trip.
    fn day_of(
        &self,
        id: DoctorId,
        from: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<Option<DoctorDay>, StoreError>;
    /// Whether the clinic has any doctor at all.
    fn any(&self) -> Result<bool, StoreError>;
    /// Stores a new doctor with its schedule.
    fn insert(&self, doctor: &Doctor, at: OffsetDateTime) -> Result<(), StoreError>;
    /// Saves name, specialty and `active`; false when there is no such doctor.
    fn update(&self, doctor: &Doctor, at: OffsetDateTime) -> Result<bool, StoreError>;
    /// Replaces the weekly schedule; false when there is no such doctor.
    fn replace_schedule(
        &self,
        id: DoctorId,
        schedule: &WeeklySchedule,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;
}

#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait PatientRepository: Send + Sync {
    fn find(&self, id: PatientId) -> Result<Option<PatientProfile>, StoreError>;
    /// Creates or replaces the profile.
    fn save(&self, profile: &PatientProfile, at: OffsetDateTime) -> Result<(), StoreError>;
    /// Sets `sms_opt_in` on every profile with this phone; how many there were.
    fn set_sms_opt_in(
        &self,
        phone: &PhoneNumber,
        opt_in: bool,
        at: OffsetDateTime,
    ) -> Result<u64, StoreError>;
}

/// Patients as the clinic keeps them, with a login or without, and which login is whom.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait PatientRecordRepository: Send + Sync {
    /// Stores a patient without a login, unless a patient with that phone exists,
    /// however many registrations race.
    fn register(&self, patient: &PatientProfile, at: OffsetDateTime) -> Result<Registered, StoreError>;
    /// The patients the search finds, by name, at most `limit`.
    fn search(&self, search: &PatientSearch, limit: u32) -> Result<Vec<PatientRecord>, StoreError>;
    fn record(&self, id: PatientId) -> Result<Option<PatientRecord>, StoreError>;
    /// The patient this login is, if any.
    fn patient_of_login(&self, login: LoginId) -> Result<Option<PatientId>, StoreError>;
    /// Makes `login` the login of the patient without one whose phone is `phone` (the
    /// oldest, should there be several); that patient, or `None` if there was none free.
    /// Of logins claiming one patient at once, one wins; a login never gets two.
    fn claim(
        &self,
        login: LoginId,
        phone: &PhoneNumber,
        at: OffsetDateTime,
    ) -> Result<Option<PatientId>, StoreError>;
}

#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait AppointmentRepository: Send + Sync {
    /// Stores the appointment, its confirmation and its idempotency key in one unit of
    /// work: all of them, or none.
    fn book(&self, booking: &NewBooking) -> Result<BookingStored, StoreError>;
    /// The patient's profile and, with a key, the booking the key made if it was used
    /// since `used_since`: what a booking reads first, in one round trip.
    fn find_for_booking(
        &self,
        patient: PatientId,
        key: Option<IdempotencyKey>,
        used_since: OffsetDateTime,
    ) -> Result<BookingReads, StoreError>;
    /// Deletes the idempotency keys used before `used_before`; how many.
    fn forget_booking_keys(&self, used_before: OffsetDateTime) -> Result<u64, StoreError>;
    fn find(&self, id: AppointmentId) -> Result<Option<Appointment>, StoreError>;
    /// A patient's appointments, by start.
    fn list_for_patient(&self, patient: PatientId) -> Result<Vec<Appointment>, StoreError>;
    /// Appointments starting in `[from, until)`, optionally one doctor's, by start,
    /// with their patient's name and phone.
    fn list_between(
        &self,
        from: OffsetDateTime,
        until: OffsetDateTime,
        doctor: Option<DoctorId>,
    ) -> Result<Vec<DayEntry>, StoreError>;
    /// Stores a change with its message, in one unit of work, if the appointment is still
    /// as `change.before` (same version); the older versions' pending messages are
    /// skipped, as [`crate::notification::SkipReason::superseded_by`] says.
    fn change(&self, change: &AppointmentChange) -> Result<ChangeStored, StoreError>;
    /// Marks a booked appointment's patient arrived at `at`, keeping the first time: the
    /// arrival's time, or `None` when the appointment is not booked or is no longer at
    /// `version` (moved or changed since it was read).
    fn mark_arrived(
        &self,
        id: AppointmentId,
        version: u32,
        at: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>, StoreError>;
}

/// Closures: doctors' leave and the clinic's holidays. Booking a slot and closing it are
/// ordered by the store: a booking either commits before a closure over its slot, and is
/// among that closure's affected, or after it, and is refused as closed.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait ClosureRepository: Send + Sync {
    /// Records the closure and, in the same unit of work, finds the appointments it
    /// affects ([`Closure::affects`]) and, with `cancel_booked`, cancels them; returns
    /// them as they stand after it, by start.
    fn close(
        &self,
        closure: &Closure,
        cancel_booked: bool,
        at: OffsetDateTime,
    ) -> Result<Vec<Appointment>, StoreError>;
    /// Closures overlapping `[from, until)` ([`Closure::overlaps`]), every doctor's and
    /// the whole clinic's, by start.
    fn overlapping(&self, from: OffsetDateTime, until: OffsetDateTime) -> Result<Vec<Closure>, StoreError>;
    /// Deletes the closure; false when there was none.
    fn remove(&self, id: ClosureId) -> Result<bool, StoreError>;
}

/// The walk-in queue. Numbers are the store's to give: one per ticket, consecutive per
/// day, however many desks issue at once.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait QueueRepository: Send + Sync {
    /// Stores the ticket with its day's next number and its place in line now.
    fn issue(&self, ticket: &NewTicket) -> Result<Ticket, StoreError>;
    fn find(&self, id: TicketId) -> Result<Option<Ticket>, StoreError>;
    fn find_by_token(&self, token: &str) -> Result<Option<Ticket>, StoreError>;
    /// A day's tickets, by number.
    fn day(&self, day: time::Date) -> Result<Vec<Ticket>, StoreError>;
    /// How long the last `last` served tickets took from call to served, newest first:
    /// one doctor's, or with `None` the clinic's.
    fn serve_times(&self, doctor: Option<DoctorId>, last: u32) -> Result<Vec<time::Duration>, StoreError>;
    /// Calls the ticket to `room` with its alert, in one unit of work, if it is still as
    /// `before` (same calls, not finished); the ticket after, or `None`.
    fn call(
        &self,
        before: &Ticket,
        room: &str,
        alert: &QueueAlert,
        at: OffsetDateTime,
    ) -> Result<Option<Ticket>, StoreError>;
    /// Marks an unfinished ticket served or left; the ticket after, or `None`.
    fn finish(
        &self,
        id: TicketId,
        status: TicketStatus,
        at: OffsetDateTime,
    ) -> Result<Option<Ticket>, StoreError>;
    /// Stores the alerts no ticket has yet (one per ticket and call); how many were new.
    fn enqueue_alerts(&self, alerts: &[QueueAlert]) -> Result<u64, StoreError>;
}

/// The outbox: one row per message.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait NotificationRepository: Send + Sync {
    /// Rows matching the filter, newest first.
    fn list(&self, filter: NotificationFilter) -> Result<Vec<Notification>, StoreError>;
    /// Claims up to `limit` pending rows due at `now`, skipping rows another worker
    /// holds; they stay claimed until the batch is finished or dropped.
    fn claim_due(
        &self,
        scope: Scope,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Box<dyn ClaimedBatch>, StoreError>;
    /// Creates, in one statement, the reminder of every appointment in the window that
    /// has none yet; how many it created.
    fn create_reminders(&self, window: &ReminderWindow) -> Result<u64, StoreError>;
    /// The delivery status of the message Twilio knows as `sid`: `None` when no message
    /// has that sid, `Some(None)` when none was reported yet.
    fn delivery_status(&self, sid: &str) -> Result<Option<Option<String>>, StoreError>;
    /// Sets the delivery status (and the error code, if any) if it is still `current`;
    /// whether it was.
    fn record_delivery_status(
        &self,
        sid: &str,
        current: Option<String>,
        status: &str,
        error_code: Option<String>,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Keeps a report for a SID no message has (yet).
    fn keep_early_report(&self, report: &StatusReport) -> Result<(), StoreError>;
    /// Removes and returns the kept reports for these SIDs, and forgets those kept
    /// before `forget_before`.
    fn take_early_reports(
        &self,
        sids: &[String],
        forget_before: OffsetDateTime,
    ) -> Result<Vec<StatusReport>, StoreError>;
}

/// What patients text back: the visit a reply is about, and the staff inbox.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait InboxRepository: Send + Sync {
    /// The visit whose reminder was sent last to `phone` (whichever profile it was
    /// for), preferring visits still booked and not started at `now`; as it stands now.
    /// With `only`, that appointment, if it was reminded at `phone`.
    fn reminded_visit(
        &self,
        phone: &PhoneNumber,
        now: OffsetDateTime,
        only: Option<AppointmentId>,
    ) -> Result<Option<RemindedVisit>, StoreError>;
    /// Records the patient's confirmation if the appointment is still booked at
    /// `version` and not started at `at`; whether it was. Confirming twice keeps the first.
    fn confirm(&self, id: AppointmentId, version: u32, at: OffsetDateTime) -> Result<bool, StoreError>;
    /// Keeps a message for staff. Without a patient, the oldest profile with the
    /// sender's phone, if any, is taken as its patient.
    fn keep(&self, message: &InboundMessage) -> Result<(), StoreError>;
    /// Kept messages, newest first, at most `limit`; only unread ones with `unread_only`.
    fn inbox(&self, unread_only: bool, limit: u32) -> Result<Vec<InboxEntry>, StoreError>;
    /// Marks a message read (the first time counts); the message, or `None` if unknown.
    fn mark_read(&self, id: InboundMessageId, at: OffsetDateTime) -> Result<Option<InboxEntry>, StoreError>;
}

/// Claimed rows, held against other workers until finished or dropped. Claiming has
/// already committed each row's attempt, so a send is never the first the database
/// hears of it; dropping the batch unfinished releases the rows, and their attempts
/// stay on record to be asked about.
pub trait ClaimedBatch: Send + Sync {
    fn notifications(&self) -> &[DueNotification];
    /// Whether the batch still holds its rows. A batch whose database connection was lost
    /// has lost them: another worker may claim them, so this one must send no more.
    fn still_held(&self) -> bool {
        true
    }
    /// Records the outcomes, releases the rows it was given none for (their attempt
    /// never started), and lets the rows go. May be called again after an error: it
    /// then records only what no other worker has recorded since.
    fn finish(&mut self, deliveries: &[Delivery]) -> Result<Recorded, StoreError>;
}

/// A clock tests set and move by hand.
#[cfg(any(test, feature = "mock"))]
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<OffsetDateTime>);

#[cfg(any(test, feature = "mock"))]
impl ManualClock {
    pub fn new(now: OffsetDateTime) -> Self {
        Self(std::sync::Mutex::new(now))
    }

    pub fn set(&self, now: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = now;
    }

    pub fn advance(&self, by: time::Duration) {
        let mut now = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *now += by;
    }
}

#[cfg(any(test, feature = "mock"))]
impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Codes texted to sign in, their limits, and staff phones.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait SignInRepository: Send + Sync {
    /// Stores the request's code in place of the phone's earlier one, unless a limit
    /// says no; the check and the store are one step for concurrent requests.
    fn issue_code(
        &self,
        request: &crate::sign_in_code::CodeRequest,
        limits: &crate::sign_in_code::CodeLimits,
    ) -> Result<crate::sign_in_code::CodeIssued, StoreError>;
    /// Checks `candidate` against the phone's live code, counting a wrong one; concurrent
    /// checks count every wrong code and accept a right one once.
    fn check_code(
        &self,
        phone: &PhoneNumber,
        candidate: &crate::sign_in_code::CodeHash,
        at: OffsetDateTime,
    ) -> Result<crate::sign_in_code::CodeChecked, StoreError>;
    fn staff_role(&self, phone: &PhoneNumber) -> Result<Option<crate::sign_in_code::StaffRole>, StoreError>;
    /// Adds a member of staff, or updates the one with that phone.
    fn add_staff(
        &self,
        staff: &crate::sign_in_code::StaffPhone,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
}

/// Makes codes and hashes them with a key only the service holds.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait CodeSecrets: Send + Sync {
    /// A fresh code of [`crate::sign_in_code::CODE_DIGITS`] random digits; `None` when
    /// the system has no randomness to give.
    fn new_code(&self) -> Option<String>;
    fn hash(&self, phone: &PhoneNumber, code: &str) -> crate::sign_in_code::CodeHash;
}
