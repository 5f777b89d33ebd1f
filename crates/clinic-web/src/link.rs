//! Links that carry a choice in their query (a doctor, a day, a slot): each value is
//! percent-encoded, so what was picked comes back exactly as it was.

use std::fmt::Write;

/// `path?name=value&…`; just `path` without parameters.
pub fn href(path: &str, params: &[(&str, &str)]) -> String {
    let mut link = path.to_owned();
    for (at, (name, value)) in params.iter().enumerate() {
        link.push(if at == 0 { '?' } else { '&' });
        link.push_str(name);
        link.push('=');
        link.push_str(&encode(value));
    }
    link
}

/// The sign-in page, which returns to `next` (a path of this site) once signed in.
pub fn sign_in_href(next: &str) -> String {
    href("/sign-in", &[("next", next)])
}

/// A query value: everything but letters, digits, `-_.~:/` as `%XX`.
fn encode(value: &str) -> String {
    value.bytes().fold(String::with_capacity(value.len()), |mut out, byte| {
        if byte.is_ascii_alphanumeric() || b"-_.~:/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_choice_travels_in_the_query_with_its_separators_encoded() {
        assert_eq!(href("/", &[]), "/");
        assert_eq!(
            href("/", &[("doctor", "d1"), ("slot", "2026-11-25T01:30:00Z")]),
            "/?doctor=d1&slot=2026-11-25T01:30:00Z"
        );
        assert_eq!(
            sign_in_href("/?doctor=d1&day=2026-11-25"),
            "/sign-in?next=/%3Fdoctor%3Dd1%26day%3D2026-11-25"
        );
        assert_eq!(sign_in_href("/desk"), "/sign-in?next=/desk");
    }
}
