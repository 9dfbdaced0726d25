#[pgrx::pg_schema]
mod tests {
    use crate::pgrx_tests_suite::support::{
        commit_point, create_indexer_tables, create_indexer_tables_with_from, dump_state,
        insert_block, insert_block_events, insert_synth_block, insert_synth_event, sqlstate_of,
    };
    use crate::pgrx_tests_suite::worked_example as wx;
    use crate::protocol::{apply_rows, MemoryStore, Settings};
    use crate::synth::{ChainConfig, RoundAddressing, Simulator, SynthBlock};
    use pgrx::prelude::*;

    /// Processes the worked example through the trigger up to `last`; returns the dump after
    /// each block, indexed by block number − 10 (index 0 = after block 10).
    fn worked_example_until(last: u64) -> Vec<Vec<String>> {
        create_indexer_tables();
        let mut dumps = Vec::new();
        for block in wx::blocks().iter().filter(|b| b.number <= last) {
            insert_block(block);
            insert_block_events(block.number);
            commit_point();
            dumps.push(dump_state());
        }
        dumps
    }

    fn mark_reverted(number: u64) {
        Spi::run(&format!(
            "UPDATE starknet_blocks SET status = 'REVERTED' WHERE block_number = {number}"
        ))
        .unwrap();
    }

    fn has(line: &str) -> bool {
        dump_state().iter().any(|l| l == line)
    }

    /// Spec §7.4, first case: blocks 24 and 23 reverted by the indexer (status REVERTED), then
    /// 22: the state after block 21, exactly.
    #[pg_test]
    fn worked_example_revert_of_block_22() {
        let dumps = worked_example_until(24);
        mark_reverted(24);
        assert_eq!(dump_state(), dumps[23 - 10]);
        mark_reverted(23);
        assert_eq!(dump_state(), dumps[22 - 10]);
        mark_reverted(22);
        assert_eq!(dump_state(), dumps[21 - 10]);
        // The values §7.4 lists.
        assert!(
            !dump_state()
                .iter()
                .any(|l| l.starts_with("Option_Rounds|0x1a2|")),
            "R2 deleted"
        );
        assert!(has("Option_Rounds|0x1a1|10|3|0|2|100|10|1000|Running|30|0x7a11|1|5000|20|520|160|0|0|1100|1200|2200"));
        assert!(has(
            "VaultStates|50|500|1|0x1a1|0|0x7a11|19|0xf1|0xe7|0xc1|5000|0|100|100|1000|1000"
        ));
        assert!(has("Liquidity_Providers|0xa1|0x7a11|0|307|30|19"));
        assert!(has("Liquidity_Providers|0xb2|0x7a11|0|192|19|19"));
        assert!(
            !dump_state()
                .iter()
                .any(|l| l.ends_with("|22") && l.contains("Historic")),
            "snapshots at 22 deleted"
        );
        assert!(has("Queued_Liquidity|0xa1|160|5000|0x1a1"));
        let ledger = Spi::get_one::<String>(
            "SELECT count(*) || '/' || (SELECT count(*) FROM event_processor.journal WHERE block_hash IN ('0xb22','0xb23','0xb24'))
               FROM event_processor.applied_blocks WHERE block_number >= 22",
        )
        .unwrap();
        assert_eq!(
            ledger.as_deref(),
            Some("0/0"),
            "the blocks and their journals are gone"
        );
        // The replacement of block 22 (here: the same events again) applies cleanly.
        Spi::run("UPDATE starknet_blocks SET status = 'MINED' WHERE block_number = 22").unwrap();
        commit_point();
        assert_eq!(dump_state(), dumps[22 - 10]);
    }

    /// History rows another writer left at a block's height (the Go processor's, say) are
    /// overwritten without being read: the journal takes their images from the table
    /// (TableOp::JournalFromTable, one typed entry each), and revert puts them back exactly.
    #[pg_test]
    fn revert_restores_history_rows_a_block_overwrote_unread() {
        worked_example_until(18);
        Spi::run(
            "INSERT INTO \"Vault_Historic\" VALUES (7, 8, 9, '0x7a11', 19);
             INSERT INTO \"Liquidity_Providers_Historic\" VALUES ('0xa1', '0x7a11', 1, 2, 3, 19)",
        )
        .unwrap();
        let left = dump_state();
        let block = wx::blocks().iter().find(|b| b.number == 19).unwrap();
        insert_block(block);
        insert_block_events(19);
        commit_point();
        assert!(
            !has("Vault_Historic|7|8|9|0x7a11|19"),
            "block 19 rewrote it"
        );
        let journaled = Spi::get_one::<String>(
            "SELECT string_agg(table_name || ' ' || pk || ' ' || (before::jsonb -> 0 ->> 'unlocked_balance'), '; '
                                ORDER BY table_name)
               FROM event_processor.journal WHERE block_hash = '0xb19' AND table_name LIKE '%Historic'",
        )
        .unwrap();
        assert_eq!(
            journaled.as_deref(),
            Some("Liquidity_Providers_Historic [] 3; Vault_Historic [] 7")
        );
        assert_eq!(
            Spi::get_one::<i32>("SELECT event_processor.revert_block('0xb19')").unwrap(),
            Some(1)
        );
        assert_eq!(dump_state(), left);
    }

    /// Spec §7.4, second case: block 19 (AuctionEnded) as the newest block, by revert_block.
    #[pg_test]
    fn worked_example_revert_of_block_19() {
        let dumps = worked_example_until(19);
        assert_eq!(
            Spi::get_one::<i32>("SELECT event_processor.revert_block('0xb19')").unwrap(),
            Some(1)
        );
        assert_eq!(dump_state(), dumps[18 - 10]);
        assert!(has("Option_Rounds|0x1a1|10|0|0|2|100|0|1000|Auctioning|0|0x7a11|1|5000|0|520|0|0|0|1100|1200|2200"));
        assert!(has(
            "VaultStates|0|520|1|0x1a1|0|0x7a11|14|0xf1|0xe7|0xc1|5000|0|100|100|1000|1000"
        ));
        assert!(
            has("Liquidity_Providers|0xa1|0x7a11|0|320|0|14")
                && has("Liquidity_Providers|0xb2|0x7a11|0|200|0|14")
        );
        assert!(
            has("Option_Buyers|0xc3|0x1a1|false|false|0|0")
                && has("Option_Buyers|0xd4|0x1a1|false|false|0|0")
        );
    }

    #[pg_test]
    fn revert_errors_name_the_problem() {
        worked_example_until(14);
        insert_block(&wx::blocks()[5]); // block 15, trigger off below: never applied
        Spi::run("SET event_processor.trigger_enabled = off").unwrap();
        commit_point();
        assert_eq!(
            sqlstate_of("SELECT event_processor.revert_block('0xb15')").as_deref(),
            Some("P0002: block 0xb15 was never applied; there is nothing to revert")
        );
        assert_eq!(
            sqlstate_of("SELECT event_processor.revert_block('0xdead')").as_deref(),
            Some("P0002: block 0xdead is not in starknet_blocks and no events carry its hash")
        );
        assert_eq!(
            sqlstate_of("SELECT event_processor.revert_block('0xb12')").as_deref(),
            Some("55000: block 12 (0xb12) is not the newest applied block; revert these first, newest first: 14 (0xb14), 13 (0xb13)")
        );
        assert_eq!(
            sqlstate_of("SELECT event_processor.revert_to(-1)").as_deref(),
            Some("22003: -1 is not a block height (an integer from 0 to 2^64 - 1)")
        );
        // revert_to goes newest-first down to, not including, the height.
        assert_eq!(
            Spi::get_one::<i32>("SELECT event_processor.revert_to(12)").unwrap(),
            Some(2)
        );
        let newest = Spi::get_one::<String>(
            "SELECT max(block_number)::text FROM event_processor.applied_blocks",
        )
        .unwrap();
        assert_eq!(newest.as_deref(), Some("12"));
        // Journals deeper than the finality depth are pruned as blocks are applied. (Block 15
        // goes first: with it indexed, block 13 would be applied deeper than the depth, and
        // so without a journal at all: catch_up_journals_only_blocks_a_reorg_can_reach.)
        Spi::run("DELETE FROM starknet_blocks WHERE block_number = 15").unwrap();
        Spi::run("SET event_processor.finality_depth = 1").unwrap();
        Spi::run("SELECT event_processor.process_block(13::numeric)").unwrap();
        let pruned = Spi::get_one::<String>(
            "SELECT string_agg(block_number::text, ',' ORDER BY block_number) FROM event_processor.applied_blocks WHERE journal_pruned",
        )
        .unwrap();
        assert_eq!(pruned.as_deref(), Some("10,11,12"));
        Spi::run("SELECT event_processor.revert_block('0xb13')").unwrap();
        assert_eq!(
            sqlstate_of("SELECT event_processor.revert_block('0xb12')").as_deref(),
            Some("55000: block 12 (0xb12) is deeper than event_processor.finality_depth (1 blocks) and its journal was pruned; it cannot be reverted")
        );
    }

    /// A MINED block on top of a reverted one cannot stay: the trigger refuses.
    #[pg_test]
    fn reverting_below_a_mined_block_is_refused() {
        worked_example_until(12);
        let err =
            sqlstate_of("UPDATE starknet_blocks SET status = 'REVERTED' WHERE block_number = 11")
                .unwrap();
        assert_eq!(
            err,
            "55000: block 11 (0xb11) left the chain but block 12 (0xb12) applied on top of it is still MINED; mark it REVERTED first"
        );
        // Both at once (one statement, any row order) is fine.
        Spi::run("UPDATE starknet_blocks SET status = 'REVERTED' WHERE block_number >= 11")
            .unwrap();
        assert!(has(
            "VaultStates|0|0|1|0x1a1|0|0x7a11|10|0xf1|0xe7|0xc1|5000|0|100|100|1000|1000"
        ));
    }

    /// A reorg of depth k on a generated history, through the indexer's own statements, then a
    /// replacement branch: the state equals processing the surviving chain from scratch.
    /// `replace_rows`: the indexer deletes the reverted rows and inserts the new ones; else it
    /// updates the rows in place (its primary key is block_number, spec §1.1).
    fn reorg(seed: u64, k: usize, replace_rows: bool) {
        create_indexer_tables_with_from();
        let cfg = ChainConfig {
            seed,
            vaults: 2,
            lps_per_vault: 4,
            bidders_per_vault: 3,
            blocks: 60,
            max_events_per_block: 5,
            addressing: RoundAddressing::FromAddress,
            first_block: 300,
        };
        let n = cfg.blocks;
        let mut sim = Simulator::new(cfg);
        let mut blocks = Vec::new();
        let mut dumps = Vec::new();
        let mut fork_point = None;
        for i in 0..n {
            if i == n - k {
                fork_point = Some(sim.clone());
            }
            let block = sim.next_block();
            insert_synth_block(&block);
            commit_point();
            dumps.push(dump_state());
            blocks.push(block);
        }
        // Juno reverts newest first; the logger marks each block REVERTED.
        for i in (n - k..n).rev() {
            Spi::run(&format!(
                "UPDATE starknet_blocks SET status = 'REVERTED' WHERE block_hash = '{}'",
                blocks[i].hash
            ))
            .unwrap();
        }
        assert_eq!(
            dump_state(),
            dumps[n - k - 1],
            "seed {seed}: after reverting {k} blocks"
        );

        let mut branch = fork_point.unwrap();
        branch.fork(seed + 1000);
        let replacement: Vec<SynthBlock> = (0..k + 3).map(|_| branch.next_block()).collect();
        for block in &replacement {
            let taken = blocks.iter().any(|b| b.number == block.number);
            if taken && replace_rows {
                Spi::run(&format!(
                    "DELETE FROM starknet_blocks WHERE block_number = {}",
                    block.number
                ))
                .unwrap();
            }
            if taken && !replace_rows {
                block.events.iter().for_each(insert_synth_event);
                Spi::run_with_args(
                    "UPDATE starknet_blocks SET block_hash = $2, parent_hash = $3, timestamp = $4::numeric, status = 'MINED'
                      WHERE block_number = $1::numeric",
                    &[(block.number as i64).into(), block.hash.as_str().into(), block.parent_hash.as_str().into(), (block.timestamp as i64).into()],
                )
                .unwrap();
            } else {
                insert_synth_block(block);
            }
            commit_point();
        }
        let mut scratch = MemoryStore::default();
        for block in blocks[..n - k].iter().chain(&replacement) {
            apply_rows(&mut scratch, block.events.clone(), Settings::default()).unwrap();
        }
        assert_eq!(
            dump_state(),
            scratch.dump(),
            "seed {seed}: replacement branch"
        );
    }

    #[pg_test]
    fn reorg_with_replaced_rows_matches_a_fresh_run() {
        reorg(21, 7, true);
        Spi::run("TRUNCATE starknet_blocks, events").unwrap();
    }

    #[pg_test]
    fn reorg_with_updated_rows_matches_a_fresh_run() {
        reorg(22, 12, false);
    }

    #[pg_test]
    fn deep_reorg_matches_a_fresh_run() {
        reorg(23, 40, true);
    }

    /// A block that creates a round and queued rows referencing it, after queued rows of the
    /// previous round (spec §4, foreign key Queued_Liquidity → Option_Rounds): applied in one
    /// catch-up batch, its revert deletes the new round's queued rows before the round, and
    /// leaves the state of the block before. (Found by `make bench` when created rows were
    /// grouped per table in order of first appearance.)
    #[pg_test]
    fn revert_deletes_queued_rows_before_the_round_they_reference() {
        create_indexer_tables_with_from();
        Spi::run("SET event_processor.trigger_enabled = off").unwrap();
        let blocks = Simulator::queue_around_settlement(5);
        let mut memory = MemoryStore::default();
        let mut before_last = Vec::new();
        for block in &blocks {
            before_last = memory.dump();
            insert_synth_block(block);
            apply_rows(&mut memory, block.events.clone(), Settings::default()).unwrap();
        }
        let applied =
            Spi::get_one::<i64>("SELECT blocks_applied FROM event_processor.process_pending(1000)")
                .unwrap()
                .unwrap();
        assert_eq!(applied as usize, blocks.len());
        assert_eq!(dump_state(), memory.dump());
        let queued_in_new_round = Spi::get_one::<i64>(
            "SELECT count(*) FROM public.\"Queued_Liquidity\" q
               JOIN public.\"Option_Rounds\" r ON r.address = q.round_address
              WHERE r.round_id = (SELECT max(round_id) FROM public.\"Option_Rounds\")",
        )
        .unwrap()
        .unwrap();
        assert!(
            queued_in_new_round > 0,
            "the last block queues in the new round"
        );
        let last = blocks.last().unwrap();
        let rounds_before = Spi::get_one::<i64>("SELECT count(*) FROM public.\"Option_Rounds\"")
            .unwrap()
            .unwrap();
        Spi::run(&format!(
            "SELECT event_processor.revert_block('{}')",
            last.hash
        ))
        .unwrap();
        assert_eq!(dump_state(), before_last);
        let rounds_after = Spi::get_one::<i64>("SELECT count(*) FROM public.\"Option_Rounds\"")
            .unwrap()
            .unwrap();
        assert_eq!(rounds_after, rounds_before - 1, "the new round is deleted");
    }

    /// Issue "Real chains": a catch-up of history writes no before-images for blocks deeper
    /// than the finality depth below the newest indexed block, and those cannot be reverted;
    /// the blocks within the depth are journaled and revert exactly. Both sides of the
    /// boundary, with a journal audit trigger to tell "never written" from "pruned".
    #[pg_test]
    fn catch_up_journals_only_blocks_a_reorg_can_reach() {
        create_indexer_tables_with_from();
        Spi::run(
            "CREATE TABLE public.journaled (block_hash text);
             CREATE FUNCTION public.audit_journal() RETURNS trigger LANGUAGE plpgsql AS
               $$ BEGIN INSERT INTO public.journaled VALUES (NEW.block_hash); RETURN NULL; END $$;
             CREATE TRIGGER audit AFTER INSERT ON event_processor.journal
               FOR EACH ROW EXECUTE FUNCTION public.audit_journal();
             SET event_processor.finality_depth = 10;
             SET event_processor.trigger_enabled = off;",
        )
        .unwrap();
        let (blocks, _) = Simulator::generate(ChainConfig {
            seed: 41,
            blocks: 60,
            first_block: 7000,
            ..ChainConfig::default()
        });
        let mut memory = MemoryStore::default();
        let mut dumps = vec![];
        for block in &blocks {
            insert_synth_block(block);
            apply_rows(&mut memory, block.events.clone(), Settings::default()).unwrap();
            dumps.push(memory.dump());
        }
        // Batches of 5: a block's journal is written when its batch ends, before any later
        // block could prune it, so a block without a journal never had one.
        let mut applied = 0;
        loop {
            let n = Spi::get_one::<i64>(
                "SELECT blocks_applied FROM event_processor.process_pending(5)",
            )
            .unwrap()
            .unwrap();
            if n == 0 {
                break;
            }
            applied += n;
        }
        assert_eq!(applied, 60);
        assert_eq!(dump_state(), memory.dump());
        let newest = blocks.last().unwrap().number; // 7060
        let journaled = |number: u64| {
            Spi::get_one_with_args::<bool>(
                "SELECT EXISTS (SELECT 1 FROM public.journaled j JOIN starknet_blocks b USING (block_hash)
                                 WHERE b.block_number = $1::numeric)",
                &[(number as i64).into()],
            )
            .unwrap()
            .unwrap()
        };
        let pruned = |number: u64| {
            Spi::get_one_with_args::<bool>(
                "SELECT journal_pruned FROM event_processor.applied_blocks WHERE block_number = $1::numeric",
                &[(number as i64).into()],
            )
            .unwrap()
            .unwrap()
        };
        // Deeper than 10 below the newest indexed block: never journaled, recorded as pruned.
        for number in [blocks[0].number, newest - 11] {
            assert!(!journaled(number), "block {number} was journaled");
            assert!(pruned(number), "block {number} is recorded as pruned");
        }
        // Within the depth: journaled (every generated block changes state).
        for number in [newest - 10, newest - 9, newest] {
            assert!(journaled(number), "block {number} was not journaled");
        }
        // Exactly 10 below the newest applied block: pruned as blocks are applied.
        assert!(pruned(newest - 10) && !pruned(newest - 9));

        // The journaled side reverts exactly; the deeper side is refused.
        let reverted = Spi::get_one::<i32>(&format!(
            "SELECT event_processor.revert_to({})",
            newest - 10
        ))
        .unwrap();
        assert_eq!(reverted, Some(10));
        assert_eq!(
            dump_state(),
            dumps[dumps.len() - 11],
            "the state after block {}",
            newest - 10
        );
        let hash = &blocks[blocks.len() - 11].hash;
        assert_eq!(
            sqlstate_of(&format!("SELECT event_processor.revert_block('{hash}')")).as_deref(),
            Some(format!("55000: block {} ({hash}) is deeper than event_processor.finality_depth (10 blocks) and its journal was pruned; it cannot be reverted", newest - 10).as_str())
        );
        assert_eq!(
            Spi::get_one::<i64>("SELECT count(*) FROM event_processor.verify()").unwrap(),
            Some(0)
        );
    }
}
