DROP TABLE early_status_reports;
