//! Configuration from the environment (and `.env`). Anything invalid stops start-up
//! with one line naming the variable and what is wrong with it.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clinic_domain::clinic::{Clinic, ClinicZone};
use clinic_domain::queue::DEFAULT_ALERT_AHEAD;
use clinic_domain::reminder::QuietHours;
use thiserror::Error;

/// A value that must never reach a log: `Debug` prints `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

/// Twilio's settings, all or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwilioSettings {
    pub account_sid: String,
    pub auth_token: Secret,
    pub sms_from: Option<String>,
    pub messaging_service_sid: Option<String>,
    pub whatsapp_from: Option<String>,
    pub api_base: String,
    /// For one whole call to Twilio.
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `None`: start the embedded local cluster.
    pub database_url: Option<Secret>,
    pub data_dir: PathBuf,
    pub pool_size: u32,
    pub bind_addr: SocketAddr,
    /// `None`: dev mode on the embedded database or with `dev`, with a generated secret
    /// kept in the data directory; with `DATABASE_URL` otherwise, `serve` refuses to start.
    pub jwt_secret: Option<Secret>,
    /// A Supabase project's JWKS (`…/auth/v1/.well-known/jwks.json`): its ES256/RS256
    /// tokens are accepted too.
    pub jwks_url: Option<String>,
    /// `CLINIC_DEV=1`: dev conveniences on a `DATABASE_URL` database too.
    pub dev: bool,
    pub cron_secret: Option<Secret>,
    /// `None`: `/metrics` is open to anyone who can reach it.
    pub metrics_token: Option<Secret>,
    /// `None`: messages go to the log and their rows are marked skipped.
    pub twilio: Option<TwilioSettings>,
    pub sms_max_per_second: u32,
    pub public_base_url: Option<String>,
    pub clinic: Clinic,
    /// How long before a visit each of its reminders goes out (`REMINDER_LEADS`, or the
    /// one `REMINDER_LEAD_HOURS`), longest first.
    pub reminder_leads: Vec<time::Duration>,
    /// Clinic-local hours in which reminders wait; `None` (default): none.
    pub quiet_hours: Option<QuietHours>,
    /// Run the reminders job in-process this often; `None` (default): a cron does it.
    pub reminder_interval: Option<Duration>,
    /// Browser origins allowed to call the API (CORS); empty (default): none.
    pub cors_allowed_origins: Vec<String>,
    /// `REPLIES` (default on): reminders invite C or X, and those replies act.
    pub replies: bool,
    /// `QUEUE_ALERT_AHEAD`: a walk-in is texted once on coming this near the front.
    pub queue_alert_ahead: u32,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads each variable through `lookup`; empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let database_url = var("DATABASE_URL").map(Secret::new);
        if let Some(url) = &database_url {
            check_database_url(url.expose())?;
        }
        let zone_name = var("CLINIC_TIMEZONE").unwrap_or_else(|| "Asia/Singapore".into());
        let zone = ClinicZone::parse(&zone_name).map_err(|e| invalid("CLINIC_TIMEZONE", e.to_string()))?;
        Ok(Self {
            database_url,
            data_dir: var("CLINIC_DATA_DIR").map_or_else(|| PathBuf::from(".clinic"), PathBuf::from),
            pool_size: number(&var, "DATABASE_POOL_SIZE", 3..=1000, default_pool_size())?,
            bind_addr: var("BIND_ADDR")
                .unwrap_or_else(|| "127.0.0.1:8080".into())
                .parse()
                .map_err(|_| invalid("BIND_ADDR", "must be an address and port, e.g. 127.0.0.1:8080"))?,
            jwt_secret: var("AUTH_JWT_SECRET").map(Secret::new),
            jwks_url: var("AUTH_JWKS_URL").map(|url| http_url("AUTH_JWKS_URL", &url)).transpose()?,
            dev: flag(&var, "CLINIC_DEV")?,
            cron_secret: var("CRON_SECRET").map(Secret::new),
            metrics_token: var("METRICS_TOKEN").map(Secret::new),
            twilio: twilio_settings(&var)?,
            sms_max_per_second: number(&var, "SMS_MAX_PER_SECOND", 1..=10_000, 10)?,
            queue_alert_ahead: number(&var, "QUEUE_ALERT_AHEAD", 1..=50, DEFAULT_ALERT_AHEAD)?,
            public_base_url: var("PUBLIC_BASE_URL").map(|url| check_base_url(&url)).transpose()?,
            clinic: Clinic {
                name: var("CLINIC_NAME").unwrap_or_else(|| "Gabriel Family Clinic".into()),
                zone,
            },
            reminder_leads: match var("REMINDER_LEADS") {
                Some(raw) => reminder_leads(&raw).map_err(|problem| invalid("REMINDER_LEADS", problem))?,
                None => {
                    vec![time::Duration::hours(number(&var, "REMINDER_LEAD_HOURS", 1..=24 * 14, 24)?.into())]
                }
            },
            quiet_hours: var("QUIET_HOURS")
                .map(|raw| {
                    QuietHours::parse(&raw)
                        .ok_or_else(|| invalid("QUIET_HOURS", format!("{raw:?} is not like 21:00-08:00")))
                })
                .transpose()?,
            reminder_interval: var("REMINDER_INTERVAL")
                .map(|raw| parse_duration(&raw).map_err(|problem| invalid("REMINDER_INTERVAL", problem)))
                .transpose()?,
            cors_allowed_origins: var("CORS_ALLOWED_ORIGINS").map_or(Ok(Vec::new()), |raw| origins(&raw))?,
            replies: var("REPLIES").is_none() || flag(&var, "REPLIES")?,
        })
    }
}

/// `90s`, `30m`, `1h`, `7d`, or plain seconds.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let number: u64 = number.parse().map_err(|_| format!("{raw:?} is not a duration like 30m, 1h or 7d"))?;
    let seconds = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{raw:?}: the unit must be s, m, h or d")),
    };
    match number.checked_mul(seconds) {
        Some(secs) if secs > 0 => Ok(Duration::from_secs(secs)),
        _ => Err(format!("{raw:?} must be a positive duration")),
    }
}

/// `24h,2h`: one to four distinct leads of a minute to 14 days, longest first.
fn reminder_leads(raw: &str) -> Result<Vec<time::Duration>, String> {
    let mut leads = raw
        .split(',')
        .map(|lead| {
            let lead = parse_duration(lead)?;
            if lead < Duration::from_secs(60) || lead > Duration::from_secs(14 * 86_400) {
                return Err(format!("{:?}: a lead is from 1m to 14d", raw.trim()));
            }
            time::Duration::try_from(lead).map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    leads.sort_unstable_by(|a, b| b.cmp(a));
    leads.dedup();
    if leads.len() > 4 {
        return Err("at most four leads".into());
    }
    Ok(leads)
}

fn invalid(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError { variable, problem: problem.into() }
}

fn default_pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    u32::try_from(2 * cores + 2).unwrap_or(10)
}

fn number(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    range: std::ops::RangeInclusive<u32>,
    default: u32,
) -> Result<u32, ConfigError> {
    let Some(raw) = var(name) else {
        return Ok(default);
    };
    raw.parse().ok().filter(|n| range.contains(n)).ok_or_else(|| {
        invalid(name, format!("must be a whole number from {} to {}", range.start(), range.end()))
    })
}

/// `1`/`true`/`yes` or `0`/`false`/`no`; unset is false.
fn flag(var: &impl Fn(&str) -> Option<String>, name: &'static str) -> Result<bool, ConfigError> {
    match var(name).map(|raw| raw.to_ascii_lowercase()).as_deref() {
        None | Some("0" | "false" | "no" | "off") => Ok(false),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some(_) => Err(invalid(name, "must be 1 or 0")),
    }
}

fn check_database_url(url: &str) -> Result<(), ConfigError> {
    let is_url = url.starts_with("postgres://") || url.starts_with("postgresql://");
    let is_keywords = url.contains('=') && !url.contains("://");
    if is_url || is_keywords {
        Ok(())
    } else {
        Err(invalid(
            "DATABASE_URL",
            "must be a postgres:// URL or a libpq keyword string (host=... dbname=...)",
        ))
    }
}

/// The service's public URL, without a trailing slash; webhook signatures cover it.
fn check_base_url(url: &str) -> Result<String, ConfigError> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(['?', '#', ' ']) => {
            Ok(url.trim_end_matches('/').to_owned())
        }
        _ => Err(invalid("PUBLIC_BASE_URL", "must be an http(s) URL such as https://clinic.example.com")),
    }
}

fn http_url(variable: &'static str, url: &str) -> Result<String, ConfigError> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(' ') => Ok(url.to_owned()),
        _ => Err(invalid(variable, "must be an http(s) URL")),
    }
}

/// `https://app.example.com,http://localhost:3000`: schemes and hosts, no paths.
fn origins(raw: &str) -> Result<Vec<String>, ConfigError> {
    raw.split(',')
        .map(str::trim)
        .filter(|origin| !origin.is_empty())
        .map(|origin| {
            let origin = origin.trim_end_matches('/');
            let host = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
            match host {
                Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', ' ', '*']) => {
                    Ok(origin.to_owned())
                }
                _ => Err(invalid(
                    "CORS_ALLOWED_ORIGINS",
                    format!("{origin:?} is not an origin like https://app.example.com"),
                )),
            }
        })
        .collect()
}

fn twilio_settings(var: &impl Fn(&str) -> Option<String>) -> Result<Option<TwilioSettings>, ConfigError> {
    let account_sid = var("TWILIO_ACCOUNT_SID");
    let auth_token = var("TWILIO_AUTH_TOKEN");
    let sms_from = var("TWILIO_SMS_FROM");
    let messaging_service_sid = var("TWILIO_MESSAGING_SERVICE_SID");
    let whatsapp_from = var("TWILIO_WHATSAPP_FROM");
    let (account_sid, auth_token) = match (account_sid, auth_token) {
        (None, None) => {
            if sms_from.is_some() || messaging_service_sid.is_some() || whatsapp_from.is_some() {
                return Err(invalid(
                    "TWILIO_ACCOUNT_SID",
                    "a sender is set but the Twilio credentials are not",
                ));
            }
            return Ok(None);
        }
        (Some(_), None) => {
            return Err(invalid("TWILIO_AUTH_TOKEN", "must be set with TWILIO_ACCOUNT_SID"));
        }
        (None, Some(_)) => {
            return Err(invalid("TWILIO_ACCOUNT_SID", "must be set with TWILIO_AUTH_TOKEN"));
        }
        (Some(sid), Some(token)) => (sid, Secret::new(token)),
    };
    if !account_sid.starts_with("AC") {
        return Err(invalid("TWILIO_ACCOUNT_SID", "must be an account SID (AC...)"));
    }
    if sms_from.is_none() && messaging_service_sid.is_none() && whatsapp_from.is_none() {
        return Err(invalid(
            "TWILIO_SMS_FROM",
            "Twilio needs a sender: set TWILIO_SMS_FROM or TWILIO_MESSAGING_SERVICE_SID (or TWILIO_WHATSAPP_FROM)",
        ));
    }
    if let Some(from) = &whatsapp_from {
        if !from.starts_with("whatsapp:+") {
            return Err(invalid("TWILIO_WHATSAPP_FROM", "must look like whatsapp:+6591234567"));
        }
    }
    let timeout = Duration::from_secs(number(var, "TWILIO_TIMEOUT", 1..=120, 10)?.into());
    let api_base = var("TWILIO_API_BASE").unwrap_or_else(|| "https://api.twilio.com".into());
    if !(api_base.starts_with("https://") || api_base.starts_with("http://")) {
        return Err(invalid("TWILIO_API_BASE", "must be an http(s) URL"));
    }
    Ok(Some(TwilioSettings {
        account_sid,
        auth_token,
        sms_from,
        messaging_service_sid,
        whatsapp_from,
        api_base: api_base.trim_end_matches('/').to_owned(),
        timeout,
    }))
}

#[cfg(test)]
mod tests;
