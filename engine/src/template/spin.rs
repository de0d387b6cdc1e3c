//! Deterministic spintax choices. The seed depends only on the lead and the step, and the
//! hashes are written out here (not `std`'s hasher, which may change between Rust releases),
//! so a preview, a send next month and a re-send after an upgrade all pick the same options.

const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// The spintax seed for one lead at one step: FNV-1a 64 over the UTF-8 bytes of `lead_key`
/// (use something stable, like the lead's id or normalized address), then one `0xff` byte
/// (never in UTF-8, so `"ab"`+step can't collide with `"a"`+…), then `step` as 4
/// little-endian bytes.
pub fn spin_seed(lead_key: &str, step: u32) -> u64 {
    let step = step.to_le_bytes();
    let bytes = lead_key.as_bytes().iter().chain(&[0xff]).chain(&step);
    bytes.fold(FNV_OFFSET_BASIS, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME))
}

/// Which of `option_count` options the spintax group at `position` picks: SplitMix64
/// of the seed mixed with the position, reduced modulo the count (the bias is ~n / 2^64).
pub(super) fn pick(seed: u64, position: u32, option_count: usize) -> usize {
    let stream = splitmix64(seed ^ splitmix64(u64::from(position)));
    let count = u64::try_from(option_count).unwrap_or(u64::MAX).max(1);
    // The remainder is below `option_count`, so it fits in a usize.
    usize::try_from(stream % count).unwrap_or(0)
}

/// SplitMix64's output function (Steele, Lea & Flood 2014): a fast, well-mixed bijection.
fn splitmix64(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_is_fnv1a_and_stable() {
        // Pinned values: changing them changes what every existing campaign sends.
        assert_eq!(spin_seed("", 0), 0xdc62_ece3_be52_214e);
        assert_eq!(spin_seed("jane@example.com", 1), 0x3ab6_be64_37ae_3de8);
        assert_ne!(spin_seed("jane@example.com", 1), spin_seed("jane@example.com", 2));
        assert_ne!(spin_seed("ab", 0), spin_seed("a", 0));
    }

    #[test]
    fn picks_are_in_range_and_spread_out() {
        let mut counts = [0usize; 3];
        for lead in 0..3000 {
            let choice = pick(spin_seed(&format!("lead-{lead}"), 1), 0, 3);
            counts[choice] += 1;
        }
        assert!(counts.iter().all(|&n| (800..1200).contains(&n)), "{counts:?}");
    }

    #[test]
    fn groups_pick_independently() {
        let seed = spin_seed("jane@example.com", 1);
        let picks: Vec<usize> = (0..64).map(|position| pick(seed, position, 2)).collect();
        assert!(picks.contains(&0) && picks.contains(&1));
    }
}
