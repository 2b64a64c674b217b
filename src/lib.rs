//! Kube Playground: a Kubernetes cluster simulated in one static web page.
//!
//! `sim` is the pure deterministic model, `scenario` the serialisable input, `kubectl` the
//! command line and its printers; `ui` (wasm only) is the only code that touches the browser.

// API objects travel by value inside messages that are boxed at the message boundary
// (event::Payload); boxing every object variant as well would only add indirection.
#![allow(clippy::large_enum_variant)]

pub mod kubectl;
pub mod scenario;
pub mod sim;
#[cfg(target_arch = "wasm32")]
pub mod ui;
