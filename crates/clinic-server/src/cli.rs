//! `clinic`'s command line.

use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use uuid::Uuid;

use crate::config::parse_duration;

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
    /// Create and send the reminders that are due, print the summary, and exit.
    Remind,
    /// Seed the demo clinic (two doctors, weekly schedules) into a database with no doctors.
    SeedDemo,
    /// Start the embedded PostgreSQL alone, until Ctrl-C.
    Db,
    /// Staff who sign in by a code texted to their phone.
    #[command(subcommand)]
    Staff(StaffCommand),
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Register a member of staff's phone, or change the name and role it has.
    Add(StaffArgs),
}

#[derive(Debug, Args)]
pub struct StaffArgs {
    /// E.164, e.g. +6591234567.
    #[arg(long)]
    pub phone: String,
    #[arg(long)]
    pub name: String,
    /// An admin rather than staff.
    #[arg(long)]
    pub admin: bool,
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
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    pub ttl: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_ttl_reads_as_people_write_it() {
        let token =
            Cli::try_parse_from(["clinic", "token", "--sub", &Uuid::nil().to_string(), "--ttl", "8h"])
                .unwrap();
        assert!(
            matches!(token.command, Some(Command::Token(TokenArgs { ttl, .. })) if ttl == Duration::from_secs(8 * 3600))
        );
        assert!(
            Cli::try_parse_from(["clinic", "token", "--sub", &Uuid::nil().to_string(), "--ttl", "1w"])
                .is_err()
        );
    }

    #[test]
    fn staff_are_added_with_a_phone_a_name_and_maybe_admin() {
        let cli = Cli::try_parse_from([
            "clinic",
            "staff",
            "add",
            "--phone",
            "+6591234567",
            "--name",
            "Lim",
            "--admin",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Staff(StaffCommand::Add(StaffArgs { ref phone, ref name, admin: true })))
                if phone == "+6591234567" && name == "Lim"
        ));
        assert!(Cli::try_parse_from(["clinic", "staff", "add", "--phone", "+6591234567"]).is_err());
    }

    #[test]
    fn no_subcommand_means_serve() {
        assert!(Cli::try_parse_from(["clinic"]).unwrap().command.is_none());
        let token =
            Cli::try_parse_from(["clinic", "token", "--sub", &Uuid::nil().to_string(), "--staff"]).unwrap();
        assert!(matches!(token.command, Some(Command::Token(TokenArgs { staff: true, .. }))));
    }
}
