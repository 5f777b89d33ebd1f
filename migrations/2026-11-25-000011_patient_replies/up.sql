-- Patients answer their reminders: C confirms a visit (patient_confirmed_at), X cancels
-- it, and any other text is kept for staff in the inbox.
ALTER TABLE appointments ADD COLUMN patient_confirmed_at timestamptz;

CREATE TABLE inbound_messages (
    id uuid PRIMARY KEY,
    from_phone text,
    patient_id uuid REFERENCES patient_profiles (id) ON DELETE SET NULL,
    appointment_id uuid REFERENCES appointments (id) ON DELETE SET NULL,
    body text NOT NULL,
    received_at timestamptz NOT NULL,
    read_at timestamptz
);
CREATE INDEX inbound_messages_newest ON inbound_messages (received_at DESC, id DESC);
CREATE INDEX inbound_messages_unread ON inbound_messages (received_at DESC, id DESC) WHERE read_at IS NULL;

-- The visit a reply is about: the last reminder sent to the sender's number.
CREATE INDEX notifications_reminders_sent_to ON notifications (to_phone, sent_at DESC)
    WHERE type = 'reminder' AND status = 'sent';
