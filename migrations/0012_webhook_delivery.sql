-- Webhook delivery (issue 12). A rotated secret keeps signing for 24 hours
-- beside the new one, so receivers can switch without losing a delivery.
alter table webhooks add column previous_secret text check (previous_secret is null or previous_secret like 'whsec\_%' escape '\');
alter table webhooks add column previous_secret_expires_at text;
-- Health, for the panel and the 5-day rule: the last delivery that
-- succeeded, and when the endpoint was last turned off (by a person, by a
-- 410 or by the 5-day rule): re-enabling redelivers what failed since
-- failing_since, or since then.
alter table webhooks add column last_success_at text;
alter table webhooks add column disabled_at text;

-- What the receiver answered, besides its status and the start of its body.
alter table webhook_logs add column response_headers text not null default '{}' check (json_valid(response_headers));
-- delivered (2xx), failed (anything else, or no answer), deferred (429 or
-- 503 with Retry-After: tried again later without spending an attempt).
alter table webhook_logs add column outcome text not null default 'failed' check (outcome in ('delivered', 'failed', 'deferred'));

-- Redelivering what failed since a time looks up one endpoint's attempts by event.
create index webhook_logs_webhook_event_idx on webhook_logs (webhook_id, event_id, outcome);
