//! Commands an operator runs on a node over ssh, answered from the node's components:
//! `ssh NODE iptables-save [-t nat]` prints the nat table kube-proxy programmed there.
//! Simplified: no round trip; only the nat table is modelled.

use super::parse::tokenize;
use crate::sim::component::Component;
use crate::sim::Simulation;

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
    match rest.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["iptables-save"] | ["iptables-save", "-t", "nat"] | ["sudo", "iptables-save", ..] => Ok(proxy.iptables_save()),
        [cmd, ..] => Err(format!("bash: line 1: {cmd}: command not found (this console knows iptables-save -t nat)")),
        [] => Err("usage: ssh NODE iptables-save [-t nat]".into()),
    }
}
