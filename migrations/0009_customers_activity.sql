-- Customers: the customers API lists them by their last activity (their
-- last message, or when they were added for one who never wrote), newest
-- first. store.ListCustomers orders and pages by exactly this expression.
create index customers_activity_idx on customers (coalesce(last_message_at, created_at) desc, id desc);
