//! PostgreSQL's own ceiling for a booking: the statements one booking sends, read from the
//! statement log, replayed by `pgbench` with a fresh slot each time.

use std::fmt::Write as _;
use std::process::Command;
use std::time::Duration;

use time::OffsetDateTime;
use time::macros::format_description;

use crate::server::{Database, Service};

/// One statement as the server logged it: the session, its SQL and its parameters.
struct Logged {
    pid: String,
    sql: String,
    params: Vec<Option<String>>,
}

/// What one booking's statements carry that must differ from booking to booking.
pub struct Booking {
    pub patient: String,
    pub doctor: String,
    pub key: String,
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
    pub appointment: String,
}

/// A pgbench script of one booking's statements, each slot and key drawn afresh.
pub struct Script(String);

/// Logs every statement of a service started for the purpose while `book` books once
/// (after `prepare`), and turns the booking's into a pgbench script.
pub fn capture<T>(
    db: &Database,
    prepare: impl FnOnce(&Service) -> T,
    book: impl FnOnce(&Service, T) -> Booking,
) -> Script {
    let log = db.cluster.dir().join("postgres.log");
    db.execute("ALTER DATABASE clinic SET log_statement = 'all'");
    db.execute("ALTER DATABASE clinic SET timezone = 'UTC'");
    let service = Service::start(db, &[]);
    let prepared = prepare(&service);
    let from = std::fs::metadata(&log).map_or(0, |m| m.len());
    let booking = book(&service, prepared);
    service.stop();
    db.execute("ALTER DATABASE clinic RESET log_statement");
    db.execute("ALTER DATABASE clinic RESET timezone");
    let text = std::fs::read(&log).unwrap();
    let logged = parse_log(&String::from_utf8_lossy(&text[from as usize..]));
    let script = script(&logged, &booking);
    assert!(script.0.contains("INSERT INTO appointments") && script.0.contains("COMMIT"), "{}", script.0);
    script
}

impl Script {
    pub fn statements(&self) -> usize {
        self.0.lines().filter(|l| !l.starts_with('\\')).count()
    }

    /// pgbench's transactions per second for this script at `clients` connections, the
    /// service paused meanwhile; its confirmations are set aside after, as if sent.
    pub fn tps(&self, db: &Database, service: &Service, clients: usize, duration: Duration) -> f64 {
        let path = std::env::temp_dir().join(format!("clinic-bench-{}.sql", std::process::id()));
        std::fs::write(&path, &self.0).unwrap();
        let pgbench = clinic_postgres::cluster::find_binaries().unwrap().join("pgbench");
        let mut pgbench = Command::new(pgbench);
        pgbench
            .args(["-n", "-c", &clients.to_string(), "-j", &clients.min(4).to_string()])
            .args(["-T", &duration.as_secs().max(1).to_string(), "-f"])
            .arg(&path)
            .arg(&db.url);
        let output = service.paused(|| pgbench.output().expect("run pgbench"));
        db.execute(
            "UPDATE notifications SET status = 'skipped' WHERE status = 'pending' \
             AND appointment_id IN (SELECT id FROM appointments WHERE scheduled_start >= '2030-01-01')",
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        let _ = std::fs::remove_file(&path);
        assert!(output.status.success(), "pgbench: {stdout}{}", String::from_utf8_lossy(&output.stderr));
        stdout
            .lines()
            .find_map(|l| l.strip_prefix("tps = "))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no tps in pgbench's output: {stdout}"))
    }
}

/// The log's statements: `LOG:  statement: …` (simple protocol) and `LOG:  execute …: …`
/// with its `DETAIL:  parameters: …`; a line that does not start with the prefix
/// (`%m [%p] `) continues the one before.
fn parse_log(text: &str) -> Vec<Logged> {
    let mut entries: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        match prefixed(line) {
            Some((pid, rest)) => entries.push((pid.to_owned(), rest.to_owned())),
            None => {
                if let Some((_, last)) = entries.last_mut() {
                    last.push('\n');
                    last.push_str(line);
                }
            }
        }
    }
    let mut logged: Vec<Logged> = Vec::new();
    for (pid, entry) in entries {
        if let Some(sql) = entry.strip_prefix("LOG:  statement: ") {
            logged.push(Logged { pid, sql: sql.to_owned(), params: Vec::new() });
        } else if let Some(rest) = entry.strip_prefix("LOG:  execute ") {
            let sql = rest.split_once(": ").map_or(rest, |(_, sql)| sql);
            logged.push(Logged { pid, sql: sql.to_owned(), params: Vec::new() });
        } else if let Some(params) = entry.strip_prefix("DETAIL:  parameters: ") {
            if let Some(last) = logged.iter_mut().rev().find(|l| l.pid == pid) {
                last.params = parse_params(params);
            }
        }
    }
    logged
}

/// `2026-11-25 00:01:02.345 UTC [1234] rest` as `("1234", "rest")`.
fn prefixed(line: &str) -> Option<(&str, &str)> {
    if !line.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let (_, after) = line.split_once(" [")?;
    let (pid, rest) = after.split_once("] ")?;
    pid.chars().all(|c| c.is_ascii_digit()).then_some((pid, rest))
}

/// `$1 = 'a''b', $2 = NULL` as `[Some("a'b"), None]`.
fn parse_params(text: &str) -> Vec<Option<String>> {
    let mut params = Vec::new();
    let mut rest = text;
    while let Some((_, after)) = rest.split_once(" = ") {
        if let Some(after) = after.strip_prefix("NULL") {
            params.push(None);
            rest = after;
            continue;
        }
        let mut value = String::new();
        let mut chars = after.char_indices().skip(1).peekable();
        let mut end = after.len();
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().map(|(_, c)| *c) == Some('\'') {
                    chars.next();
                } else {
                    end = i + 1;
                    break;
                }
            }
            value.push(c);
        }
        params.push(Some(value));
        rest = &after[end..];
    }
    params
}

/// The booking's statements (those naming its patient, doctor or key, and its `BEGIN` and
/// `COMMIT`), each parameter a typed literal, the slot, key and ids drawn afresh.
fn script(logged: &[Logged], booking: &Booking) -> Script {
    let names_booking = |l: &Logged| {
        [&booking.patient, &booking.doctor, &booking.key]
            .iter()
            .any(|v| l.sql.contains(v.as_str()) || l.params.iter().flatten().any(|p| p == *v))
    };
    let first = logged.iter().position(names_booking).expect("the booking's statements are logged");
    let pids: Vec<&str> = logged.iter().filter(|l| names_booking(l)).map(|l| l.pid.as_str()).collect();
    // Seconds after 2030 up to about the year 8000: the service reads its times up to 9999.
    let mut script = String::from("\\set n random(1, 200000000000)\n");
    for statement in logged[first..].iter().filter(|l| pids.contains(&l.pid.as_str())) {
        let control = statement.sql.starts_with("BEGIN") || statement.sql == "COMMIT";
        if !control && !names_booking(statement) {
            continue;
        }
        // pgbench sends `a\; b` as one query, as the service sends `BEGIN; SELECT …`.
        let sql = match statement.params.is_empty() {
            true => statement.sql.replace("; ", "\\; "),
            false => with_literals(&statement.sql, &statement.params, booking),
        };
        writeln!(script, "{sql};").unwrap();
        if statement.sql == "COMMIT" {
            break;
        }
    }
    Script(script)
}

fn with_literals(sql: &str, params: &[Option<String>], booking: &Booking) -> String {
    let stamp = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]+00");
    let (start, end) = (booking.start.format(&stamp).unwrap(), booking.end.format(&stamp).unwrap());
    let slot = "('2030-01-01 00:00:00+00'::timestamptz + :n * interval '1 second')";
    let literal = |value: &Option<String>| -> String {
        let Some(v) = value else { return "NULL".into() };
        if v == "t" || v == "f" {
            format!("'{v}'::boolean")
        } else if *v == start {
            slot.into()
        } else if *v == end {
            format!("({slot} + interval '{} seconds')", (booking.end - booking.start).whole_seconds())
        } else if *v == booking.key {
            "('bench-' || :n)".into()
        } else if *v == booking.appointment {
            // The same in the key's row and the appointment's.
            "md5('a' || :n)::uuid".into()
        } else if is_uuid(v) && *v != booking.patient && *v != booking.doctor {
            // The confirmation's.
            "md5('c' || :n)::uuid".into()
        } else if is_uuid(v) {
            format!("'{v}'::uuid")
        } else if v.len() > 10 && v.as_bytes()[4] == b'-' && v.as_bytes()[10] == b' ' {
            format!("'{v}'::timestamptz")
        } else if !v.is_empty() && v.trim_start_matches('-').chars().all(|c| c.is_ascii_digit()) {
            v.clone()
        } else {
            format!("E'{}'::text", v.replace('\\', "\\\\").replace('\'', "\\'").replace('\n', "\\n"))
        }
    };
    // `$12` before `$1`.
    let mut sql = sql.to_owned();
    for (i, value) in params.iter().enumerate().rev() {
        sql = sql.replace(&format!("${}", i + 1), &literal(value));
    }
    sql
}

fn is_uuid(v: &str) -> bool {
    v.len() == 36
        && v.chars()
            .enumerate()
            .all(|(i, c)| if [8, 13, 18, 23].contains(&i) { c == '-' } else { c.is_ascii_hexdigit() })
}
