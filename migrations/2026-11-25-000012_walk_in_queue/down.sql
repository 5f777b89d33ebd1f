DELETE FROM send_attempts WHERE notification_id IN (SELECT id FROM notifications WHERE ticket_id IS NOT NULL);
DELETE FROM notifications WHERE ticket_id IS NOT NULL;
ALTER TABLE notifications DROP CONSTRAINT notifications_about_one;
ALTER TABLE notifications DROP COLUMN ticket_call, DROP COLUMN ticket_id;
ALTER TABLE notifications ALTER COLUMN appointment_id SET NOT NULL;
DROP TABLE queue_tickets;
DROP TABLE queue_days;
