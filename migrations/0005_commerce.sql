-- Commerce: what orders, payments and deliveries need beyond 0001.

-- How the order reaches the customer; whether its stock is taken, or why
-- it could not be (for a person to act on).
alter table orders add column fulfilment text not null default 'delivery' check (fulfilment in ('delivery', 'pickup'));
alter table orders add column stock_reserved integer not null default 0 check (stock_reserved in (0, 1));
alter table orders add column problem text not null default '' check (length(problem) <= 1000);

-- Lists page by (created_at, id): with a filter, the filter's column leads.
create index orders_page_idx on orders (created_at desc, id desc);
create index orders_status_page_idx on orders (status, created_at desc, id desc);
create index orders_payment_page_idx on orders (payment_status, created_at desc, id desc);
create index orders_customer_page_idx on orders (customer_id, created_at desc, id desc);

-- When each status was reached, and who moved it. Nothing moves backwards,
-- so a status is reached at most once.
create table order_steps (
  order_id text not null references orders (id) on delete cascade,
  status text not null check (status in ('pending', 'confirmed', 'preparing', 'ready', 'out_for_delivery', 'delivered', 'completed', 'cancelled')),
  at text not null,
  by text not null default '',
  primary key (order_id, status)
) strict;

-- Sequences the shop counts with: order numbers (SB-000123).
create table counters (
  name text primary key,
  value integer not null check (value >= 0)
) strict;

-- A payment's method and who recorded it; a refund is a payment row with
-- refund = 1 and its reason.
alter table payments add column method text not null default 'cash' check (method in ('cash', 'mobile_money', 'bank_transfer', 'card'));
alter table payments add column refund integer not null default 0 check (refund in (0, 1));
alter table payments add column reason text not null default '' check (length(reason) <= 500);
alter table payments add column recorded_by text not null default '';

-- A courier's link: the sha256 of its secret (the secret itself is only in
-- the link), and a photo or signature as proof of delivery.
alter table delivery_tasks add column courier_token_hash text;
alter table delivery_tasks add column proof_media_id text references media_files (id) on delete set null;

create unique index delivery_tasks_token_idx on delivery_tasks (courier_token_hash) where courier_token_hash is not null;
create index delivery_tasks_scheduled_idx on delivery_tasks (scheduled_for, id);
