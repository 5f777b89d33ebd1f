//! The real `clinic` binary as a child process: its output line by line, and Ctrl-C.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::clinic_command;

pub const WAIT: Duration = Duration::from_secs(60);

/// `clinic` serving on a free port.
pub struct Clinic {
    pub child: Child,
    /// stdout and stderr, interleaved as they arrive.
    lines: Receiver<String>,
}

impl Clinic {
    /// With no configuration but a data directory.
    pub fn start(data_dir: &Path) -> Self {
        Self::spawn(clinic_command().env("CLINIC_DATA_DIR", data_dir))
    }

    pub fn spawn(command: &mut Command) -> Self {
        let mut child = command
            .env("BIND_ADDR", "127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel();
        let stdout: Box<dyn Read + Send> = Box::new(child.stdout.take().unwrap());
        let stderr: Box<dyn Read + Send> = Box::new(child.stderr.take().unwrap());
        for stream in [stdout, stderr] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    eprintln!("clinic: {line}"); // shown when a test fails
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Self { child, lines }
    }

    /// The next line containing `needle`; the lines before it are passed over.
    pub fn line_with(&self, needle: &str) -> String {
        loop {
            let line = self.lines.recv_timeout(WAIT).unwrap_or_else(|_| panic!("a line with {needle:?}"));
            if line.contains(needle) {
                return line;
            }
        }
    }

    /// The dev banner up to the booking line: (base URL, patient token, booking body).
    pub fn banner(&self) -> (String, String, Value) {
        let (mut base, mut token) = (None, None);
        loop {
            let line = self.lines.recv_timeout(WAIT).expect("the banner");
            if let Some(rest) = line.strip_prefix("clinic is serving ") {
                base = rest.split_whitespace().next().map(str::to_owned);
            } else if let Some(rest) = line.trim().strip_prefix("export PATIENT=") {
                token = Some(rest.to_owned());
            } else if line.trim_start().starts_with("curl ") {
                let body = line.split("-d '").nth(1).and_then(|b| b.strip_suffix('\'')).expect("a -d body");
                return (base.unwrap(), token.unwrap(), serde_json::from_str(body).unwrap());
            }
        }
    }

    /// Ctrl-C, as a terminal sends it; the exit status.
    pub fn interrupt(mut self) -> ExitStatus {
        Command::new("kill").args(["-INT", &self.child.id().to_string()]).status().unwrap();
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "clinic did not stop on Ctrl-C");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// GET `url` as JSON, with a bearer token when given: (status, body).
pub fn get_json(url: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = agent().get(url);
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    let mut answer = request.call().unwrap();
    let body = serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap_or(Value::Null);
    (answer.status().as_u16(), body)
}

/// Books with the banner's token and body; the answer's status.
pub fn book(base: &str, token: &str, booking: &Value) -> (u16, Value) {
    post_json(&format!("{base}/api/appointments/book"), Some(token), booking)
}

/// POST `body` as JSON to `url`, with a bearer token when given: (status, body).
pub fn post_json(url: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
    let mut request = agent().post(url).header("Content-Type", "application/json");
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    let mut answer = request.send(body.to_string()).unwrap();
    let body = serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap_or(Value::Null);
    (answer.status().as_u16(), body)
}
