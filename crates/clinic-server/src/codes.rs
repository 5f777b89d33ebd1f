//! Sign-in codes: random digits from the system's CSPRNG, stored as an HMAC under a key
//! derived from the token secret, so every instance hashes alike and a copy of the
//! table signs no one in.

use clinic_domain::gateway::{LookupError, OutgoingMessage, SendError, SmsGateway};
use clinic_domain::phone::PhoneNumber;
use clinic_domain::ports::CodeSecrets;
use clinic_domain::sign_in_code::CodeHash;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

/// Codes are 6 digits: 10^6 of them.
const CODES: u32 = 1_000_000;

pub struct HmacCodes {
    key: hmac::Key,
    random: SystemRandom,
}

impl HmacCodes {
    /// Keyed by `secret` (`AUTH_JWT_SECRET`), for this use only.
    pub fn new(secret: &[u8]) -> Self {
        let derived = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), b"clinic sign-in codes");
        Self { key: hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()), random: SystemRandom::new() }
    }
}

impl CodeSecrets for HmacCodes {
    fn new_code(&self) -> Option<String> {
        // Draws above the last whole multiple of 10^6 are thrown away: no digit is likelier.
        let limit = u32::MAX - u32::MAX % CODES;
        loop {
            let mut bytes = [0u8; 4];
            self.random.fill(&mut bytes).ok()?;
            let draw = u32::from_be_bytes(bytes);
            if draw < limit {
                return Some(format!("{:06}", draw % CODES));
            }
        }
    }

    fn hash(&self, phone: &PhoneNumber, code: &str) -> CodeHash {
        let mut context = hmac::Context::with_key(&self.key);
        context.update(phone.as_str().as_bytes());
        context.update(b"\0");
        context.update(code.as_bytes());
        CodeHash(context.sign().as_ref().to_vec())
    }
}

/// Where codes go on an instance without Twilio outside dev mode: nowhere, and not to the
/// log either, where whoever reads it could sign in as anyone.
pub struct CodesUnsent;

impl SmsGateway for CodesUnsent {
    fn send(&self, _: &OutgoingMessage) -> Result<String, SendError> {
        Err(SendError::NotConfigured("Twilio is not configured; codes are logged in dev mode only".into()))
    }

    fn find_sent(&self, _: &OutgoingMessage, _: time::OffsetDateTime) -> Result<Option<String>, LookupError> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes = HmacCodes::new(b"secret");
        let drawn: Vec<String> = (0..20).map(|_| codes.new_code().unwrap()).collect();
        assert!(drawn.iter().all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
        let mut distinct = drawn.clone();
        distinct.sort();
        distinct.dedup();
        assert!(distinct.len() > 15, "{drawn:?}");
    }

    #[test]
    fn a_hash_depends_on_the_phone_the_code_and_the_secret() {
        let phone = PhoneNumber::parse("+6591234567").unwrap();
        let other = PhoneNumber::parse("+6591234568").unwrap();
        let codes = HmacCodes::new(b"secret");
        let hash = codes.hash(&phone, "123456");
        assert!(hash.matches(&HmacCodes::new(b"secret").hash(&phone, "123456")));
        assert!(!hash.matches(&codes.hash(&phone, "123457")));
        assert!(!hash.matches(&codes.hash(&other, "123456")));
        assert!(!hash.matches(&HmacCodes::new(b"another").hash(&phone, "123456")));
        assert_ne!(hash.0, b"123456".to_vec());
    }
}
