-- Patients staff register (they phoned, or walked in) have no login. A profile now
-- says which login, if any, is that patient: `login_sub` is the access token's `sub`.
-- Profiles made by a login keep their id (= the sub), so every existing row is its own
-- login's, and appointments, notifications and keys keep pointing at the same ids.
ALTER TABLE patient_profiles ADD COLUMN login_sub uuid;
UPDATE patient_profiles SET login_sub = id;

-- One patient per login. A login claims a registered patient by setting this column
-- on a row where it is null; of two logins claiming one row, one wins.
CREATE UNIQUE INDEX patient_profiles_one_per_login ON patient_profiles (login_sub);

-- The name folded for search (lower case, accents dropped), kept by the service on
-- every write: PostgreSQL's `unaccent` is an extension a managed database may refuse.
-- Rows written before this migration are folded by the service right after it.
ALTER TABLE patient_profiles ADD COLUMN search_name text;

-- Staff find a patient by the last four digits of their phone.
CREATE INDEX patient_profiles_phone_last_four ON patient_profiles (right(phone, 4)) WHERE phone IS NOT NULL;
