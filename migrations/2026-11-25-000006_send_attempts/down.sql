DROP INDEX notifications_by_provider_sid;
-- The unique index cannot hold a SID Twilio gave two messages: the later ones lose it.
UPDATE notifications n SET provider_sid = NULL
 WHERE EXISTS (SELECT 1 FROM notifications o WHERE o.provider_sid = n.provider_sid AND o.id < n.id);
CREATE UNIQUE INDEX notifications_by_provider_sid ON notifications (provider_sid) WHERE provider_sid IS NOT NULL;
DROP TABLE send_attempts;
