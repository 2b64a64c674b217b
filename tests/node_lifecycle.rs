//! A node lost and found: its kubelet stops, the node lifecycle controller marks it Unknown
//! after the grace period and taints it unreachable, the taint eviction controller deletes
//! its pods after their 300 s toleration, the ReplicaSet replaces them on healthy nodes; when
//! the node comes back the stuck pods are finally removed and the taints go.

use kube_playground::kubectl;
use kube_playground::scenario::Scenario;
use kube_playground::sim::component::{Component, Role};
use kube_playground::sim::time::{SimTime, SECONDS};
use kube_playground::sim::Simulation;

const TIMEOUT: u64 = 30 * SECONDS;

fn kubelet_of(sim: &Simulation, node: &str) -> u32 {
    sim.infos.iter().position(|i| i.role == Role::Kubelet && i.node == node).expect("a kubelet per node") as u32
}

fn on_node<'a>(pods: &'a str, node: &str) -> Vec<&'a str> {
    pods.lines().filter(|l| l.split_whitespace().nth(6) == Some(node)).collect()
}

#[test]
fn a_lost_node_is_marked_unknown_tainted_and_its_pods_move() {
    let mut sim = Scenario::default().build().unwrap();
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=6", TIMEOUT);
    sim.run_until(SimTime::from_secs(20));
    let pods = kubectl::run(&mut sim, "kubectl get pods -o wide", TIMEOUT);
    let lost = on_node(&pods, "worker-1").len();
    assert!(lost > 0, "the spread puts pods on worker-1:\n{pods}");

    let t0 = sim.now();
    assert!(sim.crash(kubelet_of(&sim, "worker-1")));
    // Within the 50 s grace period the node still looks Ready.
    sim.run_until(t0.plus(45 * SECONDS));
    let nodes = kubectl::run(&mut sim, "kubectl get nodes", TIMEOUT);
    assert!(nodes.lines().any(|l| l.starts_with("worker-1 ") && l.contains(" Ready ")), "{nodes}");
    // After it: Unknown (NotReady in the table), tainted unreachable.
    sim.run_until(t0.plus(70 * SECONDS));
    let nodes = kubectl::run(&mut sim, "kubectl get nodes", TIMEOUT);
    assert!(nodes.lines().any(|l| l.starts_with("worker-1 ") && l.contains(" NotReady ")), "{nodes}");
    let node = kubectl::run(&mut sim, "kubectl get node worker-1 -o json", TIMEOUT);
    assert!(node.contains("\"node.kubernetes.io/unreachable\"") && node.contains("NodeStatusUnknown"), "{node}");
    let described = kubectl::run(&mut sim, "kubectl describe node worker-1", TIMEOUT);
    assert!(described.contains("Taints:             node.kubernetes.io/unreachable:NoSchedule\n"), "{described}");
    assert!(described.contains("                    node.kubernetes.io/unreachable:NoExecute\n"), "{described}");
    let ready = described.lines().find(|l| l.starts_with("  Ready ")).unwrap_or_default();
    assert!(
        ready.contains("Unknown") && ready.ends_with("NodeStatusUnknown  Kubelet stopped posting node status."),
        "{described}"
    );
    assert!(described.contains("node-controller  Node worker-1 status is now: NodeNotReady"), "{described}");
    let events = kubectl::run(&mut sim, "kubectl get events", TIMEOUT);
    let node_event =
        events.lines().find(|l| l.contains(" node/worker-1 ") && l.contains("NodeNotReady")).unwrap_or_default();
    assert!(
        node_event.contains("Normal    NodeNotReady")
            && node_event.ends_with("Node worker-1 status is now: NodeNotReady"),
        "{events}"
    );
    // The pods tolerate unreachable for 300 s (DefaultTolerationSeconds), then are evicted.
    let pods = kubectl::run(&mut sim, "kubectl get pods -o wide", TIMEOUT);
    assert!(on_node(&pods, "worker-1").iter().all(|l| !l.contains("Terminating")), "{pods}");
    sim.run_until(t0.plus(400 * SECONDS));
    let pods = kubectl::run(&mut sim, "kubectl get pods -o wide", TIMEOUT);
    let stuck = on_node(&pods, "worker-1");
    assert_eq!(stuck.len(), lost, "{pods}");
    assert!(stuck.iter().all(|l| l.contains("Terminating")), "the kubelet is gone, so they stay Terminating:\n{pods}");
    let running = pods.lines().filter(|l| l.contains(" Running ") && !l.contains("worker-1")).count();
    assert_eq!(running, 6, "replaced on healthy nodes:\n{pods}");
    let events = kubectl::run(&mut sim, "kubectl get events", TIMEOUT);
    assert!(
        events.contains("TaintManagerEviction") && events.contains("Marking for deletion Pod default/web-"),
        "{events}"
    );

    // Power back on: the kubelet confirms the deletions, the node is Ready and untainted.
    sim.restart(kubelet_of(&sim, "worker-1"));
    sim.run_until(t0.plus(430 * SECONDS));
    let pods = kubectl::run(&mut sim, "kubectl get pods -o wide", TIMEOUT);
    assert!(on_node(&pods, "worker-1").is_empty(), "{pods}");
    let node = kubectl::run(&mut sim, "kubectl get node worker-1 -o json", TIMEOUT);
    assert!(!node.contains("node.kubernetes.io/unreachable"), "{node}");
    let nodes = kubectl::run(&mut sim, "kubectl get nodes", TIMEOUT);
    assert!(nodes.lines().any(|l| l.starts_with("worker-1 ") && l.contains(" Ready ")), "{nodes}");
}

#[test]
fn drain_cordons_and_evicts_then_the_pods_run_elsewhere() {
    // Only the web pods on the nodes (the add-ons' pods would be evicted too).
    let mut scenario = Scenario::default();
    scenario.cluster.csi_driver = false;
    scenario.cluster.cluster_dns = false;
    let mut sim = scenario.build().unwrap();
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=4", TIMEOUT);
    sim.run_until(SimTime::from_secs(20));
    let before = on_node(&kubectl::run(&mut sim, "kubectl get pods -o wide", TIMEOUT), "worker-1").len();
    let out = kubectl::run(&mut sim, "kubectl drain worker-1 --ignore-daemonsets", TIMEOUT);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.first(), Some(&"node/worker-1 cordoned"), "{out}");
    assert_eq!(lines.last(), Some(&"node/worker-1 drained"), "{out}");
    assert_eq!(out.matches(" evicted").count(), before, "{out}");
    sim.run_until(SimTime::from_secs(40));
    let pods = kubectl::run(&mut sim, "kubectl get pods -o wide", TIMEOUT);
    assert!(on_node(&pods, "worker-1").is_empty(), "{pods}");
    assert_eq!(pods.matches(" Running ").count(), 4, "{pods}");
    let nodes = kubectl::run(&mut sim, "kubectl get nodes", TIMEOUT);
    assert!(nodes.contains("Ready,SchedulingDisabled"), "{nodes}");
}

#[test]
fn an_etcd_outage_restarts_the_controller_manager_instead_of_marking_nodes() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(5));
    // Two of three etcd members down: no lease renewal commits — neither the kubelets' nor
    // kube-controller-manager's own. It cannot renew its leader lease within the 10 s renew
    // deadline, so it exits (`leaderelection lost`) and its kubelet restarts it: the fresh
    // node lifecycle controller starts every node's grace period anew, and marks none.
    let members: Vec<u32> =
        sim.infos.iter().enumerate().filter(|(_, i)| i.role == Role::Etcd).map(|(i, _)| i as u32).collect();
    sim.crash(members[0]);
    sim.crash(members[1]);
    sim.run_until(SimTime::from_secs(120));
    sim.restart(members[0]);
    sim.restart(members[1]);
    sim.run_until(SimTime::from_secs(200));
    let kcm = sim.component_by_name("kube-controller-manager").unwrap();
    let restarts = match &sim.components[kcm as usize] {
        Component::ControllerManager(m) => m.restarts,
        _ => 0,
    };
    assert!(restarts >= 1, "kube-controller-manager lost its lease during the outage");
    assert_eq!(sim.lease_holder(Role::ControllerManager), Some(kcm), "and leads again after it");
    let nodes = kubectl::run(&mut sim, "kubectl get nodes", TIMEOUT);
    assert_eq!(nodes.lines().filter(|l| l.contains(" Ready ")).count(), 4, "{nodes}");
    let events = kubectl::run(&mut sim, "kubectl get events", TIMEOUT);
    assert!(!events.contains("NodeNotReady"), "{events}");
}

/// NoExecute times of the workers' unreachable taints, in seconds, from `kubectl get nodes -o json`.
fn no_execute_times(sim: &mut Simulation) -> Vec<u64> {
    let out = kubectl::run(sim, "kubectl get nodes -o json", TIMEOUT);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
    let mut times: Vec<u64> = doc["items"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|n| n["spec"]["taints"].as_array().cloned().unwrap_or_default())
        .filter(|t| t["key"] == "node.kubernetes.io/unreachable" && t["effect"] == "NoExecute")
        .filter_map(|t| kube_playground::sim::time::parse_rfc3339(t["timeAdded"].as_str()?).ok())
        .map(|t| t.0 / SECONDS)
        .collect();
    times.sort();
    times
}

#[test]
fn evictions_are_rate_limited_per_zone() {
    // Six workers; three lose power together: 3 of 7 nodes is under the 55 % threshold, so the
    // zone stays Normal and its NoExecute taints come one per 10 s (--node-eviction-rate 0.1).
    let mut scenario = Scenario::default();
    scenario.cluster.set_workers(6);
    let mut sim = scenario.build().unwrap();
    sim.run_until(SimTime::from_secs(10));
    for w in ["worker-1", "worker-2", "worker-3"] {
        let id = kubelet_of(&sim, w);
        sim.crash(id);
    }
    sim.run_until(SimTime::from_secs(120));
    let times = no_execute_times(&mut sim);
    assert_eq!(times.len(), 3, "{times:?}");
    assert!(times.windows(2).all(|w| w[1] - w[0] >= 10), "one node per 10 s: {times:?}");

    // Five of seven down: once more than 55 % (and over two) are not ready the zone is in
    // partial disruption, and in a small zone (≤ 50 nodes) tainting stops. The nodes that went
    // silent first, while the zone still looked normal, were tainted; the rest never are.
    let mut scenario = Scenario::default();
    scenario.cluster.set_workers(6);
    let mut sim = scenario.build().unwrap();
    sim.run_until(SimTime::from_secs(10));
    for w in ["worker-1", "worker-2", "worker-3", "worker-4", "worker-5"] {
        let id = kubelet_of(&sim, w);
        sim.crash(id);
    }
    sim.run_until(SimTime::from_secs(150));
    let early = no_execute_times(&mut sim);
    assert!((1..=3).contains(&early.len()), "{early:?}");
    sim.run_until(SimTime::from_secs(400));
    assert_eq!(no_execute_times(&mut sim), early, "no more while the zone is disrupted");
    let nodes = kubectl::run(&mut sim, "kubectl get nodes", TIMEOUT);
    assert_eq!(nodes.matches("NotReady").count(), 5, "{nodes}");
}

/// A node's start as `kubectl get events` and `kubectl describe node` show it on a kubeadm
/// cluster: the kubelet's Starting and status events (on the node's name as uid) and the node
/// lifecycle controller's RegisteredNode.
#[test]
fn a_starting_node_records_the_kubelet_and_node_controller_events() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(5));
    let events = kubectl::run(&mut sim, "kubectl get events", 10 * SECONDS);
    for line in [
        "Starting                  node/worker-1        Starting kubelet.",
        "NodeReady                 node/worker-1        Node worker-1 status is now: NodeReady",
        "RegisteredNode            node/worker-1        Node worker-1 event: Registered Node worker-1 in Controller",
    ] {
        assert!(events.contains(line), "{line}\n{events}");
    }
    let describe = kubectl::run(&mut sim, "kubectl describe node worker-1", 10 * SECONDS);
    assert!(describe.contains("Starting kubelet.") && describe.contains("RegisteredNode"), "{describe}");
}
