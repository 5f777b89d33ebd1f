//! What the fake Twilio received: the sign-in code texted to a phone.

use std::time::Duration;

use clinic_twilio::fake::FakeTwilio;

/// The code in the last text to `phone` (E.164), waiting for one to arrive.
pub fn last_code(fake: &FakeTwilio, phone: &str) -> String {
    let to_phone =
        |form: &std::collections::BTreeMap<String, String>| form.get("To").is_some_and(|to| to == phone);
    let received = fake.wait_until(|all| all.iter().any(|r| to_phone(&r.form)), Duration::from_secs(15));
    let body = received
        .iter()
        .rev()
        .find(|r| to_phone(&r.form))
        .and_then(|r| r.form.get("Body"))
        .unwrap_or_else(|| panic!("no text to {phone} reached the fake Twilio"));
    body.split(|c: char| !c.is_ascii_digit())
        .find(|word| word.len() == 6)
        .unwrap_or_else(|| panic!("no 6-digit code in {body:?}"))
        .to_owned()
}
