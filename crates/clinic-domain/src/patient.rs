//! Patient profiles: who to address and how to reach them.

use crate::doctor::required_text;
use crate::ids::PatientId;
use crate::phone::PhoneNumber;
use crate::validation::FieldErrors;

named_enum!(
    /// How a patient wants to be messaged.
    Channel {
        Sms = "sms",
        WhatsApp = "whatsapp",
    }
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientProfile {
    /// The patient's login id: one profile per login.
    pub id: PatientId,
    pub full_name: String,
    pub phone: Option<PhoneNumber>,
    /// False once the patient says STOP; nothing is texted to them then.
    pub sms_opt_in: bool,
    pub preferred_channel: Channel,
}

/// Who is calling, as the access token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientLogin {
    pub id: PatientId,
    /// The phone the patient logged in with, if any: used when the profile has none.
    pub phone: Option<PhoneNumber>,
}

impl PatientLogin {
    /// The number to text: the profile's, or else the login's.
    pub fn contact_phone(&self, profile_phone: Option<&PhoneNumber>) -> Option<PhoneNumber> {
        profile_phone.or(self.phone.as_ref()).cloned()
    }
}

/// A patient as staff see them: whether a login is theirs, besides the profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientRecord {
    pub profile: PatientProfile,
    /// False for a patient staff registered until a login claims them.
    pub has_login: bool,
}

/// What registering a patient came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    Created,
    /// A patient with that phone exists (this one); nothing was stored.
    PhoneTaken(PatientId),
}

/// A profile as the patient sends it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProfileInput {
    pub full_name: String,
    pub phone: Option<String>,
    /// Absent keeps what the patient last said (by STOP or START, or here); for a new
    /// profile it means yes: booking confirmations are what the patient asked for.
    pub sms_opt_in: Option<bool>,
    pub preferred_channel: Option<String>,
}

impl PatientProfile {
    /// The profile `input` makes, replacing `existing` if there is one.
    pub fn parse(
        login: &PatientLogin,
        input: &ProfileInput,
        existing: Option<&PatientProfile>,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let parsed = ParsedInput::parse(input, &mut errors);
        errors.into_result(Self {
            id: login.id,
            full_name: parsed.full_name,
            phone: login.contact_phone(parsed.phone.as_ref()),
            sms_opt_in: input.sms_opt_in.or(existing.map(|p| p.sms_opt_in)).unwrap_or(true),
            preferred_channel: parsed.preferred_channel,
        })
    }

    /// A patient staff register without a login (they phoned or walked in). The phone is
    /// required: it is how the clinic texts them, finds them again, and how their login,
    /// should they make one, claims this record.
    pub fn register(input: &ProfileInput) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let parsed = ParsedInput::parse(input, &mut errors);
        if input.phone.is_none() {
            errors.add("phone", "is required");
        }
        // Without errors, the phone is there.
        errors.into_result(Self {
            id: PatientId::generate(),
            full_name: parsed.full_name,
            phone: parsed.phone,
            sms_opt_in: input.sms_opt_in.unwrap_or(true),
            preferred_channel: parsed.preferred_channel,
        })
    }
}

/// The fields of a [`ProfileInput`] that mean the same for every profile.
struct ParsedInput {
    full_name: String,
    phone: Option<PhoneNumber>,
    preferred_channel: Channel,
}

impl ParsedInput {
    fn parse(input: &ProfileInput, errors: &mut FieldErrors) -> Self {
        let full_name = required_text("full_name", &input.full_name, errors);
        let phone = match input.phone.as_deref() {
            Some(raw) => PhoneNumber::parse(raw.trim()).map_err(|e| errors.add("phone", e.to_string())).ok(),
            None => None,
        };
        let preferred_channel = match input.preferred_channel.as_deref() {
            None => Channel::Sms,
            Some(raw) => raw.parse().unwrap_or_else(|()| {
                errors.add("preferred_channel", "must be \"sms\" or \"whatsapp\"");
                Channel::Sms
            }),
        };
        Self { full_name, phone, preferred_channel }
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn login(phone: Option<&str>) -> PatientLogin {
        PatientLogin {
            id: PatientId::from_uuid(Uuid::nil()),
            phone: phone.map(|p| PhoneNumber::parse(p).unwrap()),
        }
    }

    fn input(phone: Option<&str>, channel: Option<&str>) -> ProfileInput {
        ProfileInput {
            full_name: "Siti Rahman".into(),
            phone: phone.map(Into::into),
            sms_opt_in: None,
            preferred_channel: channel.map(Into::into),
        }
    }

    #[test]
    fn a_profile_defaults_to_sms_and_opted_in() {
        let profile = PatientProfile::parse(&login(None), &input(Some("+6591234567"), None), None).unwrap();
        assert_eq!(profile.phone.unwrap().as_str(), "+6591234567");
        assert_eq!(profile.preferred_channel, Channel::Sms);
        assert!(profile.sms_opt_in);
    }

    #[test]
    fn a_bad_phone_or_channel_is_reported_per_field() {
        let errors =
            PatientProfile::parse(&login(None), &input(Some("91234567"), Some("pigeon")), None).unwrap_err();
        assert!(errors.fields()["phone"].contains("E.164"));
        assert!(errors.fields()["preferred_channel"].contains("whatsapp"));
    }

    #[test]
    fn an_update_that_does_not_mention_consent_keeps_it() {
        let login = login(None);
        let opted_out = PatientProfile {
            sms_opt_in: false,
            ..PatientProfile::parse(&login, &input(None, None), None).unwrap()
        };
        let renamed = PatientProfile::parse(&login, &input(None, None), Some(&opted_out)).unwrap();
        assert!(!renamed.sms_opt_in, "a STOP is not undone by editing a name");
        let consent = ProfileInput { sms_opt_in: Some(true), ..input(None, None) };
        assert!(PatientProfile::parse(&login, &consent, Some(&opted_out)).unwrap().sms_opt_in);
    }

    #[test]
    fn the_login_phone_is_used_when_the_profile_has_none() {
        let with_login = login(Some("+6598765432"));
        let profile = PatientProfile::parse(&with_login, &input(None, Some("whatsapp")), None).unwrap();
        assert_eq!(profile.phone.unwrap().as_str(), "+6598765432");
        assert_eq!(profile.preferred_channel, Channel::WhatsApp);
        let own = PatientProfile::parse(&with_login, &input(Some("+6591234567"), None), None).unwrap();
        assert_eq!(own.phone.unwrap().as_str(), "+6591234567");
    }
}
