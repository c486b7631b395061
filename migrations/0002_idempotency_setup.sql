-- Idempotent requests now claim their key, make their change and keep their
-- answer in one transaction; a replay answers with the original content type
-- (a problem document stays application/problem+json).
alter table idempotency_keys add column content_type text not null default 'application/json';

-- The first-run setup link is kept (only until it is used or expires, and
-- only while the shop has no user) so that a restart can show the same link
-- again instead of minting another.
alter table setup_tokens add column token text;

-- The answer's Location header (where a created resource lives), replayed
-- with the rest of the answer.
alter table idempotency_keys add column location text not null default '';
