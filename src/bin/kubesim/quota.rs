//! `kubesim bench quota`: the operators' lesson about etcd's quota. The same cluster comes
//! up twice — its Events in the main etcd, then in an etcd cluster of their own — and for
//! each the bench prints what the main etcd holds, whether it raised NOSPACE and how many
//! writes failed for it.

use super::{flag, number, pods_running, sum_by, COMMAND_TIMEOUT_US};
use kube_playground::kubectl;
use kube_playground::scenario::scale;
use kube_playground::scenario::session::Session;
use kube_playground::sim::time::{parse_duration, SimTime, SECONDS};
use kube_playground::sim::Simulation;

/// Members of the events cluster in the second run.
const EVENTS_MEMBERS: usize = 3;

pub fn bench(args: &[String]) -> Result<(), String> {
    let nodes = number(args, "--nodes", 200usize)?;
    let quota_mb = number(args, "--quota-mb", 2048usize)?;
    let limit = SimTime(parse_duration(flag(args, "--until")?.unwrap_or("5m"))?);
    let shape = scale::SHAPES.iter().find(|s| s.name == "large").ok_or("no large preset")?;
    let want = shape.replicas * nodes / shape.nodes + nodes * shape.daemonsets.len();
    println!("preset: large cut to {nodes} nodes, {want} pods; etcd --quota-backend-bytes {quota_mb} MiB");
    for events_members in [0, EVENTS_MEMBERS] {
        let mut scenario = shape.scenario(Some(nodes));
        scenario.cluster.etcd_quota_bytes = quota_mb << 20;
        scenario.cluster.events_etcd_members = events_members;
        let mut session = Session::new(scenario)?;
        let mut running = 0;
        while running < want && session.sim.now() < limit {
            let t = session.sim.now().plus(SECONDS);
            session.advance(t, u64::MAX);
            running = pods_running(&session.sim).1;
        }
        let where_ = if events_members == 0 { "in the main etcd" } else { "in their own etcd (3 members)" };
        println!("Events {where_}:");
        report(&mut session.sim, false);
        if events_members > 0 {
            report(&mut session.sim, true);
        }
        let failed = failed_writes(&session.sim);
        println!(
            "  pods Running: {running} of {want} at simulated {}; writes failed by etcd: {failed:.0}",
            session.sim.now()
        );
    }
    Ok(())
}

/// One etcd cluster's figures: Events stored, their bytes, bytes in use against the quota,
/// and its NOSPACE alarm.
fn report(sim: &mut Simulation, events: bool) {
    let Some((_, m)) = sim.etcd_cluster(events).find(|(_, m)| m.up) else { return };
    let stored = m.mvcc.range("/registry/events/");
    let event_bytes: usize = stored.iter().map(|kv| kv.key.len() + kv.value.len()).sum();
    let (in_use, keys, quota) = (m.mvcc.in_use(), m.mvcc.keys(), m.mvcc.quota_bytes);
    let name = if events { "events etcd" } else { "main etcd" };
    let endpoints = if events { " --endpoints=https://etcd-events-0:2379" } else { "" };
    let alarms = kubectl::run(sim, &format!("etcdctl{endpoints} alarm list"), COMMAND_TIMEOUT_US);
    let nospace = if alarms.contains("NOSPACE") { "NOSPACE raised" } else { "no alarm" };
    println!(
        "  {name}: {keys} keys, {} Events ({:.1} MiB); {:.1} MiB in use ({:.0} % of the quota); {nospace}",
        stored.len(),
        mib(event_bytes),
        mib(in_use),
        100.0 * in_use as f64 / quota.max(1) as f64
    );
}

/// Requests every apiserver answered with etcd's `database space exceeded` (500s).
fn failed_writes(sim: &Simulation) -> f64 {
    let apiservers = sim.infos.iter().filter(|i| i.name.starts_with("kube-apiserver"));
    let metrics: String =
        apiservers.filter_map(|i| kubectl::curl::scrape(sim, &i.name).ok()).collect::<Vec<_>>().join("\n");
    sum_by(&metrics, "apiserver_request_total", "code").iter().filter(|(c, _)| c == "500").map(|(_, n)| n).sum::<f64>()
        + 0.0
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / 1048576.0
}
