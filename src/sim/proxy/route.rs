//! One connection through a node's Service rules, decided as the kernel decides it from the
//! rules kube-proxy rendered: in iptables mode KUBE-SERVICES matches the ClusterIP (or
//! KUBE-NODEPORTS the NodePort), the policy chain's `-m statistic --mode random
//! --probability` rules pick a KUBE-SEP chain — with the probabilities iptables-save shows —
//! and its DNAT rewrites the destination; in IPVS mode the virtual server's scheduler picks a
//! real server (rr in turn; the others fall back to rr here). Which endpoints: the cluster IP
//! follows internalTrafficPolicy; the NodePort from outside the cluster follows
//! externalTrafficPolicy, while pods and the node itself short-circuit to the Cluster chain.
//! ClientIP affinity sends a client back to its endpoint while `-m recent` (IPVS:
//! `persistent`) remembers it. A Service without endpoints is rejected (the filter table's
//! REJECT), one without the local endpoints its policy needs drops the packet (DROP); an
//! address no rule matches goes out unchanged.

use super::iptables::{endpoint_chain, local_chain, probability, service_chain, ServicePort};
use super::ProxyMode;
use crate::sim::addressing::Cidr;
use crate::sim::rng::{Draw, SimRng};
use crate::sim::time::{SimTime, SECONDS};
use crate::sim::vecmap::VecMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// To this `ip:port`, with the rules that took it there.
    To { endpoint: String, via: String },
    /// Refused, and by which rule.
    Reject { via: String },
    /// Dropped: the client hears nothing.
    Drop { via: String },
}

/// One connection's first packet as the node's rules see it.
pub struct Connection<'a> {
    /// The client's address: a pod's, this node's, or one outside the cluster.
    pub src: &'a str,
    /// `ip:port` as the client addressed it.
    pub dst: &'a str,
    /// Lower case as in the rules: tcp (HTTP), udp (a DNS query).
    pub protocol: &'a str,
}

/// The node's kernel state the rules consult: the random source of `-m statistic`, IPVS's
/// rr turns, and the `-m recent` lists of ClientIP affinity (endpoint chain and client →
/// last seen).
#[derive(Clone, Debug)]
pub struct Kernel {
    pub rng: SimRng,
    turns: VecMap<String, usize>,
    recent: VecMap<(String, String), SimTime>,
}

impl Kernel {
    pub fn new(rng: SimRng) -> Self {
        Kernel { rng, turns: VecMap::new(), recent: VecMap::new() }
    }

    /// Where `conn` goes at `now`. `node_ip` is this node's address, `pods` the cluster CIDR.
    pub fn route(
        &mut self,
        ports: &[ServicePort],
        mode: &ProxyMode,
        (node_ip, pods): (&str, Option<Cidr>),
        conn: &Connection,
        now: SimTime,
    ) -> Route {
        let dst = conn.dst;
        let Some((ip, port)) = dst.rsplit_once(':').and_then(|(ip, p)| Some((ip, p.parse::<i32>().ok()?))) else {
            return Route::Reject { via: format!("bad address {dst}") };
        };
        let to_node_port = |p: &ServicePort| ip == node_ip && p.node_port == Some(port);
        let addressed = |p: &&ServicePort| (p.cluster_ip == ip && p.port == port) || to_node_port(p);
        let Some(p) = ports.iter().filter(|p| p.protocol == conn.protocol).find(addressed) else {
            if ip == node_ip {
                return Route::Reject { via: format!("no Service rule matches and nothing listens on {dst}") };
            }
            return Route::To { endpoint: dst.to_string(), via: "no Service rule matches: routed as addressed".into() };
        };
        if !p.has_endpoints {
            let via = format!("-A KUBE-SERVICES … \"{} has no endpoints\" -j REJECT (filter table)", p.name);
            return Route::Reject { via };
        }
        let inside = conn.src == node_ip || pods.is_some_and(|c| c.contains(conn.src));
        let (endpoints, chain) = if to_node_port(p) {
            if p.external_local && inside {
                // "pod traffic for … external destinations": the Cluster chain.
                (&p.endpoints[..], service_chain(p))
            } else {
                (p.external(), if p.external_local { local_chain(p) } else { service_chain(p) })
            }
        } else {
            (p.internal(), if p.internal_local { local_chain(p) } else { service_chain(p) })
        };
        if endpoints.is_empty() {
            let via =
                format!("-A KUBE-EXTERNAL-SERVICES … \"{} has no local endpoints\" -j DROP (filter table)", p.name);
            return Route::Drop { via };
        }
        let sticky = p.affinity_seconds.and_then(|seconds| self.sticky(p, endpoints, conn.src, now, seconds));
        let (ep, via) = match (mode, sticky) {
            (ProxyMode::Iptables, Some(ep)) => {
                let sep = endpoint_chain(p, &ep);
                let via = format!("KUBE-SERVICES → {chain} → recent {sep} (ClientIP affinity) → {sep}: DNAT to {ep}");
                (ep, via)
            }
            (ProxyMode::Iptables, None) => {
                // The chain's rules in order: the i-th of the n − i left matches with
                // probability 1/(n − i), as rendered; the last always.
                let n = endpoints.len();
                let picked = (0..n)
                    .find(|i| i + 1 == n || self.rng.chance(probability(n - i).parse::<f64>().unwrap_or(1.0)))
                    .unwrap_or(n - 1);
                let ep = endpoints[picked].clone();
                let via = format!("KUBE-SERVICES → {chain} → {}: DNAT to {ep}", endpoint_chain(p, &ep));
                (ep, via)
            }
            (ProxyMode::Ipvs { scheduler }, sticky) => {
                let ep = sticky.unwrap_or_else(|| {
                    let turn = self.turns.entry(format!("{ip}:{port}")).or_insert(0);
                    *turn += 1;
                    endpoints[(*turn - 1) % endpoints.len()].clone()
                });
                let persistent = p.affinity_seconds.map_or(String::new(), |t| format!(" persistent {t}"));
                (ep.clone(), format!("IPVS {ip}:{port} {scheduler}{persistent} → {ep} (Masq)"))
            }
        };
        if p.affinity_seconds.is_some() {
            self.recent.insert((endpoint_chain(p, &ep), conn.src.to_string()), now);
        }
        Route::To { endpoint: ep, via }
    }

    /// The endpoint `src` used within the last `seconds`, if it is still among `endpoints`.
    fn sticky(&self, p: &ServicePort, endpoints: &[String], src: &str, now: SimTime, seconds: i32) -> Option<String> {
        endpoints
            .iter()
            .find(|ep| {
                let seen = self.recent.get(&(endpoint_chain(p, ep), src.to_string()));
                seen.is_some_and(|t| now.since(*t) <= seconds as u64 * SECONDS)
            })
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NODE: &str = "10.0.0.11";

    fn web(n: usize) -> ServicePort {
        ServicePort {
            name: "default/web".into(),
            cluster_ip: "10.96.0.20".into(),
            port: 80,
            protocol: "tcp".into(),
            endpoints: (1..=n).map(|i| format!("10.244.{i}.2:80")).collect(),
            has_endpoints: n > 0,
            node_port: Some(30080),
            ..Default::default()
        }
    }

    fn kernel() -> Kernel {
        Kernel::new(crate::sim::rng::fork(7, "route"))
    }

    fn to(k: &mut Kernel, p: &ServicePort, mode: &ProxyMode, src: &str, dst: &str, now: SimTime) -> String {
        let pods = Cidr::parse("10.244.0.0/16").ok();
        match k.route(std::slice::from_ref(p), mode, (NODE, pods), &Connection { src, dst, protocol: "tcp" }, now) {
            Route::To { endpoint, .. } => endpoint,
            Route::Reject { .. } => "REJECT".into(),
            Route::Drop { .. } => "DROP".into(),
        }
    }

    #[test]
    fn iptables_spreads_connections_by_the_rendered_probabilities() {
        let mut k = kernel();
        let mut hits = [0usize; 3];
        for _ in 0..30_000 {
            let ep = to(&mut k, &web(3), &ProxyMode::Iptables, "10.244.1.9", "10.96.0.20:80", SimTime::ZERO);
            hits[ep.as_bytes()[7] as usize - b'1' as usize] += 1;
        }
        for h in hits {
            assert!((9_500..10_500).contains(&h), "about a third each: {hits:?}");
        }
    }

    #[test]
    fn ipvs_takes_turns_and_empty_services_refuse() {
        let mut k = kernel();
        let rr = ProxyMode::Ipvs { scheduler: "rr".into() };
        let picks: Vec<String> =
            (0..4).map(|_| to(&mut k, &web(3), &rr, "10.244.1.9", "10.0.0.11:30080", SimTime::ZERO)).collect();
        assert_eq!(picks, ["10.244.1.2:80", "10.244.2.2:80", "10.244.3.2:80", "10.244.1.2:80"]);
        assert_eq!(to(&mut k, &web(0), &ProxyMode::Iptables, "10.244.1.9", "10.96.0.20:80", SimTime::ZERO), "REJECT");
        let direct = to(&mut k, &web(1), &ProxyMode::Iptables, "10.244.1.9", "10.244.9.9:8080", SimTime::ZERO);
        assert_eq!(direct, "10.244.9.9:8080");
    }

    #[test]
    fn client_ip_affinity_sticks_until_the_timeout() {
        for mode in [ProxyMode::Iptables, ProxyMode::Ipvs { scheduler: "rr".into() }] {
            let sticky = ServicePort { affinity_seconds: Some(10), ..web(3) };
            let mut k = kernel();
            let at = |s: u64| SimTime::from_secs(s);
            let first = to(&mut k, &sticky, &mode, "10.244.1.9", "10.96.0.20:80", at(0));
            for s in 1..20 {
                assert_eq!(to(&mut k, &sticky, &mode, "10.244.1.9", "10.96.0.20:80", at(s)), first, "{mode:?}");
            }
            // Other clients are spread as usual.
            let others: std::collections::BTreeSet<String> = (0..30)
                .map(|i| to(&mut k, &sticky, &mode, &format!("10.244.2.{i}"), "10.96.0.20:80", at(20)))
                .collect();
            assert_eq!(others.len(), 3, "{mode:?}");
            // Past the timeout the pick is free again: over many idle gaps it changes.
            let mut changed = false;
            let mut last = first;
            for gap in 1..40 {
                let next = to(&mut k, &sticky, &mode, "10.244.1.9", "10.96.0.20:80", at(20 + gap * 11));
                changed |= next != last;
                last = next;
            }
            assert!(changed, "{mode:?}");
        }
    }

    #[test]
    fn local_policies_keep_to_this_nodes_endpoints() {
        let local = vec!["10.244.1.2:80".to_string()];
        let internal = ServicePort { internal_local: true, local_endpoints: local.clone(), ..web(3) };
        let mut k = kernel();
        for _ in 0..20 {
            assert_eq!(
                to(&mut k, &internal, &ProxyMode::Iptables, "10.244.1.9", "10.96.0.20:80", SimTime::ZERO),
                local[0]
            );
        }
        let none_here = ServicePort { internal_local: true, ..web(3) };
        assert_eq!(to(&mut k, &none_here, &ProxyMode::Iptables, "10.244.1.9", "10.96.0.20:80", SimTime::ZERO), "DROP");
        // externalTrafficPolicy: Local keeps outside clients to this node's endpoint; pods and
        // the node itself still reach every endpoint.
        let external = ServicePort { external_local: true, local_endpoints: local.clone(), ..web(3) };
        let outside: std::collections::BTreeSet<String> = (0..20)
            .map(|_| to(&mut k, &external, &ProxyMode::Iptables, "192.168.1.50", "10.0.0.11:30080", SimTime::ZERO))
            .collect();
        assert_eq!(outside.into_iter().collect::<Vec<_>>(), local);
        let inside: std::collections::BTreeSet<String> = (0..60)
            .map(|_| to(&mut k, &external, &ProxyMode::Iptables, "10.244.3.7", "10.0.0.11:30080", SimTime::ZERO))
            .collect();
        assert_eq!(inside.len(), 3);
        let nothing_local = ServicePort { external_local: true, ..web(3) };
        let dropped =
            to(&mut k, &nothing_local, &ProxyMode::Iptables, "192.168.1.50", "10.0.0.11:30080", SimTime::ZERO);
        assert_eq!(dropped, "DROP");
    }
}
