//! `kubesim apply -f FILE [-f FILE]… [--as USER] [--as-group G]…`: every document of the files
//! applied in order to a freshly booted default cluster through the apiserver's whole chain,
//! printed as kubectl prints it. Each file is read after the previous one was applied, so a
//! CustomResourceDefinition in one file serves the resource of the next (within one file,
//! as with kubectl, it does not yet).

use super::manifest::{documents, read};
use kube_playground::kubectl::{self, apply, parse};
use kube_playground::scenario::Scenario;
use kube_playground::sim::time::{SimTime, SECONDS};

/// Returns kubectl's output and whether every document applied.
pub fn apply(files: &[&str], identity_args: &[String]) -> Result<(String, bool), String> {
    if files.is_empty() {
        return Err("error: must specify -f".into());
    }
    let quoted: Vec<String> = identity_args.iter().map(|a| format!("'{}'", a.replace('\'', ""))).collect();
    let identity = parse::identity(&format!("kubectl {}", quoted.join(" ")))?;
    let mut sim = Scenario::default().build()?;
    sim.run_until(SimTime::from_secs(2));
    let mut out = Vec::new();
    for file in files {
        let docs = documents(&read(file)?)?;
        let discovered = sim.discovery();
        let prepared = docs.iter().map(|d| apply::prepare(d, file, &discovered)).collect();
        let started = apply::start(&mut sim, prepared, identity.clone());
        out.push(kubectl::wait(&mut sim, started, 60 * SECONDS));
        // Let the apiserver take up new definitions before the next file.
        sim.run_until(sim.now().plus(SECONDS));
    }
    let out = out.join("\n");
    let ok = apply::succeeded(&out);
    Ok((out, ok))
}
