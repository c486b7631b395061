-- Orders: which customer notification of an order was sent, so that an
-- order_processing job that runs twice (after a crash, or a retry) sends
-- each notice once. The row is written in the same transaction as the
-- message it records.
create table order_notices (
  order_id text not null references orders (id) on delete cascade,
  notice text not null check (notice in ('confirmation', 'ready_for_pickup', 'out_for_delivery', 'delivered', 'payment_received')),
  -- The first message of the notice; null when it was not sent (no
  -- template, no messaging), which still counts as handled.
  message_id text,
  at text not null,
  primary key (order_id, notice)
) strict;

-- 0005's page indexes lead with the same columns as these three of 0001
-- (orders_created_idx is the very same index): every order written
-- updated both. The lists use 0005's.
drop index orders_customer_idx;
drop index orders_status_idx;
drop index orders_created_idx;
