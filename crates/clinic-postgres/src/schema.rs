//! The tables as diesel sees them; kept by hand in step with `migrations/`.

diesel::table! {
    doctors (id) {
        id -> Uuid,
        name -> Text,
        specialty -> Text,
        active -> Bool,
        slot_minutes -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    doctor_weekly_hours (doctor_id, weekday, start_time) {
        doctor_id -> Uuid,
        weekday -> Int2,
        start_time -> Time,
        end_time -> Time,
    }
}

diesel::table! {
    patient_profiles (id) {
        id -> Uuid,
        full_name -> Text,
        phone -> Nullable<Text>,
        sms_opt_in -> Bool,
        preferred_channel -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        login_sub -> Nullable<Uuid>,
        search_name -> Nullable<Text>,
    }
}

diesel::table! {
    appointments (id) {
        id -> Uuid,
        patient_id -> Uuid,
        doctor_id -> Uuid,
        scheduled_start -> Timestamptz,
        scheduled_end -> Timestamptz,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
        moved_at -> Nullable<Timestamptz>,
        cancelled_by -> Nullable<Text>,
        cancellation_reason -> Nullable<Text>,
        patient_confirmed_at -> Nullable<Timestamptz>,
        arrived_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    notifications (id) {
        id -> Uuid,
        appointment_id -> Nullable<Uuid>,
        patient_id -> Uuid,
        channel -> Text,
        #[sql_name = "type"]
        kind -> Text,
        message -> Nullable<Text>,
        segments -> Nullable<Int4>,
        to_phone -> Nullable<Text>,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        provider_sid -> Nullable<Text>,
        error_code -> Nullable<Text>,
        error_message -> Nullable<Text>,
        delivery_status -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
        appointment_version -> Int4,
        lead_minutes -> Nullable<Int4>,
        ticket_id -> Nullable<Uuid>,
        ticket_call -> Nullable<Int4>,
    }
}

diesel::table! {
    idempotency_keys (patient_id, key) {
        patient_id -> Uuid,
        key -> Text,
        doctor_id -> Uuid,
        scheduled_start -> Timestamptz,
        appointment_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    early_status_reports (id) {
        id -> Int8,
        provider_sid -> Text,
        delivery_status -> Text,
        error_code -> Nullable<Text>,
        reported_at -> Timestamptz,
    }
}

diesel::table! {
    send_attempts (notification_id, batch_id) {
        notification_id -> Uuid,
        batch_id -> Uuid,
        attempt -> Int4,
        started_at -> Timestamptz,
        recorded -> Bool,
        abandoned_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    closures (id) {
        id -> Uuid,
        doctor_id -> Nullable<Uuid>,
        starts -> Timestamptz,
        ends -> Timestamptz,
        reason -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    inbound_messages (id) {
        id -> Uuid,
        from_phone -> Nullable<Text>,
        patient_id -> Nullable<Uuid>,
        appointment_id -> Nullable<Uuid>,
        body -> Text,
        received_at -> Timestamptz,
        read_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(inbound_messages -> patient_profiles (patient_id));

diesel::table! {
    queue_days (clinic_day) {
        clinic_day -> Date,
        last_number -> Int4,
    }
}

diesel::table! {
    queue_tickets (id) {
        id -> Uuid,
        clinic_day -> Date,
        number -> Int4,
        patient_id -> Uuid,
        doctor_id -> Nullable<Uuid>,
        status -> Text,
        status_token -> Text,
        room -> Nullable<Text>,
        calls -> Int4,
        issued_position -> Int4,
        issued_at -> Timestamptz,
        called_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(notifications -> queue_tickets (ticket_id));
diesel::joinable!(queue_tickets -> patient_profiles (patient_id));
diesel::joinable!(send_attempts -> notifications (notification_id));
diesel::joinable!(doctor_weekly_hours -> doctors (doctor_id));
diesel::joinable!(appointments -> doctors (doctor_id));
diesel::joinable!(appointments -> patient_profiles (patient_id));
diesel::joinable!(notifications -> appointments (appointment_id));
diesel::joinable!(notifications -> patient_profiles (patient_id));

diesel::allow_tables_to_appear_in_same_query!(
    doctors,
    doctor_weekly_hours,
    patient_profiles,
    appointments,
    notifications,
    idempotency_keys,
    early_status_reports,
    send_attempts,
    inbound_messages,
    queue_tickets,
);
