-- A notice may go more than once per order when each time is about
-- something else: every payment of an order is acknowledged, each once.
-- ref names that something (the payment's id); '' for notices sent once
-- per order. Nothing refers to order_notices, so it is rebuilt plainly.

create table order_notices_new (
  order_id text not null references orders (id) on delete cascade,
  notice text not null check (notice in ('confirmation', 'ready_for_pickup', 'out_for_delivery', 'delivered', 'payment_received')),
  ref text not null default '' check (length(ref) <= 64),
  -- The first message of the notice; null when it was not sent (no
  -- template, no messaging), which still counts as handled.
  message_id text,
  at text not null,
  primary key (order_id, notice, ref)
) strict;

insert into order_notices_new (order_id, notice, message_id, at)
  select order_id, notice, message_id, at from order_notices;

drop table order_notices;
alter table order_notices_new rename to order_notices;
