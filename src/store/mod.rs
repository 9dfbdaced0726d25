//! The database as a `Source`: state rows read through SPI with kept plans. Writes come as a
//! batch's `ChangeSet`, written as sets (flush.rs).

mod arrays;
pub mod catalog;
mod flush;
pub(crate) mod hints;
mod plans;
pub mod rows;

use crate::protocol::rows::ReadRow;
use crate::protocol::state::{
    Bid, Hex, LiquidityProvider, LpRoundDeposit, OptionBuyer, OptionRound, QueuedLiquidity, Vault,
};
use crate::protocol::{EventKey, Source, StoreError, StoreResult};
use pgrx::datum::DatumWithOid;
use pgrx::spi::SpiClient;
#[cfg(any(test, feature = "pg_test"))]
pub use plans::table_statement;
use plans::with_plan;
pub use plans::{Plan, PlanKey, TableOp};
pub use rows::Columns;

pub struct SpiStore<'a, 'conn> {
    client: &'a SpiClient<'conn>,
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
        SpiStore { client }
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
        plan: impl Into<PlanKey>,
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

    /// Executes `plan`; returns the state rows it selects (plans.rs `select`).
    fn state_rows<R: ReadRow>(
        &mut self,
        plan: Plan,
        args: Vec<DatumWithOid<'static>>,
    ) -> StoreResult<Vec<R>> {
        self.query(plan, args, R::TABLE.info().name, |c| R::read(c))
    }

    fn state_row<R: ReadRow>(
        &mut self,
        plan: Plan,
        args: Vec<DatumWithOid<'static>>,
    ) -> StoreResult<Option<R>> {
        Ok(self.state_rows(plan, args)?.into_iter().next())
    }

    /// Runs `sql` (a statement made once per call, not per event: the state dump of
    /// `verify`) and returns its first column as text.
    pub fn select_lines(&mut self, sql: &str) -> StoreResult<Vec<String>> {
        let rows = self.client.select(sql, None, &[]).map_err(spi_error)?;
        rows.map(|row| {
            row.get::<String>(1)
                .map_err(spi_error)?
                .ok_or_else(|| StoreError("NULL dump line".into()))
        })
        .collect()
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

/// Runs the kept statement `plan` on a connection of its own, for callers outside a
/// processor (the worker's status row); returns the number of rows it returned.
pub fn run(plan: Plan, args: Vec<Arg>) -> StoreResult<usize> {
    pgrx::spi::Spi::connect(|client| SpiStore::new(client).execute(plan, texts(args)))
}

/// Like `run`, for a statement that returns one boolean.
pub fn ask(plan: Plan) -> StoreResult<bool> {
    pgrx::spi::Spi::connect(|client| {
        let mut store = SpiStore::new(client);
        let answer = store.query(plan, vec![], "event_processor", |c| c.boolean())?;
        answer
            .first()
            .copied()
            .ok_or_else(|| StoreError(format!("{plan:?} returned no row")))
    })
}

pub fn texts(values: Vec<Arg>) -> Vec<DatumWithOid<'static>> {
    values.into_iter().map(DatumWithOid::from).collect()
}

impl Source for SpiStore<'_, '_> {
    fn vault(&mut self, address: &Hex) -> StoreResult<Option<Vault>> {
        self.state_row(Plan::VaultSelect, texts(vec![t(address)]))
    }
    fn liquidity_provider(
        &mut self,
        address: &Hex,
        vault: &Hex,
    ) -> StoreResult<Option<LiquidityProvider>> {
        self.state_row(Plan::LpSelect, texts(vec![t(address), t(vault)]))
    }
    fn liquidity_providers(&mut self, vault: &Hex) -> StoreResult<Vec<LiquidityProvider>> {
        self.state_rows(Plan::LpsOfVault, texts(vec![t(vault)]))
    }
    fn round(&mut self, address: &Hex) -> StoreResult<Option<OptionRound>> {
        self.state_row(Plan::RoundSelect, texts(vec![t(address)]))
    }
    fn round_by_id(&mut self, vault: &Hex, round_id: u64) -> StoreResult<Option<OptionRound>> {
        self.state_row(Plan::RoundById, texts(vec![t(vault), t(round_id)]))
    }
    fn rounds_of_vault(&mut self, vault: &Hex) -> StoreResult<Vec<OptionRound>> {
        self.state_rows(Plan::RoundsOfVault, texts(vec![t(vault)]))
    }
    fn queued_liquidity(&mut self, lp: &Hex, round: &Hex) -> StoreResult<Option<QueuedLiquidity>> {
        self.state_row(Plan::QueuedSelect, texts(vec![t(lp), t(round)]))
    }
    fn queued_liquidity_of_round(&mut self, round: &Hex) -> StoreResult<Vec<QueuedLiquidity>> {
        self.state_rows(Plan::QueuedOfRound, texts(vec![t(round)]))
    }
    fn option_buyer(&mut self, address: &Hex, round: &Hex) -> StoreResult<Option<OptionBuyer>> {
        self.state_row(Plan::BuyerSelect, texts(vec![t(address), t(round)]))
    }
    fn option_buyers_of_round(&mut self, round: &Hex) -> StoreResult<Vec<OptionBuyer>> {
        self.state_rows(Plan::BuyersOfRound, texts(vec![t(round)]))
    }
    fn bid(&mut self, round: &Hex, bid_id: &Hex) -> StoreResult<Option<Bid>> {
        self.state_row(Plan::BidSelect, texts(vec![t(round), t(bid_id)]))
    }
    fn bids_of_round(&mut self, round: &Hex) -> StoreResult<Vec<Bid>> {
        self.state_rows(Plan::BidsOfRound, texts(vec![t(round)]))
    }
    fn lp_round_deposits(&mut self, round: &Hex) -> StoreResult<Vec<LpRoundDeposit>> {
        self.state_rows(Plan::DepositsOfRound, texts(vec![t(round)]))
    }
    fn applied_events_of_block(
        &mut self,
        block_hash: &Hex,
    ) -> StoreResult<Vec<(EventKey, String)>> {
        self.rows(Plan::LedgerOfBlock, vec![t(block_hash)], |c| {
            Ok((
                EventKey {
                    block_hash: c.text()?.into(),
                    vault_address: c.text()?.into(),
                    event_nonce: c.i64()?,
                },
                c.text()?,
            ))
        })
    }
}
