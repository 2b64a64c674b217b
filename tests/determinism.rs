//! The kernel is deterministic: same seed ⇒ same trace, and the hash is pinned in a golden
//! file shared with the browser test.

use kube_playground::scenario::{reference, Scenario};
use kube_playground::sim::time::SimTime;

#[test]
fn reference_trace_hash_matches_the_golden_value() {
    let hash = format!("{:016x}", reference::trace_hash().unwrap());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/trace_hash.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, format!("{hash}\n")).unwrap();
    }
    let golden = std::fs::read_to_string(path).unwrap();
    assert_eq!(hash, golden.trim(), "the trace changed; if intended, rerun with UPDATE_GOLDEN=1");
}

#[test]
fn same_seed_same_trace_other_seed_other_trace() {
    let run = |seed| {
        let mut sim = Scenario { seed, ..Scenario::default() }.build().unwrap();
        sim.run_until(SimTime::from_secs(5));
        sim.trace.hash()
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
}

#[test]
fn a_snapshot_replays_to_the_same_future() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    let mut copy = sim.clone();
    sim.run_until(SimTime::from_secs(6));
    copy.run_until(SimTime::from_secs(6));
    assert_eq!(sim.trace.hash(), copy.trace.hash());
    assert_eq!(sim.steps(), copy.steps());
}
