//! Switches that make the simulator misbehave the way Google sometimes does, so the engine's
//! retry, backoff and exactly-once logic can be exercised. All dice come from the seeded RNG.

use rand::Rng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

/// Fault settings, global or for one mailbox (a mailbox's own settings replace the global
/// ones entirely).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Probability (0..=1) that a Gmail API request fails with 500 or 503 before doing
    /// anything.
    pub server_error_rate: f64,
    /// The next this-many Gmail API requests answer 429 `rateLimitExceeded`.
    pub burst_429: u32,
    /// Added to every Gmail API request (while it holds a concurrency slot).
    pub latency_ms: u64,
    /// Probability that a send is stored and delivered but the client gets a 5xx: the
    /// ambiguous send.
    pub fail_after_commit_rate: f64,
    /// Replace the Message-ID of sent mail with one of Gmail's own.
    pub rewrite_message_id: bool,
}

/// A fault to answer with instead of doing the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InjectedFailure {
    Burst429,
    BackendError,
    Unavailable,
}

impl Faults {
    /// Decides, before a request runs, whether it fails (consumes one burst slot if so).
    pub fn roll_before(&mut self, rng: &mut StdRng) -> Option<InjectedFailure> {
        if self.burst_429 > 0 {
            self.burst_429 -= 1;
            return Some(InjectedFailure::Burst429);
        }
        roll_server_error(self.server_error_rate, rng)
    }

    /// Decides whether a committed send reports a server error anyway.
    pub fn roll_after_commit(&self, rng: &mut StdRng) -> Option<InjectedFailure> {
        roll_server_error(self.fail_after_commit_rate, rng)
    }
}

fn roll_server_error(rate: f64, rng: &mut StdRng) -> Option<InjectedFailure> {
    if rate <= 0.0 || !rng.gen_bool(rate.min(1.0)) {
        return None;
    }
    Some(if rng.gen_bool(0.5) {
        InjectedFailure::BackendError
    } else {
        InjectedFailure::Unavailable
    })
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn bursts_are_consumed_one_request_at_a_time() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut faults = Faults { burst_429: 2, ..Faults::default() };
        assert_eq!(faults.roll_before(&mut rng), Some(InjectedFailure::Burst429));
        assert_eq!(faults.roll_before(&mut rng), Some(InjectedFailure::Burst429));
        assert_eq!(faults.roll_before(&mut rng), None);
    }

    #[test]
    fn certain_and_impossible_rates() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut always =
            Faults { server_error_rate: 1.0, fail_after_commit_rate: 1.0, ..Faults::default() };
        for _ in 0..20 {
            assert!(always.roll_before(&mut rng).is_some());
            assert!(always.roll_after_commit(&mut rng).is_some());
            assert!(Faults::default().roll_before(&mut rng).is_none());
        }
    }
}
