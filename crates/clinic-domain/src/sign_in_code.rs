//! Codes texted to a phone to sign in: how long one lives, how often one may be asked
//! for, how many wrong tries burn it, and who signs in as staff.

use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};

use crate::ids::LoginId;
use crate::phone::PhoneNumber;

/// A code is this many decimal digits.
pub const CODE_DIGITS: usize = 6;
/// How long a texted code signs in.
pub const CODE_VALID_FOR: Duration = Duration::minutes(5);
/// Wrong codes tried against one code before it is burnt.
pub const WRONG_CODES_ALLOWED: i32 = 5;

/// How often codes may be asked for: limits kept in the database, so every instance of
/// the service counts the same requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeLimits {
    /// At most one code per phone in this long.
    pub per_phone_gap: Duration,
    /// At most this many codes per phone in an hour.
    pub per_phone_hourly: i64,
    /// At most this many codes per client address in an hour (a clinic's shared
    /// connection may sign in several people).
    pub per_client_hourly: i64,
}

pub const CODE_LIMITS: CodeLimits =
    CodeLimits { per_phone_gap: Duration::seconds(60), per_phone_hourly: 5, per_client_hourly: 20 };

/// A code's keyed hash: what is stored instead of the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeHash(pub Vec<u8>);

impl CodeHash {
    /// Compared in constant time, so the answer's timing says nothing of the code.
    pub fn matches(&self, other: &CodeHash) -> bool {
        bool::from(self.0.ct_eq(&other.0))
    }
}

/// A new code for `phone`, asked for from `client` (its address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRequest {
    pub phone: PhoneNumber,
    pub client: String,
    pub hash: CodeHash,
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeIssued {
    /// Stored, replacing any earlier code of that phone.
    Issued,
    /// Over a limit: nothing stored; ask again after this long.
    Limited { retry_after: Duration },
}

/// What checking a code against the phone's live one found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeChecked {
    /// The code was right: it is used up, and this is the phone's login.
    Accepted { login: LoginId },
    /// Wrong, or no live code for that phone: the same answer, so nothing is learnt.
    Rejected,
    /// Too many wrong codes: this one no longer signs in. It was issued then.
    Burnt { issued_at: OffsetDateTime },
}

/// Staff phones (`clinic staff add`) sign in with a staff role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffRole {
    Staff,
    Admin,
}

impl StaffRole {
    /// As the token's `app_metadata.clinic_role` says it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Staff => "staff",
            Self::Admin => "admin",
        }
    }
}

/// A member of staff who signs in with their phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffPhone {
    pub phone: PhoneNumber,
    pub name: String,
    pub role: StaffRole,
}

/// The message that carries a code.
pub fn code_message(clinic_name: &str, code: &str) -> String {
    format!("{clinic_name}: your sign-in code is {code}. It expires in 5 minutes; do not share it.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_only_when_equal() {
        let hash = CodeHash(vec![1, 2, 3]);
        assert!(hash.matches(&CodeHash(vec![1, 2, 3])));
        assert!(!hash.matches(&CodeHash(vec![1, 2, 4])));
        assert!(!hash.matches(&CodeHash(vec![1, 2])));
    }
}
