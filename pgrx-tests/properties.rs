#[pgrx::pg_schema]
mod tests {
    use crate::pgrx_tests_suite::support::{
        create_indexer_tables_with_from, dump_state, insert_synth_block, insert_with_pure_dumps,
    };
    use crate::protocol::{apply_rows, MemoryStore, Settings};
    use crate::synth::{ChainConfig, RoundAddressing, Simulator};
    use pgrx::prelude::*;

    /// A generated history through the block trigger yields exactly the state of the pure run.
    fn database_equals_pure_run(addressing: RoundAddressing, seed: u64) {
        create_indexer_tables_with_from();
        let cfg = ChainConfig {
            seed,
            vaults: 3,
            lps_per_vault: 5,
            bidders_per_vault: 4,
            blocks: 150,
            max_events_per_block: 6,
            addressing,
            first_block: 500,
        };
        let (blocks, _) = Simulator::generate(cfg);
        let mut memory = MemoryStore::default();
        for block in &blocks {
            // The indexer's order: events, then the block row; processed at the commit point.
            insert_synth_block(block);
            Spi::run("SET CONSTRAINTS public.event_processor_block_inserted IMMEDIATE").unwrap();
            Spi::run("SET CONSTRAINTS ALL DEFERRED").unwrap();
            apply_rows(&mut memory, block.events.clone(), Settings::default()).unwrap();
            // After every block: the lines only one side has.
            let (db, mem) = (dump_state(), memory.dump());
            let only_db: Vec<_> = db.iter().filter(|l| !mem.contains(l)).collect();
            let only_memory: Vec<_> = mem.iter().filter(|l| !db.contains(l)).collect();
            assert!(
                only_db.is_empty() && only_memory.is_empty(),
                "block {}: database only: {only_db:#?}\nmemory only: {only_memory:#?}",
                block.number
            );
        }
        let database = dump_state();
        assert!(
            database.len() > 100,
            "a meaningful history: {} rows",
            database.len()
        );
        assert_eq!(verify_count(), 0, "verify() after the history");
    }

    #[pg_test]
    fn generated_history_with_from_address_matches_the_pure_run() {
        database_equals_pure_run(RoundAddressing::FromAddress, 11);
    }

    #[pg_test]
    fn generated_history_with_appended_round_addresses_matches_the_pure_run() {
        database_equals_pure_run(RoundAddressing::Appended, 12);
    }

    #[pg_test]
    fn generated_history_with_fallback_resolution_matches_the_pure_run() {
        database_equals_pure_run(RoundAddressing::Fallback, 13);
    }

    /// How many differences `verify()` reports.
    fn verify_count() -> i64 {
        Spi::get_one::<i64>("SELECT count(*) FROM event_processor.verify()")
            .unwrap()
            .unwrap()
    }

    /// The catch-up path: process_pending in batches of several sizes writes, after each batch,
    /// the state of the pure run at that block; reverting block by block from the written
    /// journal (grouped deletes of created rows included) gives back every earlier state; and
    /// verify() finds no difference at any of those points.
    #[pg_test]
    fn batches_through_process_pending_match_the_pure_run_and_revert_exactly() {
        let cfg = ChainConfig {
            seed: 21,
            vaults: 3,
            lps_per_vault: 6,
            bidders_per_vault: 4,
            blocks: 120,
            max_events_per_block: 8,
            addressing: RoundAddressing::FromAddress,
            first_block: 700,
        };
        let (blocks, _) = Simulator::generate(cfg);
        batches_match_the_pure_run_and_revert_exactly(&blocks);
    }

    /// The same over a chain shaped like the real one, mostly empty blocks: runs of them are
    /// recorded as sets, which must leave the ledger exactly as block-by-block application does.
    #[pg_test]
    fn sparse_chain_batches_match_the_pure_run_and_revert_exactly() {
        let mut sim = Simulator::new(ChainConfig {
            seed: 22,
            vaults: 2,
            lps_per_vault: 5,
            bidders_per_vault: 3,
            max_events_per_block: 6,
            first_block: 900,
            ..ChainConfig::default()
        });
        let blocks: Vec<_> = (0..300).map(|_| sim.sparse_block(6)).collect();
        let empty = blocks.iter().filter(|b| b.events.is_empty()).count();
        assert!(empty > 200 && empty < 290, "{empty} empty blocks of 300");
        batches_match_the_pure_run_and_revert_exactly(&blocks);
    }

    fn batches_match_the_pure_run_and_revert_exactly(blocks: &[crate::synth::SynthBlock]) {
        create_indexer_tables_with_from();
        Spi::run("SET event_processor.trigger_enabled = off").unwrap();
        let dumps = insert_with_pure_dumps(blocks);
        let mut applied = 0usize;
        for size in [1i64, 7, 23, 50, 1000].iter().cycle() {
            if applied == blocks.len() {
                break;
            }
            let n = Spi::get_one::<i64>(&format!(
                "SELECT blocks_applied FROM event_processor.process_pending({size})"
            ))
            .unwrap()
            .unwrap();
            assert_eq!(n as usize, (*size as usize).min(blocks.len() - applied));
            applied += n as usize;
            assert_eq!(dump_state(), dumps[applied], "after {applied} blocks");
            assert_eq!(verify_count(), 0, "verify() after {applied} blocks");
        }
        // The ledger: every block once, with its parent and its number of events.
        let ledger = Spi::get_one::<String>(
            "SELECT string_agg(concat_ws(':', block_number, parent_hash, event_count, skipped::text),
                               ',' ORDER BY block_number) FROM event_processor.applied_blocks",
        )
        .unwrap()
        .unwrap();
        let expected: Vec<String> = blocks
            .iter()
            .map(|b| format!("{}:{}:{}:false", b.number, b.parent_hash, b.events.len()))
            .collect();
        assert_eq!(ledger, expected.join(","));
        for (i, block) in blocks.iter().enumerate().rev() {
            Spi::run(&format!(
                "SELECT event_processor.revert_block('{}')",
                block.hash
            ))
            .unwrap();
            if i % 10 == 0 || i + 5 > blocks.len() {
                assert_eq!(dump_state(), dumps[i], "after reverting block {i}");
                assert_eq!(verify_count(), 0, "verify() after reverting block {i}");
            }
        }
        assert_eq!(dump_state(), Vec::<String>::new());
    }
}
