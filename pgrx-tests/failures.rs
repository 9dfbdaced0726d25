#[pgrx::pg_schema]
mod tests {
    use crate::pgrx_tests_suite::support::{
        commit_point, create_indexer_tables, dump_state, insert_block, insert_block_events,
        sqlstate_of,
    };
    use crate::pgrx_tests_suite::worked_example as wx;
    use pgrx::prelude::*;

    /// Blocks 10 and 11 applied; block 12's row and its good Deposit inserted, unprocessed.
    fn prepare() -> Vec<String> {
        create_indexer_tables();
        Spi::run("SET event_processor.trigger_enabled = off").unwrap();
        for block in &wx::blocks()[..3] {
            insert_block(block);
            insert_block_events(block.number);
        }
        Spi::run("SELECT event_processor.process_block(10::numeric), event_processor.process_block(11::numeric)").unwrap();
        dump_state()
    }

    /// Adds a second event to block 12 (after its good Deposit, nonce 4).
    fn add_event(name: &str, keys: &str, data: &str) {
        Spi::run(&format!(
            "DELETE FROM events WHERE event_nonce = 40;
             INSERT INTO events VALUES (40, 12, '0xb12', '0x7a11', '{name}', {keys}, {data}, '0x7f0')"
        ))
        .unwrap();
    }

    fn nothing_of_block_12_applied(before: &[String]) {
        assert_eq!(dump_state(), before, "no partial state");
        let ledger = Spi::get_one::<i64>(
            "SELECT (SELECT count(*) FROM event_processor.applied_events WHERE block_hash = '0xb12')
                  + (SELECT count(*) FROM event_processor.applied_blocks WHERE block_hash = '0xb12')",
        )
        .unwrap();
        assert_eq!(ledger, Some(0));
    }

    #[pg_test]
    fn bad_events_fail_the_block_naming_block_vault_nonce_and_field() {
        let before = prepare();
        let deposit = format!("ARRAY['{}', '0xb2']", wx::SEL_DEPOSIT);
        let process = "SELECT event_processor.process_block(12::numeric)";

        add_event(
            "Deposit",
            &deposit,
            "ARRAY['0x1', '0xzz', '0x1', '0x0', '0x1', '0x0']",
        );
        assert_eq!(
            sqlstate_of(process).as_deref(),
            Some("22P02: block 12 (0xb12), vault 0x7a11, event nonce 40 (Deposit): Deposit: field amount.high (data[1] = \"0xzz\"): \"0xzz\" is not a hex felt (expected 0x followed by 1 to 64 hex digits)")
        );
        nothing_of_block_12_applied(&before);

        add_event("Deposit", &deposit, "ARRAY['0x1', '0x0', '0x1']");
        assert_eq!(
            sqlstate_of(process).as_deref(),
            Some("22000: block 12 (0xb12), vault 0x7a11, event nonce 40 (Deposit): Deposit: expected 6 data felts, got 3")
        );
        nothing_of_block_12_applied(&before);

        add_event(
            "Withdrawal",
            &deposit,
            "ARRAY['0x1', '0x0', '0x1', '0x0', '0x1', '0x0']",
        );
        let mismatch = sqlstate_of(process).unwrap();
        assert!(
            mismatch.starts_with("22000: block 12 (0xb12), vault 0x7a11, event nonce 40 (Withdrawal): Withdrawal: keys[0] is 0x9149d2"),
            "{mismatch}"
        );
        nothing_of_block_12_applied(&before);

        add_event(
            "Deposit",
            &deposit,
            &format!(
                "ARRAY['0x1', '0x{}', '0x1', '0x0', '0x1', '0x0']",
                "1".repeat(33)
            ),
        );
        assert!(sqlstate_of(process).unwrap().starts_with("22003: block 12 (0xb12), vault 0x7a11, event nonce 40 (Deposit): Deposit: field amount.high"));
        nothing_of_block_12_applied(&before);

        add_event(
            "Deposit",
            &format!("ARRAY['{}', NULL]", wx::SEL_DEPOSIT),
            "ARRAY['0x1', '0x0', '0x1', '0x0', '0x1', '0x0']",
        );
        assert_eq!(
            sqlstate_of(process).as_deref(),
            Some("22004: block 12 (0xb12), vault 0x7a11, event nonce 40 (Deposit): Deposit: keys[1] is NULL")
        );
        nothing_of_block_12_applied(&before);
    }

    /// A block timestamp or event nonce that is not a u64 is an error naming the block, vault
    /// and column (it was read as 0 before), and nothing of the block is applied.
    #[pg_test]
    fn out_of_range_timestamps_and_nonces_fail_the_block() {
        let before = prepare();
        let process = "SELECT event_processor.process_block(12::numeric)";
        Spi::run("UPDATE starknet_blocks SET timestamp = 18446744073709551616 WHERE block_hash = '0xb12'")
            .unwrap();
        assert_eq!(
            sqlstate_of(process).as_deref(),
            Some("22003: block 12 (0xb12), vault 0x7a11: starknet_blocks.timestamp is 18446744073709551616, not an integer in range")
        );
        nothing_of_block_12_applied(&before);

        // An indexer whose events.event_nonce is numeric, not bigint.
        Spi::run(
            "UPDATE starknet_blocks SET timestamp = 1200 WHERE block_hash = '0xb12';
             ALTER TABLE events ALTER COLUMN event_nonce TYPE numeric;
             UPDATE events SET event_nonce = 1180591620717411303424 WHERE block_hash = '0xb12'",
        )
        .unwrap();
        assert_eq!(
            sqlstate_of(process).as_deref(),
            Some("22003: block 12 (0xb12), vault 0x7a11: events.event_nonce is 1180591620717411303424, not an integer in range")
        );
        nothing_of_block_12_applied(&before);
    }

    /// Spec R6: an unknown round skips the event with a WARNING (recorded as applied), or
    /// raises in strict mode.
    #[pg_test]
    fn unknown_rounds_warn_or_raise_in_strict_mode() {
        let before = prepare();
        Spi::run("ALTER TABLE events ADD COLUMN from_address varchar(66)").unwrap();
        add_event(
            "AuctionStarted",
            &format!(
                "ARRAY['{}']",
                "0x26a7d477600536be46a48d46dcdebf5d8c5703c5e16f6bfad368996adea83f3"
            ),
            "ARRAY['0x1', '0x0', '0x0', '0x0']",
        );
        Spi::run("UPDATE events SET from_address = '0x1a9' WHERE event_nonce = 40").unwrap();

        Spi::run("SET event_processor.strict = on").unwrap();
        assert_eq!(
            sqlstate_of("SELECT event_processor.process_block(12::numeric)").as_deref(),
            Some("23503: block 12 (0xb12), vault 0x7a11, event nonce 40 (AuctionStarted): round 0x1a9 of vault 0x7a11 does not exist (strict mode)")
        );
        nothing_of_block_12_applied(&before);

        Spi::run("SET event_processor.strict = off").unwrap();
        assert_eq!(
            Spi::get_one::<i32>("SELECT event_processor.process_block(12::numeric)").unwrap(),
            Some(2)
        );
        assert!(dump_state().contains(&"Liquidity_Providers|0xb2|0x7a11|0|0|200|12".to_string()));
        let recorded = Spi::get_one::<i64>(
            "SELECT count(*) FROM event_processor.applied_events WHERE block_hash = '0xb12'",
        )
        .unwrap();
        assert_eq!(
            recorded,
            Some(2),
            "the skipped event is recorded as applied"
        );
    }

    #[pg_test]
    fn driver_events_start_block_catch_up_unknown_and_revert() {
        create_indexer_tables();
        Spi::run("SET event_processor.trigger_enabled = off").unwrap();
        for block in &wx::blocks()[..5] {
            insert_block(block);
            insert_block_events(block.number);
        }
        Spi::run(
            "INSERT INTO driver_events (type, block_hash) VALUES ('StartBlock', '0xb10'), ('NewBlock', '0xb11');
             INSERT INTO driver_events (type) VALUES ('Mystery');
             INSERT INTO driver_events (type, vault_address, start_block_hash, end_block_hash)
                  VALUES ('CatchupVault', '0x7a11', '0xb11', '0xb13');
             INSERT INTO driver_events (type, block_hash)
                  VALUES ('StartBlock', '0xb12'), ('StartBlock', '0xb13'), ('StartBlock', '0xb14')",
        )
        .unwrap();
        let mut outcomes = Vec::new();
        while let Some(outcome) =
            Spi::get_one::<String>("SELECT event_processor.process_next_driver_event()").unwrap()
        {
            outcomes.push(outcome);
        }
        assert_eq!(
            outcomes,
            [
                "driver event 1: StartBlock 0xb10: block 10, 2 events applied",
                "driver event 2: NewBlock 0xb11: block 11, 1 events applied",
                "driver event 3: Mystery: unknown driver event type, marked processed without effect",
                "driver event 4: CatchupVault 0x7a11: 3 events applied, 1 already applied",
                // Caught up already: the StartBlocks only record the blocks as applied.
                "driver event 5: StartBlock 0xb12: block 12, 0 events applied",
                "driver event 6: StartBlock 0xb13: block 13, 0 events applied",
                "driver event 7: StartBlock 0xb14: block 14, 1 events applied",
            ]
        );
        for line in wx::expected_after(14) {
            assert!(dump_state().contains(&line.to_string()), "{line}");
        }
        // With the trigger path off, the REVERTED status is left to the driver event.
        let before_14 = dump_state();
        Spi::run(
            "INSERT INTO driver_events (type, block_hash) VALUES ('RevertBlock', '0xb99');
             UPDATE starknet_blocks SET status = 'REVERTED' WHERE block_number = 14;
             INSERT INTO driver_events (type, block_hash) VALUES ('RevertBlock', '0xb14')",
        )
        .unwrap();
        let unknown =
            Spi::get_one::<String>("SELECT event_processor.process_next_driver_event()").unwrap();
        assert_eq!(
            unknown.as_deref(),
            Some("driver event 8: RevertBlock 0xb99: not applied, nothing to revert")
        );
        let reverted =
            Spi::get_one::<String>("SELECT event_processor.process_next_driver_event()").unwrap();
        assert_eq!(
            reverted.as_deref(),
            Some("driver event 9: RevertBlock 0xb14: 1 block(s), 1 events reverted")
        );
        assert!(
            !dump_state().iter().any(|l| l.contains("Auctioning")),
            "block 14 (AuctionStarted) reverted"
        );
        assert_ne!(dump_state(), before_14);
    }

    fn text(query: &str) -> Option<String> {
        Spi::get_one::<String>(query).unwrap()
    }

    /// The default `defer` policy through the trigger: blocks 10 and 11 apply; block 12 gets a
    /// malformed second event and block 13 follows. Returns the dump after block 11.
    fn deferred_block_12_then_13() -> Vec<String> {
        create_indexer_tables();
        for block in &wx::blocks()[..2] {
            insert_block(block);
            insert_block_events(block.number);
            commit_point();
        }
        let before = dump_state();
        insert_block(&wx::blocks()[2]);
        insert_block_events(12);
        add_event(
            "Deposit",
            &format!("ARRAY['{}', '0xb2']", wx::SEL_DEPOSIT),
            "ARRAY['0x1', '0xzz', '0x1', '0x0', '0x1', '0x0']",
        );
        commit_point(); // no error: the indexer's transaction goes on
        insert_block(&wx::blocks()[3]);
        insert_block_events(13);
        commit_point();
        before
    }

    fn applied(hash: &str) -> bool {
        Spi::get_one::<bool>(&format!(
            "SELECT EXISTS (SELECT 1 FROM event_processor.applied_blocks WHERE block_hash = '{hash}')"
        ))
        .unwrap()
        .unwrap()
    }

    /// defer: the failing block's effects are rolled back, the failure is recorded with block,
    /// vault, event nonce, field and SQLSTATE, later blocks wait; after the data is fixed,
    /// retry_block applies the block and the ones that waited, exactly as processing does.
    #[pg_test]
    fn defer_records_the_failure_halts_and_retry_block_resumes() {
        let before = deferred_block_12_then_13();
        nothing_of_block_12_applied(&before);
        assert!(!applied("0xb13"), "block 13 waits behind the halt");
        assert_eq!(
            text("SELECT concat_ws(' | ', block_hash, block_number, vault_address, event_nonce, field, sqlstate, found_by)
                    FROM event_processor.failed_blocks WHERE resolved IS NULL").as_deref(),
            Some("0xb12 | 12 | 0x7a11 | 40 | amount.high | 22P02 | trigger")
        );
        assert_eq!(
            text(
                "SELECT halted_block_hash || ' ' || halted_at_block FROM event_processor.status()"
            )
            .as_deref(),
            Some("0xb12 12")
        );
        assert_eq!(
            sqlstate_of("SELECT event_processor.retry_block('0xb13')").as_deref(),
            Some("55000: processing is halted at block 12 (0xb12), not at block 0xb13; retry or skip that block first")
        );
        // Still broken: retry raises and the halt stays.
        assert!(sqlstate_of("SELECT event_processor.retry_block('0xb12')")
            .unwrap()
            .starts_with("22P02"));
        assert!(text(
            "SELECT block_hash FROM event_processor.failed_blocks WHERE resolved IS NULL"
        )
        .is_some());

        Spi::run("DELETE FROM events WHERE event_nonce = 40").unwrap();
        assert_eq!(
            text("SELECT blocks_applied || ' ' || events_applied FROM event_processor.retry_block('0xb12')").as_deref(),
            Some("2 3")
        );
        assert!(applied("0xb12") && applied("0xb13"));
        assert_eq!(
            text("SELECT resolved FROM event_processor.failed_blocks").as_deref(),
            Some("retried")
        );
        assert_eq!(
            text("SELECT halted_block_hash FROM event_processor.status()"),
            None
        );
        assert_eq!(
            sqlstate_of("SELECT event_processor.retry_block('0xb12')").as_deref(),
            Some("55000: processing is not halted at block 0xb12: no open failure (see event_processor.failed_blocks)")
        );
        // The same state as processing the blocks by hand.
        let retried = dump_state();
        Spi::run("SELECT event_processor.revert_to(11)").unwrap();
        assert_eq!(dump_state(), before);
        Spi::run("SELECT event_processor.process_block(12::numeric), event_processor.process_block(13::numeric)").unwrap();
        assert_eq!(dump_state(), retried);
    }

    /// skip_block passes over the failed block (recorded, none of its events applied) and
    /// applies the blocks that waited; a block that fails while they catch up is the new halt.
    #[pg_test]
    fn skip_block_passes_over_the_failed_block() {
        let before = deferred_block_12_then_13();
        assert_eq!(
            text("SELECT blocks_applied || ' ' || events_applied FROM event_processor.skip_block('0xb12')").as_deref(),
            Some("1 2")
        );
        assert_eq!(
            text("SELECT skipped || ' ' || event_count FROM event_processor.applied_blocks WHERE block_hash = '0xb12'").as_deref(),
            Some("true 0")
        );
        assert!(applied("0xb13"));
        assert_eq!(
            text("SELECT resolved FROM event_processor.failed_blocks").as_deref(),
            Some("skipped")
        );
        // Reverting the skipped block undoes nothing of it.
        Spi::run("SELECT event_processor.revert_to(11)").unwrap();
        assert_eq!(dump_state(), before);
    }

    /// A block whose failure halts processing, then leaves the chain: the halt is lifted.
    #[pg_test]
    fn a_failed_block_that_leaves_the_chain_lifts_the_halt() {
        deferred_block_12_then_13();
        Spi::run("UPDATE starknet_blocks SET status = 'REVERTED' WHERE block_number IN (12, 13)")
            .unwrap();
        assert_eq!(
            text("SELECT resolved FROM event_processor.failed_blocks").as_deref(),
            Some("left the chain")
        );
        assert_eq!(
            text("SELECT halted_block_hash FROM event_processor.status()"),
            None
        );
    }

    /// raise: the error fails the indexer's statement (here the commit point), nothing is
    /// recorded.
    #[pg_test]
    fn raise_fails_the_indexer_transaction() {
        create_indexer_tables();
        Spi::run("SET event_processor.failure_policy = raise").unwrap();
        for block in &wx::blocks()[..3] {
            insert_block(block);
            insert_block_events(block.number);
        }
        add_event(
            "Deposit",
            &format!("ARRAY['{}', '0xb2']", wx::SEL_DEPOSIT),
            "ARRAY['0x1', '0x0', '0x1']",
        );
        assert!(sqlstate_of("SET CONSTRAINTS ALL IMMEDIATE")
            .unwrap()
            .starts_with("22000: block 12 (0xb12), vault 0x7a11, event nonce 40 (Deposit)"));
    }

    /// A PostgreSQL ERROR inside processing (here a trigger a user put on a state table) is
    /// deferred like a processor error: rolled back, recorded with its SQLSTATE and message,
    /// and processing halts at the block.
    #[pg_test]
    fn defer_also_catches_postgresql_errors() {
        create_indexer_tables();
        Spi::run(
            "CREATE FUNCTION public.refuse_vaults() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN RAISE EXCEPTION 'refused by a trigger' USING ERRCODE = 'P0001'; END $$;
             CREATE TRIGGER refuse BEFORE INSERT ON public.\"VaultStates\"
                 FOR EACH ROW EXECUTE FUNCTION public.refuse_vaults();",
        )
        .unwrap();
        insert_block(&wx::blocks()[0]);
        insert_block_events(wx::blocks()[0].number);
        commit_point();
        assert_eq!(
            text(
                "SELECT concat_ws(' | ', block_hash, sqlstate, error, found_by)
                    FROM event_processor.failed_blocks WHERE resolved IS NULL"
            )
            .as_deref(),
            Some("0xb10 | P0001 | refused by a trigger | trigger")
        );
        assert!(!applied("0xb10"));
        assert_eq!(dump_state(), Vec::<String>::new(), "nothing of the block");
        Spi::run("DROP TRIGGER refuse ON public.\"VaultStates\"").unwrap();
        assert_eq!(
            text("SELECT blocks_applied::text FROM event_processor.retry_block('0xb10')")
                .as_deref(),
            Some("1")
        );
    }
}
