use serde_json::json;

use super::*;

const SECRET: &[u8] = b"a-supabase-project-jwt-secret-of-32-bytes";

fn sign(claims: serde_json::Value) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET)).unwrap()
}

fn in_an_hour() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp() + 3600
}

#[test]
fn a_supabase_access_token_is_accepted_as_a_patient() {
    let sub = Uuid::new_v4();
    // The shape Supabase Auth issues.
    let token = sign(json!({
        "aud": "authenticated", "exp": in_an_hour(), "iat": 1, "iss": "https://x.supabase.co/auth/v1",
        "sub": sub, "email": "siti@example.com", "phone": "6591234567", "role": "authenticated",
        "app_metadata": {"provider": "phone", "providers": ["phone"]}, "user_metadata": {},
        "session_id": Uuid::new_v4(), "is_anonymous": false
    }));
    let caller = TokenKeys::new(SECRET).verify(&token).unwrap();
    assert_eq!(caller.role, Role::Patient);
    assert_eq!(caller.login.id.as_uuid(), sub);
    assert_eq!(caller.login.phone.unwrap().as_str(), "+6591234567");
}

#[test]
fn clinic_role_staff_or_admin_makes_staff_and_only_admin_an_admin() {
    let keys = TokenKeys::new(SECRET);
    for (role, expected) in [("staff", Role::Staff), ("admin", Role::Admin), ("doctor", Role::Patient)] {
        let token =
            sign(json!({"sub": Uuid::new_v4(), "exp": in_an_hour(), "app_metadata": {"clinic_role": role}}));
        let caller = keys.verify(&token).unwrap();
        assert_eq!(caller.role, expected, "{role}");
        assert_eq!(caller.role.is_staff(), role != "doctor", "{role}");
    }
}

#[test]
fn expired_foreign_or_malformed_tokens_are_refused() {
    let keys = TokenKeys::new(SECRET);
    let past = time::OffsetDateTime::now_utc().unix_timestamp() - 1;
    let refused = [
        sign(json!({"sub": Uuid::new_v4(), "exp": past})),
        sign(json!({"sub": Uuid::new_v4()})),
        sign(json!({"exp": in_an_hour()})),
        sign(json!({"sub": "not-a-uuid", "exp": in_an_hour()})),
        sign(json!({"sub": Uuid::new_v4(), "exp": in_an_hour(), "aud": "service_role"})),
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &json!({"sub": Uuid::new_v4(), "exp": in_an_hour()}),
            &EncodingKey::from_secret(b"another-secret"),
        )
        .unwrap(),
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &json!({"sub": Uuid::new_v4(), "exp": in_an_hour()}),
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap(),
        "not.a.token".into(),
    ];
    for token in refused {
        let err = keys.verify(&token).unwrap_err();
        assert_eq!(err.code(), "unauthorized", "{token}");
    }
}

#[test]
fn issued_tokens_verify_with_their_role() {
    let keys = TokenKeys::new(SECRET);
    let sub = Uuid::new_v4();
    let staff = keys.issue(sub, true, Duration::from_secs(60)).unwrap();
    assert_eq!(
        keys.verify(&staff).unwrap(),
        Caller { login: PatientLogin { id: PatientId::from_uuid(sub), phone: None }, role: Role::Staff }
    );
    let patient = keys.issue(sub, false, Duration::from_secs(60)).unwrap();
    assert_eq!(keys.verify(&patient).unwrap().role, Role::Patient);
}
