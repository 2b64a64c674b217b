//! StatefulSets: stable names, ordered creation and removal, rolling updates from the highest
//! ordinal down, and Parallel pod management.

use kube_playground::kubectl;
use kube_playground::scenario::Scenario;
use kube_playground::sim::api::Object;
use kube_playground::sim::time::{SimTime, SECONDS};
use kube_playground::sim::Simulation;

const TIMEOUT: u64 = 30 * SECONDS;

fn apply(sim: &mut Simulation, image: &str, replicas: i32, policy: &str) -> String {
    let doc = serde_json::json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"},
        "spec": {"replicas": replicas, "serviceName": "nginx", "podManagementPolicy": policy,
                 "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "nginx", "image": image}]}}}});
    let started = kubectl::apply::start_manifest(sim, &doc.to_string(), "sts.json", Default::default()).unwrap();
    kubectl::wait(sim, started, TIMEOUT)
}

/// Pod name → STATUS, from `kubectl get pods`.
fn pods(sim: &mut Simulation) -> Vec<(String, String)> {
    let out = kubectl::run(sim, "kubectl get pods", TIMEOUT);
    out.lines()
        .skip(1)
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            Some((w.first()?.to_string(), w.get(2)?.to_string()))
        })
        .collect()
}

fn cluster() -> Simulation {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(3));
    sim
}

#[test]
fn ordered_creation_scale_down_and_rolling_update() {
    let mut sim = cluster();
    assert_eq!(apply(&mut sim, "nginx:1.27", 3, "OrderedReady"), "statefulset.apps/web created");
    // Each pod appears only once the one before it runs.
    let mut seen: Vec<String> = Vec::new();
    for _ in 0..120 {
        sim.run_until(sim.now().plus(SECONDS / 4));
        let now = pods(&mut sim);
        for (name, _) in &now {
            if !seen.contains(name) {
                let ord: usize = name.trim_start_matches("web-").parse().unwrap();
                if ord > 0 {
                    let before = now.iter().find(|(n, _)| *n == format!("web-{}", ord - 1));
                    assert_eq!(before.map(|b| b.1.as_str()), Some("Running"), "{name} appeared early: {now:?}");
                }
                seen.push(name.clone());
            }
        }
    }
    assert_eq!(seen, vec!["web-0", "web-1", "web-2"]);
    let pod = kubectl::run(&mut sim, "kubectl get pod web-1 -o json", TIMEOUT);
    assert!(pod.contains("\"hostname\": \"web-1\"") && pod.contains("\"subdomain\": \"nginx\""), "{pod}");
    assert!(pod.contains("\"statefulset.kubernetes.io/pod-name\": \"web-1\""), "{pod}");
    let table = kubectl::run(&mut sim, "kubectl get sts", TIMEOUT);
    assert!(table.contains("web    3/3"), "{table}");

    // A new image: web-2, then web-1, then web-0 are replaced, one at a time.
    apply(&mut sim, "nginx:1.28", 3, "OrderedReady");
    let mut order = Vec::new();
    for _ in 0..1200 {
        sim.run_until(sim.now().plus(SECONDS / 20));
        for (name, status) in pods(&mut sim) {
            if status == "Terminating" && !order.contains(&name) {
                order.push(name);
            }
        }
    }
    assert_eq!(order, vec!["web-2", "web-1", "web-0"]);
    let set = kubectl::run(&mut sim, "kubectl get sts web -o json", TIMEOUT);
    let Ok(Object::StatefulSet(s)) = Object::from_json(set.as_bytes()) else { panic!("{set}") };
    assert_eq!(s.status.current_revision, s.status.update_revision);
    assert_eq!((s.status.updated_replicas, s.status.ready_replicas), (3, 3));

    // Scale down: web-2 goes before web-1.
    assert_eq!(kubectl::run(&mut sim, "kubectl scale sts web --replicas=1", TIMEOUT), "statefulset.apps/web scaled");
    let mut gone = Vec::new();
    for _ in 0..240 {
        sim.run_until(sim.now().plus(SECONDS / 4));
        let now = pods(&mut sim);
        for n in ["web-2", "web-1"] {
            if !gone.contains(&n) && !now.iter().any(|(p, _)| p == n) {
                gone.push(n);
            }
        }
    }
    assert_eq!(gone, vec!["web-2", "web-1"]);
    let events = kubectl::run(&mut sim, "kubectl get events", TIMEOUT);
    assert!(events.contains("create Pod web-0 in StatefulSet web successful"), "{events}");
    assert!(events.contains("delete Pod web-2 in StatefulSet web successful"), "{events}");
}

#[test]
fn parallel_creates_every_pod_at_once() {
    let mut sim = cluster();
    apply(&mut sim, "nginx", 3, "Parallel");
    sim.run_until(sim.now().plus(SECONDS));
    let now = pods(&mut sim);
    assert_eq!(now.len(), 3, "{now:?}");
    assert!(now.iter().all(|(_, s)| s != "Running"), "none had time to start yet: {now:?}");
}
