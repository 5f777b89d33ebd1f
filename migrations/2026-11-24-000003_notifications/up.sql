-- The outbox: one row per message, moved through its states.
-- pending -> sent | failed | skipped; a worker claims due pending rows with
-- FOR UPDATE SKIP LOCKED, so several workers never send one row twice.
CREATE TABLE notifications (
    id              uuid PRIMARY KEY,
    appointment_id  uuid NOT NULL REFERENCES appointments (id),
    patient_id      uuid NOT NULL REFERENCES patient_profiles (id),
    channel         text NOT NULL CHECK (channel IN ('sms', 'whatsapp')),
    type            text NOT NULL CHECK (type IN ('confirmation', 'reminder', 'queue_alert')),
    -- Composed when the booking is made, or (reminders) when the row is first sent.
    message         text,
    segments        integer CHECK (segments > 0),
    to_phone        text,
    status          text NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL,
    provider_sid    text,
    error_code      text,
    -- For skipped rows, why (no phone, patient opted out, ...).
    error_message   text,
    -- What Twilio's status callbacks last said (queued, sent, delivered, ...).
    delivery_status text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    sent_at         timestamptz
);

-- Exactly one confirmation and one reminder per appointment, however many cron
-- calls, workers or instances race to create them.
CREATE UNIQUE INDEX notifications_one_per_appointment_and_type
    ON notifications (appointment_id, type)
    WHERE type IN ('confirmation', 'reminder');

-- The worker's claim: due pending rows, oldest first.
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'pending';

-- Status callbacks find their row by Twilio's message SID.
CREATE UNIQUE INDEX notifications_by_provider_sid ON notifications (provider_sid) WHERE provider_sid IS NOT NULL;

-- Staff list the newest first.
CREATE INDEX notifications_newest ON notifications (created_at DESC);
CREATE INDEX notifications_by_patient ON notifications (patient_id);
