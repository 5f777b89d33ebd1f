-- When the desk marked a booked visit's patient arrived; the visit stays booked.
ALTER TABLE appointments ADD COLUMN arrived_at timestamptz;
