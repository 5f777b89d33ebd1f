use serde_json::json;

use crate::support::spawn_app;

#[test]
fn a_profile_is_created_read_and_replaced_by_its_owner() {
    let app = spawn_app();
    let user = app.login();
    let missing = app.get("/api/me/profile", Some(&user));
    assert_eq!((missing.status, missing.code()), (404, "patient_profile_not_found"));

    let created =
        app.put("/api/me/profile", Some(&user), &json!({"full_name": "Siti Rahman", "phone": "+6591234567"}));
    let expected = json!({
        "id": user.id, "full_name": "Siti Rahman", "phone": "+6591234567",
        "sms_opt_in": true, "preferred_channel": "sms"
    });
    assert_eq!((created.status, &created.body), (200, &expected));
    assert_eq!(app.get("/api/me/profile", Some(&user)).body, expected);

    let replaced = app.put(
        "/api/me/profile",
        Some(&user),
        &json!({"full_name": "Siti", "phone": null, "sms_opt_in": false, "preferred_channel": "whatsapp"}),
    );
    assert_eq!(
        replaced.body,
        json!({"id": user.id, "full_name": "Siti", "phone": null, "sms_opt_in": false, "preferred_channel": "whatsapp"})
    );
    assert_eq!(app.get("/api/me/profile", Some(&user)).body, replaced.body);
}

#[test]
fn a_bad_phone_is_a_400_naming_the_field() {
    let app = spawn_app();
    let user = app.login();
    let answer = app.put("/api/me/profile", Some(&user), &json!({"full_name": "Siti", "phone": "91234567"}));
    assert_eq!((answer.status, answer.code()), (400, "invalid_input"));
    assert!(answer.body["details"]["phone"].as_str().unwrap().contains("E.164"));
    assert_eq!(app.get("/api/me/profile", Some(&user)).status, 404, "nothing was saved");
}

#[test]
fn profile_bodies_are_checked_field_by_field() {
    let app = spawn_app();
    let user = app.login();
    for body in [
        json!({"full_name": ""}),
        json!({"full_name": "Siti", "preferred_channel": "pigeon"}),
        json!({"full_name": "Siti", "nickname": "S"}),
        json!({"phone": "+6591234567"}),
        json!({"full_name": 42}),
    ] {
        let answer = app.put("/api/me/profile", Some(&user), &body);
        assert_eq!((answer.status, answer.code()), (400, "invalid_input"), "{body}");
    }
}

#[test]
fn the_login_phone_fills_a_profile_without_one() {
    let app = spawn_app();
    let id = uuid::Uuid::new_v4();
    // Supabase puts the phone in the token without its `+`.
    let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 3600;
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"sub": id, "exp": exp, "aud": "authenticated", "phone": "6598765432"}),
        &jsonwebtoken::EncodingKey::from_secret(b"test-secret-for-the-clinic-api-tests"),
    )
    .unwrap();
    let user = crate::support::User { id, token };
    let saved = app.put("/api/me/profile", Some(&user), &json!({"full_name": "Ahmad"}));
    assert_eq!(saved.body["phone"], "+6598765432");
}

#[test]
fn profiles_need_a_valid_token() {
    let app = spawn_app();
    let answer = app.get("/api/me/profile", None);
    assert_eq!((answer.status, answer.code()), (401, "unauthorized"));
    let forged = crate::support::User { id: uuid::Uuid::new_v4(), token: "e30.e30.e30".into() };
    assert_eq!(app.put("/api/me/profile", Some(&forged), &json!({"full_name": "X"})).status, 401);
}
