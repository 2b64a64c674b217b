//! `kubesim apply -f FILE [--as USER] [--as-group G]…`: every document of the file applied to a
//! freshly booted default cluster through the apiserver's whole chain, printed as kubectl
//! prints it.

use super::manifest::{documents, read};
use kube_playground::kubectl::{self, apply, parse};
use kube_playground::scenario::Scenario;
use kube_playground::sim::time::{SimTime, SECONDS};

/// Returns kubectl's output and whether every document applied.
pub fn apply(file: &str, identity_args: &[String]) -> Result<(String, bool), String> {
    let docs = documents(&read(file)?)?;
    let quoted: Vec<String> = identity_args.iter().map(|a| format!("'{}'", a.replace('\'', ""))).collect();
    let identity = parse::identity(&format!("kubectl {}", quoted.join(" ")))?;
    let mut sim = Scenario::default().build()?;
    sim.run_until(SimTime::from_secs(2));
    let prepared = docs.iter().map(|d| apply::prepare(d, file)).collect();
    let started = apply::start(&mut sim, prepared, identity);
    let out = kubectl::wait(&mut sim, started, 60 * SECONDS);
    let ok = apply::succeeded(&out);
    Ok((out, ok))
}
