use ::hmac::{Hmac, Mac};
use sha1::Sha1;

use super::*;

/// Twilio's example request from its security documentation.
const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
const TOKEN: &str = "12345";

fn example(caller: &str) -> Vec<(String, String)> {
    [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", caller),
        ("Digits", "1234"),
        ("From", caller),
        ("To", "+18005551212"),
    ]
    .iter()
    .map(|(k, v)| ((*k).into(), (*v).into()))
    .collect()
}

/// An implementation that shares nothing with ours but the algorithm's description.
fn independent(token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut names: Vec<_> = params.to_vec();
    names.sort();
    let data: String =
        std::iter::once(url.to_owned()).chain(names.into_iter().map(|(k, v)| k + &v)).collect();
    let mut mac = Hmac::<Sha1>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

#[test]
fn twilios_published_examples_are_valid() {
    let validator = RequestValidator::new(TOKEN);
    for (caller, signature) in
        [("+14158675309", "RSOYDt4T1cUTdK1PDd93/VVr8B8="), ("+12349013030", "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")]
    {
        assert_eq!(validator.signature(URL, &example(caller)), signature);
        assert!(validator.is_valid(URL, &example(caller), signature));
    }
}

#[test]
fn anything_changed_invalidates_the_signature() {
    let validator = RequestValidator::new(TOKEN);
    let params = example("+14158675309");
    let signature = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
    let mut tampered = params.clone();
    tampered[2].1 = "9999".into();
    assert!(!validator.is_valid(URL, &tampered, signature));
    let mut extra = params.clone();
    extra.push(("Body".into(), "STOP".into()));
    assert!(!validator.is_valid(URL, &extra, signature));
    assert!(!validator.is_valid("https://mycompany.com/myapp.php?foo=1&bar=3", &params, signature));
    assert!(!validator.is_valid("http://mycompany.com/myapp.php?foo=1&bar=2", &params, signature));
    assert!(!RequestValidator::new("54321").is_valid(URL, &params, signature));
    for garbage in ["", "not base64!", "RSOYDt4T1cUTdK1PDd93/VVr8B8", "AAAA"] {
        assert!(!validator.is_valid(URL, &params, garbage), "{garbage}");
    }
}

#[test]
fn signatures_agree_with_an_independent_implementation() {
    let validator = RequestValidator::new("a-real-looking-auth-token-0123456789");
    let urls = [
        "https://clinic.example.com/api/webhooks/twilio/status",
        "https://clinic.example.com/api/webhooks/twilio/inbound?source=sms",
        "http://127.0.0.1:8080/api/webhooks/twilio/status",
    ];
    let param_sets: Vec<Vec<(String, String)>> = vec![
        vec![],
        vec![("MessageSid".into(), "SM0123".into()), ("MessageStatus".into(), "delivered".into())],
        vec![
            ("Body".into(), " stop ".into()),
            ("From".into(), "+6591234567".into()),
            ("To".into(), "+15005550006".into()),
        ],
        vec![
            ("b".into(), "2".into()),
            ("a".into(), "1".into()),
            ("B".into(), "x".into()),
            ("a".into(), "0".into()),
        ],
        vec![("Body".into(), "Émoji 😀 & = + % ünïcode".into()), ("ErrorCode".into(), String::new())],
    ];
    for url in urls {
        for params in &param_sets {
            let theirs = independent("a-real-looking-auth-token-0123456789", url, params);
            assert_eq!(validator.signature(url, params), theirs, "{url} {params:?}");
            assert!(validator.is_valid(url, params, &theirs));
        }
    }
}

#[test]
fn the_url_counts_with_and_without_its_default_port_as_twilio_decides() {
    let validator = RequestValidator::new(TOKEN);
    let params = example("+14158675309");
    let plain = "https://clinic.example.com/api/webhooks/twilio/status";
    let ported = "https://clinic.example.com:443/api/webhooks/twilio/status";
    // Twilio signed one spelling, we know the URL by the other: both ways are accepted.
    assert!(validator.is_valid(plain, &params, &independent(TOKEN, ported, &params)));
    assert!(validator.is_valid(ported, &params, &independent(TOKEN, plain, &params)));
    let custom = "https://clinic.example.com:8443/hook";
    assert!(validator.is_valid(custom, &params, &independent(TOKEN, custom, &params)));
    assert!(!validator.is_valid(
        custom,
        &params,
        &independent(TOKEN, "https://clinic.example.com:9443/hook", &params)
    ));
    assert_eq!(with_port("http://host/x?y=1"), "http://host:80/x?y=1");
    assert_eq!(without_port("https://user:pw@host:443?y=1"), "https://user:pw@host?y=1");
    assert_eq!(with_port("not a url"), "not a url");
}
