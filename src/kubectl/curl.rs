//! curl in the console, for the components' own HTTP endpoints: etcd's metrics on
//! `http://etcd-N:2381/metrics` and the secure ports of kube-scheduler
//! (`https://kube-scheduler:10259/metrics`) and kube-controller-manager
//! (`https://kube-controller-manager:10257/metrics`), with `/healthz`, `/livez`, `/readyz`,
//! and on every node the kubelet (`https://worker-1:10250/metrics`) and kube-proxy
//! (`http://worker-1:10249/metrics`).
//! Simplified: the console answers as an operator holding admin credentials, without the
//! round trip; the scheduler's port uses a self-signed certificate, so curl needs `-k`.

use super::parse::tokenize;
use crate::sim::component::Component;
use crate::sim::Simulation;

/// The --secure-port of kube-scheduler and kube-controller-manager.
const SCHEDULER_PORT: &str = "10259";
const CONTROLLER_MANAGER_PORT: &str = "10257";
/// The kubelet's port, and kube-proxy's plain-HTTP metrics port.
const KUBELET_PORT: &str = "10250";
const KUBE_PROXY_METRICS_PORT: &str = "10249";

/// kube-apiserver's addresses: its name, the control-plane node's IP and the `kubernetes`
/// Service's ClusterIP.
const APISERVER_HOSTS: [&str; 4] =
    ["kube-apiserver", crate::sim::cluster::APISERVER_ADDRESS, "10.96.0.1", "kubernetes.default.svc"];

/// The path of a curl to kube-apiserver's secure port (6443, or 443 on the Service), which
/// goes through the apiserver as an anonymous request; None for any other URL.
pub fn apiserver_path(line: &str) -> Result<Option<String>, String> {
    let tokens = tokenize(line)?;
    let Some(url) = tokens.iter().skip(1).find(|t| !t.starts_with('-')) else { return Ok(None) };
    let Some(rest) = url.strip_prefix("https://") else { return Ok(None) };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (name, port) = host.split_once(':').unwrap_or((host, "443"));
    let to_apiserver =
        APISERVER_HOSTS.contains(&name) && (port == "6443" || (port == "443" && name != APISERVER_HOSTS[1]));
    if !to_apiserver {
        return Ok(None);
    }
    if !insecure(&tokens) {
        return Err("curl: (60) SSL certificate problem: unable to get local issuer certificate\nMore details here: https://curl.se/docs/sslcerts.html".into());
    }
    Ok(Some(format!("/{path}")))
}

/// `-k` / `--insecure` (also inside combined short flags like `-sk`).
fn insecure(tokens: &[String]) -> bool {
    tokens
        .iter()
        .any(|t| t == "-k" || t == "--insecure" || (t.starts_with('-') && !t.starts_with("--") && t.contains('k')))
}

pub fn run(sim: &Simulation, line: &str) -> Result<String, String> {
    let tokens = tokenize(line)?;
    let insecure = insecure(&tokens);
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
        SCHEDULER_PORT => secure(sim, "kube-scheduler", name, port, scheme, path, insecure),
        CONTROLLER_MANAGER_PORT => secure(sim, "kube-controller-manager", name, port, scheme, path, insecure),
        KUBELET_PORT => node_agent(sim, name, port, scheme == "https", path, insecure),
        KUBE_PROXY_METRICS_PORT => node_agent(sim, name, port, scheme == "https", path, true),
        _ => Err(refused()),
    }
}

/// A control-plane component's secure port: `component` answers on its own name, on
/// localhost and on the control-plane node's name.
fn secure(
    sim: &Simulation,
    component: &str,
    name: &str,
    port: &str,
    scheme: &str,
    path: &str,
    insecure: bool,
) -> Result<String, String> {
    let cp = &sim.infos.iter().find(|i| i.name == component).map(|i| i.node.clone()).unwrap_or_default();
    if ![component, "localhost", "127.0.0.1", cp.as_str()].contains(&name) {
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
    let metrics = sim.components.iter().find_map(|c| match (c, component) {
        (Component::Scheduler(s), "kube-scheduler") => Some(s.metrics_text()),
        (Component::ControllerManager(m), "kube-controller-manager") => Some(m.metrics_text()),
        _ => None,
    });
    match (metrics, path) {
        (None, _) => Err(format!("curl: (7) Failed to connect to {name} port {port}: Connection refused")),
        (Some(m), "metrics") => Ok(m.trim_end().to_string()),
        (Some(_), "healthz" | "livez" | "readyz") => Ok("ok".into()),
        (Some(_), _) => Ok("404 page not found".into()),
    }
}

/// The kubelet (10250, HTTPS) or kube-proxy (10249, HTTP) on the node `name` (its name or
/// InternalIP).
fn node_agent(
    sim: &Simulation,
    name: &str,
    port: &str,
    https: bool,
    path: &str,
    insecure: bool,
) -> Result<String, String> {
    let node = sim
        .components
        .iter()
        .find_map(|c| match c {
            Component::Kubelet(k) if k.config.name == name || k.internal_ip() == name => Some(k.config.name.clone()),
            _ => None,
        })
        .ok_or_else(|| format!("curl: (6) Could not resolve host: {name}"))?;
    let refused = || format!("curl: (7) Failed to connect to {name} port {port}: Connection refused");
    let kubelet = port == KUBELET_PORT;
    if kubelet && !https {
        return Ok("Client sent an HTTP request to an HTTPS server.".into());
    }
    if kubelet && !insecure {
        return Err("curl: (60) SSL certificate problem: self-signed certificate in certificate chain".into());
    }
    for (c, info) in sim.components.iter().zip(&sim.infos) {
        match c {
            Component::Kubelet(k) if kubelet && k.config.name == node => {
                if !k.up {
                    return Err(refused());
                }
                return Ok(match path {
                    "metrics" => k.metrics_text().trim_end().to_string(),
                    "healthz" => "ok".into(),
                    _ => "404 page not found".into(),
                });
            }
            Component::KubeProxy(p) if !kubelet && info.node == node => {
                return Ok(match path {
                    "metrics" => p.metrics_text().trim_end().to_string(),
                    "healthz" => "ok".into(),
                    _ => "404 page not found".into(),
                });
            }
            _ => {}
        }
    }
    Err(refused())
}
