//! The kept statements' plans (src/store/hints.rs): a keyed write planned while its table is
//! small must still probe the key index once the table is large.

#[pgrx::pg_schema]
mod tests {
    use crate::protocol::tables::Table;
    use crate::store::hints::keyed_lookup;
    use crate::store::{table_statement, TableOp};
    use crate::transaction::unless_duplicate;
    use pgrx::prelude::*;

    /// The generic plan of the option buyers' keyed update, prepared as `name` and planned
    /// now (plan_cache_mode = force_generic_plan), as the kept statement's would be.
    fn generic_plan_of_buyers_update(name: &str) -> String {
        let sql = table_statement(Table::OptionBuyers, TableOp::Update);
        Spi::run(&format!(
            "PREPARE {name}(text[], text[], text[], text[], text[], text[]) AS {sql}"
        ))
        .unwrap();
        let mut lines = Vec::new();
        Spi::connect(|client| {
            let explain = format!(
                "EXPLAIN (COSTS OFF) EXECUTE {name}('{{0xb1}}', '{{0x1a1}}', '{{true}}', '{{false}}', '{{1}}', '{{2}}')"
            );
            for row in client.select(&explain, None, &[]).expect("explain") {
                lines.push(row.get::<String>(1).expect("plan line").expect("not null"));
            }
        });
        Spi::run(&format!("DEALLOCATE {name}")).unwrap();
        lines.join("\n")
    }

    fn setting(name: &str) -> Option<String> {
        Spi::get_one_with_args::<String>("SELECT current_setting($1)", &[name.into()]).unwrap()
    }

    /// Statistics of a young table (as autovacuum takes them after its first 50 rows): the
    /// planner's own choice reads the whole table; under keyed_lookup it probes the key index.
    #[pg_test]
    fn a_keyed_update_planned_on_a_small_table_probes_the_key_index() {
        Spi::run(
            "INSERT INTO \"Option_Buyers\" (address, round_address)
             VALUES ('0xb1', '0x1a1'), ('0xb2', '0x1a1');
             ANALYZE \"Option_Buyers\";
             SET LOCAL plan_cache_mode = force_generic_plan",
        )
        .unwrap();
        let unhinted = generic_plan_of_buyers_update("buyers_update_unhinted");
        assert!(
            unhinted.contains("Seq Scan") || unhinted.contains("Hash Join"),
            "control: the planner alone reads the whole table:\n{unhinted}"
        );
        let hinted = keyed_lookup(|| generic_plan_of_buyers_update("buyers_update_hinted"));
        assert!(
            hinted.contains("Nested Loop") && hinted.contains("Index Scan using"),
            "one index probe per key:\n{hinted}"
        );
        assert!(
            !hinted.contains("Seq Scan") && !hinted.contains("Hash"),
            "nothing reads the whole table:\n{hinted}"
        );
        for name in ["enable_seqscan", "enable_hashjoin", "enable_mergejoin"] {
            assert_eq!(setting(name).as_deref(), Some("on"), "{name} is back");
        }
    }

    /// An ERROR inside keyed_lookup (here a unique violation, which unless_duplicate turns
    /// into `false`) leaves the settings to the subtransaction's rollback, which puts them back.
    #[pg_test]
    fn an_error_under_keyed_lookup_puts_the_settings_back() {
        Spi::run("INSERT INTO \"Option_Buyers\" (address, round_address) VALUES ('0xb1', '0x1a1')")
            .unwrap();
        let inserted = unless_duplicate(|| {
            keyed_lookup(|| {
                assert_eq!(setting("enable_hashjoin").as_deref(), Some("off"));
                Spi::run(
                    "INSERT INTO \"Option_Buyers\" (address, round_address) VALUES ('0xb1', '0x1a1')",
                )
            })
        })
        .unwrap();
        assert!(!inserted, "the duplicate was refused");
        for name in ["enable_seqscan", "enable_hashjoin", "enable_mergejoin"] {
            assert_eq!(setting(name).as_deref(), Some("on"), "{name} is back");
        }
        assert_eq!(
            Spi::get_one::<i64>("SELECT count(*) FROM \"Option_Buyers\"").unwrap(),
            Some(1),
            "the first row stays, the refused one is gone"
        );
    }
}
