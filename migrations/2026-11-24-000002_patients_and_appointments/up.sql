-- One profile per login: the id is the access token's `sub`.
CREATE TABLE patient_profiles (
    id                uuid PRIMARY KEY,
    full_name         text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
    -- E.164, as Twilio takes it.
    phone             text CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    sms_opt_in        boolean NOT NULL DEFAULT true,
    preferred_channel text NOT NULL DEFAULT 'sms' CHECK (preferred_channel IN ('sms', 'whatsapp')),
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);

-- STOP and START texts arrive by phone number.
CREATE INDEX patient_profiles_phone ON patient_profiles (phone) WHERE phone IS NOT NULL;

CREATE TABLE appointments (
    id              uuid PRIMARY KEY,
    patient_id      uuid NOT NULL REFERENCES patient_profiles (id),
    doctor_id       uuid NOT NULL REFERENCES doctors (id),
    scheduled_start timestamptz NOT NULL,
    scheduled_end   timestamptz NOT NULL,
    status          text NOT NULL CHECK (status IN ('booked', 'cancelled', 'completed', 'no_show')),
    -- When the patient booked: reminders skip appointments booked shortly before their start.
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CHECK (scheduled_start < scheduled_end)
);

-- The rule "one appointment per doctor and start" is the database's, not the
-- application's: of any number of concurrent bookings for a slot, one commits.
-- A cancelled appointment frees its slot.
CREATE UNIQUE INDEX appointments_one_per_doctor_and_start
    ON appointments (doctor_id, scheduled_start)
    WHERE status <> 'cancelled';

CREATE INDEX appointments_by_patient ON appointments (patient_id, scheduled_start);

-- Day lists and the reminder window scan by start.
CREATE INDEX appointments_by_start ON appointments (scheduled_start);
