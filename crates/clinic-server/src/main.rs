use std::process::ExitCode;

use clap::Parser;
use clinic_server::cli::{Cli, Command};
use clinic_server::commands;
use clinic_server::config::Config;
use clinic_server::telemetry;

fn main() -> ExitCode {
    // `.env` is optional; the environment wins over it.
    let _ = dotenvy::dotenv();
    telemetry::init();
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("clinic: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    match commands::run(cli.command.unwrap_or(Command::Serve), config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("clinic: {e}");
            ExitCode::FAILURE
        }
    }
}
