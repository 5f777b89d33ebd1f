-- Twilio status callbacks that arrive before the send they report on is recorded. A
-- worker records a batch's message SIDs when the batch commits, and Twilio may call
-- back sooner; such a report waits here and is applied when the send is recorded.
CREATE TABLE early_status_reports (
    id              bigserial PRIMARY KEY,
    provider_sid    text NOT NULL,
    delivery_status text NOT NULL,
    error_code      text,
    reported_at     timestamptz NOT NULL
);

CREATE INDEX early_status_reports_by_sid ON early_status_reports (provider_sid);
-- Reports for SIDs that never become ours are forgotten after a day.
CREATE INDEX early_status_reports_by_age ON early_status_reports (reported_at);
