//! curl in the console, for the components' own HTTP endpoints: etcd's metrics on
//! `http://etcd-N:2381/metrics` and kube-scheduler's secure port,
//! `https://kube-scheduler:10259/metrics` (also `/healthz`, `/livez`, `/readyz`).
//! Simplified: the console answers as an operator holding admin credentials, without the
//! round trip; the scheduler's port uses a self-signed certificate, so curl needs `-k`.

use super::parse::tokenize;
use crate::sim::component::Component;
use crate::sim::Simulation;

/// kube-scheduler's --secure-port.
const SCHEDULER_PORT: &str = "10259";

pub fn run(sim: &Simulation, line: &str) -> Result<String, String> {
    let tokens = tokenize(line)?;
    let insecure = tokens
        .iter()
        .any(|t| t == "-k" || t == "--insecure" || (t.starts_with('-') && !t.starts_with("--") && t.contains('k')));
    let url =
        tokens.iter().skip(1).find(|t| !t.starts_with('-')).ok_or("curl: try 'curl --help' for more information")?;
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url.as_str()));
    if scheme != "http" && scheme != "https" {
        return Err(format!("curl: (1) Protocol \"{scheme}\" not supported"));
    }
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (name, port) = host.split_once(':').unwrap_or((host, if scheme == "https" { "443" } else { "80" }));
    let refused = || format!("curl: (7) Failed to connect to {name} port {port}: Connection refused");
    match port {
        "2381" if scheme == "http" && path == "metrics" => super::etcdctl::metrics(sim, name),
        "2381" => Err(refused()),
        SCHEDULER_PORT => scheduler(sim, name, scheme, path, insecure),
        _ => Err(refused()),
    }
}

fn scheduler(sim: &Simulation, name: &str, scheme: &str, path: &str, insecure: bool) -> Result<String, String> {
    let cp = &sim.infos.iter().find(|i| i.name == "kube-scheduler").map(|i| i.node.clone()).unwrap_or_default();
    if !["kube-scheduler", "localhost", "127.0.0.1", cp.as_str()].contains(&name) {
        return Err(format!("curl: (6) Could not resolve host: {name}"));
    }
    if scheme == "http" {
        return Ok("Client sent an HTTP request to an HTTPS server.".into());
    }
    if !insecure {
        return Err("curl: (60) SSL certificate problem: self-signed certificate in certificate chain\n\
                    More details here: https://curl.se/docs/sslcerts.html"
            .into());
    }
    let s = sim.components.iter().find_map(|c| match c {
        Component::Scheduler(s) => Some(s),
        _ => None,
    });
    match (s, path) {
        (None, _) => Err(format!("curl: (7) Failed to connect to {name} port {SCHEDULER_PORT}: Connection refused")),
        (Some(s), "metrics") => Ok(s.metrics_text().trim_end().to_string()),
        (Some(_), "healthz" | "livez" | "readyz") => Ok("ok".into()),
        (Some(_), _) => Ok("404 page not found".into()),
    }
}
