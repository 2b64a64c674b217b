//! kube-scheduler behaviour beyond single plugins: the queue's backoff and flush timings,
//! PrioritySort, the FailedScheduling message, preemption end to end and configuration errors.

use kube_playground::sim::api::{Object, Pod};
use kube_playground::sim::rng::fork;
use kube_playground::sim::scheduler::batch;
use kube_playground::sim::scheduler::config;
use kube_playground::sim::scheduler::cycle::{fit_error, Cycle, Outcome};
use kube_playground::sim::scheduler::framework::SharedPod;
use kube_playground::sim::scheduler::profile::Profile;
use kube_playground::sim::scheduler::queue::{Place, SchedulingQueue};
use kube_playground::sim::time::{SimTime, SECONDS};
use serde_json::{json, Value};

fn obj(v: Value) -> Object {
    Object::from_json(v.to_string().as_bytes()).unwrap()
}

fn node(name: &str, cpu: &str, taints: Value) -> Object {
    let alloc = json!({"cpu": cpu, "memory": "8Gi", "pods": "110"});
    obj(json!({"kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
               "spec": {"taints": taints}, "status": {"capacity": alloc, "allocatable": alloc}}))
}

fn pod(name: &str, node: Option<&str>, cpu: &str, priority: i32) -> Pod {
    let mut spec = json!({"containers": [{"name": "c", "image": "nginx", "resources": {"requests": {"cpu": cpu}}}],
                          "priority": priority, "schedulerName": "default-scheduler"});
    if let Some(n) = node {
        spec["nodeName"] = json!(n);
    }
    serde_json::from_value(json!({"metadata": {"name": name, "namespace": "default"}, "spec": spec})).unwrap()
}

#[test]
fn backoff_doubles_from_one_second_to_ten() {
    let secs: Vec<u64> = (1..=6).map(|a| SchedulingQueue::backoff_duration(a) / SECONDS).collect();
    assert_eq!(secs, vec![1, 2, 4, 8, 10, 10]);
}

#[test]
fn active_queue_pops_by_priority_then_arrival() {
    let mut q = SchedulingQueue::default();
    q.add("default/low", 0, false, SimTime::from_secs(1));
    q.add("default/high", 1000, false, SimTime::from_secs(2));
    q.add("default/low2", 0, false, SimTime::from_secs(3));
    q.add("default/gated", 5000, true, SimTime::from_secs(4));
    let order: Vec<String> = std::iter::from_fn(|| q.pop(SimTime::from_secs(5)).map(|(k, _)| k)).collect();
    assert_eq!(order, ["default/high", "default/low", "default/low2"]);
    assert_eq!(q.place("default/gated"), Some(Place::Gated));
    // Removing the gates (an update with gated = false) lets it in.
    q.add("default/gated", 5000, false, SimTime::from_secs(6));
    assert_eq!(q.pop(SimTime::from_secs(6)).map(|(k, _)| k).as_deref(), Some("default/gated"));
}

#[test]
fn unschedulable_pods_wait_for_an_event_backoff_or_the_five_minute_flush() {
    let mut q = SchedulingQueue::default();
    let t0 = SimTime::from_secs(10);
    q.add("default/p", 0, false, t0);
    q.pop(t0).unwrap();
    q.requeue("default/p", true, t0);
    assert!(matches!(q.place("default/p"), Some(Place::Unschedulable(_))));
    // An event half a second later: still inside the 1 s backoff, so backoffQ.
    assert_eq!(q.move_all(t0.plus(SECONDS / 2)), 1);
    assert_eq!(q.place("default/p"), Some(Place::Backoff(t0.plus(SECONDS))));
    assert!(q.pop(t0.plus(SECONDS / 2)).is_none(), "not before the backoff expires");
    let (_, info) = q.pop(t0.plus(SECONDS)).expect("ready after 1 s");
    assert_eq!(info.attempts, 2);
    // Second failure, no event: only the leftover flush moves it, after 5 minutes.
    let t1 = t0.plus(2 * SECONDS);
    q.requeue("default/p", true, t1);
    assert_eq!(q.flush_unschedulable(t1.plus(299 * SECONDS)), 0);
    assert_eq!(q.flush_unschedulable(t1.plus(300 * SECONDS)), 1);
    assert_eq!(q.place("default/p"), Some(Place::Active));
}

#[test]
fn failed_scheduling_message_reads_like_upstream() {
    let objects = vec![
        node("tainted", "4", json!([{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}])),
        node("small", "2", json!([])),
        Object::Pod(Box::new(pod("existing", Some("small"), "500m", 0))),
        Object::Pod(Box::new(pod("big", None, "2", 0))),
    ];
    let attempts = batch::schedule(&objects, &[Profile::default()], 1);
    assert_eq!(
        attempts[0].message.as_deref(),
        Some(
            "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint(s). preemption: 0/2 nodes are \
             available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.."
        )
    );
    let verdict = |node: &str, plugin: &str| attempts[0].explain.filter[node].get(plugin).cloned();
    assert_eq!(verdict("tainted", "TaintToleration").as_deref(), Some("node(s) had untolerated taint(s)"));
    assert_eq!(verdict("small", "NodeResourcesFit").as_deref(), Some("Insufficient cpu"));
    assert_eq!(attempts[0].explain.selected, None);
}

#[test]
fn preemption_picks_victims_then_the_preemptor_lands_on_the_nominated_node() {
    let objects = vec![
        node("n1", "2", json!([])),
        node("n2", "2", json!([])),
        Object::Pod(Box::new(pod("low-1", Some("n1"), "1", 0))),
        Object::Pod(Box::new(pod("low-2", Some("n1"), "1", 0))),
        Object::Pod(Box::new(pod("mid", Some("n2"), "2", 500))),
    ];
    let (mut snap, _) = batch::snapshot(&objects);
    let profile = Profile::default();
    let mut cycle = Cycle { next_start_node_index: 0 };
    let mut rng = fork(1, "kube-scheduler");
    let mut high = pod("high", None, "1500m", 1000);
    let Outcome::Unschedulable { nominated: Some(c), diagnosis, total_nodes } =
        cycle.schedule(&profile, &high, None, &snap, &mut rng, None)
    else {
        panic!("expected preemption")
    };
    // n1 needs two victims of priority 0; n2 one of priority 500: the lowest highest-priority wins.
    assert_eq!(c.node, "n1");
    let mut victims: Vec<&str> = c.victims.iter().map(|v| v.metadata.name.as_str()).collect();
    victims.sort();
    assert_eq!(victims, ["low-1", "low-2"]);
    assert_eq!(fit_error(total_nodes, &diagnosis), "0/2 nodes are available: 2 Insufficient cpu.");
    for v in &c.victims {
        snap.remove_pod(&format!("default/{}", v.metadata.name));
    }
    high.status.nominated_node_name = c.node.clone();
    match cycle.schedule(&profile, &high, None, &snap, &mut rng, None) {
        Outcome::Scheduled { node, .. } => assert_eq!(node, "n1"),
        other => panic!("{other:?}"),
    }
    let never = Pod {
        spec: kube_playground::sim::api::PodSpec { preemption_policy: Some("Never".into()), ..high.spec.clone() },
        ..high.clone()
    };
    snap.add_pod(SharedPod::new(pod("filler", Some("n1"), "2", 0)), "n1");
    let Outcome::Unschedulable { diagnosis, .. } = cycle.schedule(&profile, &never, None, &snap, &mut rng, None) else {
        panic!("n1 and n2 are full")
    };
    assert_eq!(diagnosis.post_filter_msg, "preemption: not eligible due to preemptionPolicy=Never.");
}

#[test]
fn a_nominated_pod_holds_its_room_and_waits_for_its_terminating_victim() {
    let objects = vec![node("n1", "2", json!([])), Object::Pod(Box::new(pod("low", Some("n1"), "2", 0)))];
    let (mut snap, _) = batch::snapshot(&objects);
    let profile = Profile::default();
    let mut cycle = Cycle { next_start_node_index: 0 };
    let mut rng = fork(1, "kube-scheduler");
    let mut high = pod("high", None, "2", 1000);
    let Outcome::Unschedulable { nominated: Some(c), .. } =
        cycle.schedule(&profile, &high, None, &snap, &mut rng, None)
    else {
        panic!("expected preemption")
    };
    snap.nominate(SharedPod::new(high.clone()), &c.node);
    high.status.nominated_node_name = c.node.clone();
    // The victim is terminating (graceful deletion): no second preemption meanwhile.
    let mut terminating = pod("low", Some("n1"), "2", 0);
    terminating.metadata.deletion_timestamp = Some(Default::default());
    snap.add_pod(SharedPod::new(terminating), "n1");
    let Outcome::Unschedulable { nominated: None, diagnosis, .. } =
        cycle.schedule(&profile, &high, None, &snap, &mut rng, None)
    else {
        panic!("expected no new preemption")
    };
    assert_eq!(diagnosis.post_filter_msg, "preemption: not eligible due to a terminating pod on the nominated node.");
    // The victim is gone: a lower-priority pod must not take the nominated pod's room…
    snap.remove_pod("default/low");
    let other = pod("other", None, "1", 0);
    assert!(matches!(cycle.schedule(&profile, &other, None, &snap, &mut rng, None), Outcome::Unschedulable { .. }));
    // …and the nominated pod lands there.
    match cycle.schedule(&profile, &high, None, &snap, &mut rng, None) {
        Outcome::Scheduled { node, .. } => assert_eq!(node, "n1"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn preemption_prefers_victims_no_disruption_budget_protects() {
    let mut protected = pod("guarded", Some("n1"), "2", 0);
    protected.metadata.labels.insert("app".into(), "db".into());
    let objects = vec![
        node("n1", "2", json!([])),
        node("n2", "2", json!([])),
        Object::Pod(Box::new(protected)),
        Object::Pod(Box::new(pod("spare", Some("n2"), "2", 0))),
    ];
    let (mut snap, _) = batch::snapshot(&objects);
    let budget: kube_playground::sim::api::PodDisruptionBudget = serde_json::from_value(json!({
        "metadata": {"name": "db", "namespace": "default"},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "db"}}},
        "status": {"disruptionsAllowed": 0}}))
    .unwrap();
    snap.pdbs = vec![budget];
    let mut cycle = Cycle { next_start_node_index: 0 };
    let mut rng = fork(1, "kube-scheduler");
    let high = pod("high", None, "1", 1000);
    for _ in 0..5 {
        let Outcome::Unschedulable { nominated: Some(c), .. } =
            cycle.schedule(&Profile::default(), &high, None, &snap, &mut rng, None)
        else {
            panic!("expected preemption")
        };
        assert_eq!((c.node.as_str(), c.violations), ("n2", 0), "the unprotected victim, whatever the start node");
    }
}

#[test]
fn configuration_profiles_and_errors() {
    let cfg = json!({"apiVersion": config::API_VERSION, "kind": "KubeSchedulerConfiguration",
        "percentageOfNodesToScore": 30,
        "profiles": [{"schedulerName": "default-scheduler"},
                     {"schedulerName": "bin-packing",
                      "plugins": {"score": {"disabled": [{"name": "NodeResourcesBalancedAllocation"}],
                                            "enabled": [{"name": "NodeResourcesFit", "weight": 5}]}},
                      "pluginConfig": [{"name": "NodeResourcesFit", "args": {"scoringStrategy": {"type": "MostAllocated"}}}]}]});
    let profiles = config::parse(&cfg).unwrap();
    assert_eq!(profiles.len(), 2);
    assert_eq!(profiles[0], Profile { percentage_of_nodes_to_score: Some(30), ..Profile::default() });
    let names: Vec<(&str, i64)> = profiles[1].score.iter().map(|(p, w)| (p.name(), *w)).collect();
    assert_eq!(names[0], ("NodeResourcesFit", 5), "an override keeps its place first");
    assert!(!names.iter().any(|(n, _)| *n == "NodeResourcesBalancedAllocation"));
    let bad = |plugins: Value| {
        let c = json!({"apiVersion": config::API_VERSION, "kind": "KubeSchedulerConfiguration", "profiles": [{"plugins": plugins}]});
        config::parse(&c).unwrap_err()
    };
    assert_eq!(bad(json!({"filter": {"enabled": [{"name": "Nope"}]}})), "plugin \"Nope\" does not exist");
    assert_eq!(
        bad(json!({"filter": {"enabled": [{"name": "ImageLocality"}]}})),
        "plugin \"ImageLocality\" does not extend filter plugin"
    );
    let wrong = json!({"apiVersion": "kubescheduler.config.k8s.io/v1beta3", "kind": "KubeSchedulerConfiguration"});
    assert!(config::parse(&wrong).unwrap_err().contains("v1beta3"));
}

#[test]
fn adaptive_percentage_of_nodes_to_score() {
    use kube_playground::sim::scheduler::profile::num_feasible_nodes_to_find as n;
    assert_eq!(n(None, 50), 50);
    assert_eq!(n(None, 5000), 500, "50 − 5000/125 = 10 %");
    assert_eq!(n(None, 7500), 375, "floor of 5 %");
    assert_eq!(n(None, 1000), 420, "50 − 8 = 42 %");
    assert_eq!(n(Some(1), 1000), 100, "never fewer than 100");
    assert_eq!(n(Some(100), 1000), 1000);
}

/// A cluster whose scheduler profile enables Coscheduling at Permit.
fn gang_cluster(wait_s: i64) -> kube_playground::sim::Simulation {
    let mut scenario = kube_playground::scenario::Scenario::default();
    scenario.cluster.scheduler_config = Some(json!({
        "apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
        "profiles": [{"schedulerName": "default-scheduler",
            "plugins": {"multiPoint": {"enabled": [{"name": "Coscheduling"}]}},
            "pluginConfig": [{"name": "Coscheduling", "args": {"permitWaitingTimeSeconds": wait_s}}]}]
    }));
    scenario.build().unwrap()
}

fn gang_pod(sim: &mut kube_playground::sim::Simulation, name: &str) -> String {
    let line = format!(
        "kubectl run {name} --image=pause --labels=pod-group.scheduling.sigs.k8s.io/name=gang,pod-group.scheduling.sigs.k8s.io/min-available=3"
    );
    kube_playground::kubectl::run(sim, &line, 30 * SECONDS)
}

#[test]
fn permit_holds_a_gang_until_it_is_complete() {
    let mut sim = gang_cluster(10);
    for name in ["a", "b"] {
        assert_eq!(gang_pod(&mut sim, name), format!("pod/{name} created"));
    }
    sim.run_until(SimTime::from_secs(5));
    let pods = kube_playground::kubectl::run(&mut sim, "kubectl get pods -o wide", 30 * SECONDS);
    assert_eq!(
        pods.lines().filter(|l| l.contains("<none>   <none>")).count(),
        2,
        "waiting at Permit, unbound:\n{pods}"
    );
    gang_pod(&mut sim, "c");
    sim.run_until(SimTime::from_secs(9));
    let pods = kube_playground::kubectl::run(&mut sim, "kubectl get pods -o wide", 30 * SECONDS);
    assert_eq!(pods.lines().filter(|l| l.contains(" Running ")).count(), 3, "the whole gang binds:\n{pods}");
}

#[test]
fn permit_rejects_a_gang_that_times_out() {
    let mut sim = gang_cluster(10);
    for name in ["a", "b"] {
        gang_pod(&mut sim, name);
    }
    sim.run_until(SimTime::from_secs(9));
    let before = kube_playground::kubectl::run(&mut sim, "kubectl describe pod a", 30 * SECONDS);
    assert!(!before.contains("FailedScheduling"), "{before}");
    sim.run_until(SimTime::from_secs(12));
    let after = kube_playground::kubectl::run(&mut sim, "kubectl describe pod a", 30 * SECONDS);
    assert!(
        after.contains("default-scheduler  rejected due to timeout after waiting 10s at plugin Coscheduling"),
        "{after}"
    );
    assert!(
        after.contains("Node:                         <none>") || after.contains("Node:             <none>"),
        "{after}"
    );
}

#[test]
fn scheduler_metrics_on_the_secure_port() {
    // Only the three web pods to schedule (no add-on pods).
    let mut scenario = kube_playground::scenario::Scenario::default();
    scenario.cluster.csi_driver = false;
    scenario.cluster.cluster_dns = false;
    let mut sim = scenario.build().unwrap();
    kube_playground::kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=3", 30 * SECONDS);
    sim.run_until(SimTime::from_secs(10));
    let run =
        |sim: &mut kube_playground::sim::Simulation, line: &str| kube_playground::kubectl::run(sim, line, 30 * SECONDS);
    let m = run(&mut sim, "curl -sk https://kube-scheduler:10259/metrics");
    assert!(
        m.contains("scheduler_schedule_attempts_total{profile=\"default-scheduler\",result=\"scheduled\"} 3"),
        "{m}"
    );
    assert!(m.contains("scheduler_framework_extension_point_duration_seconds_count{extension_point=\"Filter\",profile=\"default-scheduler\",status=\"Success\"} 3"), "{m}");
    assert!(m.contains("scheduler_plugin_execution_duration_seconds_count{extension_point=\"Filter\",plugin=\"NodeResourcesFit\",status=\"Success\"} 1"), "{m}");
    assert!(m.contains("scheduler_pending_pods{queue=\"active\"} 0"), "{m}");
    assert!(
        run(&mut sim, "curl https://kube-scheduler:10259/metrics").starts_with("curl: (60) SSL certificate problem")
    );
    assert_eq!(run(&mut sim, "curl -k https://localhost:10259/healthz"), "ok");
    assert_eq!(
        run(&mut sim, "curl http://kube-scheduler:10259/metrics"),
        "Client sent an HTTP request to an HTTPS server."
    );
}
