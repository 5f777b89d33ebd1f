//! Phone numbers in E.164, the only form Twilio accepts and the only form we store.

use std::fmt;

use thiserror::Error;

/// An E.164 number: `+`, a country code, and at most 15 digits in all.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("phone must be in E.164 form, e.g. +6591234567")]
pub struct InvalidPhoneNumber;

impl PhoneNumber {
    pub fn parse(raw: &str) -> Result<Self, InvalidPhoneNumber> {
        let digits = raw.strip_prefix('+').ok_or(InvalidPhoneNumber)?;
        let well_formed = (7..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if well_formed { Ok(Self(raw.to_owned())) } else { Err(InvalidPhoneNumber) }
    }

    /// Supabase puts the login phone in the token without the `+` (`6591234567`);
    /// an empty or unusable claim is no phone at all.
    pub fn from_login_claim(claim: &str) -> Option<Self> {
        let claim = claim.trim();
        if claim.is_empty() {
            return None;
        }
        if claim.starts_with('+') { Self::parse(claim).ok() } else { Self::parse(&format!("+{claim}")).ok() }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `+65****4567`: the country code and the last four digits, for staff listings
    /// and logs, where the whole number is more than anyone needs.
    pub fn masked(&self) -> String {
        let digits = &self.0[1..];
        let country = country_code_len(digits);
        let last_four = &digits[digits.len() - 4..];
        format!("+{}****{}", &digits[..country], last_four)
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `text` with every phone-number-like run (7 to 15 digits, with or without `+`)
/// masked: provider error messages quote the number, and they are logged and shown to
/// staff.
pub fn mask_phone_numbers(text: &str) -> String {
    let mut masked = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit() || c == '+') {
        masked.push_str(&rest[..start]);
        let candidate = &rest[start..];
        let digits_from = usize::from(candidate.starts_with('+'));
        let digits = candidate[digits_from..].bytes().take_while(u8::is_ascii_digit).count();
        let run = &candidate[..digits_from + digits];
        if (7..=15).contains(&digits) {
            match PhoneNumber::parse(run) {
                Ok(phone) => masked.push_str(&phone.masked()),
                Err(_) => masked.push_str(&format!("****{}", &run[run.len() - 4..])),
            }
        } else {
            masked.push_str(&run[..run.len().max(1)]);
        }
        rest = &candidate[run.len().max(1)..];
    }
    masked.push_str(rest);
    masked
}

/// Country codes are prefix-free: `1` and `7` stand alone, these two-digit codes are
/// assigned, and every other code has three digits (ITU-T E.164 list).
fn country_code_len(digits: &str) -> usize {
    const TWO_DIGIT: &[&str] = &[
        "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47", "48",
        "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66", "81",
        "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
    ];
    if digits.starts_with('1') || digits.starts_with('7') {
        1
    } else if TWO_DIGIT.contains(&&digits[..2]) {
        2
    } else {
        3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_e164_numbers() {
        for raw in ["+6591234567", "+14155550123", "+442071838750", "+8613800138000"] {
            assert_eq!(PhoneNumber::parse(raw).unwrap().as_str(), raw);
        }
    }

    #[test]
    fn rejects_numbers_that_are_not_e164() {
        for raw in [
            "",
            "6591234567",
            "+",
            "+0591234567",
            "+65 9123 4567",
            "+65-91234567",
            "+123456",
            "+1234567890123456",
            "+65912345a7",
        ] {
            assert_eq!(PhoneNumber::parse(raw), Err(InvalidPhoneNumber), "{raw}");
        }
    }

    #[test]
    fn masking_keeps_the_country_code_and_the_last_four_digits() {
        let masked = |raw: &str| PhoneNumber::parse(raw).unwrap().masked();
        assert_eq!(masked("+6591234567"), "+65****4567");
        assert_eq!(masked("+14155550123"), "+1****0123");
        assert_eq!(masked("+8613800138000"), "+86****8000");
        assert_eq!(masked("+35312345678"), "+353****5678");
    }

    #[test]
    fn numbers_inside_a_text_are_masked_and_the_rest_kept() {
        assert_eq!(
            mask_phone_numbers("The 'To' number +6591234567 is not a valid phone number."),
            "The 'To' number +65****4567 is not a valid phone number."
        );
        assert_eq!(mask_phone_numbers("To 6591234567, code 21211"), "To ****4567, code 21211");
        assert_eq!(mask_phone_numbers("a + b, +1, 30003"), "a + b, +1, 30003");
        assert_eq!(mask_phone_numbers(""), "");
    }

    #[test]
    fn a_login_claim_without_plus_is_read_as_e164() {
        assert_eq!(PhoneNumber::from_login_claim("6591234567").unwrap().as_str(), "+6591234567");
        assert_eq!(PhoneNumber::from_login_claim("+6591234567").unwrap().as_str(), "+6591234567");
        assert_eq!(PhoneNumber::from_login_claim(""), None);
        assert_eq!(PhoneNumber::from_login_claim("not a phone"), None);
    }
}
