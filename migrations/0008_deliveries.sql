-- Deliveries: one open task per order, kept by the database too, so no
-- path that forgets the service's check can send two couriers.
create unique index delivery_tasks_open_idx on delivery_tasks (order_id)
  where status in ('pending', 'assigned', 'in_transit');

-- A courier's run: the list filters by the courier's phone.
create index delivery_tasks_assignee_idx on delivery_tasks (assignee_phone, scheduled_for, id)
  where assignee_phone != '';
