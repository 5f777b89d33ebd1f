-- A booking's Idempotency-Key, with what it booked: the same key and body within
-- 24 hours replays the booking; the same key with another body is refused.
CREATE TABLE idempotency_keys (
    patient_id      uuid NOT NULL,
    key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    doctor_id       uuid NOT NULL,
    scheduled_start timestamptz NOT NULL,
    -- Inserted before the appointment so that a concurrent request with the same key
    -- waits on this row; the reference is checked at commit.
    appointment_id  uuid NOT NULL REFERENCES appointments (id) DEFERRABLE INITIALLY DEFERRED,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (patient_id, key)
);
