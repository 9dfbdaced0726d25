use sha3::{Digest, Keccak256};
use starknet_types_core::felt::Felt;
use std::sync::OnceLock;

/// Starknet keccak: Keccak-256 (original padding), big-endian, masked to the low 250 bits.
pub fn sn_keccak(data: &[u8]) -> Felt {
    let mut hash: [u8; 32] = Keccak256::digest(data).into();
    hash[0] &= 0b0000_0011;
    Felt::from_bytes_be(&hash)
}

macro_rules! event_kinds {
    ($($variant:ident),+ $(,)?) => {
        /// Every event name the indexer stores or the contracts emit (spec §1.6, §2.4).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventKind { $($variant),+ }

        impl EventKind {
            pub const ALL: &'static [EventKind] = &[$(EventKind::$variant),+];

            /// The name as stored in `events.event_name` (and hashed into the selector).
            pub fn name(self) -> &'static str {
                match self { $(EventKind::$variant => stringify!($variant)),+ }
            }
        }
    };
}

event_kinds!(
    ContractDeployed,
    OptionRoundDeployed,
    PricingDataSet,
    FossilCallbackSuccess,
    L1RequestFulfilled,
    Deposit,
    Withdrawal,
    WithdrawalQueued,
    StashWithdrawn,
    AuctionStarted,
    BidPlaced,
    BidUpdated,
    AuctionEnded,
    OptionRoundSettled,
    OptionsMinted,
    UnusedBidsRefunded,
    OptionsExercised,
    Transfer,
    Approval,
);

impl EventKind {
    /// Exact, case-sensitive match on the stored name; `None` for names the protocol lacks.
    pub fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// `keys[0]` of every event of this kind. Computed once per process.
    pub fn selector(self) -> Felt {
        static SELECTORS: OnceLock<Vec<Felt>> = OnceLock::new();
        let table = SELECTORS.get_or_init(|| {
            EventKind::ALL
                .iter()
                .map(|k| sn_keccak(k.name().as_bytes()))
                .collect()
        });
        table[self as usize]
    }

    /// Events emitted by a round contract: their round address is resolved per spec §1.7.
    pub fn is_round_event(self) -> bool {
        matches!(
            self,
            EventKind::PricingDataSet
                | EventKind::AuctionStarted
                | EventKind::BidPlaced
                | EventKind::BidUpdated
                | EventKind::AuctionEnded
                | EventKind::OptionRoundSettled
                | EventKind::OptionsMinted
                | EventKind::UnusedBidsRefunded
                | EventKind::OptionsExercised
        )
    }
}
