//! etcdctl in the console, for operators (and the metrics that curl reads from port 2381): `endpoint status`,
//! `endpoint health`, `member list`, `get --prefix --keys-only`, `lease list`, with etcdctl's
//! formats.
//! Simplified: the answers are read from the members directly, without network round trips;
//! a stopped or unreachable member answers as etcdctl reports a dead endpoint. It talks to
//! the main etcd cluster, or to the separate events etcd when `--endpoints` names one of its
//! members (`--endpoints=https://etcd-events-0:2379`).

use super::parse::tokenize;
use super::printers::ascii_table;
use crate::sim::cluster::EVENTS_ETCD;
use crate::sim::component::Component;
use crate::sim::etcd::raft::Role;
use crate::sim::etcd::EtcdMember;
use crate::sim::event::AdminOp;
use crate::sim::rng::fnv1a64;
use crate::sim::Simulation;

pub const ETCD_VERSION: &str = "3.6.5";

struct Member<'a> {
    name: String,
    addr: String,
    m: &'a EtcdMember,
    reachable: bool,
}

fn members(sim: &Simulation, events: bool) -> Vec<Member<'_>> {
    let user_host = sim.network.host_of(crate::sim::cluster::USER);
    sim.etcd_cluster(events)
        .map(|(id, m)| {
            let host = sim.network.host_of(id);
            let addr = match host {
                1 => crate::sim::cluster::APISERVER_ADDRESS.to_string(),
                _ => crate::sim::addressing::etcd_member_ip(m.raft.id, events),
            };
            let reachable = m.up && !sim.network.is_cut(user_host, host) && !sim.network.is_cut(1, host);
            Member { name: sim.infos[id as usize].name.clone(), addr, m, reachable }
        })
        .collect()
}

/// Whether an address is one of the events etcd's members'.
fn events_address(addr: &str) -> bool {
    (0..7).any(|id| crate::sim::addressing::etcd_member_ip(id, true) == addr)
}

/// Whether `--endpoints` names the events etcd's members.
fn events_endpoints(tokens: &[String]) -> bool {
    let value = tokens.iter().enumerate().find_map(|(i, t)| match t.strip_prefix("--endpoints") {
        Some(v) if v.starts_with('=') => Some(v[1..].to_string()),
        Some("") => tokens.get(i + 1).cloned(),
        _ => None,
    });
    value.is_some_and(|v| v.contains(EVENTS_ETCD) || v.split([',', '/', ':']).any(events_address))
}

fn member_id(name: &str) -> String {
    format!("{:016x}", fnv1a64(name.as_bytes()))
}

/// go-humanize Bytes: SI units, as etcdctl prints DB SIZE.
fn humanize(bytes: usize) -> String {
    let b = bytes as f64;
    let (v, unit) = match b {
        b if b < 1e3 => return format!("{bytes} B"),
        b if b < 1e6 => (b / 1e3, "kB"),
        b if b < 1e9 => (b / 1e6, "MB"),
        b => (b / 1e9, "GB"),
    };
    if v < 10.0 {
        format!("{v:.1} {unit}")
    } else {
        format!("{v:.0} {unit}")
    }
}

pub fn run(sim: &mut Simulation, line: &str) -> Result<String, String> {
    let tokens = tokenize(line)?;
    let events = events_endpoints(&tokens);
    // Positional words: neither flags nor the value of `--endpoints URL`.
    let words: Vec<&str> =
        tokens.iter().map(String::as_str).filter(|t| !t.starts_with('-') && !t.starts_with("https://")).collect();
    match words.get(1..3).map(|w| (w[0], w[1])) {
        Some(("compact", rev)) => {
            let rev: i64 = rev.parse().map_err(|_| format!("Error: bad revision \"{rev}\""))?;
            return admin(sim, AdminOp::Compact(rev), events).map(|_| format!("compacted revision {rev}"));
        }
        Some(("alarm", "disarm")) => {
            let alarms = alarm_list(sim, events);
            admin(sim, AdminOp::DisarmNospace, events)?;
            return Ok(alarms);
        }
        _ => {}
    }
    if words.get(1) == Some(&"defrag") {
        let mut out = Vec::new();
        let ids: Vec<_> = sim.etcd_cluster(events).map(|(id, _)| id as usize).collect();
        for id in ids {
            if let Some(Component::Etcd(m)) = sim.components.get_mut(id) {
                if m.up {
                    m.mvcc.defrag();
                }
            }
        }
        for x in members(sim, events) {
            out.push(if x.reachable {
                format!("Finished defragmenting etcd member[https://{}:2379]", x.addr)
            } else {
                format!("Failed to defragment etcd member[https://{}:2379] (context deadline exceeded)", x.addr)
            });
        }
        return Ok(out.join("\n"));
    }
    let sim = &*sim;
    let table = tokens.windows(2).any(|w| (w[0] == "-w" || w[0] == "--write-out") && w[1] == "table")
        || tokens.iter().any(|t| t == "-w=table" || t == "--write-out=table");
    let ms = members(sim, events);
    match words.get(1..).unwrap_or(&[]) {
        ["endpoint", "status", ..] => {
            let header = ["ENDPOINT", "ID", "VERSION", "DB SIZE", "IS LEADER", "IS LEARNER", "RAFT TERM", "RAFT INDEX", "RAFT APPLIED INDEX", "ERRORS"];
            let mut rows = Vec::new();
            let mut errors = Vec::new();
            for x in &ms {
                let endpoint = format!("https://{}:2379", x.addr);
                if !x.reachable {
                    errors.push(format!("Failed to get the status of endpoint {endpoint} (context deadline exceeded)"));
                    continue;
                }
                rows.push(vec![
                    endpoint,
                    member_id(&x.name),
                    ETCD_VERSION.to_string(),
                    humanize(x.m.mvcc.db_size()),
                    (x.m.raft.role == Role::Leader).to_string(),
                    "false".into(),
                    x.m.raft.term.to_string(),
                    x.m.raft.commit.to_string(),
                    x.m.raft.applied.to_string(),
                    String::new(),
                ]);
            }
            let body = if table { ascii_table(&header, &rows) } else { rows.iter().map(|r| r.join(", ")).collect::<Vec<_>>().join("\n") };
            Ok(errors.into_iter().chain(std::iter::once(body)).filter(|s| !s.is_empty()).collect::<Vec<_>>().join("\n"))
        }
        ["endpoint", "health", ..] => Ok(ms
            .iter()
            .map(|x| {
                let endpoint = format!("https://{}:2379", x.addr);
                let healthy = x.reachable && x.m.raft.leader.is_some();
                if healthy {
                    format!("{endpoint} is healthy: successfully committed proposal: took = {:.6}ms", x.m.fsync_us as f64 / 1000.0 * 2.0)
                } else {
                    format!("{endpoint} is unhealthy: failed to commit proposal: context deadline exceeded")
                }
            })
            .collect::<Vec<_>>()
            .join("\n")),
        ["member", "list", ..] => {
            let rows: Vec<Vec<String>> = ms
                .iter()
                .map(|x| {
                    vec![
                        member_id(&x.name),
                        "started".into(),
                        x.name.clone(),
                        format!("https://{}:2380", x.addr),
                        format!("https://{}:2379", x.addr),
                        "false".into(),
                    ]
                })
                .collect();
            let header = ["ID", "STATUS", "NAME", "PEER ADDRS", "CLIENT ADDRS", "IS LEARNER"];
            Ok(if table { ascii_table(&header, &rows) } else { rows.iter().map(|r| r.join(", ")).collect::<Vec<_>>().join("\n") })
        }
        ["get", prefix, ..] => {
            let source = ms.iter().find(|x| x.reachable).ok_or("Error: context deadline exceeded")?;
            let keys: Vec<String> = if tokens.iter().any(|t| t == "--prefix") {
                source.m.mvcc.range(prefix).into_iter().map(|kv| kv.key.to_string()).collect()
            } else {
                source.m.mvcc.get(prefix).map(|kv| kv.key.to_string()).into_iter().collect()
            };
            if tokens.iter().any(|t| t == "--keys-only") {
                return Ok(keys.join("\n"));
            }
            // Key, then the raw value as stored (non-printable bytes shown as '.').
            let shown: Vec<String> = keys
                .iter()
                .filter_map(|k| source.m.mvcc.get(k))
                .map(|kv| {
                    let v: String = kv.value.iter().map(|b| if b.is_ascii_graphic() || *b == b' ' { *b as char } else { '.' }).collect();
                    format!("{}\n{v}", kv.key)
                })
                .collect();
            Ok(shown.join("\n"))
        }
        ["alarm", "list", ..] => Ok(alarm_list(sim, events)),
        ["lease", "list", ..] => {
            let source = ms.iter().find(|x| x.reachable).ok_or("Error: context deadline exceeded")?;
            let leases = source.m.mvcc.leases();
            let ids = leases.keys().map(|id| format!("{id:016x}"));
            Ok(std::iter::once(format!("found {} leases", leases.len())).chain(ids).collect::<Vec<_>>().join("\n"))
        }
        _ => Err("Error: unknown command for \"etcdctl\" (try: endpoint status -w table, endpoint health, member list, get /registry/ --prefix --keys-only, alarm list, lease list, compact REV, defrag)".into()),
    }
}

fn admin(sim: &mut Simulation, op: AdminOp, events: bool) -> Result<(), String> {
    if sim.etcd_admin(op, events) {
        Ok(())
    } else {
        Err("Error: context deadline exceeded".into())
    }
}

/// `etcdctl alarm list`: one line per member with the NOSPACE alarm raised.
fn alarm_list(sim: &Simulation, events: bool) -> String {
    members(sim, events)
        .iter()
        .filter(|x| x.m.mvcc.nospace)
        .map(|x| format!("memberID:{} alarm:NOSPACE", u64::from_str_radix(&member_id(&x.name), 16).unwrap_or(0)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `GET http://etcd-N:2381/metrics`: the member's Prometheus metrics, as curl prints them.
pub fn metrics(sim: &Simulation, name: &str) -> Result<String, String> {
    let ms = members(sim, name.starts_with(EVENTS_ETCD) || events_address(name));
    let x = ms
        .iter()
        .find(|x| x.name == name || x.addr == name)
        .ok_or_else(|| format!("curl: (6) Could not resolve host: {name}"))?;
    if !x.reachable {
        return Err(format!("curl: (7) Failed to connect to {name} port 2381: Connection refused"));
    }
    let names: Vec<String> = ms.iter().map(|m| member_id(&m.name)).collect();
    Ok(x.m.metrics_text(&names).trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_print_like_go_humanize() {
        assert_eq!(humanize(512), "512 B");
        assert_eq!(humanize(20_480), "20 kB");
        assert_eq!(humanize(1_500_000), "1.5 MB");
    }
}
