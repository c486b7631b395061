-- smartbot: rebuilds tables
-- Messaging: what the WhatsApp pipeline and the inbox need beyond 0001.
--
-- Two tables are rebuilt, because SQLite cannot change a column's
-- constraint in place:
-- - customers: a customer WhatsApp names only by LID (no phone number yet)
--   must still be stored, so phone may be null when lid is set;
-- - messages: kinds WhatsApp sends that 0001 did not list (location,
--   contact, unsupported) are stored under their own name.
-- orders and messages refer to customers: the first line tells the
-- migration runner to switch foreign keys off while the copy takes the old
-- table's name, and to check every reference before it commits.

create table customers_new (
  id text primary key check (id like 'cus\_%' escape '\'),
  -- E.164 with the plus sign: '+263771234567'; null while WhatsApp has
  -- only given the LID.
  phone text unique check (phone is null or (phone glob '+[1-9]*' and length(phone) between 8 and 16)),
  -- The chat to answer: the JID the customer last wrote from.
  jid text not null default '',
  -- WhatsApp's privacy-preserving id, kept beside the phone when WhatsApp gives it.
  lid text,
  name text not null default '' check (length(name) <= 200),
  -- Set when a human took over the conversation; the bot stays quiet until cleared.
  handover_at text,
  -- The bot's conversation state (cart, current menu) as JSON.
  state text not null default '{}' check (json_valid(state)),
  simulated integer not null default 0 check (simulated in (0, 1)),
  notes text not null default '' check (length(notes) <= 4000),
  marketing_opt_out integer not null default 0 check (marketing_opt_out in (0, 1)),
  created_at text not null,
  updated_at text not null,
  last_message_at text,
  -- When the customer last wrote: WhatsApp's 24-hour window starts there.
  last_inbound_at text,
  -- When staff last opened the chat in the inbox: later inbound messages are unread.
  inbox_read_at text,
  check (phone is not null or lid is not null)
) strict;

insert into customers_new (id, phone, jid, lid, name, handover_at, state, simulated, created_at, updated_at, last_message_at)
  select id, phone, jid, lid, name, handover_at, state, simulated, created_at, updated_at, last_message_at from customers;

drop table customers;
alter table customers_new rename to customers;

create unique index customers_lid_idx on customers (lid) where lid is not null;
create index customers_recent_idx on customers (last_message_at desc, id desc);

create table messages_new (
  id text primary key check (id like 'msg\_%' escape '\'),
  customer_id text not null references customers (id) on delete restrict,
  chat_jid text not null default '',
  direction text not null check (direction in ('in', 'out')),
  kind text not null check (kind in ('text', 'template', 'interactive', 'media', 'reply', 'poll', 'poll_vote', 'reaction', 'location', 'contact', 'unsupported', 'other')),
  text text not null default '',
  payload text not null default '{}' check (json_valid(payload)),
  template_id text references message_templates (id) on delete set null,
  template_version integer,
  media_id text references media_files (id) on delete set null,
  -- received: inbound; queued → sent → delivered → read, or failed: outbound.
  status text not null check (status in ('received', 'queued', 'sent', 'delivered', 'read', 'failed')),
  -- For an outgoing message, the id it is sent with: chosen when it is
  -- queued and kept across retries, so a retried send is the same message.
  wa_message_id text,
  error text not null default '',
  -- Staff who wrote it from the inbox, if any.
  sent_by text not null default '',
  -- Sent to a customer outside the 24-hour window: counts against the daily cap.
  cold integer not null default 0 check (cold in (0, 1)),
  created_at text not null,
  sent_at text,
  delivered_at text,
  read_at text
) strict;

insert into messages_new (id, customer_id, chat_jid, direction, kind, text, payload, template_id, template_version, media_id, status, wa_message_id, error, sent_by, created_at, sent_at, delivered_at, read_at)
  select id, customer_id, chat_jid, direction, kind, text, payload, template_id, template_version, media_id, status, wa_message_id, error, sent_by, created_at, sent_at, delivered_at, read_at from messages;

drop table messages;
alter table messages_new rename to messages;

create index messages_customer_idx on messages (customer_id, created_at desc, id desc);
create unique index messages_wa_idx on messages (wa_message_id) where wa_message_id is not null;
create index messages_status_idx on messages (status) where status in ('queued', 'failed');
create index messages_sent_idx on messages (sent_at) where direction = 'out' and sent_at is not null;
create index messages_created_idx on messages (created_at desc, id desc);
