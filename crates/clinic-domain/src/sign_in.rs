//! Signing in by a code texted to the phone: any phone may ask (the answer is the same
//! for known and unknown numbers), a right code within its time signs in once.

use std::sync::Arc;

use thiserror::Error;

use crate::clinic::Clinic;
use crate::doctor::required_text;
use crate::gateway::{OutgoingMessage, SmsGateway};
use crate::ids::LoginId;
use crate::patient::Channel;
use crate::phone::PhoneNumber;
use crate::ports::{Clock, CodeSecrets, SignInRepository, StoreError};
use crate::sign_in_code::{
    CODE_DIGITS, CODE_LIMITS, CODE_VALID_FOR, CodeChecked, CodeIssued, CodeRequest, StaffPhone, StaffRole,
    code_message,
};
use crate::validation::FieldErrors;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignInError {
    #[error(transparent)]
    Invalid(FieldErrors),
    #[error("too many sign-in attempts; try again later")]
    TooMany { retry_after: time::Duration },
    #[error("that code is wrong or has expired")]
    WrongCode,
    #[error("no randomness to make a code")]
    NoRandomness,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who a right code signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// Stable for the phone: the token's `sub`.
    pub login: LoginId,
    pub phone: PhoneNumber,
    pub staff: Option<StaffRole>,
}

pub struct SignIn {
    clinic: Clinic,
    store: Arc<dyn SignInRepository>,
    secrets: Arc<dyn CodeSecrets>,
    gateway: Arc<dyn SmsGateway>,
    clock: Arc<dyn Clock>,
}

impl SignIn {
    pub fn new(
        clinic: Clinic,
        store: Arc<dyn SignInRepository>,
        secrets: Arc<dyn CodeSecrets>,
        gateway: Arc<dyn SmsGateway>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { clinic, store, secrets, gateway, clock }
    }

    /// Texts a new code to `phone`, unless a limit for the phone or for `client` (the
    /// caller's address) says no. The code goes straight to the gateway, not through the
    /// outbox: it is worth nothing in five minutes, and a second copy does no harm.
    pub fn request_code(&self, phone: &str, client: &str) -> Result<(), SignInError> {
        let phone = phone_field(phone)?;
        let code = self.secrets.new_code().ok_or(SignInError::NoRandomness)?;
        let request = CodeRequest {
            hash: self.secrets.hash(&phone, &code),
            phone,
            client: client.into(),
            at: self.clock.now(),
        };
        match self.store.issue_code(&request, &CODE_LIMITS)? {
            CodeIssued::Limited { retry_after } => return Err(SignInError::TooMany { retry_after }),
            CodeIssued::Issued => {}
        }
        let message = OutgoingMessage {
            channel: Channel::Sms,
            to: request.phone,
            body: code_message(&self.clinic.name, &code),
            valid_for: CODE_VALID_FOR.try_into().ok(),
        };
        // The caller hears the same either way; a code that did not go out is asked for again.
        if let Err(e) = self.gateway.send(&message) {
            tracing::warn!("sign-in code to {} not sent: {e}", message.to.masked());
        }
        Ok(())
    }

    /// Signs in with the code texted to `phone`.
    pub fn verify(&self, phone: &str, code: &str) -> Result<SignedIn, SignInError> {
        let phone = phone_field(phone)?;
        if code.len() != CODE_DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("code", "must be the 6 digits of the texted code"));
        }
        let now = self.clock.now();
        match self.store.check_code(&phone, &self.secrets.hash(&phone, code), now)? {
            CodeChecked::Accepted { login } => {
                let staff = self.store.staff_role(&phone)?;
                Ok(SignedIn { login, phone, staff })
            }
            CodeChecked::Rejected => Err(SignInError::WrongCode),
            CodeChecked::Burnt { issued_at } => {
                // A new code may be asked for once the phone's gap has passed.
                let wait = issued_at + CODE_LIMITS.per_phone_gap - now;
                Err(SignInError::TooMany { retry_after: wait.max(time::Duration::SECOND) })
            }
        }
    }
}

/// Staff phones, registered from the command line.
pub struct StaffPhones {
    store: Arc<dyn SignInRepository>,
    clock: Arc<dyn Clock>,
}

impl StaffPhones {
    pub fn new(store: Arc<dyn SignInRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Registers (or updates) a member of staff's phone.
    pub fn add(&self, phone: &str, name: &str, admin: bool) -> Result<StaffPhone, SignInError> {
        let phone = phone_field(phone)?;
        let mut errors = FieldErrors::new();
        let name = required_text("name", name, &mut errors);
        errors.into_result(()).map_err(SignInError::Invalid)?;
        let role = if admin { StaffRole::Admin } else { StaffRole::Staff };
        let staff = StaffPhone { phone, name, role };
        self.store.add_staff(&staff, self.clock.now())?;
        Ok(staff)
    }
}

fn phone_field(raw: &str) -> Result<PhoneNumber, SignInError> {
    PhoneNumber::parse(raw.trim()).map_err(|e| invalid("phone", e.to_string()))
}

fn invalid(field: &str, message: impl Into<String>) -> SignInError {
    let mut errors = FieldErrors::new();
    errors.add(field, message);
    SignInError::Invalid(errors)
}

#[cfg(test)]
mod tests;
