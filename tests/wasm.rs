//! Browser layer (wasm-bindgen-test in headless Chromium): the engine compiled to wasm gives
//! the same trace hash as the native build, and the app mounts without panicking.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn engine_in_the_browser_matches_the_native_trace_hash() {
    let expected = include_str!("golden/trace_hash.txt").trim();
    let hash = kube_playground::scenario::reference::trace_hash().expect("the reference scenario builds");
    assert_eq!(format!("{hash:016x}"), expected);
}

#[wasm_bindgen_test]
fn kubectl_output_in_the_browser_matches_native_printing() {
    let mut sim = kube_playground::scenario::Scenario::default().build().expect("builds");
    sim.run_until(kube_playground::sim::time::SimTime::from_secs(2));
    let out = kube_playground::kubectl::run(&mut sim, "kubectl get nodes", 30_000_000);
    assert!(out.starts_with("NAME            STATUS   ROLES           AGE   VERSION"), "{out}");
    assert_eq!(out.lines().count(), 5, "{out}");
}
