DROP INDEX notifications_reminders_sent_to;
DROP TABLE inbound_messages;
ALTER TABLE appointments DROP COLUMN patient_confirmed_at;
