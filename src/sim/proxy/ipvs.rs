//! kube-proxy's IPVS mode (pkg/proxy/ipvs): every service port is an IPVS virtual server —
//! the ClusterIP, and for a NodePort the node's address too — with the endpoints as real
//! servers in NAT (Masq) forwarding, picked by the scheduler (rr by default; lc, sh, … as
//! configured). The service addresses sit on the dummy interface kube-ipvs0. iptables keeps
//! only a few fixed rules, matching ipsets instead of one chain per service: KUBE-CLUSTER-IP
//! (every ClusterIP and port) and KUBE-NODE-PORT-TCP. Rendered as `ipvsadm -Ln`,
//! `iptables-save -t nat` and `ipset list` print them.
//! The cluster IP's real servers follow internalTrafficPolicy, the NodePort's
//! externalTrafficPolicy (Local: this node's endpoints only); ClientIP session affinity is the
//! virtual server's `persistent` timeout.
//! Not modelled: LoadBalancer and externalIPs sets, the KUBE-NODE-PORT-LOCAL sets for pods'
//! traffic to a Local NodePort, graceful termination of real servers (weight 0).

use super::iptables::{NatTable, ServicePort};
use std::fmt::Write;

/// One virtual server: protocol (upper case), address, port, real servers.
struct Virtual<'a> {
    protocol: String,
    address: String,
    port: i32,
    real: &'a [String],
    persistent: Option<i32>,
}

fn virtual_servers<'a>(ports: &'a [ServicePort], node_ip: &str) -> Vec<Virtual<'a>> {
    let mut out = Vec::new();
    for p in ports {
        let protocol = p.protocol.to_ascii_uppercase();
        let persistent = p.affinity_seconds;
        out.push(Virtual {
            protocol: protocol.clone(),
            address: p.cluster_ip.clone(),
            port: p.port,
            real: p.internal(),
            persistent,
        });
        if let Some(node_port) = p.node_port {
            let address = node_ip.to_string();
            out.push(Virtual { protocol, address, port: node_port, real: p.external(), persistent });
        }
    }
    // As ipvsadm lists them: by protocol, then address and port in numeric order.
    let numeric = |v: &Virtual| {
        let octets: Vec<u32> = v.address.split('.').filter_map(|o| o.parse().ok()).collect();
        (v.protocol.clone(), octets, v.port)
    };
    crate::sim::sort::sort_by_key(&mut out, numeric);
    out
}

/// `ipvsadm -Ln` on the node.
pub fn render_ipvsadm(ports: &[ServicePort], scheduler: &str, node_ip: &str) -> String {
    let mut out = String::from(
        "IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n",
    );
    for v in virtual_servers(ports, node_ip) {
        let persistent = v.persistent.map_or(String::new(), |t| format!(" persistent {t}"));
        let _ = writeln!(out, "{}  {}:{} {scheduler}{persistent}", v.protocol, v.address, v.port);
        for r in v.real {
            let _ = writeln!(out, "  -> {r:<28} {:<7} {:<6} {:<10} {:<10}", "Masq", 1, 0, 0);
        }
    }
    out.trim_end_matches('\n').to_string()
}

/// How many virtual and real servers the node has (the sync's summary).
pub fn counts(ports: &[ServicePort]) -> (usize, usize) {
    let virtuals = ports.iter().map(|p| 1 + usize::from(p.node_port.is_some())).sum();
    let reals = ports.iter().map(|p| p.internal().len() + p.node_port.map_or(0, |_| p.external().len())).sum();
    (virtuals, reals)
}

/// The nat table in IPVS mode: fixed rules over the ipsets, whatever the number of Services.
pub fn render_nat(cluster_cidr: &str) -> String {
    let mut t = NatTable::default();
    t.common();
    t.rule(
        "KUBE-NODE-PORT",
        "-p tcp -m comment --comment \"Kubernetes nodeport TCP port for masquerade purpose\" -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ".into(),
    );
    t.rule(
        "KUBE-POSTROUTING",
        "-m comment --comment \"Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose\" -m set --match-set KUBE-LOOP-BACK dst,dst,src -j MASQUERADE".into(),
    );
    t.masquerade_marked();
    t.rule("KUBE-SERVICES", "-s 127.0.0.0/8 -j RETURN".into());
    t.rule(
        "KUBE-SERVICES",
        format!("! -s {cluster_cidr} -m comment --comment \"Kubernetes service cluster ip + port for masquerade purpose\" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ"),
    );
    t.rule("KUBE-SERVICES", "-m addrtype --dst-type LOCAL -j KUBE-NODE-PORT".into());
    t.rule("KUBE-SERVICES", "-m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT".into());
    t.render(&["KUBE-LOAD-BALANCER", "KUBE-PROXY-CANARY"])
}

/// The number of nat rules in IPVS mode (the metric): fixed.
pub const NAT_RULES: usize = 13;

/// `ipset list [NAME]`: KUBE-CLUSTER-IP (hash:ip,port) and KUBE-NODE-PORT-TCP (bitmap:port).
pub fn render_ipset(ports: &[ServicePort], only: Option<&str>) -> Result<String, String> {
    let mut cluster: Vec<String> =
        ports.iter().map(|p| format!("{},{}:{}", p.cluster_ip, p.protocol, p.port)).collect();
    crate::sim::sort::sort(&mut cluster);
    let mut node_ports: Vec<String> =
        ports.iter().filter(|p| p.protocol == "tcp").filter_map(|p| p.node_port).map(|n| n.to_string()).collect();
    crate::sim::sort::sort(&mut node_ports);
    let sets = [
        ("KUBE-CLUSTER-IP", "hash:ip,port", "family inet hashsize 1024 maxelem 65536", cluster),
        ("KUBE-NODE-PORT-TCP", "bitmap:port", "range 0-65535", node_ports),
    ];
    let mut out = Vec::new();
    for (name, kind, header, members) in sets {
        if only.is_some_and(|o| o != name) {
            continue;
        }
        let mut text = format!(
            "Name: {name}\nType: {kind}\nRevision: 6\nHeader: {header}\nReferences: 2\nNumber of entries: {}\nMembers:",
            members.len()
        );
        for m in &members {
            text.push('\n');
            text.push_str(m);
        }
        out.push(text);
    }
    match (out.is_empty(), only) {
        (true, Some(name)) => Err(format!("ipset v7.17: The set with the given name does not exist: {name}")),
        _ => Ok(out.join("\n\n")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web(node_port: Option<i32>) -> ServicePort {
        ServicePort {
            name: "default/web".into(),
            cluster_ip: "10.96.0.20".into(),
            port: 80,
            protocol: "tcp".into(),
            endpoints: vec!["10.244.1.2:80".into(), "10.244.2.2:80".into()],
            has_endpoints: true,
            node_port,
            ..Default::default()
        }
    }

    #[test]
    fn ipvsadm_lists_a_virtual_server_per_service_address() {
        let text = render_ipvsadm(&[web(Some(30080))], "rr", "10.0.0.11");
        let expected = "IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.0.0.11:30080 rr
  -> 10.244.1.2:80                Masq    1      0          0         
  -> 10.244.2.2:80                Masq    1      0          0         
TCP  10.96.0.20:80 rr
  -> 10.244.1.2:80                Masq    1      0          0         
  -> 10.244.2.2:80                Masq    1      0          0         ";
        assert_eq!(text, expected);
        assert_eq!(counts(&[web(Some(30080))]), (2, 4));
    }

    #[test]
    fn the_nat_table_does_not_grow_with_services() {
        let nat = render_nat("10.244.0.0/16");
        assert_eq!(nat.lines().filter(|l| l.starts_with("-A ")).count(), NAT_RULES);
        assert!(nat.contains("-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT"), "{nat}");
        let sets = render_ipset(&[web(Some(30080))], None).unwrap();
        assert!(sets.contains("Members:\n10.96.0.20,tcp:80"), "{sets}");
        assert!(sets.contains("Name: KUBE-NODE-PORT-TCP") && sets.contains("\n30080"), "{sets}");
        assert!(render_ipset(&[], Some("NOPE")).is_err());
    }
}
