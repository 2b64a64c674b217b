//! Kube Playground: a Kubernetes cluster simulated in one static web page.
//!
//! `sim` is the pure deterministic model, `scenario` the serialisable input, `kubectl` the
//! command line and its printers; `ui` (wasm only) is the only code that touches the browser.

pub mod kubectl;
pub mod scenario;
pub mod sim;
#[cfg(target_arch = "wasm32")]
pub mod ui;
