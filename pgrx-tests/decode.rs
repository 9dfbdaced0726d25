#[pgrx::pg_schema]
mod tests {
    use crate::pgrx_tests_suite::support::{create_indexer_tables, insert_event, sqlstate_of};
    use crate::pgrx_tests_suite::worked_example as wx;
    use pgrx::prelude::*;
    use pgrx::JsonB;

    fn decoded_row(nonce: i64) -> serde_json::Value {
        Spi::get_one_with_args::<JsonB>(
            "SELECT event_processor.decode_event(event_name, event_keys, event_data)
               FROM public.events WHERE vault_address = $1 AND event_nonce = $2",
            &[wx::VAULT.into(), nonce.into()],
        )
        .expect("decode_event")
        .expect("a row")
        .0
    }

    /// decode_event over the worked example's rows as the indexer stores them (spec §7.2):
    /// varchar(256)[] columns straight from `events`.
    #[pg_test]
    fn decode_event_reads_worked_example_rows() {
        create_indexer_tables();
        wx::events().iter().for_each(insert_event);

        let deployed = decoded_row(1);
        assert_eq!(deployed["event"], "ContractDeployed");
        assert_eq!(deployed["address"], "0x7a11");
        assert_eq!(deployed["alpha"], "5000");
        assert_eq!(deployed["round_duration"], "1000");

        assert_eq!(decoded_row(3)["account_unlocked_balance_now"], "320");
        assert_eq!(decoded_row(4)["vault_unlocked_balance_now"], "520");
        assert_eq!(decoded_row(7)["options_available"], "10");
        let ended = decoded_row(12);
        assert_eq!(
            (
                &ended["options_sold"],
                &ended["clearing_price"],
                &ended["unsold_liquidity"]
            ),
            (&"10".into(), &"3".into(), &"20".into())
        );
        assert_eq!(decoded_row(13)["account_queued_liquidity_now"], "160");
        assert_eq!(decoded_row(17)["address"], "0x1a2");
        assert_eq!(decoded_row(20)["exercised_amount"], "80");

        let all_decode = Spi::get_one::<i64>(
            "SELECT count(event_processor.decode_event(event_name, event_keys, event_data))
               FROM public.events",
        )
        .unwrap();
        assert_eq!(all_decode, Some(wx::events().len() as i64));
    }

    #[pg_test]
    fn decode_event_errors_carry_sqlstates() {
        let deposit = format!("ARRAY['{}', '0xa1']", wx::SEL_DEPOSIT);
        let call = |keys: &str, data: &str| {
            sqlstate_of(&format!(
                "SELECT event_processor.decode_event('Deposit', {keys}, {data})"
            ))
        };
        assert_eq!(
            call(&deposit, "ARRAY['0x140','0xzz','0x140','0x0','0x140','0x0']").as_deref(),
            Some("22P02: Deposit: field amount.high (data[1] = \"0xzz\"): \"0xzz\" is not a hex felt (expected 0x followed by 1 to 64 hex digits)")
        );
        let over = format!("0x1{}", "0".repeat(32));
        assert_eq!(
            call(&deposit, &format!("ARRAY['{over}','0x0','0x140','0x0','0x140','0x0']")).as_deref(),
            Some(format!("22003: Deposit: field amount.low (data[0] = \"{over}\"): {over} does not fit in u128").as_str())
        );
        assert_eq!(
            call(&deposit, "ARRAY['0x140']").as_deref(),
            Some("22000: Deposit: expected 6 data felts, got 1")
        );
        assert_eq!(
            call(
                &format!("ARRAY['{}', '0xa1']", wx::SEL_WITHDRAWAL),
                "ARRAY['0x1','0x0','0x1','0x0','0x1','0x0']"
            )
            .as_deref()
            .map(|s| s.starts_with("22000: Deposit: keys[0] is 0x2eed7e29")),
            Some(true)
        );
        assert_eq!(
            call(&deposit, "ARRAY['0x140',NULL,'0x140','0x0','0x140','0x0']").as_deref(),
            Some("22004: Deposit: data[1] is NULL")
        );
        // NULL arguments give NULL (the function is STRICT), unknown events decode as ignored.
        assert_eq!(
            sqlstate_of("SELECT event_processor.decode_event('Deposit', NULL, '{}')"),
            None
        );
        let ignored = Spi::get_one::<JsonB>(
            "SELECT event_processor.decode_event('Transfer', ARRAY['0x1'], ARRAY[]::text[])",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            ignored.0,
            serde_json::json!({"event": "Transfer", "ignored": true})
        );
    }
}
