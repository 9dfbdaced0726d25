-- event_processor 0.4.0 -> 0.5.0 (ALTER EXTENSION event_processor UPDATE).
-- Frozen once released: the install script of 0.5.0 must equal 0.4.0 plus this script;
-- pgrx-tests/upgrade.rs compares the catalogs of both.
--
-- The journal's typed format (protocol/journal.rs): every journal row undoes a JSON array of
-- rows, told apart by `before` alone. before NULL: pk holds the keys of the rows the block
-- created. before set: it holds the images of the rows the block changed, and pk is '[]'.
-- Entries of 0.1.0, and rows journaled from the table since 0.2.0, held single objects; they
-- become one-element arrays. No catalog change.

UPDATE event_processor.journal
   SET pk = CASE WHEN before IS NULL THEN pg_catalog.jsonb_build_array(pk::jsonb)::text ELSE '[]' END,
       before = CASE WHEN before IS NULL THEN NULL
                     ELSE pg_catalog.jsonb_build_array(before::jsonb)::text END
 WHERE pg_catalog.jsonb_typeof(coalesce(before, pk)::jsonb) = 'object';
