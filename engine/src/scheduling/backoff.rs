//! How long to wait before retrying after a rate limit or a transient error: 2^n seconds
//! (n = attempts so far), at most 64 s, with full jitter so that many accounts do not retry in
//! lock-step — unless Google named the time, which wins.

use std::time::Duration;

use rand::Rng;

const CEILING: Duration = Duration::from_secs(64);

/// The delay before attempt `attempt + 1`, `hint` being a retry time Google gave.
pub fn retry_delay(attempt: u32, hint: Option<Duration>, rng: &mut impl Rng) -> Duration {
    if let Some(hint) = hint {
        return hint;
    }
    let ceiling = Duration::from_secs(1u64 << attempt.min(6)).min(CEILING);
    // Full jitter within [ceiling/2, ceiling]: never (almost) zero, never above the ceiling.
    let millis = ceiling.as_millis() as u64;
    Duration::from_millis(rng.gen_range(millis / 2..=millis))
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn grows_exponentially_up_to_64_seconds() {
        let mut rng = StdRng::seed_from_u64(7);
        for (attempt, ceiling) in [(0, 1), (1, 2), (3, 8), (6, 64), (20, 64)] {
            for _ in 0..50 {
                let delay = retry_delay(attempt, None, &mut rng);
                assert!(delay <= Duration::from_secs(ceiling), "attempt {attempt}: {delay:?}");
                assert!(
                    delay >= Duration::from_millis(ceiling * 500),
                    "attempt {attempt}: {delay:?}"
                );
            }
        }
    }

    #[test]
    fn googles_hint_wins() {
        let mut rng = StdRng::seed_from_u64(7);
        assert_eq!(
            retry_delay(2, Some(Duration::from_secs(900)), &mut rng),
            Duration::from_secs(900)
        );
    }

    #[test]
    fn jitter_spreads_retries() {
        let mut rng = StdRng::seed_from_u64(1);
        let delays: std::collections::HashSet<Duration> =
            (0..20).map(|_| retry_delay(5, None, &mut rng)).collect();
        assert!(delays.len() > 10);
    }
}
