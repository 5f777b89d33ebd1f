DROP INDEX patient_profiles_phone_last_four;
ALTER TABLE patient_profiles DROP COLUMN search_name;
DROP INDEX patient_profiles_one_per_login;
ALTER TABLE patient_profiles DROP COLUMN login_sub;
