-- Several reminders per visit (REMINDER_LEADS, e.g. 24h and 2h): a reminder is one per
-- appointment, version and lead. Existing reminders were for the one lead of the time;
-- they keep lead_minutes NULL, which counts as a lead of its own.
ALTER TABLE notifications ADD COLUMN lead_minutes integer CHECK (lead_minutes > 0);

DROP INDEX notifications_one_per_change;
CREATE UNIQUE INDEX notifications_one_per_change
    ON notifications (appointment_id, appointment_version, type, COALESCE(lead_minutes, 0))
    WHERE type <> 'queue_alert';
