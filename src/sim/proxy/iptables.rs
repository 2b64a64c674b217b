//! kube-proxy's iptables mode (pkg/proxy/iptables): the nat table it programs for the
//! Services and their endpoints, rendered as `iptables-save -t nat` prints it — KUBE-SERVICES
//! jumps per cluster IP to a KUBE-SVC-<hash> chain, which masquerades traffic from outside
//! the cluster CIDR and picks a KUBE-SEP-<hash> endpoint chain with `-m statistic --mode
//! random` rules (1/n, then 1/(n−1), …, the last unconditional), each DNATing to its pod.
//! Chain names are base32(sha256(…))[:16] as upstream, so they match a real cluster's.
//! A NodePort jumps from KUBE-NODEPORTS to KUBE-EXT-<hash>, which masquerades and goes on to
//! the service chain (externalTrafficPolicy: Cluster).
//! Not rendered yet: externalTrafficPolicy: Local (KUBE-SVL), LoadBalancer firewall chains
//! (KUBE-FW), session affinity, the filter table (REJECT for services without endpoints).

use sha2::{Digest, Sha256};
use std::fmt::Write;

/// One service port as the proxier sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct ServicePort {
    /// `namespace/name`, or `namespace/name:port-name` for a named port.
    pub name: String,
    pub cluster_ip: String,
    pub port: i32,
    /// Lower case, as in the hashes and `-p`: tcp, udp, sctp.
    pub protocol: String,
    /// `ip:port` of the endpoints traffic goes to, in order.
    pub endpoints: Vec<String>,
    /// The NodePort, for NodePort and LoadBalancer Services.
    pub node_port: Option<i32>,
}

/// portProtoHash and its endpoint variant: base32(sha256(text))[:16].
pub fn chain_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    base32::encode(base32::Alphabet::Rfc4648 { padding: true }, &digest)[..16].to_string()
}

pub fn service_chain(p: &ServicePort) -> String {
    format!("KUBE-SVC-{}", chain_hash(&format!("{}{}", p.name, p.protocol)))
}

/// KUBE-EXT-<hash>: where traffic to the NodePort goes (externalTrafficPolicy: Cluster).
pub fn external_chain(p: &ServicePort) -> String {
    format!("KUBE-EXT-{}", chain_hash(&format!("{}{}", p.name, p.protocol)))
}

pub fn endpoint_chain(p: &ServicePort, endpoint: &str) -> String {
    format!("KUBE-SEP-{}", chain_hash(&format!("{}{}{endpoint}", p.name, p.protocol)))
}

/// The probability of the i-th of n remaining endpoints as iptables-save prints it: kube-proxy
/// writes `%0.10f` of 1/n, the kernel keeps it as a fraction of 2^31, and iptables-save
/// prints that with 11 decimals (1/3 → 0.33333333349).
pub fn probability(n: usize) -> String {
    let written: f64 = format!("{:.10}", 1.0 / n as f64).parse().unwrap_or(0.0);
    let kept = (written * 2_147_483_648.0).round();
    format!("{:.11}", kept / 2_147_483_648.0)
}

/// How many rules `render_nat` writes for these ports, without hashing or formatting them:
/// the fixed rules, then per service port with endpoints its portal and masquerade rules,
/// three per endpoint, and three for a NodePort.
pub fn rule_count(ports: &[ServicePort]) -> usize {
    const FIXED: usize = 8;
    ports
        .iter()
        .filter(|p| !p.endpoints.is_empty())
        .map(|p| 2 + 3 * p.endpoints.len() + if p.node_port.is_some() { 3 } else { 0 })
        .sum::<usize>()
        + FIXED
}

/// A nat table being written: chains in creation order, each with its rules, printed as
/// iptables-save prints them (built-in chains first, then the others sorted).
#[derive(Default)]
pub struct NatTable {
    chains: Vec<(String, Vec<String>)>,
}

impl NatTable {
    pub fn rule(&mut self, chain: &str, text: String) {
        match self.chains.iter_mut().find(|(c, _)| c == chain) {
            Some((_, rules)) => rules.push(text),
            None => self.chains.push((chain.to_string(), vec![text])),
        }
    }

    /// The portal jumps and the masquerade marking both modes write.
    pub fn common(&mut self) {
        let portals = "-m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES";
        self.rule("PREROUTING", portals.into());
        self.rule("OUTPUT", portals.into());
        self.rule("POSTROUTING", "-m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING".into());
        self.rule("KUBE-MARK-MASQ", "-j MARK --set-xmark 0x4000/0x4000".into());
    }

    /// The end of KUBE-POSTROUTING: masquerade what was marked.
    pub fn masquerade_marked(&mut self) {
        self.rule("KUBE-POSTROUTING", "-m mark ! --mark 0x4000/0x4000 -j RETURN".into());
        self.rule("KUBE-POSTROUTING", "-j MARK --set-xmark 0x4000/0x0".into());
        self.rule(
            "KUBE-POSTROUTING",
            "-m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully".into(),
        );
    }

    /// `*nat` … `COMMIT`, with `empty` chains declared even without rules.
    pub fn render(&self, empty: &[&str]) -> String {
        let builtin = ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"];
        let mut user: Vec<&str> =
            self.chains.iter().map(|(c, _)| c.as_str()).filter(|c| !builtin.contains(c)).collect();
        user.extend(empty);
        crate::sim::sort::sort(&mut user);
        user.dedup();
        let mut out = String::from("*nat\n");
        for b in builtin {
            let _ = writeln!(out, ":{b} ACCEPT [0:0]");
        }
        for c in &user {
            let _ = writeln!(out, ":{c} - [0:0]");
        }
        for chain in builtin.iter().copied().chain(user.iter().copied()) {
            for r in self.chains.iter().filter(|(c, _)| c == chain).flat_map(|(_, rules)| rules) {
                let _ = writeln!(out, "-A {chain} {r}");
            }
        }
        out.push_str("COMMIT");
        out
    }
}

/// The nat table of one node. `cluster_cidr` is kube-proxy's --cluster-cidr.
pub fn render_nat(ports: &[ServicePort], cluster_cidr: &str) -> String {
    let mut table = NatTable::default();
    table.common();
    table.masquerade_marked();
    let mut rule = |chain: &str, text: String| table.rule(chain, text);
    for p in ports.iter().filter(|p| !p.endpoints.is_empty()) {
        let svc = service_chain(p);
        let (ip, port, proto, name) = (&p.cluster_ip, p.port, &p.protocol, &p.name);
        let portal =
            format!("-d {ip}/32 -p {proto} -m comment --comment \"{name} cluster IP\" -m {proto} --dport {port}");
        rule("KUBE-SERVICES", format!("{portal} -j {svc}"));
        if let Some(node_port) = p.node_port {
            let ext = external_chain(p);
            rule(
                "KUBE-NODEPORTS",
                format!("-p {proto} -m comment --comment {name} -m {proto} --dport {node_port} -j {ext}"),
            );
            rule(
                &ext,
                format!(
                    "-m comment --comment \"masquerade traffic for {name} external destinations\" -j KUBE-MARK-MASQ"
                ),
            );
            rule(&ext, format!("-j {svc}"));
        }
        rule(&svc, format!("! -s {cluster_cidr} {portal} -j KUBE-MARK-MASQ"));
        let n = p.endpoints.len();
        for (i, ep) in p.endpoints.iter().enumerate() {
            let sep = endpoint_chain(p, ep);
            let pick = if i + 1 < n {
                format!(" -m statistic --mode random --probability {}", probability(n - i))
            } else {
                String::new()
            };
            rule(&svc, format!("-m comment --comment \"{name} -> {ep}\"{pick} -j {sep}"));
            let ep_ip = ep.rsplit_once(':').map_or(ep.as_str(), |(ip, _)| ip);
            rule(&sep, format!("-s {ep_ip}/32 -m comment --comment {name} -j KUBE-MARK-MASQ"));
            rule(&sep, format!("-p {proto} -m comment --comment {name} -m {proto} -j DNAT --to-destination {ep}"));
        }
    }
    rule(
        "KUBE-SERVICES",
        "-m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" \
         -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS"
            .into(),
    );
    table.render(&["KUBE-NODEPORTS", "KUBE-PROXY-CANARY"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_names_match_a_real_cluster() {
        // Every cluster's `kubernetes` Service: KUBE-SVC-NPX46M4PTMTKRN6Y.
        let p = ServicePort {
            name: "default/kubernetes:https".into(),
            cluster_ip: "10.96.0.1".into(),
            port: 443,
            protocol: "tcp".into(),
            endpoints: vec![],
            node_port: None,
        };
        assert_eq!(service_chain(&p), "KUBE-SVC-NPX46M4PTMTKRN6Y");
    }

    #[test]
    fn the_rule_count_matches_the_rendered_table() {
        let port = |node_port, n: usize| ServicePort {
            name: "default/web".into(),
            cluster_ip: "10.96.0.9".into(),
            port: 80,
            protocol: "tcp".into(),
            endpoints: (0..n).map(|i| format!("10.244.1.{i}:80")).collect(),
            node_port,
        };
        for ports in [vec![], vec![port(None, 3)], vec![port(Some(30080), 2), port(None, 0)]] {
            let rendered = render_nat(&ports, "10.244.0.0/16").lines().filter(|l| l.starts_with("-A ")).count();
            assert_eq!(rule_count(&ports), rendered);
        }
    }

    #[test]
    fn probabilities_as_iptables_save_prints_them() {
        assert_eq!(probability(3), "0.33333333349");
        assert_eq!(probability(2), "0.50000000000");
        assert_eq!(probability(4), "0.25000000000");
    }
}
