//! One connection through a node's Service rules, decided as the kernel decides it from the
//! rules kube-proxy rendered: in iptables mode KUBE-SERVICES matches the ClusterIP (or
//! KUBE-NODEPORTS the NodePort), the KUBE-SVC chain's `-m statistic --mode random
//! --probability` rules pick a KUBE-SEP chain — with the probabilities iptables-save shows —
//! and its DNAT rewrites the destination; in IPVS mode the virtual server's scheduler picks a
//! real server (rr in turn; the others fall back to rr here). A Service without endpoints is
//! rejected (the filter table's REJECT); an address no rule matches goes out unchanged.

use super::iptables::{endpoint_chain, probability, service_chain, ServicePort};
use super::ProxyMode;
use crate::sim::rng::{Draw, SimRng};
use crate::sim::vecmap::VecMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// To this `ip:port`, with the rules that took it there.
    To { endpoint: String, via: String },
    /// Refused, and by which rule.
    Reject { via: String },
}

/// Where a connection to `dst` (`ip:port`) from a pod on this node goes.
pub fn route(
    ports: &[ServicePort],
    mode: &ProxyMode,
    node_ip: &str,
    dst: &str,
    rng: &mut SimRng,
    turns: &mut VecMap<String, usize>,
) -> Route {
    let Some((ip, port)) = dst.rsplit_once(':').and_then(|(ip, p)| Some((ip, p.parse::<i32>().ok()?))) else {
        return Route::Reject { via: format!("bad address {dst}") };
    };
    let hit =
        ports.iter().find(|p| (p.cluster_ip == ip && p.port == port) || (ip == node_ip && p.node_port == Some(port)));
    let Some(p) = hit else {
        return Route::To { endpoint: dst.to_string(), via: "no Service rule matches: routed as addressed".into() };
    };
    let n = p.endpoints.len();
    if n == 0 {
        let via = format!("-A KUBE-SERVICES … \"{} has no endpoints\" -j REJECT (filter table)", p.name);
        return Route::Reject { via };
    }
    match mode {
        ProxyMode::Iptables => {
            // The KUBE-SVC chain's rules in order: the i-th of the n − i left matches with
            // probability 1/(n − i), as rendered; the last always.
            let picked = (0..n)
                .find(|i| i + 1 == n || rng.chance(probability(n - i).parse::<f64>().unwrap_or(1.0)))
                .unwrap_or(n - 1);
            let ep = &p.endpoints[picked];
            let via = format!("KUBE-SERVICES → {} → {}: DNAT to {ep}", service_chain(p), endpoint_chain(p, ep));
            Route::To { endpoint: ep.clone(), via }
        }
        ProxyMode::Ipvs { scheduler } => {
            let turn = turns.entry(format!("{ip}:{port}")).or_insert(0);
            let ep = &p.endpoints[*turn % n];
            *turn += 1;
            Route::To { endpoint: ep.clone(), via: format!("IPVS {ip}:{port} {scheduler} → {ep} (Masq)") }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web(n: usize) -> ServicePort {
        ServicePort {
            name: "default/web".into(),
            cluster_ip: "10.96.0.20".into(),
            port: 80,
            protocol: "tcp".into(),
            endpoints: (1..=n).map(|i| format!("10.244.{i}.2:80")).collect(),
            node_port: Some(30080),
        }
    }

    #[test]
    fn iptables_spreads_connections_by_the_rendered_probabilities() {
        let mut rng = crate::sim::rng::fork(7, "route");
        let mut turns = VecMap::new();
        let mut hits = [0usize; 3];
        for _ in 0..30_000 {
            let Route::To { endpoint, .. } =
                route(&[web(3)], &ProxyMode::Iptables, "10.0.0.11", "10.96.0.20:80", &mut rng, &mut turns)
            else {
                panic!("refused")
            };
            hits[endpoint.as_bytes()[7] as usize - b'1' as usize] += 1;
        }
        for h in hits {
            assert!((9_500..10_500).contains(&h), "about a third each: {hits:?}");
        }
    }

    #[test]
    fn ipvs_takes_turns_and_empty_services_refuse() {
        let mut rng = crate::sim::rng::fork(7, "route");
        let mut turns = VecMap::new();
        let rr = ProxyMode::Ipvs { scheduler: "rr".into() };
        let picks: Vec<String> = (0..4)
            .map(|_| match route(&[web(3)], &rr, "10.0.0.11", "10.0.0.11:30080", &mut rng, &mut turns) {
                Route::To { endpoint, .. } => endpoint,
                Route::Reject { via } => via,
            })
            .collect();
        assert_eq!(picks, ["10.244.1.2:80", "10.244.2.2:80", "10.244.3.2:80", "10.244.1.2:80"]);
        assert!(matches!(
            route(&[web(0)], &ProxyMode::Iptables, "10.0.0.11", "10.96.0.20:80", &mut rng, &mut turns),
            Route::Reject { .. }
        ));
        assert!(matches!(
            route(&[web(1)], &ProxyMode::Iptables, "10.0.0.11", "10.244.9.9:8080", &mut rng, &mut turns),
            Route::To { endpoint, .. } if endpoint == "10.244.9.9:8080"
        ));
    }
}
