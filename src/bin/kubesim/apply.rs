//! `kubesim apply -f FILE [--as USER] [--as-group G]…`: every document of the file applied to a
//! freshly booted default cluster through the apiserver's whole chain, printed as kubectl
//! prints it.

use super::manifest::{documents, read};
use kube_playground::kubectl::{self, parse};
use kube_playground::scenario::Scenario;
use kube_playground::sim::time::{SimTime, SECONDS};

/// Returns kubectl's output and whether every document applied.
pub fn apply(file: &str, identity_args: &[String]) -> Result<(String, bool), String> {
    let docs = documents(&read(file)?)?;
    let quoted: Vec<String> = identity_args.iter().map(|a| format!("'{}'", a.replace('\'', ""))).collect();
    let identity = parse::identity(&format!("kubectl {}", quoted.join(" ")))?;
    let mut sim = Scenario::default().build()?;
    sim.run_until(SimTime::from_secs(2));
    let (mut lines, mut ok) = (Vec::new(), true);
    for doc in &docs {
        let (line, applied) = kubectl::apply(&mut sim, doc, file, identity.clone(), 30 * SECONDS);
        ok &= applied;
        lines.push(line);
    }
    Ok((lines.join("\n"), ok))
}
