use std::collections::HashMap;

use super::*;

fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let vars: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
    Config::from_lookup(|name| vars.get(name).cloned())
}

fn error_of(vars: &[(&str, &str)]) -> String {
    config(vars).unwrap_err().to_string()
}

#[test]
fn nothing_configured_is_the_embedded_dev_setup() {
    let config = config(&[]).unwrap();
    assert_eq!(config.database_url, None);
    assert_eq!(config.data_dir, PathBuf::from(".clinic"));
    assert_eq!(config.bind_addr, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(config.jwt_secret, None);
    assert_eq!(config.metrics_token, None);
    assert_eq!(config.twilio, None);
    assert_eq!(config.sms_max_per_second, 10);
    assert_eq!(config.clinic.name, "Gabriel Family Clinic");
    assert_eq!(config.clinic.zone.name(), "Asia/Singapore");
    assert_eq!(config.reminder_leads, [time::Duration::hours(24)]);
    assert_eq!(config.queue_alert_ahead, 3);
    assert_eq!(config.quiet_hours, None);
    assert_eq!(config.reminder_interval, None);
    assert!(config.replies, "reminders invite replies unless REPLIES=off");
    assert!(!config.dev, "dev conveniences come from the embedded database, not CLINIC_DEV");
    assert!(config.pool_size >= 4);
}

#[test]
fn the_metrics_token_is_kept_as_a_secret() {
    let config = config(&[("METRICS_TOKEN", " scrape-me ")]).unwrap();
    assert_eq!(config.metrics_token, Some(Secret::new("scrape-me")));
    assert!(!format!("{config:?}").contains("scrape-me"));
}

#[test]
fn clinic_dev_is_a_flag() {
    for (value, dev) in [("1", true), ("true", true), ("YES", true), ("0", false), ("no", false), ("", false)]
    {
        assert_eq!(config(&[("CLINIC_DEV", value)]).unwrap().dev, dev, "{value:?}");
    }
}

#[test]
fn empty_variables_count_as_unset() {
    assert_eq!(config(&[("DATABASE_URL", ""), ("TWILIO_ACCOUNT_SID", " ")]).unwrap().database_url, None);
}

#[test]
fn each_invalid_value_names_its_variable() {
    let cases: &[(&str, &str)] = &[
        ("DATABASE_URL", "mysql://x"),
        ("CLINIC_TIMEZONE", "Mars/Olympus"),
        ("BIND_ADDR", "localhost"),
        ("DATABASE_POOL_SIZE", "0"),
        ("SMS_MAX_PER_SECOND", "fast"),
        ("REMINDER_LEAD_HOURS", "-1"),
        ("REMINDER_LEADS", "24h,soon"),
        ("REMINDER_LEADS", "30s"),
        ("REMINDER_LEADS", "1h,2h,3h,4h,5h"),
        ("QUIET_HOURS", "21:00"),
        ("PUBLIC_BASE_URL", "clinic.example.com"),
        ("REMINDER_INTERVAL", "often"),
        ("CORS_ALLOWED_ORIGINS", "app.example.com"),
        ("CORS_ALLOWED_ORIGINS", "https://app.example.com/path"),
        ("CORS_ALLOWED_ORIGINS", "*"),
        ("CLINIC_DEV", "maybe"),
    ];
    for (variable, value) in cases {
        let message = error_of(&[(variable, value)]);
        assert!(message.starts_with(&format!("{variable}: ")), "{message}");
    }
}

#[test]
fn cors_origins_are_a_comma_separated_list_and_none_by_default() {
    assert!(config(&[]).unwrap().cors_allowed_origins.is_empty());
    let origins = config(&[("CORS_ALLOWED_ORIGINS", "https://app.example.com/, http://localhost:3000,")])
        .unwrap()
        .cors_allowed_origins;
    assert_eq!(origins, ["https://app.example.com", "http://localhost:3000"]);
}

#[test]
fn half_configured_twilio_stops_start_up() {
    assert!(error_of(&[("TWILIO_ACCOUNT_SID", "AC123")]).starts_with("TWILIO_AUTH_TOKEN:"));
    assert!(error_of(&[("TWILIO_AUTH_TOKEN", "t")]).starts_with("TWILIO_ACCOUNT_SID:"));
    assert!(error_of(&[("TWILIO_SMS_FROM", "+15005550006")]).starts_with("TWILIO_ACCOUNT_SID:"));
    let no_sender = error_of(&[("TWILIO_ACCOUNT_SID", "AC123"), ("TWILIO_AUTH_TOKEN", "t")]);
    assert!(no_sender.starts_with("TWILIO_SMS_FROM:") && no_sender.contains("sender"), "{no_sender}");
    let bad_whatsapp = error_of(&[
        ("TWILIO_ACCOUNT_SID", "AC123"),
        ("TWILIO_AUTH_TOKEN", "t"),
        ("TWILIO_WHATSAPP_FROM", "+15005550006"),
    ]);
    assert!(bad_whatsapp.starts_with("TWILIO_WHATSAPP_FROM:"));
}

#[test]
fn complete_twilio_settings_are_read() {
    let config = config(&[
        ("TWILIO_ACCOUNT_SID", "AC123"),
        ("TWILIO_AUTH_TOKEN", "secret-token"),
        ("TWILIO_MESSAGING_SERVICE_SID", "MG123"),
        ("TWILIO_API_BASE", "http://127.0.0.1:9999/"),
        ("PUBLIC_BASE_URL", "https://clinic.example.com/"),
    ])
    .unwrap();
    let twilio = config.twilio.unwrap();
    assert_eq!(twilio.messaging_service_sid.as_deref(), Some("MG123"));
    assert_eq!(twilio.api_base, "http://127.0.0.1:9999");
    assert_eq!(config.public_base_url.as_deref(), Some("https://clinic.example.com"));
}

#[test]
fn secrets_never_print() {
    let config = config(&[
        ("AUTH_JWT_SECRET", "super-secret"),
        ("TWILIO_ACCOUNT_SID", "AC1"),
        ("TWILIO_AUTH_TOKEN", "tok-secret"),
        ("TWILIO_SMS_FROM", "+15005550006"),
    ])
    .unwrap();
    let printed = format!("{config:?}");
    assert!(!printed.contains("super-secret") && !printed.contains("tok-secret"), "{printed}");
}

#[test]
fn durations_read_as_people_write_them() {
    assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
    assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
    assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
    assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
    assert_eq!(parse_duration("120"), Ok(Duration::from_secs(120)));
    for bad in ["", "h", "1w", "-1h", "0", "1.5h"] {
        assert!(parse_duration(bad).is_err(), "{bad}");
    }
    assert_eq!(
        config(&[("REMINDER_INTERVAL", "15m")]).unwrap().reminder_interval,
        Some(Duration::from_secs(900))
    );
}

#[test]
fn several_reminder_leads_are_read_longest_first_and_the_old_variable_still_works() {
    let leads = config(&[("REMINDER_LEADS", "2h, 24h,2h")]).unwrap().reminder_leads;
    assert_eq!(leads, [time::Duration::hours(24), time::Duration::hours(2)]);
    let old = config(&[("REMINDER_LEAD_HOURS", "48")]).unwrap().reminder_leads;
    assert_eq!(old, [time::Duration::hours(48)]);
    let quiet = config(&[("QUIET_HOURS", "21:00-08:00")]).unwrap().quiet_hours.unwrap();
    assert_eq!((quiet.from.hour(), quiet.until.hour()), (21, 8));
}

#[test]
fn auth_jwks_url_is_an_http_url() {
    let url = "https://abc.supabase.co/auth/v1/.well-known/jwks.json";
    assert_eq!(config(&[("AUTH_JWKS_URL", url)]).unwrap().jwks_url.as_deref(), Some(url));
    assert_eq!(config(&[]).unwrap().jwks_url, None);
    assert_eq!(error_of(&[("AUTH_JWKS_URL", "abc.supabase.co")]), "AUTH_JWKS_URL: must be an http(s) URL");
}

#[test]
fn replies_are_on_unless_switched_off() {
    for (raw, on) in [("on", true), ("1", true), ("off", false), ("0", false), ("OFF", false), ("", true)] {
        assert_eq!(config(&[("REPLIES", raw)]).unwrap().replies, on, "{raw:?}");
    }
    assert!(error_of(&[("REPLIES", "maybe")]).contains("REPLIES"));
}
