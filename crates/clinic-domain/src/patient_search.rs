//! Finding a patient again: by part of their name, whatever its case and accents, or by
//! their phone.

use icu_normalizer::DecomposingNormalizerBorrowed;
use icu_properties::CodePointMapData;
use icu_properties::props::GeneralCategory;

use crate::phone::PhoneNumber;
use crate::validation::FieldErrors;

/// A search answers at most this many patients: staff narrow it down by typing more.
pub const SEARCH_LIMIT: u32 = 20;

/// What staff typed (`?q=`), understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatientSearch {
    /// A whole number in E.164: `+6591234567`.
    Phone(PhoneNumber),
    /// Four digits: the end of the patient's number, as people read it out.
    LastFour(String),
    /// Part of a name, folded with [`fold_name`].
    Name(String),
}

impl PatientSearch {
    pub fn parse(raw: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let text = raw.trim();
        if text.is_empty() {
            errors.add("q", "must not be empty");
        } else if text.chars().count() > 200 {
            errors.add("q", "must be at most 200 characters");
        } else if text.chars().any(char::is_control) {
            errors.add("q", "must be a single line of text");
        } else if text.starts_with('+') {
            match PhoneNumber::parse(text) {
                Ok(phone) => return Ok(Self::Phone(phone)),
                Err(e) => errors.add("q", e.to_string()),
            }
        } else if text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(Self::LastFour(text.to_owned()));
        }
        errors.into_result(Self::Name(fold_name(text)))
    }
}

/// A name as search compares it: lower case, accents dropped, spaces single, so that
/// "siti" finds "Sití Rahman". Letters that are not a base letter plus marks (ø, ł)
/// stay as they are.
pub fn fold_name(name: &str) -> String {
    // Lower case first: lowering some letters (İ) yields a mark, dropped below.
    let lower = name.to_lowercase();
    let decomposed = DecomposingNormalizerBorrowed::new_nfd().normalize(&lower);
    let categories = CodePointMapData::<GeneralCategory>::new();
    let bare: String =
        decomposed.chars().filter(|&c| categories.get(c) != GeneralCategory::NonspacingMark).collect();
    bare.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_to_lower_case_without_accents() {
        assert_eq!(fold_name("Sití Rahman"), "siti rahman");
        assert_eq!(fold_name("  NGUYỄN   Thị  Ánh "), "nguyen thi anh");
        assert_eq!(fold_name("José Müller-Øberg"), "jose muller-øberg");
        assert_eq!(fold_name("İlkay"), "ilkay");
        // Precomposed and decomposed spellings of one name fold alike.
        assert_eq!(fold_name("Sit\u{ed}"), fold_name("Siti\u{301}"));
    }

    #[test]
    fn a_search_is_a_phone_its_last_four_digits_or_a_name() {
        let phone = PhoneNumber::parse("+6591234567").unwrap();
        assert_eq!(PatientSearch::parse(" +6591234567 "), Ok(PatientSearch::Phone(phone)));
        assert_eq!(PatientSearch::parse("4567"), Ok(PatientSearch::LastFour("4567".into())));
        assert_eq!(PatientSearch::parse("SITÍ"), Ok(PatientSearch::Name("siti".into())));
        assert_eq!(PatientSearch::parse("45678"), Ok(PatientSearch::Name("45678".into())));
    }

    #[test]
    fn an_empty_long_or_malformed_search_is_refused() {
        for bad in ["", "   ", "+65 9123", "siti\0", "si\nti", &"a".repeat(201)] {
            let errors = PatientSearch::parse(bad).unwrap_err();
            assert!(errors.fields().contains_key("q"), "{bad:?}");
        }
    }
}
