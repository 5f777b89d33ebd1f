DROP INDEX notifications_one_per_change;
DELETE FROM notifications WHERE type IN ('rescheduled', 'cancellation') OR appointment_version > 1;
CREATE UNIQUE INDEX notifications_one_per_appointment_and_type
    ON notifications (appointment_id, type)
    WHERE type IN ('confirmation', 'reminder');
ALTER TABLE notifications DROP COLUMN appointment_version;
ALTER TABLE notifications DROP CONSTRAINT notifications_type_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_type_check
    CHECK (type IN ('confirmation', 'reminder', 'queue_alert'));
ALTER TABLE appointments
    DROP COLUMN version,
    DROP COLUMN moved_at,
    DROP COLUMN cancelled_by,
    DROP COLUMN cancellation_reason;
