-- Media: what the uploads need beyond 0001's tables.

-- A picture's description for people who cannot see it (and for search).
alter table media_files add column alt text not null default '' check (length(alt) <= 500);

-- WhatsApp's small JPEG thumbnail that an image message carries (a few kB),
-- kept in the row so sending a picture reads no file for it.
alter table media_files add column inline_thumb blob;

-- The sweeper asks, for each stored file, whether any record uses it or was
-- deleted within the grace period; the same bytes uploaded twice share one
-- storage key, so several rows can.
create index media_files_storage_key_idx on media_files (storage_key, deleted_at);

-- A product has at most one primary picture; attaching or choosing another
-- demotes the old one to the gallery in the same transaction.
create unique index product_media_primary_idx on product_media (product_id) where role = 'primary';
