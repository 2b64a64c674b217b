//! curl in the console, for the components' own HTTP endpoints: etcd's metrics on
//! `http://etcd-N:2381/metrics` and the secure ports of kube-scheduler
//! (`https://kube-scheduler:10259/metrics`) and kube-controller-manager
//! (`https://kube-controller-manager:10257/metrics`), with `/healthz`, `/livez`, `/readyz`,
//! and on every node the kubelet (`https://worker-1:10250/metrics`) and kube-proxy
//! (`http://worker-1:10249/metrics`).
//! Simplified: the console answers as an operator holding admin credentials, without the
//! round trip; the scheduler's port uses a self-signed certificate, so curl needs `-k`.
//! kube-apiserver's port is different: a curl there is a real request through its handler
//! chain (anonymous, a bearer token, or the authenticating proxy), GET only. So is a NodePort
//! (30000–32767) on a node's address: a connection from the laptop, outside the cluster,
//! through that node's Service rules to a pod.

use super::identity::Identity;
use super::parse::tokenize;
use crate::sim::api::request::{ApiRequest, UserInfo, Verb};
use crate::sim::api::resource::ResourceInfo;
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

/// A curl to kube-apiserver: the path and who it authenticates as.
pub struct ApiCall {
    pub path: String,
    pub identity: Identity,
}

/// curl's options that take a value.
const WITH_VALUE: [&str; 11] =
    ["-H", "--header", "--cert", "--key", "--cacert", "-X", "--request", "-o", "--output", "-d", "--data"];

/// The URL and the options' values of a curl line.
fn split(tokens: &[String]) -> (Option<&String>, Vec<(&str, &str)>) {
    let (mut url, mut opts) = (None, Vec::new());
    let mut i = 1;
    while i < tokens.len() {
        let t = tokens[i].as_str();
        if WITH_VALUE.contains(&t) {
            opts.push((t, tokens.get(i + 1).map_or("", String::as_str)));
            i += 1;
        } else if !t.starts_with('-') && url.is_none() {
            url = Some(&tokens[i]);
        }
        i += 1;
    }
    (url, opts)
}

/// A curl to kube-apiserver's secure port (6443, or 443 on the Service) goes through the
/// apiserver: anonymous, with `-H "Authorization: Bearer …"`, or as the authenticating proxy
/// (`--cert /etc/kubernetes/pki/front-proxy-client.crt -H "X-Remote-User: …"`). None for any
/// other URL.
/// `curl http://IP[:PORT]/path`: the `ip:port` and the path, for a connection from the laptop
/// (to a NodePort or a load balancer, if the address is one). None for a URL by name or https.
pub fn direct_call(line: &str) -> Result<Option<(String, String)>, String> {
    let tokens = tokenize(line)?;
    let (Some(url), _) = split(&tokens) else { return Ok(None) };
    let Some(rest) = url.strip_prefix("http://").or_else(|| (!url.contains("://")).then_some(url.as_str())) else {
        return Ok(None);
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (ip, port) = host.split_once(':').unwrap_or((host, "80"));
    if ip.parse::<std::net::Ipv4Addr>().is_err() || port.parse::<u16>().is_err() {
        return Ok(None);
    }
    Ok(Some((format!("{ip}:{port}"), format!("/{path}"))))
}

/// What curl prints for a connection's answer.
pub fn answer(dst: &str, reply: Result<(u16, String), String>) -> String {
    let (ip, port) = dst.rsplit_once(':').unwrap_or((dst, ""));
    match reply {
        Ok((_, body)) => body,
        Err(e) if e == "download timed out" => {
            format!("curl: (28) Failed to connect to {ip} port {port} after 3000 ms: Timeout was reached")
        }
        Err(e) if e == "Connection refused" => {
            format!("curl: (7) Failed to connect to {ip} port {port} after 0 ms: Couldn't connect to server")
        }
        Err(e) => format!("curl: (7) Failed to connect to {ip} port {port}: {e}"),
    }
}

pub fn apiserver_call(line: &str) -> Result<Option<ApiCall>, String> {
    let tokens = tokenize(line)?;
    let (Some(url), opts) = split(&tokens) else { return Ok(None) };
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
    if let Some((_, m)) = opts.iter().find(|(o, m)| (*o == "-X" || *o == "--request") && *m != "GET") {
        return Err(format!("curl: this console sends GET requests only, not {m}"));
    }
    let header = |name: &str| -> Vec<String> {
        opts.iter()
            .filter(|(o, _)| *o == "-H" || *o == "--header")
            .filter_map(|(_, h)| h.split_once(':'))
            .filter(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
            .collect()
    };
    let mut identity = Identity { anonymous: true, ..Default::default() };
    if let Some(token) = header("Authorization").first().and_then(|v| v.strip_prefix("Bearer ")) {
        identity = Identity { token: Some(token.trim().to_string()), ..Default::default() };
    }
    if let Some((_, cert)) = opts.iter().find(|(o, _)| *o == "--cert") {
        let file = cert.rsplit('/').next().unwrap_or(cert);
        let Some(cn) = file.strip_suffix(".crt").filter(|cn| *cn == "front-proxy-client") else {
            return Err(format!("curl: (58) could not load PEM client certificate from {cert}"));
        };
        let user = header("X-Remote-User").first().cloned().unwrap_or_default();
        let groups = header("X-Remote-Group");
        let who = UserInfo { name: user, uid: String::new(), groups };
        identity = Identity { proxied: Some((cn.to_string(), who)), ..Default::default() };
    }
    Ok(Some(ApiCall { path: format!("/{path}"), identity }))
}

/// A REST path as the request it names: `/api/v1/namespaces/default/pods/web`,
/// `/apis/apps/v1/deployments`; None for a path that names no resource.
pub fn rest_request(path: &str, discovered: &[&'static ResourceInfo]) -> Option<ApiRequest> {
    let path = path.split('?').next().unwrap_or(path);
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match parts.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return None,
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, rest @ ..] if !rest.is_empty() => (*ns, rest),
        _ => ("", rest),
    };
    let (plural, name, sub) = match rest {
        [p] => (*p, "", ""),
        [p, n] => (*p, *n, ""),
        [p, n, s] => (*p, *n, *s),
        _ => return None,
    };
    let res = crate::sim::api::resource::RESOURCES
        .iter()
        .chain(discovered.iter().copied())
        .find(|r| r.plural == plural && r.group == group && r.version == version)?;
    let verb = if name.is_empty() { Verb::List } else { Verb::Get };
    let mut req = ApiRequest::new(verb, res, namespace, name);
    req.subresource = sub.to_string();
    Some(req)
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
    // The replica on this host (the control-plane node's), if its process runs.
    let metrics = sim.component_by_name(component).and_then(|id| match &sim.components[id as usize] {
        Component::Scheduler(s) if s.up => Some(s.metrics_text()),
        Component::ControllerManager(m) if m.up => Some(m.metrics_text()),
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
                    "metrics/cadvisor" => k.cadvisor_text(sim.now()).trim_end().to_string(),
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

/// What a Prometheus scrape of `target` gets now, as the console's curl reads it (kube-apiserver
/// is read directly, as an authorized scrape would be): kube-apiserver, etcd-N,
/// kube-scheduler, kube-controller-manager, kubelet/NODE, cadvisor/NODE, kube-proxy/NODE.
pub fn scrape(sim: &Simulation, target: &str) -> Result<String, String> {
    let line = match target.split_once('/') {
        _ if target.starts_with("kube-apiserver") => {
            let at = sim.infos.iter().position(|i| i.name == target);
            return match at.and_then(|i| sim.components.get(i)) {
                Some(crate::sim::component::Component::ApiServer(api)) if api.up => {
                    Ok(api.metrics_text().trim_end().to_string())
                }
                Some(crate::sim::component::Component::ApiServer(_)) => {
                    let host = if target == "kube-apiserver" { crate::sim::cluster::APISERVER_ADDRESS } else { target };
                    Err(format!("curl: (7) Failed to connect to {host} port 6443: Connection refused"))
                }
                _ => Err(format!("unknown component \"{target}\"")),
            };
        }
        Some(("kubelet", node)) => format!("curl -k https://{node}:10250/metrics"),
        Some(("cadvisor", node)) => format!("curl -k https://{node}:10250/metrics/cadvisor"),
        Some(("kube-proxy", node)) => format!("curl http://{node}:10249/metrics"),
        None if target.starts_with("etcd-") => format!("curl http://{target}:2381/metrics"),
        None if target == "kube-scheduler" => "curl -k https://kube-scheduler:10259/metrics".into(),
        None if target == "kube-controller-manager" => "curl -k https://kube-controller-manager:10257/metrics".into(),
        _ => return Err(format!("unknown component \"{target}\" (kube-apiserver, etcd-N, kube-scheduler, kube-controller-manager, kubelet/NODE, cadvisor/NODE, kube-proxy/NODE)")),
    };
    run(sim, &line)
}

/// Every target `scrape` knows in this cluster, in component order.
pub fn scrape_targets(sim: &Simulation) -> Vec<String> {
    let mut out = Vec::new();
    for info in &sim.infos {
        let name = info.name.as_str();
        match name.split_once('/') {
            Some(("kubelet", node)) => {
                out.push(name.to_string());
                out.push(format!("cadvisor/{node}"));
            }
            Some(("kube-proxy", _)) => out.push(name.to_string()),
            None if name.starts_with("kube-apiserver") || name.starts_with("etcd-") => out.push(name.to_string()),
            None if name == "kube-scheduler" || name == "kube-controller-manager" => out.push(name.to_string()),
            _ => {}
        }
    }
    out
}
