//! Commands an operator runs on a node over ssh, answered from the node's components:
//! `ssh NODE iptables-save [-t nat]` prints the nat table kube-proxy programmed there,
//! `ipvsadm -Ln` and `ipset list` its IPVS virtual servers and ipsets (IPVS mode), and on
//! the control-plane node `ls /etc/kubernetes/manifests` and `cat` of a static pod manifest.
//! Simplified: no round trip; only the nat table and the manifests are modelled.

use super::parse::tokenize;
use crate::sim::component::Component;
use crate::sim::static_pods;
use crate::sim::Simulation;

/// The static pod manifests on `host`: kubeadm's control plane on the node running
/// kube-apiserver, none elsewhere.
fn manifests(sim: &Simulation, host: &str) -> Vec<(&'static str, String)> {
    let etcd_members = sim.etcd_members().count();
    let cluster_cidr = sim.components.iter().find_map(|c| match c {
        Component::ControllerManager(cm) => Some(cm.cluster_cidr.as_str()),
        _ => None,
    });
    sim.components
        .iter()
        .zip(&sim.infos)
        .find_map(|(c, i)| match c {
            Component::ApiServer(api) if i.node == host => {
                Some(static_pods::manifests(api, cluster_cidr.unwrap_or_default(), etcd_members))
            }
            _ => None,
        })
        .unwrap_or_default()
}

pub fn run(sim: &Simulation, line: &str) -> Result<String, String> {
    let tokens = tokenize(line)?;
    let (node, rest) = match tokens.get(1..) {
        Some([node, rest @ ..]) if !rest.is_empty() => (node.as_str(), rest),
        _ => return Err("usage: ssh NODE iptables-save [-t nat]".into()),
    };
    let host = node.rsplit('@').next().unwrap_or(node);
    let proxy = sim
        .components
        .iter()
        .zip(&sim.infos)
        .find_map(|(c, i)| match c {
            Component::KubeProxy(p) if i.node == host => Some(p),
            _ => None,
        })
        .ok_or_else(|| format!("ssh: Could not resolve hostname {host}: Name or service not known"))?;
    let words: Vec<&str> = rest.iter().map(String::as_str).filter(|w| *w != "sudo").collect();
    match words.as_slice() {
        ["iptables-save"] | ["iptables-save", "-t", "nat"] => Ok(proxy.iptables_save()),
        ["ipvsadm", "-Ln" | "-ln"] | ["ipvsadm", "-L", "-n"] => Ok(proxy.ipvsadm()),
        ["ipset", "list"] => proxy.ipset(None),
        ["ipset", "list", name] => proxy.ipset(Some(name)),
        ["crictl", "stats"] => sim
            .components
            .iter()
            .find_map(|c| match c {
                Component::Kubelet(k) if k.config.name == host && k.up => Some(k.crictl_stats(sim.now())),
                _ => None,
            })
            .ok_or_else(|| "crictl: validate service connection: connection refused".to_string()),
        ["ls", dir] | ["ls", "-1", dir] if dir.trim_end_matches('/') == static_pods::DIR => {
            Ok(manifests(sim, host).iter().map(|(f, _)| *f).collect::<Vec<_>>().join("\n"))
        }
        ["cat", path] => {
            let file = path.strip_prefix(static_pods::DIR).map(|f| f.trim_start_matches('/'));
            manifests(sim, host)
                .into_iter()
                .find(|(f, _)| Some(*f) == file)
                .map(|(_, text)| text.trim_end().to_string())
                .ok_or_else(|| format!("cat: {path}: No such file or directory"))
        }
        [cmd, ..] => Err(format!(
            "bash: line 1: {cmd}: command not found (this console knows iptables-save -t nat, ipvsadm -Ln, ipset list, crictl stats, ls and cat of {})",
            static_pods::DIR
        )),
        [] => Err("usage: ssh NODE iptables-save [-t nat]".into()),
    }
}
