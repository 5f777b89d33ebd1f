//! Typed identifiers: an appointment id can never be passed where a doctor id is meant.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh random (v4) id.
            pub fn generate() -> Self {
                Self(Uuid::new_v4())
            }

            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A doctor of the clinic.
    DoctorId
);
id_type!(
    /// A patient. A profile a login made has its login's UUID (the token's `sub`); one
    /// staff registered has its own, and keeps it when a login claims it.
    PatientId
);
id_type!(
    /// A login: the access token's `sub`.
    LoginId
);
id_type!(
    /// One booked visit.
    AppointmentId
);
id_type!(
    /// One message in the outbox.
    NotificationId
);
id_type!(
    /// A span of time a doctor, or the whole clinic, is closed.
    ClosureId
);
id_type!(
    /// A text a patient (or anyone) sent the clinic, kept for staff.
    InboundMessageId
);
id_type!(
    /// A walk-in's ticket in the day's queue.
    TicketId
);
