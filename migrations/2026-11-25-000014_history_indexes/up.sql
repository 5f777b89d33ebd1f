-- A clinic's history grows without end; every request's plan must reach it through an index.
-- Lookups of an appointment's messages bind the message type as a parameter, so a generic plan
-- (what a prepared statement may settle on) cannot prove `type <> 'queue_alert'` and use the
-- partial unique index notifications_one_per_change: it scanned every message. This one serves
-- the reminders' "not reminded yet" check, their superseding, and an appointment's changes.
CREATE INDEX notifications_by_appointment ON notifications (appointment_id);
