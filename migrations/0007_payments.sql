-- Payments lists page by when the money came (paid_at, then id), newest
-- first, alone or filtered by method; an order's payments are read by
-- order. Every payment is written with its paid_at.
create index payments_paid_page_idx on payments (paid_at desc, id desc);
create index payments_method_page_idx on payments (method, paid_at desc, id desc);
create index payments_order_page_idx on payments (order_id, paid_at desc, id desc);
