#[pgrx::pg_schema]
mod tests {
    use crate::pgrx_tests_suite::support::{
        create_indexer_tables, dump_state, insert_block, insert_block_events, sqlstate_of,
    };
    use crate::pgrx_tests_suite::worked_example as wx;
    use pgrx::prelude::*;

    /// Fires the deferred block trigger now, as the indexer's COMMIT would (a #[pg_test] never
    /// commits).
    fn commit_point() {
        Spi::run("SET CONSTRAINTS public.event_processor_block_inserted IMMEDIATE").unwrap();
        Spi::run("SET CONSTRAINTS ALL DEFERRED").unwrap();
    }

    /// Spec §7 through the trigger path: per block, the block row first and its events after
    /// (the trigger must see both), then the commit point; every row of §7.3 after every block.
    #[pg_test]
    fn worked_example_through_the_block_trigger() {
        create_indexer_tables();
        for block in wx::blocks() {
            insert_block(block);
            insert_block_events(block.number);
            commit_point();
            let dump = dump_state();
            for line in wx::expected_after(block.number) {
                assert!(
                    dump.iter().any(|l| l == line),
                    "after block {}: expected\n  {line}\nstate:\n  {}",
                    block.number,
                    dump.join("\n  ")
                );
            }
        }
        assert_eq!(dump_state(), wx::expected_final());
        let ledger = Spi::get_one::<String>(
            "SELECT count(*) || ' blocks, ' || sum(event_count) || ' events' FROM event_processor.applied_blocks",
        )
        .unwrap();
        assert_eq!(ledger.as_deref(), Some("15 blocks, 20 events"));
    }

    #[pg_test]
    fn process_block_by_hash_and_number_and_the_no_op() {
        create_indexer_tables();
        Spi::run("SET event_processor.trigger_enabled = off").unwrap();
        for block in &wx::blocks()[..3] {
            insert_block(block);
            insert_block_events(block.number);
        }
        commit_point();
        assert_eq!(
            dump_state(),
            Vec::<String>::new(),
            "trigger path off: nothing applied"
        );
        let by_number =
            Spi::get_one::<i32>("SELECT event_processor.process_block(10::numeric)").unwrap();
        assert_eq!(by_number, Some(2));
        let by_hash = Spi::get_one::<i32>("SELECT event_processor.process_block('0xB11')").unwrap();
        assert_eq!(by_hash, Some(1));
        let again = Spi::get_one::<i32>("SELECT event_processor.process_block('0xb11')").unwrap();
        assert_eq!(again, Some(0), "already applied: a no-op");
        assert!(dump_state().contains(&"Liquidity_Providers|0xa1|0x7a11|0|0|320|11".to_string()));
    }

    /// Processing changes two planner settings for its own statements only (see
    /// api::process::with_processor); the indexer's session keeps its values.
    #[pg_test]
    fn processing_leaves_the_callers_planner_settings_alone() {
        create_indexer_tables();
        Spi::run("SET plan_cache_mode = force_custom_plan; SET enable_seqscan = on").unwrap();
        insert_block(&wx::blocks()[0]);
        insert_block_events(10);
        commit_point();
        let settings = Spi::get_one::<String>(
            "SELECT current_setting('plan_cache_mode') || ',' || current_setting('enable_seqscan')",
        )
        .unwrap();
        assert_eq!(settings.as_deref(), Some("force_custom_plan,on"));
        assert!(
            dump_state().iter().any(|l| l.starts_with("VaultStates|")),
            "block 10 was processed"
        );
    }

    #[pg_test]
    fn blocks_apply_parent_before_child() {
        create_indexer_tables();
        Spi::run("SET event_processor.trigger_enabled = off").unwrap();
        for block in &wx::blocks()[..4] {
            insert_block(block);
            insert_block_events(block.number);
        }
        // The first block the extension sees may be any block...
        Spi::run("SELECT event_processor.process_block(11::numeric)").unwrap();
        // ...after that, a block whose known parent is not applied is refused, naming it.
        assert_eq!(
            sqlstate_of("SELECT event_processor.process_block(13::numeric)").as_deref(),
            Some("55000: block 13 (0xb13) cannot be applied before its parent 12 (0xb12); process the parent first")
        );
        Spi::run("SELECT event_processor.process_block(12::numeric)").unwrap();
        Spi::run("SELECT event_processor.process_block(13::numeric)").unwrap();
        assert_eq!(
            sqlstate_of("SELECT event_processor.process_block(99::numeric)").as_deref(),
            Some("P0002: block 99 is not in starknet_blocks and no events carry its hash")
        );
        Spi::run("UPDATE starknet_blocks SET status = 'REVERTED' WHERE block_number = 10").unwrap();
        assert_eq!(
            sqlstate_of("SELECT event_processor.process_block('0xb10')").as_deref(),
            Some("55000: block 10 (0xb10) is REVERTED; its events are not canonical")
        );
    }

    /// Blocks inserted while the trigger path was off (left to a worker that has not got to
    /// them) do not stop the next block on the trigger path: it applies them first, in chain
    /// order, then itself, with the same result as processing every block in turn.
    #[pg_test]
    fn the_trigger_path_applies_pending_blocks_before_its_own() {
        create_indexer_tables();
        Spi::run("SET event_processor.trigger_enabled = off").unwrap();
        for block in &wx::blocks()[..8] {
            insert_block(block);
            insert_block_events(block.number);
        }
        commit_point();
        Spi::run("SELECT event_processor.process_block(10::numeric)").unwrap();
        Spi::run("RESET event_processor.trigger_enabled").unwrap();
        insert_block(&wx::blocks()[8]);
        insert_block_events(wx::blocks()[8].number);
        commit_point();
        assert_eq!(
            Spi::get_one::<i64>("SELECT count(*) FROM event_processor.applied_blocks").unwrap(),
            Some(9)
        );
        for line in wx::expected_after(wx::blocks()[8].number) {
            assert!(dump_state().iter().any(|l| l == line), "expected {line}");
        }
        assert_eq!(
            Spi::get_one::<String>("SELECT halted_block_hash FROM event_processor.status()")
                .unwrap(),
            None
        );
    }
}
