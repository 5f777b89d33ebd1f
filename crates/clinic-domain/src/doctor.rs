//! Doctors, as staff maintain them.

use crate::ids::DoctorId;
use crate::schedule::{SlotLength, WeeklySchedule};
use crate::validation::FieldErrors;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doctor {
    pub id: DoctorId,
    pub name: String,
    pub specialty: String,
    /// An inactive doctor keeps its history but is neither listed nor bookable.
    pub active: bool,
    pub schedule: WeeklySchedule,
}

impl Doctor {
    /// A new, active doctor with no openings yet.
    pub fn new(name: &str, specialty: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = required_text("name", name, &mut errors);
        let specialty = required_text("specialty", specialty, &mut errors);
        errors.into_result(Self {
            id: DoctorId::generate(),
            name,
            specialty,
            active: true,
            schedule: WeeklySchedule::closed(SlotLength::DEFAULT),
        })
    }
}

/// A short human text (a name, a specialty): trimmed, 1 to 200 characters, one line.
pub fn required_text(field: &str, raw: &str, errors: &mut FieldErrors) -> String {
    let text = raw.trim();
    if text.is_empty() {
        errors.add(field, "must not be empty");
    } else if text.chars().count() > 200 {
        errors.add(field, "must be at most 200 characters");
    } else if text.chars().any(char::is_control) {
        errors.add(field, "must be a single line of text");
    }
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_doctor_is_active_with_no_openings() {
        let doctor = Doctor::new("  Dr Tan  ", "Family medicine").unwrap();
        assert_eq!(doctor.name, "Dr Tan");
        assert!(doctor.active);
        assert!(doctor.schedule.hours().is_empty());
    }

    #[test]
    fn names_must_be_short_single_lines() {
        let errors = Doctor::new("", &"x".repeat(201)).unwrap_err();
        assert_eq!(errors.fields()["name"], "must not be empty");
        assert_eq!(errors.fields()["specialty"], "must be at most 200 characters");
        assert!(Doctor::new("Dr\nTan", "GP").is_err());
    }
}
