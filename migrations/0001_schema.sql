-- Smartbot's whole schema (DESIGN.md §2). Timestamps are UTC RFC 3339 text
-- with milliseconds ('2026-11-25T20:36:54.000Z'), money is integer minor
-- units beside an ISO 4217 currency, ids are text with a type prefix.

-- Platform: accounts, sessions, keys, settings.

create table users (
  id text primary key check (id like 'usr\_%' escape '\'),
  email text not null unique collate nocase check (length(email) between 3 and 254 and email like '%_@_%'),
  name text not null default '' check (length(name) <= 200),
  password_hash text not null,
  role text not null check (role in ('owner', 'operator', 'viewer')),
  created_at text not null,
  updated_at text not null,
  password_changed_at text not null,
  last_login_at text
) strict;

create table sessions (
  -- id is the sha256 of the cookie's token: a stolen database holds no usable session.
  id text primary key,
  user_id text not null references users (id) on delete cascade,
  created_at text not null,
  last_seen_at text not null,
  idle_expires_at text not null,
  expires_at text not null,
  remote_addr text not null default '',
  user_agent text not null default ''
) strict;

create index sessions_user_idx on sessions (user_id);
create index sessions_expires_idx on sessions (expires_at);

create table api_keys (
  id text primary key check (id like 'key\_%' escape '\'),
  -- The user who made the key; a key made from the CLI with no user has none.
  -- Deleting the user deletes their keys.
  user_id text references users (id) on delete cascade,
  name text not null check (length(name) between 1 and 100),
  -- prefix is shown in lists so a person can tell keys apart; hash is the
  -- sha256 of the whole key, the only form in which the key is kept.
  prefix text not null unique,
  hash text not null unique,
  role text not null check (role in ('owner', 'operator', 'viewer')),
  created_at text not null,
  expires_at text,
  last_used_at text,
  revoked_at text
) strict;

create index api_keys_user_idx on api_keys (user_id);

create table setup_tokens (
  -- sha256 of the one-time first-run token.
  hash text primary key,
  created_at text not null,
  expires_at text not null,
  used_at text
) strict;

create table settings (
  key text primary key check (key glob '[a-z]*' and length(key) <= 100),
  value text not null check (json_valid(value)),
  updated_at text not null
) strict;

create table idempotency_keys (
  key text not null check (length(key) between 1 and 255),
  -- Who sent it: keys are scoped to the actor so two clients never collide.
  actor text not null,
  method text not null,
  path text not null,
  request_hash text not null,
  status integer not null,
  response_body blob not null,
  created_at text not null,
  primary key (actor, key)
) strict;

create index idempotency_keys_created_idx on idempotency_keys (created_at);

-- Media.

create table media_files (
  id text primary key check (id like 'med\_%' escape '\'),
  original_name text not null check (length(original_name) <= 255),
  mime text not null,
  kind text not null check (kind in ('image', 'video', 'audio', 'document')),
  size integer not null check (size >= 0),
  sha256 text not null check (length(sha256) = 64),
  width integer check (width > 0),
  height integer check (height > 0),
  -- Where the bytes are under DATA_DIR/media, derived from sha256, never from user input.
  storage_key text not null,
  status text not null check (status in ('processing', 'ready', 'failed')),
  variants text not null default '{}' check (json_valid(variants)),
  error text not null default '',
  created_by text not null default '',
  created_at text not null,
  updated_at text not null,
  deleted_at text
) strict;

create index media_files_sha256_idx on media_files (sha256);
create index media_files_created_idx on media_files (created_at, id) where deleted_at is null;

-- Catalog and customers.

create table products (
  id text primary key check (id like 'prd\_%' escape '\'),
  sku text check (sku is null or length(sku) between 1 and 64),
  name text not null check (length(name) between 1 and 200),
  description text not null default '' check (length(description) <= 4096),
  category text not null default '' check (length(category) <= 100),
  price integer not null check (price >= 0),
  currency text not null check (length(currency) = 3 and currency = upper(currency)),
  -- null when stock is not tracked.
  stock integer check (stock is null or stock >= 0),
  active integer not null default 1 check (active in (0, 1)),
  created_at text not null,
  updated_at text not null,
  deleted_at text
) strict;

create unique index products_sku_idx on products (sku) where sku is not null and deleted_at is null;
create index products_catalog_idx on products (category, name) where deleted_at is null and active = 1;
create index products_created_idx on products (created_at, id) where deleted_at is null;

create table product_media (
  product_id text not null references products (id) on delete cascade,
  media_id text not null references media_files (id) on delete restrict,
  role text not null check (role in ('primary', 'gallery')),
  position integer not null default 0 check (position >= 0),
  primary key (product_id, media_id)
) strict;

create index product_media_media_idx on product_media (media_id);

create table customers (
  id text primary key check (id like 'cus\_%' escape '\'),
  -- E.164 with the plus sign: '+263771234567'.
  phone text not null unique check (phone glob '+[1-9]*' and length(phone) between 8 and 16),
  jid text not null default '',
  -- WhatsApp's privacy-preserving id, kept beside the phone when WhatsApp gives it.
  lid text,
  name text not null default '' check (length(name) <= 200),
  -- Set when a human took over the conversation; the bot stays quiet until cleared.
  handover_at text,
  -- The bot's conversation state (cart, current menu) as JSON.
  state text not null default '{}' check (json_valid(state)),
  simulated integer not null default 0 check (simulated in (0, 1)),
  created_at text not null,
  updated_at text not null,
  last_message_at text
) strict;

create unique index customers_lid_idx on customers (lid) where lid is not null;
create index customers_recent_idx on customers (last_message_at desc);

-- Orders, payments, deliveries.

create table orders (
  id text primary key check (id like 'ord\_%' escape '\'),
  -- The number a customer sees and quotes: 'SB-000123'.
  number text not null unique,
  customer_id text not null references customers (id) on delete restrict,
  status text not null check (status in ('pending', 'confirmed', 'preparing', 'ready', 'out_for_delivery', 'delivered', 'completed', 'cancelled')),
  payment_status text not null default 'unpaid' check (payment_status in ('unpaid', 'partially_paid', 'paid', 'refunded')),
  total integer not null check (total >= 0),
  paid integer not null default 0 check (paid >= 0),
  currency text not null check (length(currency) = 3 and currency = upper(currency)),
  delivery_address text not null default '' check (length(delivery_address) <= 1000),
  notes text not null default '' check (length(notes) <= 2000),
  source text not null check (source in ('whatsapp', 'api', 'panel')),
  created_at text not null,
  updated_at text not null
) strict;

create index orders_customer_idx on orders (customer_id, created_at desc);
create index orders_status_idx on orders (status, created_at desc);
create index orders_created_idx on orders (created_at desc, id desc);

create table order_items (
  order_id text not null references orders (id) on delete cascade,
  position integer not null check (position >= 0),
  product_id text references products (id) on delete set null,
  -- Name and price as they were when ordered: later catalog edits leave the order alone.
  name text not null,
  unit_price integer not null check (unit_price >= 0),
  quantity integer not null check (quantity between 1 and 10000),
  primary key (order_id, position)
) strict;

create index order_items_product_idx on order_items (product_id);

create table payments (
  id text primary key check (id like 'pay\_%' escape '\'),
  order_id text not null references orders (id) on delete restrict,
  amount integer not null check (amount > 0),
  currency text not null check (length(currency) = 3 and currency = upper(currency)),
  provider text not null check (length(provider) between 1 and 64),
  -- The provider's own reference: one payment per (provider, reference), so a
  -- notification delivered twice records one payment.
  reference text not null check (length(reference) between 1 and 255),
  status text not null check (status in ('pending', 'succeeded', 'failed', 'refunded')),
  paid_at text,
  created_at text not null,
  unique (provider, reference)
) strict;

create index payments_order_idx on payments (order_id);
create index payments_created_idx on payments (created_at desc, id desc);

create table delivery_tasks (
  id text primary key check (id like 'dlv\_%' escape '\'),
  order_id text not null references orders (id) on delete restrict,
  status text not null check (status in ('pending', 'assigned', 'in_transit', 'delivered', 'failed', 'cancelled')),
  assignee_name text not null default '',
  assignee_phone text not null default '',
  address text not null default '' check (length(address) <= 1000),
  scheduled_for text,
  started_at text,
  completed_at text,
  notes text not null default '' check (length(notes) <= 2000),
  created_at text not null,
  updated_at text not null
) strict;

create index delivery_tasks_order_idx on delivery_tasks (order_id);
create index delivery_tasks_status_idx on delivery_tasks (status, scheduled_for);

-- Templates.

create table message_templates (
  id text primary key check (id like 'tpl\_%' escape '\'),
  name text not null unique check (length(name) between 1 and 512 and name not glob '*[^a-z0-9_]*'),
  kind text not null check (kind in ('text', 'buttons', 'list', 'media')),
  category text not null default 'utility' check (category in ('marketing', 'utility', 'authentication')),
  language text not null default 'en' check (length(language) between 2 and 15),
  header text check (header is null or json_valid(header)),
  -- The media a header points at, kept in a column so "is this media used" is an index lookup.
  header_media_id text references media_files (id) on delete restrict,
  body text not null check (length(body) between 1 and 1024),
  footer text not null default '' check (length(footer) <= 60),
  buttons text not null default '[]' check (json_valid(buttons)),
  list text check (list is null or json_valid(list)),
  variables text not null default '[]' check (json_valid(variables)),
  triggers text not null default '[]' check (json_valid(triggers)),
  delivery_style text not null default 'interactive' check (delivery_style in ('interactive', 'text', 'poll')),
  status text not null default 'draft' check (status in ('draft', 'active', 'archived')),
  version integer not null default 1 check (version >= 1),
  created_at text not null,
  updated_at text not null
) strict;

create index message_templates_status_idx on message_templates (status, kind, name);
create index message_templates_media_idx on message_templates (header_media_id) where header_media_id is not null;

create table template_versions (
  template_id text not null references message_templates (id) on delete cascade,
  version integer not null check (version >= 1),
  snapshot text not null check (json_valid(snapshot)),
  created_by text not null default '',
  created_at text not null,
  note text not null default '' check (length(note) <= 500),
  primary key (template_id, version)
) strict;

create trigger template_versions_immutable before update on template_versions
begin
  select raise(abort, 'template versions are immutable');
end;

-- Messages.

create table messages (
  id text primary key check (id like 'msg\_%' escape '\'),
  customer_id text not null references customers (id) on delete restrict,
  chat_jid text not null default '',
  direction text not null check (direction in ('in', 'out')),
  kind text not null check (kind in ('text', 'template', 'interactive', 'media', 'reply', 'poll', 'poll_vote', 'reaction', 'other')),
  text text not null default '',
  payload text not null default '{}' check (json_valid(payload)),
  template_id text references message_templates (id) on delete set null,
  template_version integer,
  media_id text references media_files (id) on delete set null,
  -- received: inbound; queued → sent → delivered → read, or failed: outbound.
  status text not null check (status in ('received', 'queued', 'sent', 'delivered', 'read', 'failed')),
  wa_message_id text,
  error text not null default '',
  -- Staff who wrote it from the inbox, if any.
  sent_by text not null default '',
  created_at text not null,
  sent_at text,
  delivered_at text,
  read_at text
) strict;

create index messages_customer_idx on messages (customer_id, created_at desc, id desc);
create unique index messages_wa_idx on messages (wa_message_id) where wa_message_id is not null;
create index messages_status_idx on messages (status) where status in ('queued', 'failed');

-- Events and webhooks.

-- The public event types (DESIGN.md §3). A new type is a new row in a later
-- migration; the events table refers here, so an unknown type cannot be stored.
create table event_types (
  name text primary key
) strict;

insert into event_types (name) values
  ('message_received'), ('message_sent'), ('order_created'), ('order_status_changed'),
  ('product_updated'), ('payment_received'), ('delivery_started'), ('delivery_completed'),
  ('bot_connected'), ('bot_disconnected');

create table events (
  -- seq orders the history and is the cursor for paging through it.
  seq integer primary key,
  id text not null unique check (id like 'evt\_%' escape '\'),
  type text not null references event_types (name),
  created_at text not null,
  -- The full payload, exactly as webhooks receive it.
  payload text not null check (json_valid(payload))
) strict;

create index events_type_idx on events (type, seq);
create index events_created_idx on events (created_at);

create table webhooks (
  id text primary key check (id like 'whk\_%' escape '\'),
  url text not null check (length(url) between 8 and 2048 and (url like 'https://%' or url like 'http://%')),
  description text not null default '' check (length(description) <= 500),
  -- whsec_ + base64 of the key: shown once, kept to sign deliveries.
  secret text not null check (secret like 'whsec\_%' escape '\'),
  -- A JSON array of event type names, or ["*"] for all.
  events text not null check (json_valid(events) and json_type(events) = 'array'),
  active integer not null default 1 check (active in (0, 1)),
  disabled_reason text not null default '',
  failure_streak integer not null default 0 check (failure_streak >= 0),
  -- When the current run of failures began; a webhook failing for 5 days is disabled.
  failing_since text,
  created_at text not null,
  updated_at text not null
) strict;

create index webhooks_active_idx on webhooks (active);

create table webhook_logs (
  id integer primary key,
  webhook_id text not null references webhooks (id) on delete cascade,
  event_id text not null,
  event_type text not null,
  attempt integer not null check (attempt >= 1),
  request_headers text not null default '{}' check (json_valid(request_headers)),
  body_sha256 text not null default '',
  response_status integer,
  response_body text not null default '' check (length(response_body) <= 4096),
  duration_ms integer not null default 0,
  error text not null default '',
  next_retry_at text,
  created_at text not null
) strict;

create index webhook_logs_webhook_idx on webhook_logs (webhook_id, id desc);
create index webhook_logs_event_idx on webhook_logs (event_id);

-- Audit.

create table audit_logs (
  id integer primary key,
  actor_type text not null check (actor_type in ('user', 'api_key', 'bot', 'system')),
  actor_id text not null default '',
  actor_name text not null default '',
  action text not null check (action glob '[a-z]*.[a-z]*'),
  entity_type text not null,
  entity_id text not null,
  before text check (before is null or json_valid(before)),
  after text check (after is null or json_valid(after)),
  request_id text not null default '',
  remote_addr text not null default '',
  created_at text not null
) strict;

create index audit_logs_entity_idx on audit_logs (entity_type, entity_id, id desc);
create index audit_logs_actor_idx on audit_logs (actor_type, actor_id, id desc);
create index audit_logs_action_idx on audit_logs (action, id desc);
create index audit_logs_created_idx on audit_logs (created_at);

-- The audit log is append-only.
create trigger audit_logs_no_update before update on audit_logs
begin
  select raise(abort, 'the audit log is append-only');
end;

create trigger audit_logs_no_delete before delete on audit_logs
begin
  select raise(abort, 'the audit log is append-only');
end;

-- Queues: goqite's own table, schema as goqite ships it.

create table goqite (
  id text primary key default ('m_' || lower(hex(randomblob(16)))),
  created text not null default (strftime('%Y-%m-%dT%H:%M:%fZ')),
  updated text not null default (strftime('%Y-%m-%dT%H:%M:%fZ')),
  queue text not null,
  body blob not null,
  timeout text not null default (strftime('%Y-%m-%dT%H:%M:%fZ')),
  received integer not null default 0,
  priority integer not null default 0
) strict;

create trigger goqite_updated_timestamp after update on goqite begin
  update goqite set updated = strftime('%Y-%m-%dT%H:%M:%fZ') where id = old.id;
end;

create index goqite_queue_priority_created_idx on goqite (queue, priority desc, created);

-- Jobs that used all their attempts, moved out of goqite so they never slow
-- the receive path. The panel retries (back into goqite) or discards them.
create table queue_dead_letters (
  id text primary key,
  queue text not null check (queue in ('media_processing', 'message_sending', 'order_processing', 'webhook_delivery')),
  body blob not null,
  attempts integer not null,
  error text not null,
  enqueued_at text not null,
  failed_at text not null
) strict;

create index queue_dead_letters_queue_idx on queue_dead_letters (queue, failed_at desc);
