-- A send whose outcome is not recorded yet. A worker commits one row per message it is
-- about to hand to Twilio, before the call, from a connection apart from the batch
-- that holds the message; the batch deletes it when it records a sure outcome. A row
-- left here (the process died, the database went away, Twilio did not answer) tells
-- the next worker to ask Twilio whether the message exists before sending it again.
CREATE TABLE send_attempts (
    notification_id uuid NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    -- The claim that made the attempt: two workers may both make a message's n-th
    -- attempt when the first one's outcome was never recorded.
    batch_id        uuid NOT NULL,
    attempt         integer NOT NULL CHECK (attempt > 0),
    started_at      timestamptz NOT NULL,
    -- The batch recorded the attempt's outcome as unknown (Twilio did not answer): it
    -- sends no more. Not recorded, the batch may have lost its database connection and
    -- still be sending: another worker waits a grace from when it first finds it so.
    recorded        boolean NOT NULL DEFAULT false,
    abandoned_at    timestamptz,
    PRIMARY KEY (notification_id, batch_id)
);

-- Twilio may answer one SID for two messages; recording the second must not fail (and
-- so resend) a message Twilio accepted. Status callbacks still find rows by SID.
DROP INDEX notifications_by_provider_sid;
CREATE INDEX notifications_by_provider_sid ON notifications (provider_sid) WHERE provider_sid IS NOT NULL;
