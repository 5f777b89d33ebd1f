//! The embedded default: the real `clinic` binary with nothing configured.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::{Clinic, WAIT, book, get_json};
use crate::support::clinic_command;

fn postmaster_pid(data_dir: &Path) -> PathBuf {
    data_dir.join("postgres/data/postmaster.pid")
}

/// Waits until the embedded server is gone: its pid file is removed at shutdown.
fn wait_until_stopped(data_dir: &Path) -> bool {
    let deadline = Instant::now() + WAIT;
    while postmaster_pid(data_dir).exists() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

#[test]
fn with_nothing_configured_clinic_serves_books_stops_and_keeps_its_data() {
    let data_dir = std::env::temp_dir().join(format!("clinic-embedded-{}", uuid::Uuid::new_v4().simple()));
    let first = Clinic::start(&data_dir);
    let (base, token, booking) = first.banner();
    let (status, booked) = book(&base, &token, &booking);
    assert_eq!(status, 201, "the printed curl line books");
    assert!(postmaster_pid(&data_dir).exists());
    assert!(first.interrupt().success());
    assert!(!postmaster_pid(&data_dir).exists(), "Ctrl-C stops PostgreSQL too");

    // The next run reuses the data and the dev secret: the first token still works.
    let second = Clinic::start(&data_dir);
    let (base, _, _) = second.banner();
    let (_, listed) = get_json(&format!("{base}/api/appointments"), Some(&token));
    assert_eq!(listed["appointments"][0]["id"], booked["appointment"]["id"]);
    let (_, doctors) = get_json(&format!("{base}/api/doctors"), None);
    assert_eq!(doctors["doctors"].as_array().unwrap().len(), 2, "seeded once, not twice");

    // Killed outright, it still takes its PostgreSQL down with it.
    let mut second = second;
    second.child.kill().unwrap();
    second.child.wait().unwrap();
    assert!(wait_until_stopped(&data_dir), "PostgreSQL outlived a killed clinic");
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[test]
fn migrate_starts_and_stops_the_embedded_database_and_db_refuses_a_database_url() {
    let data_dir = std::env::temp_dir().join(format!("clinic-embedded-{}", uuid::Uuid::new_v4().simple()));
    let run = |args: &[&str], database_url: Option<&str>| {
        let mut command = clinic_command();
        command.args(args).env("CLINIC_DATA_DIR", &data_dir);
        if let Some(url) = database_url {
            command.env("DATABASE_URL", url);
        }
        command.output().unwrap()
    };
    let migrated = run(&["migrate"], None);
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
    assert!(data_dir.join("postgres/data/PG_VERSION").exists());
    assert!(!postmaster_pid(&data_dir).exists(), "stopped again after migrating");

    let refused = run(&["db"], Some("postgres://localhost/clinic"));
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("DATABASE_URL is set"));
    let invalid = run(&["migrate"], Some("mysql://nope"));
    assert_eq!(invalid.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&invalid.stderr).contains("DATABASE_URL:"));
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[test]
fn a_second_clinic_uses_the_database_clinic_db_started_and_leaves_it_running() {
    let data_dir = std::env::temp_dir().join(format!("clinic-embedded-{}", uuid::Uuid::new_v4().simple()));
    let mut db =
        clinic_command().arg("db").env("CLINIC_DATA_DIR", &data_dir).stdout(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(db.stdout.take().unwrap()).lines();
    let running = lines.next().unwrap().unwrap();
    assert!(running.starts_with("Embedded PostgreSQL is running"), "{running}");

    let migrated = clinic_command().arg("migrate").env("CLINIC_DATA_DIR", &data_dir).output().unwrap();
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
    assert!(postmaster_pid(&data_dir).exists(), "the attached run leaves the server it did not start");

    Command::new("kill").args(["-INT", &db.id().to_string()]).status().unwrap();
    assert!(db.wait().unwrap().success());
    assert!(wait_until_stopped(&data_dir));
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// A clone in root's home (mode 0700, as in containers) and `cargo run`: PostgreSQL runs as
/// the `postgres` user, who cannot reach the clone, so the cluster lives where it can.
#[test]
fn a_clone_in_a_private_home_directory_just_runs() {
    use std::os::unix::fs::PermissionsExt;
    let home = std::env::temp_dir().join(format!("clinic-home-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir(&home).unwrap();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    let clone = home.join("clinic");
    std::fs::create_dir(&clone).unwrap();
    let mode = |dir: &Path| std::fs::metadata(dir).unwrap().permissions().mode() & 0o7777;
    let clone_mode = mode(&clone);

    // No CLINIC_DATA_DIR: `.clinic` in the working directory, as the README's command has it.
    let clinic = Clinic::spawn(clinic_command().current_dir(&clone));
    // As root the cluster moves, and one line says where. Not as root, PostgreSQL runs as us
    // and can reach anything we can, so nothing moves (CI runs as root and checks the move).
    let cluster = if clinic_postgres::cluster::running_as_root() {
        let line = clinic.line_with("the postgres user cannot reach");
        assert!(line.contains(&clone.join(".clinic/postgres").to_string_lossy().into_owned()), "{line}");
        PathBuf::from(line.rsplit(' ').next().unwrap())
    } else {
        clone.join(".clinic/postgres")
    };
    let (base, token, booking) = clinic.banner();
    assert_eq!(book(&base, &token, &booking).0, 201);
    assert!(cluster.join("data/PG_VERSION").exists(), "the cluster is in {}", cluster.display());
    assert_eq!(mode(&home), 0o700, "the private directory stays private");
    assert_eq!(mode(&clone), clone_mode);
    assert!(clone.join(".clinic/dev-jwt-secret").exists(), "the data directory is still ours");
    assert!(clinic.interrupt().success());

    if cluster.starts_with(&clone) {
        assert!(!clinic_postgres::cluster::running_as_root());
    } else {
        assert!(!clone.join(".clinic/postgres").exists(), "nothing half-made in the clone");
        // The next run finds the same cluster, and the booking in it.
        let again = Clinic::spawn(clinic_command().current_dir(&clone));
        assert!(again.line_with("the postgres user cannot reach").ends_with(&*cluster.to_string_lossy()));
        let (base, _, _) = again.banner();
        let (_, mine) = get_json(&format!("{base}/api/appointments"), Some(&token));
        assert_eq!(mine["appointments"].as_array().map(Vec::len), Some(1));
        assert!(again.interrupt().success());
        let _ = std::fs::remove_dir_all(&cluster);
    }
    let _ = std::fs::remove_dir_all(&home);
}
