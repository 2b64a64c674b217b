//! Invariants checked after steps in tests: Raft election safety and log matching, no node
//! over its allocatable, and unique pod IPs.

use super::api::Object;
use super::component::Component;
use super::scheduler::framework::NodeInfo;
use super::Simulation;
use std::collections::BTreeMap;

pub fn check(sim: &Simulation) -> Vec<String> {
    let mut errs = Vec::new();
    for events in [false, true] {
        let members: Vec<_> = sim.etcd_cluster(events).map(|(_, m)| m).collect();
        raft_safety(&members, &mut errs);
    }
    // Capacity: what is bound to a node fits its allocatable.
    if let Some(Component::ApiServer(api)) = sim.components.get(super::cluster::APISERVER as usize) {
        let mut nodes: BTreeMap<String, NodeInfo> = BTreeMap::new();
        for o in api.cached() {
            if let Object::Node(n) = o {
                nodes.insert(n.metadata.name.clone(), NodeInfo::new(n.clone()));
            }
        }
        for o in api.cached() {
            if let Object::Pod(p) = o {
                if let Some(n) = nodes.get_mut(&p.spec.node_name) {
                    if !p.is_terminal() {
                        n.add_pod(crate::sim::scheduler::framework::SharedPod::new((**p).clone()));
                    }
                }
            }
        }
        for (name, n) in &nodes {
            if n.requested.milli_cpu > n.allocatable.milli_cpu || n.requested.memory > n.allocatable.memory {
                errs.push(format!("node {name} is over capacity: {:?} > {:?}", n.requested, n.allocatable));
            }
        }
    }
    // Pod IPs are unique.
    let mut ips: BTreeMap<String, String> = BTreeMap::new();
    for c in &sim.components {
        if let Component::Kubelet(k) = c {
            for w in k.workers.values().filter(|w| !w.ip.is_empty()) {
                if let Some(other) = ips.insert(w.ip.clone(), w.key.clone()) {
                    errs.push(format!("pods {other} and {} share IP {}", w.key, w.ip));
                }
            }
        }
    }
    errs
}

/// Election safety (at most one leader per term) and log matching (committed prefixes agree)
/// within one etcd cluster.
fn raft_safety(members: &[&super::etcd::EtcdMember], errs: &mut Vec<String>) {
    // Election safety: at most one leader per term.
    let mut leaders: BTreeMap<u64, usize> = BTreeMap::new();
    for m in members {
        if m.raft.role == super::etcd::raft::Role::Leader {
            if let Some(other) = leaders.insert(m.raft.term, m.raft.id) {
                errs.push(format!("two leaders in term {}: etcd-{other} and etcd-{}", m.raft.term, m.raft.id));
            }
        }
    }
    // Log matching: committed prefixes agree.
    for a in members {
        for b in members {
            let upto = a.raft.commit.min(b.raft.commit);
            for i in 1..=upto {
                if a.raft.term_at(i) != b.raft.term_at(i) {
                    errs.push(format!("etcd-{} and etcd-{} disagree on committed entry {i}", a.raft.id, b.raft.id));
                    break;
                }
            }
        }
    }
}
