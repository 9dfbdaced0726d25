//! A seeded simulator of Pitch Lake that emits what the contracts emit, in the indexer's
//! format: vaults, LPs, rounds with auctions (Cairo's clearing walk), settlements with queued
//! withdrawals, stash withdrawals, mint/refund/exercise. It keeps its own copy of the
//! accounting model (spec §3.2), so tests can compare the processor against it exactly.

use super::encode::{contract_deployed, Encoded, VaultParams};
use super::rng::Rng;
use event_processor_protocol::codec::EventKind as K;
use event_processor_protocol::protocol::state::RoundState;
use event_processor_protocol::protocol::EventRow;
use num_bigint::BigUint;
use num_traits::{CheckedSub, Zero};
use std::collections::{BTreeMap, BTreeSet};

/// How round events tell which round emitted them (spec §1.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundAddressing {
    /// `events.from_address` (the recommended logger fix).
    FromAddress,
    /// One extra trailing felt in event_data (the EP convention).
    Appended,
    /// Neither: the processor's lossy fallback.
    Fallback,
}

#[derive(Debug, Clone)]
pub struct ChainConfig {
    pub seed: u64,
    pub vaults: usize,
    pub lps_per_vault: usize,
    pub bidders_per_vault: usize,
    pub blocks: usize,
    pub max_events_per_block: usize,
    pub addressing: RoundAddressing,
    pub first_block: u64,
}

impl Default for ChainConfig {
    fn default() -> Self {
        ChainConfig {
            seed: 1,
            vaults: 2,
            lps_per_vault: 4,
            bidders_per_vault: 3,
            blocks: 60,
            max_events_per_block: 4,
            addressing: RoundAddressing::FromAddress,
            first_block: 1000,
        }
    }
}

impl ChainConfig {
    /// The property tests' family of chains: seed `seed` cycles through 1-3 vaults, 1 to
    /// `max_lps` LPs and 1-3 bidders each, and the three ways of addressing rounds.
    pub fn varied(seed: u64, max_lps: u64, blocks: usize, max_events_per_block: usize) -> Self {
        let modes = [
            RoundAddressing::FromAddress,
            RoundAddressing::Appended,
            RoundAddressing::Fallback,
        ];
        ChainConfig {
            seed,
            vaults: 1 + (seed % 3) as usize,
            lps_per_vault: 1 + (seed % max_lps) as usize,
            bidders_per_vault: 1 + (seed % 3) as usize,
            blocks,
            max_events_per_block,
            addressing: modes[(seed % 3) as usize],
            first_block: 10,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SynthBlock {
    pub number: u64,
    pub hash: String,
    pub parent_hash: String,
    pub timestamp: u64,
    pub events: Vec<EventRow>,
}

/// The model's balances of a vault or LP.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bal {
    pub unlocked: BigUint,
    pub locked: BigUint,
    pub stashed: BigUint,
}

#[derive(Debug, Clone)]
struct Bid {
    id: String,
    owner: String,
    amount: BigUint,
    price: BigUint,
    tree_nonce: u64,
}

#[derive(Debug, Clone)]
pub struct Round {
    pub address: String,
    pub id: u64,
    pub state: RoundState,
    strike: BigUint,
    cap: u128,
    reserve: BigUint,
    priced: bool,
    pub starting_liquidity: BigUint,
    pub unsold: BigUint,
    pub sold: BigUint,
    pub clearing_price: BigUint,
    available: BigUint,
    max_payout: BigUint,
    deposits: BTreeMap<String, BigUint>,
    queued: BTreeMap<String, BigUint>,
    queued_total: BigUint,
    bids: Vec<Bid>,
    tree_counter: u64,
    /// Per buyer: (options won, refundable), by Cairo's ranking walk.
    pub won: BTreeMap<String, (BigUint, BigUint)>,
    /// Buyers that minted (or exercised) / refunded in this round.
    pub minted: BTreeSet<String>,
    pub refunded: BTreeSet<String>,
    payout_per_option: BigUint,
}

#[derive(Debug, Clone)]
pub struct Vault {
    pub address: String,
    nonce: i64,
    lp_pool: Vec<String>,
    bidder_pool: Vec<String>,
    pub lps: BTreeMap<String, Bal>,
    pub balances: Bal,
    /// unlocked + locked + stashed as deposits, withdrawals, premiums and payouts move it.
    pub expected_total: BigUint,
    rtp: u64,
    auction_duration: u64,
    round_duration: u64,
    pub rounds: Vec<Round>,
}

impl Vault {
    pub fn current(&self) -> &Round {
        self.rounds
            .last()
            .expect("a vault has a round from its creation")
    }
    fn current_mut(&mut self) -> &mut Round {
        self.rounds
            .last_mut()
            .expect("a vault has a round from its creation")
    }
}

#[derive(Clone)]
pub struct Simulator {
    cfg: ChainConfig,
    /// Which branch of a reorg this simulator writes (part of every block hash).
    fork: u64,
    rng: Rng,
    pub vaults: Vec<Vault>,
    next_id: u64,
    block: u64,
    timestamp: u64,
    parent: String,
    rows: Vec<EventRow>,
    tx: String,
}

fn big(v: u64) -> BigUint {
    BigUint::from(v)
}

fn floor(a: &BigUint, b: &BigUint, d: &BigUint) -> BigUint {
    a * b / d
}

impl Simulator {
    pub fn new(cfg: ChainConfig) -> Self {
        let rng = Rng::new(cfg.seed);
        let block = cfg.first_block;
        Simulator {
            cfg,
            fork: 0,
            rng,
            vaults: vec![],
            next_id: 1,
            block,
            timestamp: 1_700_000_000,
            parent: format!("{:#x}", 0xb000_0000u64 + block - 1),
            rows: vec![],
            tx: String::new(),
        }
    }

    /// Continues as a different branch from here (a reorg's replacement blocks): new random
    /// choices and new block hashes at the same heights.
    pub fn fork(&mut self, seed: u64) {
        self.rng = Rng::new(seed);
        self.fork += 1;
    }

    pub fn config(&self) -> &ChainConfig {
        &self.cfg
    }

    /// Generates the whole chain.
    pub fn generate(cfg: ChainConfig) -> (Vec<SynthBlock>, Simulator) {
        let mut sim = Simulator::new(cfg);
        let blocks = (0..sim.cfg.blocks).map(|_| sim.next_block()).collect();
        (blocks, sim)
    }

    /// A chain for measuring cost per LP: one vault whose `lps` LPs all deposit, then one block
    /// each for the auction start, bids, the auction end and the settlement. Returns the blocks
    /// and the indexes of those four blocks (start, bids, end, settlement).
    pub fn lp_scaling(lps: usize, seed: u64) -> (Vec<SynthBlock>, [usize; 4]) {
        let mut sim = Simulator::one_vault(lps, seed);
        let mut blocks = sim.through_auction_end(lps);
        let start = blocks.len() - 3;
        blocks.push(sim.block_of(|s| s.settle(0)));
        (blocks, [start, start + 1, start + 2, start + 3])
    }

    /// A chain whose last block queues liquidity in the running round, settles it (which
    /// deploys the next round) and queues liquidity in the new round: the block creates a
    /// round and rows that reference it, with rows of another round created before them.
    pub fn queue_around_settlement(seed: u64) -> Vec<SynthBlock> {
        let mut sim = Simulator::one_vault(5, seed);
        let mut blocks = sim.through_auction_end(5);
        blocks.push(sim.block_of(|s| {
            s.queue(0);
            s.settle(0);
            s.queue(0);
        }));
        blocks
    }

    fn one_vault(lps: usize, seed: u64) -> Simulator {
        Simulator::new(ChainConfig {
            seed,
            vaults: 1,
            lps_per_vault: lps,
            bidders_per_vault: 20,
            blocks: 0,
            max_events_per_block: 1,
            addressing: RoundAddressing::FromAddress,
            first_block: 1_000_000,
        })
    }

    /// Deploys vault 0, lets all its `lps` LPs deposit (1,000 per block), prices the round if
    /// needed, and ends with three blocks: auction start, 20 bids, auction end.
    fn through_auction_end(&mut self, lps: usize) -> Vec<SynthBlock> {
        let mut blocks = vec![self.block_of(|s| s.deploy_vault())];
        let pool = self.vaults[0].lp_pool.clone();
        for chunk in pool[..lps.min(pool.len())].chunks(1000) {
            blocks.push(self.block_of(|s| {
                for lp in chunk {
                    s.deposit_by(0, lp.clone());
                }
            }));
        }
        if !self.vaults[0].current().priced {
            blocks.push(self.block_of(|s| s.set_pricing(0)));
        }
        blocks.push(self.block_of(|s| s.start_auction(0)));
        blocks.push(self.block_of(|s| {
            for _ in 0..20 {
                s.place_bid(0);
            }
        }));
        blocks.push(self.block_of(|s| s.end_auction(0)));
        blocks
    }

    /// One block (one transaction) holding what `act` emits.
    fn block_of(&mut self, act: impl FnOnce(&mut Simulator)) -> SynthBlock {
        self.block += 1;
        self.timestamp += 100;
        self.tx = self.fresh(0x7);
        act(self);
        self.seal()
    }

    fn fresh(&mut self, prefix: u64) -> String {
        self.next_id += 1;
        format!(
            "{:#x}",
            (prefix << 40) + self.next_id * 7919 + self.rng.below(7000)
        )
    }

    /// An amount: mostly small, sometimes beyond 2^128 (u256 high half in use).
    fn amount(&mut self) -> BigUint {
        match self.rng.below(10) {
            0 => big(self.rng.range(1, u64::MAX)) << (64 + self.rng.below(20) as u32),
            1..=3 => big(self.rng.range(1, 1_000_000_000_000)),
            _ => big(self.rng.range(1, 5_000)),
        }
    }

    /// The next block of a chain shaped like the real one (issue "Real chains"): it carries
    /// events with probability 1/`gap`, else it is empty.
    pub fn sparse_block(&mut self, gap: u64) -> SynthBlock {
        if self.rng.below(gap.max(1)) == 0 {
            self.next_block()
        } else {
            self.empty_block()
        }
    }

    /// A block without a Pitch Lake event, as almost every Starknet block is.
    pub fn empty_block(&mut self) -> SynthBlock {
        self.block += 1;
        self.timestamp += 2;
        self.seal()
    }

    pub fn next_block(&mut self) -> SynthBlock {
        self.block += 1;
        self.timestamp += self.rng.range(1, 400);
        let count = self.rng.range(1, self.cfg.max_events_per_block as u64);
        for _ in 0..count {
            self.tx = self.fresh(0x7);
            if self.vaults.len() < self.cfg.vaults
                && (self.vaults.is_empty() || self.rng.chance(15))
            {
                self.deploy_vault();
            } else {
                let v = self.rng.below(self.vaults.len() as u64) as usize;
                self.act(v);
            }
        }
        self.seal()
    }

    /// Ends the block being written: its events so far become a block with a fresh hash.
    fn seal(&mut self) -> SynthBlock {
        let hash = format!("{:#x}", 0xb000_0000u64 + self.block + (self.fork << 32));
        let parent = std::mem::replace(&mut self.parent, hash.clone());
        let mut events = std::mem::take(&mut self.rows);
        for e in &mut events {
            e.block_hash = hash.as_str().into();
        }
        SynthBlock {
            number: self.block,
            hash,
            parent_hash: parent,
            timestamp: self.timestamp,
            events,
        }
    }

    fn emit(&mut self, v: usize, from: &str, e: Encoded, round_event: bool) {
        let vault = &mut self.vaults[v];
        vault.nonce += 1;
        let mut data = e.data;
        let from_address = match self.cfg.addressing {
            RoundAddressing::FromAddress => Some(from.to_string()),
            RoundAddressing::Appended if round_event => {
                data.push(from.to_string());
                None
            }
            _ => None,
        };
        self.rows.push(EventRow {
            block_number: self.block,
            block_hash: "".into(),
            block_timestamp: Some(self.timestamp),
            vault_address: vault.address.as_str().into(),
            event_nonce: vault.nonce,
            event_name: e.name.to_string(),
            keys: e.keys,
            data,
            transaction_hash: self.tx.clone(),
            from_address,
        });
    }

    fn new_round(&mut self, id: u64, priced: bool) -> Round {
        let address = self.fresh(0x1a);
        let strike = if priced {
            big(self.rng.range(1, 1000))
        } else {
            BigUint::zero()
        };
        let cap = if priced {
            self.rng.range(0, 10_000) as u128
        } else {
            0
        };
        let reserve = if priced {
            big(self.rng.range(0, 5))
        } else {
            BigUint::zero()
        };
        Round {
            address,
            id,
            state: RoundState::Open,
            strike,
            cap,
            reserve,
            priced,
            starting_liquidity: BigUint::zero(),
            unsold: BigUint::zero(),
            sold: BigUint::zero(),
            clearing_price: BigUint::zero(),
            available: BigUint::zero(),
            max_payout: BigUint::zero(),
            deposits: BTreeMap::new(),
            queued: BTreeMap::new(),
            queued_total: BigUint::zero(),
            bids: vec![],
            tree_counter: 0,
            won: BTreeMap::new(),
            minted: BTreeSet::new(),
            refunded: BTreeSet::new(),
            payout_per_option: BigUint::zero(),
        }
    }

    fn round_deployed(&mut self, v: usize, round: &Round) {
        let vault = &self.vaults[v];
        let start = self.timestamp + vault.rtp;
        let end = start + vault.auction_duration;
        let e = Encoded::new(K::OptionRoundDeployed)
            .int(round.id)
            .felt(&round.address)
            .int(start)
            .int(end)
            .int(end + vault.round_duration)
            .u256(&round.strike)
            .u128(round.cap)
            .u256(&round.reserve);
        let address = vault.address.clone();
        self.emit(v, &address, e, false);
    }

    fn deploy_vault(&mut self) {
        let address = self.fresh(0x7a);
        let v = self.vaults.len();
        let lp_pool = (0..self.cfg.lps_per_vault)
            .map(|_| self.fresh(0xa1))
            .collect();
        let bidder_pool = (0..self.cfg.bidders_per_vault)
            .map(|_| self.fresh(0xc3))
            .collect();
        let (rtp, auction_duration, round_duration) = (
            self.rng.range(10, 500),
            self.rng.range(10, 500),
            self.rng.range(100, 5000),
        );
        self.vaults.push(Vault {
            address: address.clone(),
            nonce: 0,
            lp_pool,
            bidder_pool,
            lps: BTreeMap::new(),
            balances: Bal::default(),
            expected_total: BigUint::zero(),
            rtp,
            auction_duration,
            round_duration,
            rounds: vec![],
        });
        let strike_level = self.rng.range(0, 19_998) as i128 - 9_999;
        let e = contract_deployed(
            &address,
            VaultParams {
                alpha: self.rng.range(1, 10_000) as u128,
                strike_level,
                round_transition_period: rtp,
                auction_duration,
                round_duration,
            },
        );
        self.emit(
            v,
            "0x41a78e741e5af2fec34b695679bc6891742439f7afb8484ecd7766661ad02bf",
            e,
            false,
        );
        let round = self.new_round(1, false);
        self.round_deployed(v, &round);
        self.vaults[v].rounds.push(round);
    }

    /// One action on vault `v`, chosen among those its current round allows.
    fn act(&mut self, v: usize) {
        let state = self.vaults[v].current().state;
        let roll = self.rng.below(100);
        match state {
            RoundState::Open => match roll {
                0..=39 => self.deposit(v),
                40..=54 => self.withdraw(v),
                55..=59 => self.stash(v),
                60..=84 => self.start_auction(v),
                _ => self.buyer_action(v),
            },
            RoundState::Auctioning => match roll {
                0..=34 => self.place_bid(v),
                35..=49 => self.update_bid(v),
                50..=59 => self.deposit(v),
                60..=64 => self.withdraw(v),
                65..=74 => self.queue(v),
                75..=79 => self.stash(v),
                _ => self.end_auction(v),
            },
            _ => match roll {
                0..=14 => self.queue(v),
                15..=29 => self.deposit(v),
                30..=39 => self.withdraw(v),
                40..=59 => self.buyer_action(v),
                60..=64 => self.stash(v),
                _ => self.settle(v),
            },
        }
    }

    fn deposit(&mut self, v: usize) {
        let lp = self
            .rng
            .pick(&self.vaults[v].lp_pool)
            .expect("LP pool")
            .clone();
        self.deposit_by(v, lp);
    }

    fn deposit_by(&mut self, v: usize, lp: String) {
        let amount = self.amount();
        let vault = &mut self.vaults[v];
        let bal = vault.lps.entry(lp.clone()).or_default();
        bal.unlocked += &amount;
        let lp_now = bal.unlocked.clone();
        vault.balances.unlocked += &amount;
        vault.expected_total += &amount;
        self.emit_unlocked_change(v, K::Deposit, &lp, &amount, &lp_now);
    }

    /// A Deposit or Withdrawal: the amount, then the LP's and the vault's unlocked balances
    /// after it.
    fn emit_unlocked_change(
        &mut self,
        v: usize,
        kind: K,
        lp: &str,
        amount: &BigUint,
        lp_now: &BigUint,
    ) {
        let vault = &self.vaults[v];
        let e = Encoded::new(kind)
            .key(lp)
            .u256(amount)
            .u256(lp_now)
            .u256(&vault.balances.unlocked);
        let from = vault.address.clone();
        self.emit(v, &from, e, false);
    }

    fn withdraw(&mut self, v: usize) {
        let lps: Vec<String> = self.vaults[v].lps.keys().cloned().collect();
        let Some(lp) = self.rng.pick(&lps).cloned() else {
            return self.deposit(v);
        };
        let vault = &self.vaults[v];
        let most = vault.lps[&lp]
            .unlocked
            .clone()
            .min(vault.balances.unlocked.clone());
        let amount = if most.is_zero() || self.rng.chance(10) {
            most
        } else {
            let fraction = self.rng.range(1, 100);
            (&most * big(fraction) / big(100)).max(BigUint::from(1u8))
        };
        let vault = &mut self.vaults[v];
        let bal = vault.lps.get_mut(&lp).expect("picked");
        bal.unlocked -= &amount;
        let lp_now = bal.unlocked.clone();
        vault.balances.unlocked -= &amount;
        vault.expected_total -= &amount;
        self.emit_unlocked_change(v, K::Withdrawal, &lp, &amount, &lp_now);
    }

    fn stash(&mut self, v: usize) {
        let lps: Vec<String> = self.vaults[v].lps.keys().cloned().collect();
        let Some(lp) = self.rng.pick(&lps).cloned() else {
            return self.deposit(v);
        };
        let vault = &mut self.vaults[v];
        let amount = std::mem::take(&mut vault.lps.get_mut(&lp).expect("picked").stashed);
        vault.balances.stashed -= &amount;
        vault.expected_total -= &amount;
        let e = Encoded::new(K::StashWithdrawn)
            .key(&lp)
            .u256(&amount)
            .u256(&vault.balances.stashed);
        let from = vault.address.clone();
        self.emit(v, &from, e, false);
    }

    fn queue(&mut self, v: usize) {
        let lps: Vec<String> = self.vaults[v].lps.keys().cloned().collect();
        let Some(lp) = self.rng.pick(&lps).cloned() else {
            return self.deposit(v);
        };
        let bps = match self.rng.below(4) {
            0 => 0,
            1 => 10_000,
            _ => self.rng.range(1, 9_999),
        };
        let vault = &mut self.vaults[v];
        let round = vault.rounds.last_mut().expect("round");
        let deposit = round.deposits.get(&lp).cloned().unwrap_or_default();
        let now = &deposit * big(bps) / big(10_000);
        let before = round
            .queued
            .insert(lp.clone(), now.clone())
            .unwrap_or_default();
        round.queued_total = &round.queued_total - &before + &now;
        let e = Encoded::new(K::WithdrawalQueued)
            .key(&lp)
            .u128(bps as u128)
            .int(round.id)
            .u256(&before)
            .u256(&now)
            .u256(&round.queued_total);
        let from = vault.address.clone();
        self.emit(v, &from, e, false);
    }

    fn start_auction(&mut self, v: usize) {
        if !self.vaults[v].current().priced {
            return self.set_pricing(v);
        }
        let vault = &mut self.vaults[v];
        let s = std::mem::take(&mut vault.balances.unlocked);
        vault.balances.locked = s.clone();
        let round = vault.rounds.last_mut().expect("round");
        round.max_payout = &round.strike * big(round.cap as u64) / big(10_000);
        round.available = if round.max_payout.is_zero() {
            BigUint::zero()
        } else {
            &s / &round.max_payout
        };
        round.starting_liquidity = s.clone();
        round.state = RoundState::Auctioning;
        for (lp, bal) in vault.lps.iter_mut() {
            let unlocked = std::mem::take(&mut bal.unlocked);
            if unlocked.is_zero() {
                continue;
            }
            if s.is_zero() {
                bal.locked = BigUint::zero();
            } else {
                round.deposits.insert(lp.clone(), unlocked.clone());
                bal.locked = unlocked;
            }
        }
        let e = Encoded::new(K::AuctionStarted)
            .u256(&s)
            .u256(&round.available);
        let from = round.address.clone();
        self.emit(v, &from, e, true);
    }

    fn set_pricing(&mut self, v: usize) {
        let strike = big(self.rng.range(1, 1000));
        let cap = self.rng.range(1, 10_000) as u128;
        let reserve = big(self.rng.range(0, 5));
        let round = self.vaults[v].current_mut();
        round.strike = strike.clone();
        round.cap = cap;
        round.reserve = reserve.clone();
        round.priced = true;
        let from = round.address.clone();
        let e = Encoded::new(K::PricingDataSet)
            .u256(&strike)
            .u128(cap)
            .u256(&reserve);
        self.emit(v, &from, e, true);
        let e = Encoded::new(K::FossilCallbackSuccess)
            .u256(&strike)
            .u128(2500)
            .u256(&reserve)
            .int(self.timestamp);
        let vault = self.vaults[v].address.clone();
        self.emit(v, &vault, e, false);
    }

    fn place_bid(&mut self, v: usize) {
        let owner = self
            .rng
            .pick(&self.vaults[v].bidder_pool)
            .expect("bidders")
            .clone();
        let id = self.fresh(0xb1d);
        let amount = big(self.rng.range(1, 40));
        let extra = big(self.rng.range(0, 20));
        let round = self.vaults[v].current_mut();
        let price = &round.reserve + extra;
        round.tree_counter += 1;
        let now = round.tree_counter;
        round.bids.push(Bid {
            id: id.clone(),
            owner: owner.clone(),
            amount: amount.clone(),
            price: price.clone(),
            tree_nonce: now - 1,
        });
        let from = round.address.clone();
        let e = Encoded::new(K::BidPlaced)
            .key(&owner)
            .felt(&id)
            .u256(&amount)
            .u256(&price)
            .int(now);
        self.emit(v, &from, e, true);
    }

    fn update_bid(&mut self, v: usize) {
        let count = self.vaults[v].current().bids.len() as u64;
        if count == 0 {
            return self.place_bid(v);
        }
        let i = self.rng.below(count) as usize;
        let increase = big(self.rng.range(1, 10));
        let round = self.vaults[v].current_mut();
        round.tree_counter += 1;
        let now = round.tree_counter;
        let bid = &mut round.bids[i];
        let before = bid.tree_nonce;
        bid.price += &increase;
        bid.tree_nonce = now - 1;
        let (owner, id) = (bid.owner.clone(), bid.id.clone());
        let from = round.address.clone();
        let e = Encoded::new(K::BidUpdated)
            .key(&owner)
            .felt(&id)
            .u256(&increase)
            .int(before)
            .int(now);
        self.emit(v, &from, e, true);
    }

    /// Cairo's `find_clearing_price`: walk bids by price desc, tree nonce asc.
    fn end_auction(&mut self, v: usize) {
        let vault = &mut self.vaults[v];
        let round = vault.rounds.last_mut().expect("round");
        let mut ranked = round.bids.clone();
        ranked.sort_by(|a, b| b.price.cmp(&a.price).then(a.tree_nonce.cmp(&b.tree_nonce)));
        let mut remaining = round.available.clone();
        let (mut n, mut cp, mut cn) = (BigUint::zero(), BigUint::zero(), 0u64);
        let mut sold_per_bid: Vec<BigUint> = vec![BigUint::zero(); ranked.len()];
        let mut cleared = false;
        for (i, bid) in ranked.iter().enumerate() {
            if bid.amount < remaining {
                remaining -= &bid.amount;
                sold_per_bid[i] = bid.amount.clone();
            } else {
                sold_per_bid[i] = remaining.clone();
                n = round.available.clone();
                cp = bid.price.clone();
                cn = bid.tree_nonce;
                cleared = true;
                break;
            }
        }
        if !cleared {
            if let Some(last) = ranked.last() {
                n = ranked.iter().map(|b| &b.amount).sum();
                cp = last.price.clone();
                cn = last.tree_nonce;
            }
        }
        let s = round.starting_liquidity.clone();
        let u = &s - &n * &round.max_payout;
        let premiums = &cp * &n;
        for (bid, sold) in ranked.iter().zip(&sold_per_bid) {
            let entry = round.won.entry(bid.owner.clone()).or_default();
            entry.0 += sold;
            // Paid: sold at cp; refund: the rest of the payment.
            entry.1 += &bid.amount * &bid.price - sold * &cp;
        }
        round.sold = n.clone();
        round.clearing_price = cp.clone();
        round.unsold = u.clone();
        round.state = RoundState::Running;
        vault.balances.unlocked += &premiums + &u;
        vault.balances.locked -= &u;
        vault.expected_total += &premiums;
        if !s.is_zero() {
            let returned = &premiums + &u;
            let sold_liquidity = &s - &u;
            for (lp, d) in &round.deposits {
                let bal = vault.lps.get_mut(lp).expect("depositor");
                bal.locked = floor(&sold_liquidity, d, &s);
                bal.unlocked += floor(&returned, d, &s);
            }
        }
        let from = round.address.clone();
        let e = Encoded::new(K::AuctionEnded)
            .u256(&n)
            .u256(&cp)
            .u256(&u)
            .int(cn);
        self.emit(v, &from, e, true);
    }

    fn settle(&mut self, v: usize) {
        let vault = &mut self.vaults[v];
        let round = vault.rounds.last_mut().expect("round");
        let offset = self.rng.range(0, 150);
        let sp = (&round.strike + big(offset))
            .checked_sub(&big(50))
            .unwrap_or_default();
        let ppo = if sp <= round.strike {
            BigUint::zero()
        } else {
            (&sp - &round.strike).min(round.max_payout.clone())
        };
        let s = round.starting_liquidity.clone();
        let pay = &ppo * &round.sold;
        let rem = &s - &round.unsold - &pay;
        let stash_v = if s.is_zero() {
            BigUint::zero()
        } else {
            floor(&rem, &round.queued_total, &s)
        };
        vault.balances.locked = BigUint::zero();
        vault.balances.stashed += &stash_v;
        vault.balances.unlocked += &rem - &stash_v;
        vault.expected_total -= &pay;
        if !s.is_zero() {
            for (lp, d) in &round.deposits {
                let q = round.queued.get(lp).cloned().unwrap_or_default();
                let (share, queued_share) = (floor(&rem, d, &s), floor(&rem, &q, &s));
                let bal = vault.lps.get_mut(lp).expect("depositor");
                bal.locked = BigUint::zero();
                bal.unlocked += share - &queued_share;
                bal.stashed += queued_share;
            }
        }
        round.state = RoundState::Settled;
        round.payout_per_option = ppo.clone();
        let (from, id) = (round.address.clone(), round.id);
        let e = Encoded::new(K::OptionRoundSettled).u256(&sp).u256(&ppo);
        self.emit(v, &from, e, true);
        let next = self.new_round(id + 1, true);
        self.round_deployed(v, &next);
        let e = Encoded::new(K::FossilCallbackSuccess)
            .u256(&sp)
            .u128(2500)
            .u256(&next.reserve)
            .int(self.timestamp);
        self.vaults[v].rounds.push(next);
        let vault_address = self.vaults[v].address.clone();
        self.emit(v, &vault_address, e, false);
    }

    /// Mint, refund or exercise by a bidder of an earlier or the current round.
    fn buyer_action(&mut self, v: usize) {
        let kind = match self.rng.below(3) {
            0 => K::OptionsMinted,
            1 => K::UnusedBidsRefunded,
            _ => K::OptionsExercised,
        };
        let buyer = self
            .rng
            .pick(&self.vaults[v].bidder_pool)
            .expect("bidders")
            .clone();
        let allowed: &[RoundState] = match kind {
            K::OptionsExercised => &[RoundState::Settled],
            _ => &[RoundState::Running, RoundState::Settled],
        };
        let fallback = self.cfg.addressing == RoundAddressing::Fallback;
        // With the lossy fallback, act only where the processor's rule would look: the newest
        // eligible round whose flag for this buyer is still unset.
        let candidates: Vec<usize> = self.vaults[v]
            .rounds
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, r)| allowed.contains(&r.state) && r.won.contains_key(&buyer))
            .filter(|(_, r)| {
                !fallback
                    || !match kind {
                        K::UnusedBidsRefunded => r.refunded.contains(&buyer),
                        _ => r.minted.contains(&buyer),
                    }
            })
            .map(|(i, _)| i)
            .collect();
        let Some(&i) = (if fallback {
            candidates.first()
        } else {
            self.rng.pick(&candidates)
        }) else {
            return self.deposit(v);
        };
        let round = &mut self.vaults[v].rounds[i];
        let (won, refundable) = round.won[&buyer].clone();
        let e = match kind {
            K::OptionsMinted => {
                let minted = if round.minted.insert(buyer.clone()) {
                    won
                } else {
                    BigUint::zero()
                };
                Encoded::new(kind).key(&buyer).u256(&minted)
            }
            K::UnusedBidsRefunded => {
                let refunded = if round.refunded.insert(buyer.clone()) {
                    refundable
                } else {
                    BigUint::zero()
                };
                Encoded::new(kind).key(&buyer).u256(&refunded)
            }
            _ => {
                let mintable = if round.minted.insert(buyer.clone()) {
                    won.clone()
                } else {
                    BigUint::zero()
                };
                let amount = &won * &round.payout_per_option;
                Encoded::new(kind)
                    .key(&buyer)
                    .u256(&won)
                    .u256(&mintable)
                    .u256(&amount)
            }
        };
        let from = round.address.clone();
        self.emit(v, &from, e, true);
    }
}
