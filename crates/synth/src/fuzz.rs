//! Malformed events for fuzzing the decoder and the handlers: mutations of valid events
//! (wrong lengths, non-hex, huge numbers, NULL-like empties, swapped names) and events made of
//! random felts under a known or unknown name. Deterministic for a seed. Pure Rust.

use super::rng::Rng;
use event_processor_protocol::codec::EventKind;
use event_processor_protocol::protocol::EventRow;

pub struct Mutator {
    rng: Rng,
}

impl Mutator {
    pub fn new(seed: u64) -> Self {
        Mutator {
            rng: Rng::new(seed),
        }
    }

    /// A felt string that is valid, out of range, or not a felt at all.
    fn felt(&mut self) -> String {
        fn digits(rng: &mut Rng, n: u64) -> String {
            (0..n)
                .map(|_| char::from_digit(rng.below(16) as u32, 16).unwrap())
                .collect()
        }
        let n = self.rng.below(64);
        match self.rng.below(16) {
            0 => String::new(),
            1 => "0x".into(),
            2 => format!("0x{}", digits(&mut self.rng, 65 + n)),
            3 => format!("0x{}", "f".repeat(64)),
            4 => format!("-0x{}", digits(&mut self.rng, 3)),
            5 => format!("0X{}", digits(&mut self.rng, 5).to_uppercase()),
            6 => format!("0x{}zz", digits(&mut self.rng, 4)),
            7 => format!(" 0x{} ", digits(&mut self.rng, 4)),
            8 => self.rng.next_u64().to_string(),
            9 => format!("0x{}", digits(&mut self.rng, 33)),
            10 => "0x0".into(),
            11 => "0x1".into(),
            12 => format!("0x{:x}", self.rng.below(1 << 20)),
            13 => format!("0x{}", digits(&mut self.rng, 1 + n)),
            14 => "0x80000000000000000000000000000000".into(),
            _ => format!("0x{:x}", self.rng.next_u64()),
        }
    }

    fn felts(&mut self, max: u64) -> Vec<String> {
        (0..self.rng.below(max + 1)).map(|_| self.felt()).collect()
    }

    /// Changes `felts` a little: one element replaced, removed or added, or the end cut off.
    fn mutate(&mut self, felts: &mut Vec<String>) {
        let len = felts.len() as u64;
        match self.rng.below(5) {
            0 if len > 0 => felts[self.rng.below(len) as usize] = self.felt(),
            1 if len > 0 => {
                felts.remove(self.rng.below(len) as usize);
            }
            2 => felts.insert(self.rng.below(len + 1) as usize, self.felt()),
            3 => felts.truncate(self.rng.below(len + 1) as usize),
            _ => felts.push(self.felt()),
        }
    }

    /// One event: a mutation of one of `templates` (valid events), or random felts under a
    /// name with its selector, or anything at all.
    pub fn case(&mut self, templates: &[EventRow]) -> EventRow {
        let mut row = self
            .rng
            .pick(templates)
            .cloned()
            .expect("at least one template");
        match self.rng.below(10) {
            0..=5 => {
                for _ in 0..self.rng.range(1, 3) {
                    if self.rng.chance(50) {
                        self.mutate(&mut row.data);
                    } else {
                        self.mutate(&mut row.keys);
                    }
                }
            }
            6..=7 => {
                let kind = *self.rng.pick(EventKind::ALL).unwrap();
                row.event_name = kind.name().to_string();
                row.keys = vec![kind.selector().to_hex_string()];
                row.keys.extend(self.felts(2));
                row.data = self.felts(12);
            }
            8 => {
                let other = self.rng.pick(templates).unwrap();
                row.event_name = other.event_name.clone();
            }
            _ => {
                row.event_name = match self.rng.below(3) {
                    0 => String::new(),
                    1 => "NotAnEvent".into(),
                    _ => self.rng.pick(EventKind::ALL).unwrap().name().to_string(),
                };
                row.keys = self.felts(4);
                row.data = self.felts(14);
            }
        }
        row.event_nonce = 1_000_000 + self.rng.below(1000) as i64;
        row
    }
}
