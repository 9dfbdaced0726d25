#[pgrx::pg_schema]
mod tests {
    use crate::pgrx_tests_suite::support::{
        create_indexer_tables_with_from, dump_state, insert_with_pure_dumps,
    };
    use crate::synth::{ChainConfig, RoundAddressing, Simulator};
    use pgrx::prelude::*;

    fn text(query: &str) -> String {
        Spi::get_one::<String>(query).unwrap().unwrap_or_default()
    }

    fn verify_report() -> Vec<String> {
        let mut lines = Vec::new();
        Spi::connect(|client| {
            for row in client
                .select(
                    "SELECT concat_ws(' | ', table_name, row_key, coalesce(column_name, '(row)'),
                            coalesce(live_value, '(none)'), coalesce(expected_value, '(none)'))
                       FROM event_processor.verify()",
                    None,
                    &[],
                )
                .unwrap()
            {
                lines.push(row.get::<String>(1).unwrap().unwrap());
            }
        });
        lines
    }

    /// verify() reports nothing after processing (in batches and block by block) and reverting
    /// a random history, and exactly the corrupted column, the deleted row and the foreign row
    /// after a deliberate corruption; rebuild() then gives the state of processing from
    /// scratch, with a ledger and journal that revert exactly.
    #[pg_test]
    fn verify_reports_exact_differences_and_rebuild_restores_the_state() {
        create_indexer_tables_with_from();
        Spi::run("SET event_processor.trigger_enabled = off").unwrap();
        let (blocks, _) = Simulator::generate(ChainConfig {
            seed: 808,
            vaults: 3,
            lps_per_vault: 6,
            bidders_per_vault: 4,
            blocks: 100,
            max_events_per_block: 8,
            addressing: RoundAddressing::FromAddress,
            first_block: 3000,
        });
        let dumps = insert_with_pure_dumps(&blocks);
        Spi::run("SELECT * FROM event_processor.process_pending(37)").unwrap();
        Spi::run("SELECT * FROM event_processor.process_pending(1000)").unwrap();
        assert_eq!(verify_report(), Vec::<String>::new());
        Spi::run("SELECT event_processor.revert_to(3070)").unwrap();
        for block in &blocks[70..80] {
            Spi::run(&format!(
                "SELECT event_processor.process_block('{}')",
                block.hash
            ))
            .unwrap();
        }
        assert_eq!(dump_state(), dumps[80]);
        assert_eq!(
            verify_report(),
            Vec::<String>::new(),
            "processed and reverted"
        );

        // Corruption: one value changed, one row deleted, one row that no event made.
        let lp = text(
            "SELECT concat_ws('|', address, vault_address, unlocked_balance)
               FROM public.\"Liquidity_Providers\" ORDER BY address, vault_address LIMIT 1",
        );
        let lp: Vec<&str> = lp.split('|').collect();
        Spi::run(&format!(
            "UPDATE public.\"Liquidity_Providers\" SET unlocked_balance = unlocked_balance + 1
              WHERE address = '{}' AND vault_address = '{}'",
            lp[0], lp[1]
        ))
        .unwrap();
        let bid = text(
            "DELETE FROM public.\"Bids\" WHERE (round_address, bid_id) =
                 (SELECT round_address, bid_id FROM public.\"Bids\" ORDER BY round_address, bid_id LIMIT 1)
             RETURNING concat_ws('|', buyer_address, round_address, bid_id, tree_nonce, amount, price)",
        );
        let round = text("SELECT address FROM public.\"Option_Rounds\" ORDER BY address LIMIT 1");
        Spi::run(&format!(
            "INSERT INTO public.\"Queued_Liquidity\" VALUES ('0xf00', 5, 10, '{round}')"
        ))
        .unwrap();
        let bid_cells: Vec<&str> = bid.split('|').collect();
        let unlocked: u128 = lp[2].parse().unwrap();
        let mut expected = vec![
            format!(
                "Bids | round_address={}, bid_id={} | (row) | (none) | Bids|{bid}",
                bid_cells[1], bid_cells[2]
            ),
            format!(
                "Liquidity_Providers | address={}, vault_address={} | unlocked_balance | {} | {}",
                lp[0],
                lp[1],
                unlocked + 1,
                unlocked
            ),
            format!(
                "Queued_Liquidity | address=0xf00, round_address={round} | (row) | Queued_Liquidity|0xf00|5|10|{round} | (none)"
            ),
        ];
        expected.sort();
        let mut report = verify_report();
        report.sort();
        assert_eq!(report, expected);

        let rebuilt = text(
            "SELECT concat_ws(' ', blocks_applied, events_applied, blocks_skipped, blocks_dropped)
               FROM event_processor.rebuild()",
        );
        let events: usize = blocks[..80].iter().map(|b| b.events.len()).sum();
        assert_eq!(rebuilt, format!("80 {events} 0 0"));
        assert_eq!(dump_state(), dumps[80], "rebuilt = processed from scratch");
        assert_eq!(verify_report(), Vec::<String>::new());
        for i in (75..80).rev() {
            Spi::run(&format!(
                "SELECT event_processor.revert_block('{}')",
                blocks[i].hash
            ))
            .unwrap();
            assert_eq!(dump_state(), dumps[i], "revert after rebuild, block {i}");
        }
    }
}
