-- Appointments change: they move (same id, new time or doctor) and are cancelled by the
-- patient or the clinic. Each change bumps the version; each message is about one
-- version, so "exactly once" is once per change.
ALTER TABLE appointments
    ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version > 0),
    -- When the appointment last moved (NULL: never; it has had its time since created_at).
    ADD COLUMN moved_at timestamptz,
    ADD COLUMN cancelled_by text CHECK (cancelled_by IN ('patient', 'clinic')),
    ADD COLUMN cancellation_reason text CHECK (length(cancellation_reason) <= 160);

ALTER TABLE notifications DROP CONSTRAINT notifications_type_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_type_check
    CHECK (type IN ('confirmation', 'reminder', 'queue_alert', 'rescheduled', 'cancellation'));
-- The appointment's version the message is about; every existing message is about the first.
ALTER TABLE notifications ADD COLUMN appointment_version integer NOT NULL DEFAULT 1
    CHECK (appointment_version > 0);

-- One message of each kind per change of an appointment (a reschedule gives the new time
-- its own confirmation of the move and its own reminder), however many workers, crons
-- and instances race to write it.
DROP INDEX notifications_one_per_appointment_and_type;
CREATE UNIQUE INDEX notifications_one_per_change
    ON notifications (appointment_id, appointment_version, type)
    WHERE type <> 'queue_alert';
