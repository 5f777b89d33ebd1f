ALTER TABLE appointments DROP COLUMN arrived_at;
