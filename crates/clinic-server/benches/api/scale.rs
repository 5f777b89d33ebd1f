use uuid::Uuid;

use crate::Slots;
use crate::server::{Database, Service};

pub fn run(_db: &Database, _service: &Service, _patients: &[(Uuid, String)], _slots: &Slots) {}
