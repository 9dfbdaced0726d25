#[pgrx::pg_schema]
mod tests {
    use crate::pgrx_tests_suite::support::{
        create_indexer_tables_with_from, dump_state, insert_synth_block,
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
}
