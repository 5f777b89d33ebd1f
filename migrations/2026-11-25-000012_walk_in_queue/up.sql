-- The walk-in queue: a ticket per visitor, numbered per clinic-local day.

-- The last number given each day. Issuing a ticket bumps its day's row with
-- `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`, which takes the row's lock: of
-- tickets issued at once, each gets the next number, none twice, none skipped.
CREATE TABLE queue_days (
    clinic_day  date PRIMARY KEY,
    last_number integer NOT NULL CHECK (last_number > 0)
);

CREATE TABLE queue_tickets (
    id              uuid PRIMARY KEY,
    clinic_day      date NOT NULL,
    number          integer NOT NULL CHECK (number > 0),
    patient_id      uuid NOT NULL REFERENCES patient_profiles (id),
    -- NULL: whichever doctor is free.
    doctor_id       uuid REFERENCES doctors (id),
    status          text NOT NULL CHECK (status IN ('waiting', 'called', 'served', 'left')),
    -- The public status page's key: random, at least 128 bits.
    status_token    text NOT NULL UNIQUE CHECK (length(status_token) >= 32),
    -- Where the last call sent the patient, and how many calls there were.
    room            text CHECK (length(room) BETWEEN 1 AND 40),
    calls           integer NOT NULL DEFAULT 0 CHECK (calls >= 0),
    -- The place in line when issued: a ticket issued already near the front is at the
    -- desk, and gets no "you are 3rd in line" text.
    issued_position integer NOT NULL CHECK (issued_position > 0),
    issued_at       timestamptz NOT NULL,
    called_at       timestamptz,
    finished_at     timestamptz,
    UNIQUE (clinic_day, number)
);

-- Serve times: the last tickets served, the clinic's or one doctor's.
CREATE INDEX queue_tickets_served ON queue_tickets (finished_at DESC) WHERE status = 'served';

-- A queue alert is about a ticket, not an appointment: a message is about exactly one.
-- No version wrote queue alerts; one written by hand about an appointment cannot be kept.
DELETE FROM notifications WHERE type = 'queue_alert';
ALTER TABLE notifications ALTER COLUMN appointment_id DROP NOT NULL;
ALTER TABLE notifications
    ADD COLUMN ticket_id uuid REFERENCES queue_tickets (id),
    -- 0: the "you are N-th in line" alert; k > 0: the k-th call.
    ADD COLUMN ticket_call integer CHECK (ticket_call >= 0),
    ADD CONSTRAINT notifications_about_one CHECK (
        (appointment_id IS NULL) <> (ticket_id IS NULL)
        AND (ticket_id IS NULL) = (ticket_call IS NULL)
        AND (ticket_id IS NULL) = (type <> 'queue_alert'));

-- One N-th-in-line alert per ticket, and one alert per call, whichever request or
-- instance recomputes the positions first.
CREATE UNIQUE INDEX notifications_one_per_ticket_call ON notifications (ticket_id, ticket_call)
    WHERE ticket_id IS NOT NULL;
