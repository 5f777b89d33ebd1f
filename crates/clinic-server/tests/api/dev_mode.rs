//! Dev conveniences (a generated secret, the demo clinic, printed tokens) only on the
//! embedded database or with `CLINIC_DEV=1`: the real binary against a real database.

use std::path::{Path, PathBuf};
use std::process::Command;

use clinic_domain::phone::PhoneNumber;
use clinic_domain::ports::{DoctorRepository, SignInRepository};
use clinic_domain::sign_in_code::StaffRole;
use clinic_postgres::testing::TestDatabase;
use clinic_server::seed::DEMO_DESK_PHONE;

use crate::process::{Clinic, book, get_json, post_json};
use crate::support::clinic_command;

fn temp_data_dir() -> PathBuf {
    std::env::temp_dir().join(format!("clinic-dev-{}", uuid::Uuid::new_v4().simple()))
}

/// `clinic` on `db` (logging at info), with its own data directory.
fn on_database(db: &TestDatabase, data_dir: &Path) -> Command {
    let mut command = clinic_command();
    command.env("DATABASE_URL", db.url()).env("CLINIC_DATA_DIR", data_dir).env("RUST_LOG", "info");
    command
}

/// `clinic serve` with a production config on `db`, and its base URL once it serves.
fn production(db: &TestDatabase, data_dir: &Path) -> (Clinic, String) {
    let clinic =
        Clinic::spawn(on_database(db, data_dir).env("AUTH_JWT_SECRET", "a-production-secret-of-some-length"));
    // The dev banner prints "clinic is serving"; a production instance logs this instead.
    let serving = clinic.line_with("serving on ");
    let base = serving.split("serving on ").nth(1).unwrap().trim().to_owned();
    (clinic, base)
}

#[test]
fn a_database_url_without_a_secret_refuses_to_start_with_one_line_and_changes_nothing() {
    let db = TestDatabase::new();
    let data_dir = temp_data_dir();
    for command in [&["serve"][..], &["token", "--sub", "00000000-0000-4000-8000-000000000001"]] {
        let refused = on_database(&db, &data_dir).args(command).output().unwrap();
        assert!(!refused.status.success(), "{command:?}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(stderr.lines().count(), 1, "{command:?}: {stderr}");
        assert!(stderr.contains("AUTH_JWT_SECRET") && stderr.contains("must be set"), "{stderr}");
        assert!(refused.stdout.is_empty(), "no token is printed");
    }
    assert!(!data_dir.exists(), "no secret was generated");
    assert!(!DoctorRepository::any(&db.store()).unwrap(), "nothing was seeded");
}

#[test]
fn clinic_dev_turns_the_conveniences_on_for_a_database_url() {
    let db = TestDatabase::new();
    let data_dir = temp_data_dir();
    let clinic = Clinic::spawn(on_database(&db, &data_dir).env("CLINIC_DEV", "1"));
    let (base, token, booking) = clinic.banner();
    assert_eq!(book(&base, &token, &booking).0, 201, "seeded, and the printed token works");
    assert!(data_dir.join("dev-jwt-secret").exists());
    assert!(clinic.interrupt().success());
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[test]
fn a_production_config_serves_without_seeding_or_printing_tokens() {
    let db = TestDatabase::new();
    let data_dir = temp_data_dir();
    let (clinic, base) = production(&db, &data_dir);
    assert_eq!(get_json(&format!("{base}/api/doctors"), None).1["doctors"], serde_json::json!([]));
    assert!(!data_dir.exists(), "no dev secret");
    assert!(clinic.interrupt().success());
}

#[test]
fn a_newcomer_signs_in_as_staff_with_the_code_from_the_log() {
    let db = TestDatabase::new();
    let data_dir = temp_data_dir();
    let added = on_database(&db, &data_dir)
        .args(["staff", "add", "--phone", "+6591234567", "--name", "Nurse Lim", "--admin"])
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let said = String::from_utf8_lossy(&added.stdout);
    assert!(said.contains("Nurse Lim (+65****4567) signs in as admin"), "{said}");
    let refused = on_database(&db, &data_dir)
        .args(["staff", "add", "--phone", "9123", "--name", "X"])
        .output()
        .unwrap();
    assert!(!refused.status.success());

    let clinic = Clinic::spawn(on_database(&db, &data_dir).env("CLINIC_DEV", "1"));
    let banner = clinic.line_with("Sign in by code: POST ");
    let base =
        banner.split("POST ").nth(1).unwrap().trim_end_matches("/api/auth/otp {\"phone\"};").to_owned();
    let base = base.split("/api/auth/otp").next().unwrap().to_owned();
    let phone = serde_json::json!({"phone": "+6591234567"});
    assert_eq!(post_json(&format!("{base}/api/auth/otp"), None, &phone).0, 202);
    let logged = clinic.line_with("your sign-in code is ");
    assert!(!logged.contains("+6591234567"), "the phone is masked: {logged}");
    let code: String = logged.split("your sign-in code is ").nth(1).unwrap().chars().take(6).collect();
    let (status, body) = post_json(
        &format!("{base}/api/auth/verify"),
        None,
        &serde_json::json!({"phone": "+6591234567", "code": code}),
    );
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(get_json(&format!("{base}/api/admin/notifications"), Some(token)).0, 200);
    assert!(clinic.interrupt().success());
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[test]
fn without_twilio_a_production_instance_logs_no_code() {
    let db = TestDatabase::new();
    let data_dir = temp_data_dir();
    let (clinic, base) = production(&db, &data_dir);
    let phone = serde_json::json!({"phone": "+6591234567"});
    assert_eq!(post_json(&format!("{base}/api/auth/otp"), None, &phone).0, 202);
    let unsent = clinic.line_with("sign-in code to +65****4567 not sent");
    assert!(unsent.contains("codes are logged in dev mode only"), "{unsent}");
    assert!(clinic.interrupt().success());
}

#[test]
fn seed_demo_on_a_production_database_makes_no_one_staff() {
    let db = TestDatabase::new();
    let data_dir = temp_data_dir();
    let seeded = on_database(&db, &data_dir)
        .env("AUTH_JWT_SECRET", "a-production-secret-of-some-length")
        .arg("seed-demo")
        .output()
        .unwrap();
    assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));
    assert!(DoctorRepository::any(&db.store()).unwrap(), "the demo doctors were seeded");
    let desk = PhoneNumber::parse(DEMO_DESK_PHONE).unwrap();
    assert_eq!(SignInRepository::staff_role(&db.store(), &desk).unwrap(), None);
}

#[test]
fn dev_mode_makes_the_demo_desk_phone_an_admin() {
    let db = TestDatabase::new();
    let data_dir = temp_data_dir();
    let clinic = Clinic::spawn(on_database(&db, &data_dir).env("CLINIC_DEV", "1"));
    let (base, _, _) = clinic.banner();
    assert_eq!(get_json(&format!("{base}/readyz"), None).0, 200, "serving");
    let desk = PhoneNumber::parse(DEMO_DESK_PHONE).unwrap();
    assert_eq!(SignInRepository::staff_role(&db.store(), &desk).unwrap(), Some(StaffRole::Admin));
    assert!(clinic.interrupt().success());
    let _ = std::fs::remove_dir_all(&data_dir);
}
