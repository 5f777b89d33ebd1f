DROP TABLE appointments;
DROP TABLE patient_profiles;
