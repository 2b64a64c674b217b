//! The network view's chain walk: one connection's first packet through the nat table the
//! node has programmed, read back from its `iptables-save` text and walked rule by rule as
//! netfilter walks it — PREROUTING (from a pod or outside) or OUTPUT (from the node itself),
//! jumps into user chains, RETURN, KUBE-MARK-MASQ and on, until a DNAT (iptables mode) or the
//! ACCEPT that hands the packet to IPVS (IPVS mode, then the virtual server's lookup from
//! `ipvsadm -Ln`). The kernel's own choice (`route.rs`) decides the `-m statistic` and
//! `-m recent` rules, so the walk shows the very rule that picked the endpoint and the
//! random rules that were not taken.

use super::iptables::ServicePort;
use super::route::{Connection, Route};
use crate::sim::addressing::Cidr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The rule matched (its target ran).
    Matched,
    /// Its conditions did not match the packet.
    Skipped,
    /// A `-m statistic` or `-m recent` rule whose draw or check did not pick it.
    NotTaken,
    /// A line that is not a rule: a chain entered, skipped rules folded, the outcome.
    Note,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub chain: String,
    pub text: String,
    pub verdict: Verdict,
}

/// Skipped rules in a row beyond this many fold into one line.
const FOLD: usize = 2;
/// Deepest jump followed (the tables are a few levels deep; a loop would be a bug).
const MAX_DEPTH: usize = 8;

/// How a chain ended for the packet.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    /// Fell off the end or RETURNed: the caller goes on.
    Back,
    /// DNAT or ACCEPT: the walk is over.
    Done,
}

/// What the walk needs besides the rules.
pub struct Packet<'a> {
    pub conn: &'a Connection<'a>,
    pub node_ip: &'a str,
    /// The node's programmed service ports (for the ipsets of IPVS mode).
    pub ports: &'a [ServicePort],
    /// Where the kernel sent the connection.
    pub route: &'a Route,
}

/// The walk of `packet` through `nat` (iptables-save text), then the IPVS lookup from
/// `ipvsadm` (empty in iptables mode).
pub fn walk(nat: &str, ipvsadm: &str, packet: &Packet) -> Vec<Line> {
    let rules: Vec<(&str, &str)> =
        nat.lines().filter_map(|l| l.strip_prefix("-A ")).filter_map(|l| l.split_once(' ')).collect();
    let mut w = Walker { rules: &rules, packet, out: Vec::new() };
    let entry = if packet.conn.src == packet.node_ip { "OUTPUT" } else { "PREROUTING" };
    w.note(
        entry,
        format!("{} → {}: the connection's first packet enters nat {entry}", packet.conn.src, packet.conn.dst),
    );
    let end = w.chain(entry, 0);
    let (ip, port) = split(packet.conn.dst);
    match packet.route {
        Route::To { endpoint, .. } if !ipvsadm.is_empty() && end == End::Done => {
            w.ipvs_lookup(ipvsadm, ip, port, endpoint);
        }
        Route::To { endpoint, .. } if end == End::Done => {
            w.note("", format!("destination rewritten to {endpoint}: routed to that pod's node"))
        }
        Route::To { endpoint, .. } => w.note("", format!("no DNAT: routed as addressed, to {endpoint}")),
        Route::Reject { via } => w.note("filter", format!("{via} → the client gets Connection refused")),
        Route::Drop { via } => w.note("filter", format!("{via} → the client hears nothing")),
    }
    w.out
}

struct Walker<'a> {
    rules: &'a [(&'a str, &'a str)],
    packet: &'a Packet<'a>,
    out: Vec<Line>,
}

impl Walker<'_> {
    fn note(&mut self, chain: &str, text: String) {
        self.out.push(Line { chain: chain.into(), text, verdict: Verdict::Note });
    }

    fn push(&mut self, chain: &str, rule: &str, verdict: Verdict) {
        self.out.push(Line { chain: chain.into(), text: format!("-A {chain} {rule}"), verdict });
    }

    fn chain(&mut self, chain: &str, depth: usize) -> End {
        if depth > MAX_DEPTH {
            return End::Back;
        }
        let mut skipped: Vec<&str> = Vec::new();
        let rules: Vec<&str> = self.rules.iter().filter(|(c, _)| *c == chain).map(|(_, r)| *r).collect();
        for rule in rules {
            let r = Rule::parse(rule);
            let verdict = self.decide(&r);
            if verdict == Verdict::Skipped {
                skipped.push(rule);
                continue;
            }
            self.flush(chain, &mut skipped);
            self.push(chain, rule, verdict);
            if verdict == Verdict::NotTaken {
                continue;
            }
            match r.target {
                "RETURN" => return End::Back,
                "DNAT" | "ACCEPT" => return End::Done,
                "MARK" | "MASQUERADE" | "" => {}
                "KUBE-MARK-MASQ" => {
                    self.note("KUBE-MARK-MASQ", "marked 0x4000: masqueraded on the way out (POSTROUTING)".into())
                }
                user => {
                    if self.chain(user, depth + 1) == End::Done {
                        return End::Done;
                    }
                }
            }
        }
        self.flush(chain, &mut skipped);
        End::Back
    }

    /// Folds a run of skipped rules: a few are shown, the rest counted.
    fn flush(&mut self, chain: &str, skipped: &mut Vec<&str>) {
        if skipped.len() > FOLD {
            let n = skipped.len();
            self.note(chain, format!("… {n} rules that do not match this packet (other Services)"));
        } else {
            for rule in skipped.iter() {
                self.push(chain, rule, Verdict::Skipped);
            }
        }
        skipped.clear();
    }

    /// Whether the rule applies to the packet.
    fn decide(&self, r: &Rule) -> Verdict {
        let p = self.packet;
        let (ip, port) = split(p.conn.dst);
        for (negated, cond) in &r.conds {
            let holds = match cond {
                Cond::Src(net) => in_net(p.conn.src, net),
                Cond::Dst(net) => in_net(ip, net),
                Cond::Proto(proto) => *proto == p.conn.protocol,
                Cond::DstPort(n) => port == Some(*n),
                Cond::DstLocal => ip == p.node_ip,
                Cond::SrcLocal => p.conn.src == p.node_ip,
                Cond::ClusterIpSet => p.ports.iter().any(|s| s.cluster_ip == ip && Some(s.port) == port),
                Cond::NodePortSet => p.ports.iter().any(|s| s.node_port.is_some() && s.node_port == port),
                Cond::Mark | Cond::OtherSet => false,
                // Decided by the kernel's pick, below.
                Cond::Random | Cond::Recent => true,
            };
            if holds == *negated {
                return Verdict::Skipped;
            }
        }
        let picks = |target: &str| match p.route {
            Route::To { endpoint, .. } => self.dnats_to(target, endpoint),
            _ => false,
        };
        let affinity = matches!(p.route, Route::To { via, .. } if via.contains("ClientIP affinity"));
        let drawn = r.conds.iter().any(|(_, c)| *c == Cond::Random);
        let checked = r.conds.iter().any(|(_, c)| *c == Cond::Recent);
        if (drawn && !picks(r.target)) || (checked && !(affinity && picks(r.target))) {
            return Verdict::NotTaken;
        }
        Verdict::Matched
    }

    /// Whether `chain` DNATs to `endpoint` (a KUBE-SEP chain).
    fn dnats_to(&self, chain: &str, endpoint: &str) -> bool {
        let to = format!("--to-destination {endpoint}");
        self.rules.iter().any(|(c, r)| *c == chain && r.ends_with(&to))
    }

    /// IPVS mode: the virtual server for the destination and its real servers, the chosen one
    /// marked.
    fn ipvs_lookup(&mut self, ipvsadm: &str, ip: &str, port: Option<i32>, endpoint: &str) {
        let address = format!("{ip}:{}", port.unwrap_or(0));
        let is_header = |l: &&str| !l.starts_with(' ') && l.split_whitespace().nth(1) == Some(address.as_str());
        let mut lines = ipvsadm.lines().skip_while(|l| !is_header(l));
        let Some(virtual_server) = lines.next() else {
            self.note("IPVS", format!("no virtual server for {ip}"));
            return;
        };
        self.out.push(Line { chain: "IPVS".into(), text: virtual_server.into(), verdict: Verdict::Matched });
        for real in lines.take_while(|l| l.starts_with("  -> ")) {
            let chosen = real[5..].split_whitespace().next() == Some(endpoint);
            let verdict = if chosen { Verdict::Matched } else { Verdict::NotTaken };
            self.out.push(Line { chain: "IPVS".into(), text: real.trim_end().into(), verdict });
        }
        self.note("IPVS", format!("the scheduler picked {endpoint}: forwarded (Masq) to that pod's node"));
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cond<'a> {
    Src(&'a str),
    Dst(&'a str),
    Proto(&'a str),
    DstPort(i32),
    DstLocal,
    SrcLocal,
    ClusterIpSet,
    NodePortSet,
    OtherSet,
    Mark,
    Random,
    Recent,
}

/// One rule's conditions (each possibly negated) and target.
struct Rule<'a> {
    conds: Vec<(bool, Cond<'a>)>,
    target: &'a str,
}

impl<'a> Rule<'a> {
    fn parse(rule: &'a str) -> Rule<'a> {
        let words = words(rule);
        let mut conds = Vec::new();
        let mut target = "";
        let mut negate = false;
        let mut i = 0;
        while i < words.len() {
            let next = words.get(i + 1).copied().unwrap_or("");
            let cond = match words[i] {
                "!" => {
                    negate = true;
                    i += 1;
                    continue;
                }
                "-s" => Some(Cond::Src(next)),
                "-d" => Some(Cond::Dst(next)),
                "-p" => Some(Cond::Proto(next)),
                "--dport" => next.parse().ok().map(Cond::DstPort),
                "--dst-type" => Some(Cond::DstLocal),
                "--src-type" => Some(Cond::SrcLocal),
                "--match-set" => Some(match next {
                    "KUBE-CLUSTER-IP" => Cond::ClusterIpSet,
                    "KUBE-NODE-PORT-TCP" => Cond::NodePortSet,
                    _ => Cond::OtherSet,
                }),
                "--mark" => Some(Cond::Mark),
                "--probability" => Some(Cond::Random),
                "--rcheck" => Some(Cond::Recent),
                "-j" => {
                    target = next;
                    None
                }
                _ => None,
            };
            if let Some(c) = cond {
                conds.push((negate, c));
            }
            negate = false;
            i += 1;
        }
        Rule { conds, target }
    }
}

/// The rule's words, a quoted comment counting as one.
fn words(rule: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = rule.trim_start();
    while !rest.is_empty() {
        let end = if let Some(quoted) = rest.strip_prefix('"') {
            quoted.find('"').map_or(rest.len(), |i| i + 2)
        } else {
            rest.find(' ').unwrap_or(rest.len())
        };
        out.push(&rest[..end]);
        rest = rest[end..].trim_start();
    }
    out
}

fn split(addr: &str) -> (&str, Option<i32>) {
    match addr.rsplit_once(':') {
        Some((ip, port)) => (ip, port.parse().ok()),
        None => (addr, None),
    }
}

/// `ip` in `net` (`a.b.c.d/len` or a bare address).
fn in_net(ip: &str, net: &str) -> bool {
    match Cidr::parse(net) {
        Ok(c) => c.contains(ip),
        Err(_) => ip == net.trim_end_matches("/32"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::iptables::{endpoint_chain, render_nat, service_chain};
    use super::super::ipvs;
    use super::*;

    const NODE: &str = "10.0.0.11";

    fn web() -> ServicePort {
        ServicePort {
            name: "default/web".into(),
            cluster_ip: "10.96.0.20".into(),
            port: 80,
            protocol: "tcp".into(),
            endpoints: (1..=3).map(|i| format!("10.244.{i}.2:80")).collect(),
            has_endpoints: true,
            node_port: Some(30080),
            ..Default::default()
        }
    }

    fn other(i: u8) -> ServicePort {
        ServicePort { name: format!("default/other-{i}"), cluster_ip: format!("10.96.1.{i}"), ..web() }
    }

    fn lines(nat: &str, ipvsadm: &str, ports: &[ServicePort], src: &str, dst: &str, route: Route) -> Vec<Line> {
        lines_of("tcp", nat, ipvsadm, ports, src, dst, route)
    }

    fn lines_of(
        protocol: &str,
        nat: &str,
        ipvsadm: &str,
        ports: &[ServicePort],
        src: &str,
        dst: &str,
        route: Route,
    ) -> Vec<Line> {
        let conn = Connection { src, dst, protocol };
        let packet = Packet { conn: &conn, node_ip: NODE, ports, route: &route };
        walk(nat, ipvsadm, &packet)
    }

    #[test]
    fn a_pods_packet_walks_to_the_chosen_endpoints_dnat() {
        let ports: Vec<ServicePort> = (1..=5).map(other).chain([web()]).collect();
        let nat = render_nat(&ports, "10.244.0.0/16");
        let route = Route::To { endpoint: "10.244.2.2:80".into(), via: String::new() };
        let walk = lines(&nat, "", &ports, "10.244.1.9", "10.96.0.20:80", route);
        let matched: Vec<&str> =
            walk.iter().filter(|l| l.verdict == Verdict::Matched).map(|l| l.chain.as_str()).collect();
        let svc = service_chain(&web());
        let sep = endpoint_chain(&web(), "10.244.2.2:80");
        assert_eq!(matched, ["PREROUTING", "KUBE-SERVICES", svc.as_str(), sep.as_str()], "{walk:#?}");
        // The first random rule (1/3) was not taken; the second (1/2) was; a pod's source is
        // not masqueraded; the other Services' portals fold into one line.
        let svc_lines: Vec<&Line> = walk.iter().filter(|l| l.chain == svc).collect();
        assert_eq!(svc_lines[0].verdict, Verdict::Skipped, "! -s 10.244.0.0/16 … KUBE-MARK-MASQ");
        assert_eq!(svc_lines[1].verdict, Verdict::NotTaken);
        assert!(svc_lines[1].text.contains("--probability 0.33333333349"));
        assert_eq!(svc_lines[2].verdict, Verdict::Matched);
        assert!(walk.iter().any(|l| l.text.starts_with("… 5 rules")), "{walk:#?}");
        assert!(walk.last().unwrap().text.contains("10.244.2.2:80"));
        assert!(walk.iter().filter(|l| l.chain == sep).any(|l| l.text.ends_with("--to-destination 10.244.2.2:80")));
    }

    #[test]
    fn a_dns_query_takes_the_udp_ports_chain() {
        let dns = |name: &str, protocol: &str| ServicePort {
            name: format!("kube-system/kube-dns:{name}"),
            cluster_ip: "10.96.0.10".into(),
            port: 53,
            protocol: protocol.into(),
            endpoints: vec!["10.244.1.3:53".into()],
            has_endpoints: true,
            ..Default::default()
        };
        let ports = [dns("dns", "udp"), dns("dns-tcp", "tcp")];
        let nat = render_nat(&ports, "10.244.0.0/16");
        let route = Route::To { endpoint: "10.244.1.3:53".into(), via: String::new() };
        let walk = lines_of("udp", &nat, "", &ports, "10.244.2.7", "10.96.0.10:53", route);
        let udp = service_chain(&ports[0]);
        assert!(walk
            .iter()
            .any(|l| l.chain == "KUBE-SERVICES" && l.verdict == Verdict::Matched && l.text.ends_with(&udp)));
        assert!(walk.iter().all(|l| !(l.verdict == Verdict::Matched && l.text.contains("dns-tcp"))), "{walk:#?}");
    }

    #[test]
    fn the_node_itself_enters_at_output_and_is_masqueraded() {
        let nat = render_nat(&[web()], "10.244.0.0/16");
        let route = Route::To { endpoint: "10.244.3.2:80".into(), via: String::new() };
        let walk = lines(&nat, "", &[web()], NODE, "10.96.0.20:80", route);
        assert_eq!(walk[0].chain, "OUTPUT");
        let svc = service_chain(&web());
        assert!(walk
            .iter()
            .any(|l| l.chain == svc && l.verdict == Verdict::Matched && l.text.contains("KUBE-MARK-MASQ")));
    }

    #[test]
    fn a_nodeport_from_outside_goes_through_kube_nodeports() {
        let nat = render_nat(&[web()], "10.244.0.0/16");
        let route = Route::To { endpoint: "10.244.1.2:80".into(), via: String::new() };
        let walk = lines(&nat, "", &[web()], "192.168.1.50", "10.0.0.11:30080", route);
        let matched: Vec<&str> =
            walk.iter().filter(|l| l.verdict == Verdict::Matched).map(|l| l.chain.as_str()).collect();
        assert!(matched.contains(&"KUBE-NODEPORTS"), "{walk:#?}");
        assert!(matched.iter().any(|c| c.starts_with("KUBE-EXT-")), "{walk:#?}");
    }

    #[test]
    fn ipvs_accepts_then_looks_up_the_virtual_server() {
        let nat = ipvs::render_nat("10.244.0.0/16");
        let ipvsadm = ipvs::render_ipvsadm(&[web()], "rr", NODE);
        let route = Route::To { endpoint: "10.244.2.2:80".into(), via: String::new() };
        let walk = lines(&nat, &ipvsadm, &[web()], "10.244.1.9", "10.96.0.20:80", route);
        assert!(walk
            .iter()
            .any(|l| l.verdict == Verdict::Matched && l.text.ends_with("KUBE-CLUSTER-IP dst,dst -j ACCEPT")));
        let ipvs: Vec<(&str, Verdict)> =
            walk.iter().filter(|l| l.chain == "IPVS").map(|l| (l.text.as_str(), l.verdict)).collect();
        assert_eq!(ipvs[0], ("TCP  10.96.0.20:80 rr", Verdict::Matched));
        assert_eq!(ipvs.iter().filter(|(_, v)| *v == Verdict::Matched).count(), 2, "{ipvs:?}");
        assert!(ipvs.iter().any(|(t, v)| t.contains("10.244.2.2:80") && *v == Verdict::Matched));
    }

    #[test]
    fn a_service_without_endpoints_ends_in_the_filter_tables_reject() {
        let empty = ServicePort { endpoints: vec![], has_endpoints: false, ..web() };
        let nat = render_nat(std::slice::from_ref(&empty), "10.244.0.0/16");
        let via = "-A KUBE-SERVICES … \"default/web has no endpoints\" -j REJECT (filter table)".to_string();
        let walk = lines(&nat, "", &[empty], "10.244.1.9", "10.96.0.20:80", Route::Reject { via });
        assert!(walk.iter().all(|l| l.chain != "KUBE-SERVICES" || l.verdict != Verdict::Matched));
        assert!(walk.last().unwrap().text.contains("Connection refused"));
    }
}
