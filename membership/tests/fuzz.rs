//! Random and mutated packets never panic the core (a few thousand inputs in CI; the
//! million-input run is `cargo bench -p membership --bench fuzz`).

use membership::crypto::{Cipher, Envelope};
use membership::sim::fuzz_core;
use membership::totem::{Totem, TotemConfig, TotemParams};
use membership::wire::Message;
use proptest::prelude::*;
use std::time::Instant;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Message::decode(&bytes);
    }

    #[test]
    fn core_survives_arbitrary_datagrams(dgrams in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..120), 1..40)) {
        let now = Instant::now();
        let mut t = Totem::new(TotemParams::new(1, vec![1, 2, 3], TotemConfig::default()), now);
        for d in &dgrams {
            t.handle_datagram(now, d);
        }
        // Random bytes essentially never form a valid envelope: all are counted as dropped.
        let s = t.stats();
        prop_assert!(s.malformed + s.unknown_sender + s.auth_failed + s.undecodable >= dgrams.len() as u64 - 1);
    }

    #[test]
    fn structured_and_mutated_packets(seed in any::<u64>()) {
        prop_assert_eq!(fuzz_core(seed, 100), 100);
    }
}

#[test]
fn sealed_core_drops_forgeries() {
    let key = vec![9u8; 256];
    let now = Instant::now();
    let mut p = TotemParams::new(1, vec![1, 2], TotemConfig::default());
    p.envelope = Envelope::new(1, &[1, 2], 1, Some((&key, Cipher::ChaCha20Poly1305)), "c");
    let mut t = Totem::new(p, now);
    let mut wrong = Envelope::new(
        2,
        &[1, 2],
        1,
        Some((&[8u8; 256], Cipher::ChaCha20Poly1305)),
        "c",
    );
    let mut plain = Envelope::new(2, &[1, 2], 1, None, "c");
    let mut good = Envelope::new(2, &[1, 2], 1, Some((&key, Cipher::ChaCha20Poly1305)), "c");
    let m = Message::MergeDetect {
        ring_id: membership::RingId { rep: 2, seq: 100 },
    }
    .encode();
    t.handle_datagram(now, &wrong.seal(&m));
    t.handle_datagram(now, &plain.seal(&m));
    let g = good.seal(&m);
    t.handle_datagram(now, &g);
    t.handle_datagram(now, &g);
    t.handle_datagram(now, &g[..10]);
    let s = t.stats().clone();
    assert_eq!((s.auth_failed, s.replayed, s.malformed), (2, 1, 1));
    // The genuine merge detect moved the node to GATHER.
    assert_eq!(t.state(), membership::totem::State::Gather);
}
