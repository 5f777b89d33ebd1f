DROP TABLE doctor_weekly_hours;
DROP TABLE doctors;
