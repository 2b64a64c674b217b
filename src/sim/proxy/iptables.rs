//! kube-proxy's iptables mode (pkg/proxy/iptables): the nat table it programs for the
//! Services and their endpoints, rendered as `iptables-save -t nat` prints it — KUBE-SERVICES
//! jumps per cluster IP to a KUBE-SVC-<hash> chain, which masquerades traffic from outside
//! the cluster CIDR and picks a KUBE-SEP-<hash> endpoint chain with `-m statistic --mode
//! random` rules (1/n, then 1/(n−1), …, the last unconditional), each DNATing to its pod.
//! Chain names are base32(sha256(…))[:16] as upstream, so they match a real cluster's.
//! A NodePort jumps from KUBE-NODEPORTS to KUBE-EXT-<hash>, which masquerades and goes on to
//! the service chain — or, with externalTrafficPolicy: Local, sends pods' and the node's own
//! traffic there but everything else to KUBE-SVL-<hash>, this node's endpoints only, keeping
//! the client's address. internalTrafficPolicy: Local sends the cluster IP to KUBE-SVL too.
//! ClientIP session affinity puts `-m recent --rcheck` rules before the random ones and
//! `--set` in each endpoint chain.
//! Not rendered: LoadBalancer firewall chains (KUBE-FW) and the filter table (REJECT for a
//! service without endpoints, DROP without local ones — the routing applies them).

use sha2::{Digest, Sha256};
use std::fmt::Write;

/// One service port as the proxier sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServicePort {
    /// `namespace/name`, or `namespace/name:port-name` for a named port.
    pub name: String,
    pub cluster_ip: String,
    pub port: i32,
    /// Lower case, as in the hashes and `-p`: tcp, udp, sctp.
    pub protocol: String,
    /// `ip:port` of the endpoints Cluster-policy traffic goes to, in order.
    pub endpoints: Vec<String>,
    /// This node's endpoints, for Local-policy traffic.
    pub local_endpoints: Vec<String>,
    /// Some endpoint is usable somewhere (else the service REJECTs; a Local policy without
    /// local endpoints DROPs).
    pub has_endpoints: bool,
    /// The NodePort, for NodePort and LoadBalancer Services.
    pub node_port: Option<i32>,
    pub internal_local: bool,
    pub external_local: bool,
    /// ClientIP session affinity: its timeout in seconds.
    pub affinity_seconds: Option<i32>,
}

impl ServicePort {
    /// The endpoints of traffic to the cluster IP from inside.
    pub fn internal(&self) -> &[String] {
        if self.internal_local {
            &self.local_endpoints
        } else {
            &self.endpoints
        }
    }

    /// The endpoints of traffic to the NodePort from outside the cluster.
    pub fn external(&self) -> &[String] {
        if self.external_local {
            &self.local_endpoints
        } else {
            &self.endpoints
        }
    }

    /// The Cluster-policy chain is written: some traffic uses it and it has endpoints.
    fn uses_cluster(&self) -> bool {
        !self.endpoints.is_empty() && (!self.internal_local || self.node_port.is_some())
    }

    fn uses_local(&self) -> bool {
        !self.local_endpoints.is_empty() && (self.internal_local || (self.node_port.is_some() && self.external_local))
    }

    /// Every endpoint with a KUBE-SEP chain: the cluster ones, then local ones not among them.
    pub fn reachable(&self) -> Vec<&String> {
        let extra = self.local_endpoints.iter().filter(|e| !self.endpoints.contains(e));
        self.endpoints.iter().chain(extra).collect()
    }
}

/// portProtoHash and its endpoint variant: base32(sha256(text))[:16].
pub fn chain_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    base32::encode(base32::Alphabet::Rfc4648 { padding: true }, &digest)[..16].to_string()
}

pub fn service_chain(p: &ServicePort) -> String {
    format!("KUBE-SVC-{}", chain_hash(&format!("{}{}", p.name, p.protocol)))
}

/// KUBE-SVL-<hash>: the node-local endpoints of a Local traffic policy.
pub fn local_chain(p: &ServicePort) -> String {
    format!("KUBE-SVL-{}", chain_hash(&format!("{}{}", p.name, p.protocol)))
}

/// KUBE-EXT-<hash>: where traffic to the NodePort goes.
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

/// How many rules `render_nat` writes for these ports, without hashing or formatting them.
pub fn rule_count(ports: &[ServicePort]) -> usize {
    const FIXED: usize = 8;
    let chain = |n: usize, affinity: bool| if affinity { 2 * n } else { n };
    ports
        .iter()
        .filter(|p| p.has_endpoints)
        .map(|p| {
            let affinity = p.affinity_seconds.is_some();
            let internal = if p.internal().is_empty() { 0 } else { 2 };
            let external = match p.node_port {
                None => 0,
                Some(_) => 1 + if p.external_local { 3 } else { 1 } + usize::from(!p.external().is_empty()),
            };
            let cluster = if p.uses_cluster() { chain(p.endpoints.len(), affinity) } else { 0 };
            let local = if p.uses_local() { chain(p.local_endpoints.len(), affinity) } else { 0 };
            internal + external + cluster + local + 2 * p.reachable().len()
        })
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
    for p in ports.iter().filter(|p| p.has_endpoints) {
        service_rules(&mut table, p, cluster_cidr);
    }
    table.rule(
        "KUBE-SERVICES",
        "-m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" \
         -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS"
            .into(),
    );
    table.render(&["KUBE-NODEPORTS", "KUBE-PROXY-CANARY"])
}

/// One service port's rules, in the proxier's order.
fn service_rules(table: &mut NatTable, p: &ServicePort, cluster_cidr: &str) {
    let (svc, svl) = (service_chain(p), local_chain(p));
    let (ip, port, proto, name) = (&p.cluster_ip, p.port, &p.protocol, &p.name);
    let portal = format!("-d {ip}/32 -p {proto} -m comment --comment \"{name} cluster IP\" -m {proto} --dport {port}");
    let internal_chain = if p.internal_local { &svl } else { &svc };
    let has_internal = !p.internal().is_empty();
    if has_internal {
        table.rule("KUBE-SERVICES", format!("{portal} -j {internal_chain}"));
    }
    if let Some(node_port) = p.node_port {
        let ext = external_chain(p);
        table.rule(
            "KUBE-NODEPORTS",
            format!("-p {proto} -m comment --comment {name} -m {proto} --dport {node_port} -j {ext}"),
        );
        if p.external_local {
            // Pods and the node itself short-circuit to the cluster chain; only traffic from
            // outside keeps to this node's endpoints.
            table.rule(
                &ext,
                format!(
                    "-s {cluster_cidr} -m comment --comment \"pod traffic for {name} external destinations\" -j {svc}"
                ),
            );
            table.rule(&ext, format!("-m comment --comment \"masquerade LOCAL traffic for {name} external destinations\" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ"));
            table.rule(&ext, format!("-m comment --comment \"route LOCAL traffic for {name} external destinations\" -m addrtype --src-type LOCAL -j {svc}"));
        } else {
            table.rule(
                &ext,
                format!(
                    "-m comment --comment \"masquerade traffic for {name} external destinations\" -j KUBE-MARK-MASQ"
                ),
            );
        }
        if !p.external().is_empty() {
            table.rule(&ext, format!("-j {}", if p.external_local { &svl } else { &svc }));
        }
    }
    if has_internal {
        table.rule(internal_chain, format!("! -s {cluster_cidr} {portal} -j KUBE-MARK-MASQ"));
    }
    if p.uses_cluster() {
        endpoint_rules(table, p, &svc, &p.endpoints);
    }
    if p.uses_local() {
        endpoint_rules(table, p, &svl, &p.local_endpoints);
    }
    let recent = |sep: &str| format!("--name {sep} --mask 255.255.255.255 --rsource");
    for ep in p.reachable() {
        let sep = endpoint_chain(p, ep);
        let ep_ip = ep.rsplit_once(':').map_or(ep.as_str(), |(ip, _)| ip);
        table.rule(&sep, format!("-s {ep_ip}/32 -m comment --comment {name} -j KUBE-MARK-MASQ"));
        let set =
            if p.affinity_seconds.is_some() { format!(" -m recent --set {}", recent(&sep)) } else { String::new() };
        table.rule(
            &sep,
            format!("-p {proto} -m comment --comment {name}{set} -m {proto} -j DNAT --to-destination {ep}"),
        );
    }
}

/// A policy chain's picks: with ClientIP affinity first a `recent` check per endpoint (the
/// client's last endpoint, if seen within the timeout), then the random rules (1/n, then
/// 1/(n−1), …, the last unconditional).
fn endpoint_rules(table: &mut NatTable, p: &ServicePort, chain: &str, endpoints: &[String]) {
    let name = &p.name;
    if let Some(seconds) = p.affinity_seconds {
        for ep in endpoints {
            let sep = endpoint_chain(p, ep);
            table.rule(chain, format!("-m comment --comment \"{name} -> {ep}\" -m recent --rcheck --seconds {seconds} --reap --name {sep} --mask 255.255.255.255 --rsource -j {sep}"));
        }
    }
    let n = endpoints.len();
    for (i, ep) in endpoints.iter().enumerate() {
        let sep = endpoint_chain(p, ep);
        let pick = if i + 1 < n {
            format!(" -m statistic --mode random --probability {}", probability(n - i))
        } else {
            String::new()
        };
        table.rule(chain, format!("-m comment --comment \"{name} -> {ep}\"{pick} -j {sep}"));
    }
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
            ..Default::default()
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
            has_endpoints: n > 0,
            node_port,
            ..Default::default()
        };
        let local = |p: ServicePort, internal, external, n: usize| ServicePort {
            internal_local: internal,
            external_local: external,
            local_endpoints: p.endpoints.iter().take(n).cloned().collect(),
            affinity_seconds: Some(600),
            ..p
        };
        for ports in [
            vec![],
            vec![port(None, 3)],
            vec![port(Some(30080), 2), port(None, 0)],
            vec![local(port(Some(30080), 3), false, true, 1), local(port(Some(30081), 2), false, true, 0)],
            vec![local(port(None, 3), true, false, 1), local(port(None, 2), true, false, 0)],
            vec![local(port(Some(30080), 3), true, true, 2)],
        ] {
            let rendered = render_nat(&ports, "10.244.0.0/16").lines().filter(|l| l.starts_with("-A ")).count();
            assert_eq!(rule_count(&ports), rendered);
        }
    }

    #[test]
    fn external_local_and_affinity_have_upstreams_shape() {
        let p = ServicePort {
            name: "default/web".into(),
            cluster_ip: "10.96.0.9".into(),
            port: 80,
            protocol: "tcp".into(),
            endpoints: vec!["10.244.1.2:80".into(), "10.244.2.2:80".into()],
            local_endpoints: vec!["10.244.1.2:80".into()],
            has_endpoints: true,
            node_port: Some(30080),
            external_local: true,
            affinity_seconds: Some(10800),
            ..Default::default()
        };
        let text = render_nat(std::slice::from_ref(&p), "10.244.0.0/16");
        let (svc, svl, ext) = (service_chain(&p), local_chain(&p), external_chain(&p));
        let sep = endpoint_chain(&p, "10.244.1.2:80");
        let ext_rules: Vec<&str> = text.lines().filter(|l| l.starts_with(&format!("-A {ext} "))).collect();
        assert_eq!(
            ext_rules,
            [
                format!("-A {ext} -s 10.244.0.0/16 -m comment --comment \"pod traffic for default/web external destinations\" -j {svc}"),
                format!("-A {ext} -m comment --comment \"masquerade LOCAL traffic for default/web external destinations\" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ"),
                format!("-A {ext} -m comment --comment \"route LOCAL traffic for default/web external destinations\" -m addrtype --src-type LOCAL -j {svc}"),
                format!("-A {ext} -j {svl}"),
            ]
        );
        let affinity = format!("-A {svl} -m comment --comment \"default/web -> 10.244.1.2:80\" -m recent --rcheck --seconds 10800 --reap --name {sep} --mask 255.255.255.255 --rsource -j {sep}");
        assert!(text.contains(&affinity), "{text}");
        assert!(text.contains(&format!("-A {sep} -p tcp -m comment --comment default/web -m recent --set --name {sep} --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.244.1.2:80")), "{text}");
        // The cluster chain's recent checks come before its random picks.
        let svc_rules: Vec<&str> = text.lines().filter(|l| l.starts_with(&format!("-A {svc} "))).collect();
        assert_eq!(svc_rules.len(), 1 + 2 + 2, "{svc_rules:?}");
        assert!(svc_rules[1].contains("--rcheck") && svc_rules[3].contains("statistic"), "{svc_rules:?}");
    }

    #[test]
    fn probabilities_as_iptables_save_prints_them() {
        assert_eq!(probability(3), "0.33333333349");
        assert_eq!(probability(2), "0.50000000000");
        assert_eq!(probability(4), "0.25000000000");
    }
}
