#[pgrx::pg_schema]
mod tests {
    use crate::pgrx_tests_suite::support::{
        commit_point, create_indexer_tables, dump_state, insert_block, insert_block_events,
        sqlstate_of,
    };
    use crate::pgrx_tests_suite::worked_example as wx;
    use pgrx::prelude::*;

    /// Inserts worked-example blocks `range` through the trigger path.
    fn through_trigger(range: std::ops::Range<usize>) {
        for block in &wx::blocks()[range] {
            insert_block(block);
            insert_block_events(block.number);
            commit_point();
        }
    }

    /// Processes the blocks again by hand (after reverting them) and returns that state.
    fn reprocessed_by_hand(after: u64) -> Vec<String> {
        Spi::run(&format!(
            "SELECT event_processor.revert_to({})",
            wx::blocks()[0].number - 1
        ))
        .unwrap();
        for block in wx::blocks().iter().filter(|b| b.number <= after) {
            Spi::run(&format!(
                "SELECT event_processor.process_block({}::numeric)",
                block.number
            ))
            .unwrap();
        }
        dump_state()
    }

    /// An indexer role with rights on its own tables only: its inserts are processed by the
    /// SECURITY DEFINER triggers, and it cannot call the mutating functions (42501). The
    /// reader role reads the state and status() and cannot change anything.
    #[pg_test]
    fn a_non_superuser_indexer_is_processed_and_the_functions_are_not_public() {
        create_indexer_tables();
        Spi::run(
            "CREATE ROLE ep_indexer NOLOGIN;
             GRANT USAGE ON SCHEMA public TO ep_indexer;
             GRANT SELECT, INSERT, UPDATE, DELETE ON public.starknet_blocks, public.events TO ep_indexer;
             CREATE ROLE ep_dashboard NOLOGIN IN ROLE event_processor_reader;",
        )
        .unwrap();
        Spi::run("SET ROLE ep_indexer").unwrap();
        through_trigger(0..4);
        for call in [
            "SELECT event_processor.process_block(13::numeric)",
            "SELECT event_processor.revert_block('0xb13')",
            "SELECT event_processor.revert_to(10)",
            "SELECT * FROM event_processor.process_pending()",
            "SELECT * FROM event_processor.retry_block('0xb13')",
            "SELECT * FROM event_processor.skip_block('0xb13')",
            "SELECT event_processor.process_block_from_trigger('0xb13')",
            "SELECT count(*) FROM public.\"VaultStates\"",
        ] {
            let state = sqlstate_of(call).unwrap_or_default();
            assert!(
                state.starts_with("42501: permission denied"),
                "{call}: {state}"
            );
        }
        Spi::run("RESET ROLE").unwrap();
        assert_eq!(
            Spi::get_one::<i64>("SELECT count(*) FROM event_processor.applied_blocks").unwrap(),
            Some(4)
        );
        let through_indexer = dump_state();
        assert!(!through_indexer.is_empty());

        Spi::run("SET ROLE ep_dashboard").unwrap();
        assert_eq!(
            Spi::get_one::<i64>("SELECT count(*) FROM public.\"VaultStates\"").unwrap(),
            Some(1)
        );
        assert_eq!(
            Spi::get_one::<String>(
                "SELECT newest_applied_block::text FROM event_processor.status()"
            )
            .unwrap()
            .as_deref(),
            Some("13")
        );
        for call in [
            "SELECT event_processor.revert_to(10)",
            "UPDATE public.\"VaultStates\" SET unlocked_balance = 0",
        ] {
            let state = sqlstate_of(call).unwrap_or_default();
            assert!(
                state.starts_with("42501: permission denied"),
                "{call}: {state}"
            );
        }
        Spi::run("RESET ROLE").unwrap();
        assert_eq!(reprocessed_by_hand(13), through_indexer);
    }

    /// A search_path that puts look-alike functions before pg_catalog (multi-array unnest in
    /// FROM calls unnest(text[]) by name) changes nothing: processing pins its own path.
    #[pg_test]
    fn a_hostile_search_path_cannot_hijack_processing() {
        create_indexer_tables();
        Spi::run(
            "CREATE SCHEMA evil;
             CREATE FUNCTION evil.unnest(text[]) RETURNS SETOF text LANGUAGE sql
                 AS $$ SELECT 'hijacked'::text $$;
             CREATE FUNCTION evil.jsonb_populate_recordset(anyelement, jsonb) RETURNS SETOF anyelement
                 LANGUAGE sql AS $$ SELECT $1 $$;
             SET search_path = evil, pg_catalog, public",
        )
        .unwrap();
        // The look-alike is what an unpinned query would call.
        assert_eq!(
            Spi::get_one::<String>("SELECT u FROM unnest(ARRAY['a']::text[]) u")
                .unwrap()
                .as_deref(),
            Some("hijacked")
        );
        through_trigger(0..wx::blocks().len());
        Spi::run("SELECT event_processor.revert_to(20)").unwrap();
        let hostile = dump_state();
        Spi::run("RESET search_path").unwrap();
        assert_eq!(reprocessed_by_hand(20), hostile);
    }
}
