//! What Twilio's answers mean for us: sent, worth a retry, or final.

use std::time::Duration;

use clinic_domain::gateway::SendError;
use clinic_domain::phone::mask_phone_numbers;
use serde::Deserialize;

/// Twilio's error body: `{"code", "message", "more_info", "status"}`.
#[derive(Debug, Deserialize)]
pub struct TwilioError {
    pub code: Option<i64>,
    pub message: Option<String>,
}

/// The error codes that end a message for good, from Twilio's error dictionary.
const PERMANENT: &[i64] = &[
    20003, // authentication failed
    21211, // invalid 'To' number
    21408, // permission to send to this region not enabled
    21612, // cannot route to this number
    21614, // 'To' is not a mobile number
    21635, // 'To' cannot receive this kind of message
    30003, 30004, 30005, 30006, 30007, // unreachable, blocked, unknown, landline, filtered
    30034, // unregistered sender (US A2P 10DLC)
];

/// Codes that say "try again later".
const RETRYABLE: &[i64] = &[20429, 30001, 30500];

/// The recipient texted STOP to this sender.
pub const UNSUBSCRIBED: i64 = 21610;

/// Authentication failed: the credentials are wrong.
pub const BAD_CREDENTIALS: i64 = 20003;

/// Classifies a non-success answer from its HTTP status and error body.
pub fn classify(status: u16, body: &str, retry_after: Option<Duration>) -> SendError {
    let parsed: Option<TwilioError> = serde_json::from_str(body).ok();
    let code = parsed.as_ref().and_then(|e| e.code);
    // Twilio's messages quote the number ("The 'To' number +65... is not valid"); they
    // are logged and shown to staff, so the number is masked here, once.
    let message = parsed
        .and_then(|e| e.message)
        .map(|message| mask_phone_numbers(&message))
        .unwrap_or_else(|| format!("Twilio answered HTTP {status}"));
    let code_text = code.map(|c| c.to_string());
    match code {
        Some(UNSUBSCRIBED) => SendError::OptedOut { code: code_text, message },
        Some(c) if RETRYABLE.contains(&c) => SendError::Retryable { code: code_text, message, retry_after },
        Some(c) if PERMANENT.contains(&c) => SendError::Permanent { code: code_text, message },
        _ if status == 429 => SendError::Retryable { code: code_text, message, retry_after },
        // Twilio may have created the message before failing to answer.
        _ if status >= 500 => SendError::Unknown { message },
        // Any other 4xx is a request Twilio will refuse again.
        _ => SendError::Permanent { code: code_text, message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(code: i64) -> String {
        format!(
            r#"{{"code": {code}, "message": "m{code}", "more_info": "https://www.twilio.com/docs/errors/{code}", "status": 400}}"#
        )
    }

    #[test]
    fn the_documented_permanent_codes_are_permanent() {
        for code in [21211, 21408, 21612, 21614, 21635, 30003, 30004, 30005, 30006, 30007, 30034, 20003] {
            assert_eq!(
                classify(400, &body(code), None),
                SendError::Permanent { code: Some(code.to_string()), message: format!("m{code}") },
                "{code}"
            );
        }
    }

    #[test]
    fn a_server_error_may_have_created_the_message() {
        for (status, text) in [(500, String::new()), (503, "oops".to_owned())] {
            assert!(matches!(classify(status, &text, None), SendError::Unknown { .. }), "{status}");
        }
    }

    #[test]
    fn rate_limits_and_queue_errors_are_retryable() {
        let after = Some(Duration::from_secs(3));
        for (status, text) in [(429, body(20429)), (400, body(30001)), (400, body(30500))] {
            assert!(
                matches!(classify(status, &text, after), SendError::Retryable { retry_after, .. } if retry_after == after),
                "{status} {text}"
            );
        }
    }

    #[test]
    fn unsubscribed_means_opted_out() {
        assert!(
            matches!(classify(400, &body(21610), None), SendError::OptedOut { code: Some(c), .. } if c == "21610")
        );
    }

    #[test]
    fn numbers_quoted_by_twilio_are_masked() {
        let body = r#"{"code": 21211, "message": "The 'To' number +6591234567 is not a valid phone number.", "status": 400}"#;
        let SendError::Permanent { message, .. } = classify(400, body, None) else { panic!() };
        assert_eq!(message, "The 'To' number +65****4567 is not a valid phone number.");
    }

    #[test]
    fn an_unknown_client_error_is_not_retried() {
        assert!(matches!(classify(400, &body(21606), None), SendError::Permanent { .. }));
        assert!(
            matches!(classify(404, "not json", None), SendError::Permanent { code: None, message } if message.contains("404"))
        );
    }
}
