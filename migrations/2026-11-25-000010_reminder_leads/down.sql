DROP INDEX notifications_one_per_change;
DELETE FROM notifications a USING notifications b
 WHERE a.type = 'reminder' AND b.type = 'reminder' AND a.appointment_id = b.appointment_id
   AND a.appointment_version = b.appointment_version AND a.id > b.id;
CREATE UNIQUE INDEX notifications_one_per_change
    ON notifications (appointment_id, appointment_version, type)
    WHERE type <> 'queue_alert';
ALTER TABLE notifications DROP COLUMN lead_minutes;
