-- Products list newest first with ties (several created in one
-- millisecond, as an import does) in the order they were stored: the
-- rowid, which this index carries after created_at.
create index products_newest_idx on products (created_at) where deleted_at is null;
drop index products_created_idx;
