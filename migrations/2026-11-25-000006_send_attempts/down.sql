DROP INDEX notifications_by_provider_sid;
CREATE UNIQUE INDEX notifications_by_provider_sid ON notifications (provider_sid) WHERE provider_sid IS NOT NULL;
DROP TABLE send_attempts;
