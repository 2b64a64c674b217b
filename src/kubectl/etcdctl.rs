//! etcdctl in the console, for operators (and the metrics that curl reads from port 2381): `endpoint status`,
//! `endpoint health`, `member list`, `get --prefix --keys-only`, with etcdctl's formats.
//! Simplified: the answers are read from the members directly, without network round trips;
//! a stopped or unreachable member answers as etcdctl reports a dead endpoint.

use super::parse::tokenize;
use super::printers::ascii_table;
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

fn members(sim: &Simulation) -> Vec<Member<'_>> {
    let user_host = sim.network.host_of(crate::sim::cluster::USER);
    sim.components
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match c {
            Component::Etcd(m) => {
                let host = sim.network.host_of(i as u32);
                let addr = if host == 1 { "10.0.0.10".to_string() } else { format!("10.0.1.{}", m.raft.id) };
                let reachable = m.up && !sim.network.is_cut(user_host, host) && !sim.network.is_cut(1, host);
                Some(Member { name: sim.infos[i].name.clone(), addr, m, reachable })
            }
            _ => None,
        })
        .collect()
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
    match tokens.get(1..3).map(|w| (w[0].as_str(), w[1].as_str())) {
        Some(("compact", rev)) => {
            let rev: i64 = rev.parse().map_err(|_| format!("Error: bad revision \"{rev}\""))?;
            return admin(sim, AdminOp::Compact(rev)).map(|_| format!("compacted revision {rev}"));
        }
        Some(("alarm", "disarm")) => {
            let alarms = alarm_list(sim);
            admin(sim, AdminOp::DisarmNospace)?;
            return Ok(alarms);
        }
        _ => {}
    }
    if tokens.get(1).map(String::as_str) == Some("defrag") {
        let mut out = Vec::new();
        for c in sim.components.iter_mut() {
            if let Component::Etcd(m) = c {
                if m.up {
                    m.mvcc.defrag();
                }
            }
        }
        for x in members(sim) {
            out.push(if x.reachable {
                format!("Finished defragmenting etcd member[https://{}:2379]", x.addr)
            } else {
                format!("Failed to defragment etcd member[https://{}:2379] (context deadline exceeded)", x.addr)
            });
        }
        return Ok(out.join("\n"));
    }
    let sim = &*sim;
    let words: Vec<&str> = tokens.iter().map(String::as_str).filter(|t| !t.starts_with('-')).collect();
    let table = tokens.windows(2).any(|w| (w[0] == "-w" || w[0] == "--write-out") && w[1] == "table")
        || tokens.iter().any(|t| t == "-w=table" || t == "--write-out=table");
    let ms = members(sim);
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
                source.m.mvcc.range(prefix).into_iter().map(|kv| kv.key).collect()
            } else {
                source.m.mvcc.get(prefix).map(|kv| kv.key.clone()).into_iter().collect()
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
        ["alarm", "list", ..] => Ok(alarm_list(sim)),
        _ => Err("Error: unknown command for \"etcdctl\" (try: endpoint status -w table, endpoint health, member list, get /registry/ --prefix --keys-only, alarm list, compact REV, defrag)".into()),
    }
}

fn admin(sim: &mut Simulation, op: AdminOp) -> Result<(), String> {
    if sim.etcd_admin(op) {
        Ok(())
    } else {
        Err("Error: context deadline exceeded".into())
    }
}

/// `etcdctl alarm list`: one line per member with the NOSPACE alarm raised.
fn alarm_list(sim: &Simulation) -> String {
    members(sim)
        .iter()
        .filter(|x| x.m.mvcc.nospace)
        .map(|x| format!("memberID:{} alarm:NOSPACE", u64::from_str_radix(&member_id(&x.name), 16).unwrap_or(0)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `GET http://etcd-N:2381/metrics`: the member's Prometheus metrics, as curl prints them.
pub fn metrics(sim: &Simulation, name: &str) -> Result<String, String> {
    let ms = members(sim);
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
