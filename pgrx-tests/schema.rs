#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    /// Columns of a public table in ordinal order, rendered from information_schema as
    /// `name type[(len|p,s)][ NOT NULL][ DEFAULT d]`.
    fn columns(table: &str) -> Vec<String> {
        let rendered = Spi::get_one_with_args::<String>(
            "SELECT string_agg(
                 column_name || ' ' || data_type
                 || CASE WHEN character_maximum_length IS NOT NULL
                             THEN '(' || character_maximum_length || ')'
                         WHEN data_type = 'numeric' AND numeric_precision IS NOT NULL
                             THEN '(' || numeric_precision || ',' || numeric_scale || ')'
                         ELSE '' END
                 || CASE WHEN is_nullable = 'NO' THEN ' NOT NULL' ELSE '' END
                 || coalesce(' DEFAULT ' || column_default, ''),
                 '|' ORDER BY ordinal_position)
               FROM information_schema.columns
              WHERE table_schema = 'public' AND table_name = $1",
            &[table.into()],
        )
        .expect("columns query");
        rendered
            .unwrap_or_default()
            .split('|')
            .map(str::to_string)
            .collect()
    }

    /// `constraint_name(col, col)` of the table's primary key.
    fn primary_key(table: &str) -> Option<String> {
        Spi::get_one_with_args::<String>(
            "SELECT tc.constraint_name || '(' ||
                    string_agg(kcu.column_name, ', ' ORDER BY kcu.ordinal_position) || ')'
               FROM information_schema.table_constraints tc
               JOIN information_schema.key_column_usage kcu
                 ON kcu.constraint_schema = tc.constraint_schema
                AND kcu.constraint_name = tc.constraint_name
              WHERE tc.table_schema = 'public' AND tc.table_name = $1
                AND tc.constraint_type = 'PRIMARY KEY'
              GROUP BY tc.constraint_name",
            &[table.into()],
        )
        .expect("primary key query")
    }

    const N: &str = "numeric(78,0)";

    fn expect(table: &str, pk: &str, expected: &[String]) {
        assert_eq!(columns(table), expected, "columns of {table}");
        assert_eq!(
            primary_key(table).as_deref(),
            Some(pk),
            "primary key of {table}"
        );
    }

    fn cols(spec: &[&str]) -> Vec<String> {
        spec.iter()
            .map(|c| c.replace("{N}", N).replace("{VC}", "character varying"))
            .collect()
    }

    /// The client tests boot the shared server through this one.
    #[pg_test]
    fn extension_is_installed_in_its_schema() {
        let functions = Spi::get_one::<String>(
            "SELECT string_agg(p.proname, ', ' ORDER BY p.proname)
               FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
               JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'event_processor'
              WHERE p.pronamespace = 'event_processor'::regnamespace",
        )
        .unwrap();
        assert_eq!(
            functions.as_deref(),
            Some(
                "attach_block_triggers, create_indexer_tables, decode_event, notify_bare, notify_bids, \
                 notify_wrapped, on_block_inserted, on_block_left_chain, process_block, process_block, \
                 process_block_from_trigger, process_driver_events, process_next_driver_event, process_pending, \
                 prune_journal, rebuild, retry_block, revert_block, revert_block_from_trigger, revert_to, skip_block, status, verify, \
                 wake_state"
            )
        );
    }

    /// Spec §5.1, column by column, in migration order.
    #[pg_test]
    fn state_tables_match_the_spec() {
        expect(
            "VaultStates",
            "VaultStates_pkey(address)",
            &cols(&[
                "unlocked_balance {N}",
                "locked_balance {N}",
                "current_round {N}",
                "current_round_address {VC}",
                "stashed_balance {N}",
                "address {VC} NOT NULL",
                "latest_block {N}",
                "fossil_client_address {VC}",
                "eth_address {VC}",
                "option_round_class_hash {VC}",
                "alpha {N}",
                "strike_level {N}",
                "round_transition_period {N}",
                "auction_duration {N}",
                "round_duration {N}",
                "deployment_date {N}",
            ]),
        );
        expect(
            "Liquidity_Providers",
            "Liquidity_Providers_pkey(address, vault_address)",
            &cols(&[
                "address {VC} NOT NULL",
                "vault_address {VC} NOT NULL",
                "stashed_balance {N}",
                "locked_balance {N}",
                "unlocked_balance {N}",
                "latest_block {N}",
            ]),
        );
        expect(
            "Liquidity_Providers_Historic",
            "Liquidity_Providers_Historic_pkey(address, vault_address, block_number)",
            &cols(&[
                "address {VC} NOT NULL",
                "vault_address {VC} NOT NULL",
                "stashed_balance {N}",
                "locked_balance {N}",
                "unlocked_balance {N}",
                "block_number {N} NOT NULL",
            ]),
        );
        expect(
            "Vault_Historic",
            "Vault_Historic_pkey(address, block_number)",
            &cols(&[
                "unlocked_balance {N}",
                "locked_balance {N}",
                "stashed_balance {N}",
                "address {VC} NOT NULL",
                "block_number {N} NOT NULL",
            ]),
        );
        expect(
            "Option_Rounds",
            "Option_Rounds_pkey(address)",
            &cols(&[
                "address {VC} NOT NULL",
                "available_options {N} DEFAULT 0",
                "clearing_price {N}",
                "settlement_price {N}",
                "reserve_price {N}",
                "strike_price {N}",
                "sold_options {N}",
                "deployment_date {N}",
                "state {VC}(10)",
                "premiums {N}",
                "vault_address {VC}",
                "round_id {N}",
                "cap_level {N}",
                "unsold_liquidity {N}",
                "starting_liquidity {N}",
                "queued_liquidity {N}",
                "remaining_liquidity {N}",
                "payout_per_option {N}",
                "start_date {N}",
                "end_date {N}",
                "settlement_date {N}",
            ]),
        );
        expect(
            "Queued_Liquidity",
            "lp_round_address(address, round_address)",
            &cols(&[
                "address {VC} NOT NULL",
                "queued_liquidity {N} NOT NULL",
                "bps {N} NOT NULL",
                "round_address {VC} NOT NULL",
            ]),
        );
        expect(
            "Option_Buyers",
            "buyer_round(address, round_address)",
            &cols(&[
                "address {VC} NOT NULL",
                "round_address {VC} NOT NULL",
                "has_minted boolean NOT NULL DEFAULT false",
                "has_refunded boolean NOT NULL DEFAULT false",
                "mintable_options {N}",
                "refundable_amount {N}",
            ]),
        );
        expect(
            "Bids",
            "round_address_bid_id(round_address, bid_id)",
            &cols(&[
                "buyer_address {VC}",
                "round_address {VC} NOT NULL",
                "bid_id {VC} NOT NULL",
                "tree_nonce numeric",
                "amount numeric",
                "price numeric",
            ]),
        );
    }

    #[pg_test]
    fn queued_liquidity_references_rounds_not_valid() {
        let fk = Spi::get_one::<String>(
            "SELECT pg_get_constraintdef(oid) || ' valid=' || convalidated
               FROM pg_constraint
              WHERE conrelid = 'public.\"Queued_Liquidity\"'::regclass AND contype = 'f'",
        )
        .unwrap();
        assert_eq!(
            fk.as_deref(),
            Some("FOREIGN KEY (round_address) REFERENCES \"Option_Rounds\"(address) NOT VALID valid=false")
        );
    }

    /// Spec §5.2: trigger names, tables, timing and channels.
    #[pg_test]
    fn notification_triggers_match_the_spec() {
        let triggers = Spi::get_one::<String>(
            "SELECT string_agg(format('%s %s %s %s', t.tgname, c.relname,
                                      CASE WHEN t.tgtype & 4 <> 0 THEN 'INSERT' ELSE 'UPDATE' END,
                                      encode(t.tgargs, 'escape')), ', ' ORDER BY t.tgname)
               FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
              WHERE NOT t.tgisinternal AND c.relnamespace = 'public'::regnamespace",
        )
        .unwrap();
        assert_eq!(
            triggers.as_deref(),
            Some(
                "bids_insert_trigger Bids INSERT bids_update\\000, \
                 bids_update_trigger Bids UPDATE bids_update\\000, \
                 lp_update Liquidity_Providers UPDATE lp_update\\000, \
                 ob_update Option_Buyers UPDATE ob_update\\000, \
                 or_insert Option_Rounds INSERT or_update\\000, \
                 or_update Option_Rounds UPDATE or_update\\000, \
                 vault_insert_trigger VaultStates INSERT vault_insert\\000, \
                 vault_update VaultStates UPDATE vault_update\\000"
            )
        );
    }

    #[pg_test]
    fn indexer_tables_are_created_once_and_not_owned_by_the_extension() {
        let created =
            Spi::get_one::<Vec<String>>("SELECT event_processor.create_indexer_tables(true)")
                .unwrap()
                .unwrap();
        assert_eq!(
            created,
            [
                "starknet_blocks",
                "events",
                "vault_registry",
                "driver_events"
            ]
        );
        let again = Spi::get_one::<Vec<String>>("SELECT event_processor.create_indexer_tables()")
            .unwrap()
            .unwrap();
        assert!(again.is_empty(), "second call creates nothing: {again:?}");
        let members = Spi::get_one::<i64>(
            "SELECT count(*) FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
              WHERE e.extname = 'event_processor' AND d.deptype = 'e'
                AND d.classid = 'pg_class'::regclass
                AND d.objid IN ('public.starknet_blocks'::regclass, 'public.events'::regclass,
                                'public.vault_registry'::regclass, 'public.driver_events'::regclass)",
        )
        .unwrap();
        assert_eq!(members, Some(0));
        let has_from = Spi::get_one::<bool>(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns
                             WHERE table_name = 'events' AND column_name = 'from_address')",
        )
        .unwrap();
        assert_eq!(has_from, Some(true));
    }
}
