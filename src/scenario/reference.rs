//! The reference run: a fixed scenario whose trace hash pins determinism. The native tests and
//! the browser test (wasm-bindgen-test in Chromium) must both get the value in
//! `tests/golden/trace_hash.txt`.

use super::Scenario;
use crate::kubectl;
use crate::sim::time::{SimTime, SECONDS};

/// Runs the default cluster (seed 7), creates a 3-replica deployment at t = 1 s, scales it to
/// 5 at t = 8 s and runs to t = 20 s. Returns the trace hash.
pub fn trace_hash() -> Result<u64, String> {
    let mut sim = Scenario::default().build()?;
    sim.run_until(SimTime::from_secs(1));
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=3", 30 * SECONDS);
    sim.run_until(SimTime::from_secs(8));
    kubectl::run(&mut sim, "kubectl scale deployment web --replicas=5", 30 * SECONDS);
    sim.run_until(SimTime::from_secs(20));
    Ok(sim.trace.hash())
}
