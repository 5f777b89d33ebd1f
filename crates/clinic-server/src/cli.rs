//! `clinic`'s command line.

use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(name = "clinic", version, about = "The clinic's appointment service")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print a signed access token.
    Token(TokenArgs),
    /// Deliver the outbox (confirmations, reminders, retries) without serving HTTP.
    Worker,
    /// Seed the demo clinic (two doctors, weekly schedules) into a database with no doctors.
    SeedDemo,
    /// Start the embedded PostgreSQL alone, until Ctrl-C.
    Db,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The user's UUID (the token's `sub`).
    #[arg(long)]
    pub sub: Uuid,
    /// Give the token the staff role.
    #[arg(long)]
    pub staff: bool,
    /// How long the token is valid: 90s, 30m, 1h, 7d.
    #[arg(long, default_value = "1h", value_parser = parse_ttl)]
    pub ttl: Duration,
}

/// `90s`, `30m`, `1h`, `7d`, or plain seconds.
pub fn parse_ttl(raw: &str) -> Result<Duration, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_read_as_people_write_them() {
        assert_eq!(parse_ttl("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_ttl("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_ttl("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_ttl("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_ttl("120"), Ok(Duration::from_secs(120)));
        for bad in ["", "h", "1w", "-1h", "0", "1.5h"] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn no_subcommand_means_serve() {
        assert!(Cli::try_parse_from(["clinic"]).unwrap().command.is_none());
        let token =
            Cli::try_parse_from(["clinic", "token", "--sub", &Uuid::nil().to_string(), "--staff"]).unwrap();
        assert!(matches!(token.command, Some(Command::Token(TokenArgs { staff: true, .. }))));
    }
}
