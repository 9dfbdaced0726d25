//! The `Store` of the database: state rows read and written through SPI with kept plans.

mod plans;
pub mod rows;

use crate::protocol::state::{
    Bid, LiquidityProvider, LpRoundDeposit, OptionBuyer, OptionRound, QueuedLiquidity, Vault,
};
use crate::protocol::tables::Table;
use crate::protocol::{EventKey, LpSnapshot, Store, StoreError, StoreResult, VaultSnapshot};
use pgrx::datum::DatumWithOid;
use pgrx::spi::SpiClient;
use plans::with_plan;
pub use plans::{Plan, PlanKey, TableOp};
pub use rows::Columns;
use std::collections::HashSet;

pub struct SpiStore<'a, 'conn> {
    client: &'a SpiClient<'conn>,
    /// The block whose journal receives before-images, and the rows it already holds (so a
    /// row updated many times in a block is journaled by one statement, once).
    block: String,
    journaled: HashSet<(Table, Vec<String>)>,
}

type Arg = Option<String>;

pub fn t(value: impl ToString) -> Arg {
    Some(value.to_string())
}

fn spi_error(e: pgrx::spi::Error) -> StoreError {
    StoreError(e.to_string())
}

impl<'a, 'conn> SpiStore<'a, 'conn> {
    pub fn new(client: &'a SpiClient<'conn>) -> Self {
        SpiStore {
            client,
            block: String::new(),
            journaled: HashSet::new(),
        }
    }

    /// Records the before-images of the rows with these keys (key columns in table order)
    /// that this block has not journaled yet (spec §4.2). One statement for the whole set.
    fn journal(&mut self, table: Table, keys: Vec<Vec<String>>) -> StoreResult<()> {
        let fresh: Vec<Vec<String>> = keys
            .into_iter()
            .filter(|k| self.journaled.insert((table, k.clone())))
            .collect();
        if fresh.is_empty() {
            return Ok(());
        }
        let mut args = vec![DatumWithOid::from(Some(self.block.clone()))];
        args.extend(arrays(columns(&fresh, table.info().key.len(), |k| {
            k.clone()
        })));
        self.execute(PlanKey::Table(table, TableOp::Journal), args)
            .map(drop)
    }

    /// Executes `plan` with text arguments; returns the rows mapped by `read`.
    pub fn rows<R>(
        &mut self,
        plan: Plan,
        args: Vec<Option<String>>,
        read: fn(&mut Columns) -> StoreResult<R>,
    ) -> StoreResult<Vec<R>> {
        self.query(plan, texts(args), "event_processor", read)
    }

    /// Executes `plan`; returns the rows mapped by `read`.
    fn query<R>(
        &mut self,
        plan: Plan,
        args: Vec<DatumWithOid<'static>>,
        table: &'static str,
        read: fn(&mut Columns) -> StoreResult<R>,
    ) -> StoreResult<Vec<R>> {
        let client = self.client;
        with_plan(client, plan, |statement| {
            let table_rows = client.select(statement, None, &args)?;
            Ok(table_rows
                .map(|row| read(&mut Columns::new(&row, table)))
                .collect::<Vec<_>>())
        })
        .map_err(spi_error)?
        .into_iter()
        .collect()
    }

    fn one<R>(
        &mut self,
        plan: Plan,
        args: Vec<DatumWithOid<'static>>,
        table: &'static str,
        read: fn(&mut Columns) -> StoreResult<R>,
    ) -> StoreResult<Option<R>> {
        Ok(self.query(plan, args, table, read)?.into_iter().next())
    }

    /// Executes a writing `plan`; returns the number of rows it returned (RETURNING) or 0.
    pub fn execute(
        &mut self,
        plan: impl Into<PlanKey>,
        args: Vec<DatumWithOid<'static>>,
    ) -> StoreResult<usize> {
        let client = self.client;
        with_plan(client, plan, |statement| {
            Ok(client.select(statement, None, &args)?.len())
        })
        .map_err(spi_error)
    }
}

pub fn texts(values: Vec<Arg>) -> Vec<DatumWithOid<'static>> {
    values.into_iter().map(DatumWithOid::from).collect()
}

fn arrays(columns: Vec<Vec<String>>) -> Vec<DatumWithOid<'static>> {
    columns.into_iter().map(DatumWithOid::from).collect()
}

fn vault_args(v: &Vault) -> Vec<DatumWithOid<'static>> {
    texts(vec![
        t(&v.address),
        t(&v.unlocked_balance),
        t(&v.locked_balance),
        t(&v.stashed_balance),
        t(v.current_round),
        v.current_round_address.clone(),
        t(v.latest_block),
        t(&v.fossil_client_address),
        t(&v.eth_address),
        t(&v.option_round_class_hash),
        t(v.alpha),
        t(v.strike_level),
        t(v.round_transition_period),
        t(v.auction_duration),
        t(v.round_duration),
        t(v.deployment_date),
    ])
}

fn round_args(r: &OptionRound) -> Vec<DatumWithOid<'static>> {
    texts(vec![
        t(&r.address),
        t(&r.vault_address),
        t(r.round_id),
        t(r.state),
        t(&r.available_options),
        t(&r.clearing_price),
        t(&r.settlement_price),
        t(&r.reserve_price),
        t(&r.strike_price),
        t(&r.sold_options),
        t(r.deployment_date),
        t(&r.premiums),
        t(r.cap_level),
        t(&r.unsold_liquidity),
        t(&r.starting_liquidity),
        t(&r.queued_liquidity),
        t(&r.remaining_liquidity),
        t(&r.payout_per_option),
        t(r.start_date),
        t(r.end_date),
        t(r.settlement_date),
    ])
}

fn queued_args(q: &QueuedLiquidity) -> Vec<DatumWithOid<'static>> {
    texts(vec![
        t(&q.address),
        t(&q.round_address),
        t(q.bps),
        t(&q.queued_liquidity),
    ])
}

fn bid_args(b: &Bid) -> Vec<DatumWithOid<'static>> {
    texts(vec![
        t(&b.buyer_address),
        t(&b.round_address),
        t(&b.bid_id),
        t(b.tree_nonce),
        t(&b.amount),
        t(&b.price),
    ])
}

/// Transposes rows into one text[] per column (for `unnest` batch statements).
fn columns<R>(rows: &[R], width: usize, cells: impl Fn(&R) -> Vec<String>) -> Vec<Vec<String>> {
    let mut out = vec![Vec::with_capacity(rows.len()); width];
    for row in rows {
        for (column, cell) in out.iter_mut().zip(cells(row)) {
            column.push(cell);
        }
    }
    out
}

impl Store for SpiStore<'_, '_> {
    fn journal_block(&mut self, block_hash: &str) -> StoreResult<()> {
        if self.block != block_hash {
            self.block = block_hash.to_string();
            self.journaled.clear();
        }
        Ok(())
    }

    fn vault(&mut self, address: &str) -> StoreResult<Option<Vault>> {
        self.one(
            Plan::VaultSelect,
            texts(vec![t(address)]),
            "VaultStates",
            rows::vault,
        )
    }
    fn insert_vault(&mut self, vault: &Vault) -> StoreResult<()> {
        self.journal(Table::Vaults, vec![vec![vault.address.clone()]])?;
        self.execute(Plan::VaultInsert, vault_args(vault)).map(drop)
    }
    fn update_vault(&mut self, vault: &Vault) -> StoreResult<()> {
        self.journal(Table::Vaults, vec![vec![vault.address.clone()]])?;
        self.execute(Plan::VaultUpdate, vault_args(vault)).map(drop)
    }

    fn liquidity_provider(
        &mut self,
        address: &str,
        vault: &str,
    ) -> StoreResult<Option<LiquidityProvider>> {
        self.one(
            Plan::LpSelect,
            texts(vec![t(address), t(vault)]),
            "Liquidity_Providers",
            rows::liquidity_provider,
        )
    }
    fn liquidity_providers(&mut self, vault: &str) -> StoreResult<Vec<LiquidityProvider>> {
        self.query(
            Plan::LpsOfVault,
            texts(vec![t(vault)]),
            "Liquidity_Providers",
            rows::liquidity_provider,
        )
    }
    fn insert_liquidity_provider(&mut self, lp: &LiquidityProvider) -> StoreResult<()> {
        self.journal(
            Table::LiquidityProviders,
            vec![vec![lp.address.clone(), lp.vault_address.clone()]],
        )?;
        let args = texts(vec![
            t(&lp.address),
            t(&lp.vault_address),
            t(&lp.stashed_balance),
            t(&lp.locked_balance),
            t(&lp.unlocked_balance),
            t(lp.latest_block),
        ]);
        self.execute(Plan::LpInsert, args).map(drop)
    }
    fn update_liquidity_providers(&mut self, lps: &[LiquidityProvider]) -> StoreResult<()> {
        let keys = lps
            .iter()
            .map(|lp| vec![lp.address.clone(), lp.vault_address.clone()])
            .collect();
        self.journal(Table::LiquidityProviders, keys)?;
        let cols = columns(lps, 6, |lp| {
            vec![
                lp.address.clone(),
                lp.vault_address.clone(),
                lp.stashed_balance.to_string(),
                lp.locked_balance.to_string(),
                lp.unlocked_balance.to_string(),
                lp.latest_block.to_string(),
            ]
        });
        self.execute(Plan::LpsUpdate, arrays(cols)).map(drop)
    }

    fn round(&mut self, address: &str) -> StoreResult<Option<OptionRound>> {
        self.one(
            Plan::RoundSelect,
            texts(vec![t(address)]),
            "Option_Rounds",
            rows::round,
        )
    }
    fn round_by_id(&mut self, vault: &str, round_id: u64) -> StoreResult<Option<OptionRound>> {
        self.one(
            Plan::RoundById,
            texts(vec![t(vault), t(round_id)]),
            "Option_Rounds",
            rows::round,
        )
    }
    fn rounds_of_vault(&mut self, vault: &str) -> StoreResult<Vec<OptionRound>> {
        self.query(
            Plan::RoundsOfVault,
            texts(vec![t(vault)]),
            "Option_Rounds",
            rows::round,
        )
    }
    fn insert_round(&mut self, round: &OptionRound) -> StoreResult<()> {
        self.journal(Table::Rounds, vec![vec![round.address.clone()]])?;
        self.execute(Plan::RoundInsert, round_args(round)).map(drop)
    }
    fn update_round(&mut self, round: &OptionRound) -> StoreResult<()> {
        self.journal(Table::Rounds, vec![vec![round.address.clone()]])?;
        self.execute(Plan::RoundUpdate, round_args(round)).map(drop)
    }

    fn queued_liquidity(&mut self, lp: &str, round: &str) -> StoreResult<Option<QueuedLiquidity>> {
        self.one(
            Plan::QueuedSelect,
            texts(vec![t(lp), t(round)]),
            "Queued_Liquidity",
            rows::queued,
        )
    }
    fn insert_queued_liquidity(&mut self, queued: &QueuedLiquidity) -> StoreResult<()> {
        self.journal(
            Table::QueuedLiquidity,
            vec![vec![queued.address.clone(), queued.round_address.clone()]],
        )?;
        self.execute(Plan::QueuedInsert, queued_args(queued))
            .map(drop)
    }
    fn update_queued_liquidity(&mut self, queued: &QueuedLiquidity) -> StoreResult<()> {
        self.journal(
            Table::QueuedLiquidity,
            vec![vec![queued.address.clone(), queued.round_address.clone()]],
        )?;
        self.execute(Plan::QueuedUpdate, queued_args(queued))
            .map(drop)
    }
    fn queued_liquidity_of_round(&mut self, round: &str) -> StoreResult<Vec<QueuedLiquidity>> {
        self.query(
            Plan::QueuedOfRound,
            texts(vec![t(round)]),
            "Queued_Liquidity",
            rows::queued,
        )
    }

    fn option_buyer(&mut self, address: &str, round: &str) -> StoreResult<Option<OptionBuyer>> {
        self.one(
            Plan::BuyerSelect,
            texts(vec![t(address), t(round)]),
            "Option_Buyers",
            rows::buyer,
        )
    }
    fn option_buyers_of_round(&mut self, round: &str) -> StoreResult<Vec<OptionBuyer>> {
        self.query(
            Plan::BuyersOfRound,
            texts(vec![t(round)]),
            "Option_Buyers",
            rows::buyer,
        )
    }
    fn insert_option_buyer(&mut self, b: &OptionBuyer) -> StoreResult<()> {
        self.journal(
            Table::OptionBuyers,
            vec![vec![b.address.clone(), b.round_address.clone()]],
        )?;
        let args = texts(vec![
            t(&b.address),
            t(&b.round_address),
            t(b.has_minted),
            t(b.has_refunded),
            t(&b.mintable_options),
            t(&b.refundable_amount),
        ]);
        self.execute(Plan::BuyerInsert, args).map(drop)
    }
    fn update_option_buyers(&mut self, buyers: &[OptionBuyer]) -> StoreResult<()> {
        if buyers.is_empty() {
            return Ok(());
        }
        let keys = buyers
            .iter()
            .map(|b| vec![b.address.clone(), b.round_address.clone()])
            .collect();
        self.journal(Table::OptionBuyers, keys)?;
        let cols = columns(buyers, 6, |b| {
            vec![
                b.address.clone(),
                b.round_address.clone(),
                b.has_minted.to_string(),
                b.has_refunded.to_string(),
                b.mintable_options.to_string(),
                b.refundable_amount.to_string(),
            ]
        });
        self.execute(Plan::BuyersUpdate, arrays(cols)).map(drop)
    }

    fn bid(&mut self, round: &str, bid_id: &str) -> StoreResult<Option<Bid>> {
        self.one(
            Plan::BidSelect,
            texts(vec![t(round), t(bid_id)]),
            "Bids",
            rows::bid,
        )
    }
    fn bids_of_round(&mut self, round: &str) -> StoreResult<Vec<Bid>> {
        self.query(Plan::BidsOfRound, texts(vec![t(round)]), "Bids", rows::bid)
    }
    fn insert_bid(&mut self, bid: &Bid) -> StoreResult<()> {
        self.journal(
            Table::Bids,
            vec![vec![bid.round_address.clone(), bid.bid_id.clone()]],
        )?;
        self.execute(Plan::BidInsert, bid_args(bid)).map(drop)
    }
    fn update_bid(&mut self, bid: &Bid) -> StoreResult<()> {
        self.journal(
            Table::Bids,
            vec![vec![bid.round_address.clone(), bid.bid_id.clone()]],
        )?;
        self.execute(Plan::BidUpdate, bid_args(bid)).map(drop)
    }

    fn lp_round_deposits(&mut self, round: &str) -> StoreResult<Vec<LpRoundDeposit>> {
        self.query(
            Plan::DepositsOfRound,
            texts(vec![t(round)]),
            "lp_round_deposits",
            rows::deposit,
        )
    }
    fn insert_lp_round_deposits(&mut self, deposits: &[LpRoundDeposit]) -> StoreResult<()> {
        if deposits.is_empty() {
            return Ok(());
        }
        let keys = deposits
            .iter()
            .map(|d| vec![d.round_address.clone(), d.lp_address.clone()])
            .collect();
        self.journal(Table::LpRoundDeposits, keys)?;
        let cols = columns(deposits, 4, |d| {
            vec![
                d.round_address.clone(),
                d.lp_address.clone(),
                d.vault_address.clone(),
                d.starting_deposit.to_string(),
            ]
        });
        self.execute(Plan::DepositsInsert, arrays(cols)).map(drop)
    }

    fn upsert_vault_snapshots(&mut self, rows: &[VaultSnapshot]) -> StoreResult<()> {
        let keys = rows
            .iter()
            .map(|r| vec![r.vault.clone(), r.block.to_string()])
            .collect();
        self.journal(Table::VaultHistory, keys)?;
        let cols = columns(rows, 5, |r| {
            vec![
                r.balances.unlocked.to_string(),
                r.balances.locked.to_string(),
                r.balances.stashed.to_string(),
                r.vault.clone(),
                r.block.to_string(),
            ]
        });
        self.execute(Plan::VaultSnapshots, arrays(cols)).map(drop)
    }

    fn upsert_lp_snapshots(&mut self, rows: &[LpSnapshot]) -> StoreResult<()> {
        let keys = rows
            .iter()
            .map(|r| vec![r.lp.clone(), r.vault.clone(), r.block.to_string()])
            .collect();
        self.journal(Table::LpHistory, keys)?;
        let cols = columns(rows, 6, |r| {
            vec![
                r.lp.clone(),
                r.vault.clone(),
                r.balances.stashed.to_string(),
                r.balances.locked.to_string(),
                r.balances.unlocked.to_string(),
                r.block.to_string(),
            ]
        });
        self.execute(Plan::LpSnapshots, arrays(cols)).map(drop)
    }

    fn claim_event(
        &mut self,
        key: &EventKey,
        content: &str,
        event_name: &str,
    ) -> StoreResult<bool> {
        let args = texts(vec![
            t(&key.block_hash),
            t(&key.vault_address),
            t(key.event_nonce),
            t(event_name),
            t(content),
        ]);
        Ok(self.execute(Plan::ClaimEvent, args)? == 1)
    }
}
