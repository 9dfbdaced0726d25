# The worked example of spec §7 inserted the way the indexer inserts blocks: one transaction per
# block with its row in starknet_blocks, its events and a StartBlock driver event. Sourced by
# scripts/demo.sh and scripts/test-image.sh; the rows are tests/fixtures/worked_example/*.tsv.
WORKED_EXAMPLE="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/tests/fixtures/worked_example"

# The block numbers, in chain order.
worked_example_blocks() { cut -f1 "$WORKED_EXAMPLE/blocks.tsv"; }

# SQL that copies the fixture into the schema demo_fixture (psql's \copy: client-side files).
worked_example_fixture_sql() {
  cat <<SQL
CREATE SCHEMA demo_fixture;
CREATE TABLE demo_fixture.blocks (LIKE starknet_blocks);
CREATE TABLE demo_fixture.events (LIKE events);
\\copy demo_fixture.blocks FROM '$WORKED_EXAMPLE/blocks.tsv'
\\copy demo_fixture.events FROM '$WORKED_EXAMPLE/events.tsv'
SQL
}

# SQL of the indexer's transaction for block $1.
worked_example_block_sql() {
  cat <<SQL
BEGIN;
INSERT INTO starknet_blocks SELECT * FROM demo_fixture.blocks WHERE block_number = $1;
INSERT INTO events SELECT * FROM demo_fixture.events WHERE block_number = $1 ORDER BY event_nonce;
INSERT INTO driver_events (type, block_hash)
     SELECT 'StartBlock', block_hash FROM demo_fixture.blocks WHERE block_number = $1;
COMMIT;
SQL
}
