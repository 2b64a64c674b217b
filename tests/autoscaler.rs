//! The HorizontalPodAutoscaler: scale up under simulated CPU load (no faster than upstream's
//! default policy), hold steady within the target, scale down only after the 5-minute window.

use kube_playground::kubectl;
use kube_playground::scenario::Scenario;
use kube_playground::sim::time::{SimTime, SECONDS};
use kube_playground::sim::Simulation;

const TIMEOUT: u64 = 30 * SECONDS;

fn replicas(sim: &mut Simulation) -> String {
    let out = kubectl::run(sim, "kubectl get deployment web", TIMEOUT);
    out.lines().nth(1).and_then(|l| l.split_whitespace().nth(1)).unwrap_or_default().to_string()
}

#[test]
fn cpu_load_scales_a_deployment_up_then_down_after_the_window() {
    let mut scenario = Scenario::default();
    scenario.cluster.set_workers(4);
    let mut sim = scenario.build().unwrap();
    sim.run_until(SimTime::from_secs(3));
    let doc = serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx",
                                       "resources": {"requests": {"cpu": "200m"}}}]}}}});
    let started = kubectl::apply::start_manifest(&mut sim, &doc.to_string(), "web.json", Default::default()).unwrap();
    kubectl::wait(&mut sim, started, TIMEOUT);
    let out = kubectl::run(&mut sim, "kubectl autoscale deployment web --cpu-percent=50 --min=1 --max=10", TIMEOUT);
    assert_eq!(out, "horizontalpodautoscaler.autoscaling/web autoscaled");
    sim.run_until(SimTime::from_secs(20));
    // 1000m of load on one pod requesting 200m: 500 % against 50 %.
    kubectl::run(&mut sim, "kubectl annotate deployment web kube-playground.dev/cpu-load=1000m", TIMEOUT);
    sim.run_until(SimTime::from_secs(50));
    let events = kubectl::run(&mut sim, "kubectl get events", TIMEOUT);
    assert!(
        events.contains("New size: 5; reason: cpu resource utilization (percentage of request) above target"),
        "at most +4 pods (or +100 %) per period:\n{events}"
    );
    sim.run_until(SimTime::from_secs(120));
    assert_eq!(replicas(&mut sim), "10/10");
    let hpa = kubectl::run(&mut sim, "kubectl get hpa", TIMEOUT);
    assert!(hpa.contains("Deployment/web") && hpa.contains("cpu: 50%/50%") && hpa.contains(" 10 "), "{hpa}");

    // The load drops: the recommendation falls at once, the replicas only after 5 minutes.
    kubectl::run(&mut sim, "kubectl annotate deployment web kube-playground.dev/cpu-load=200m --overwrite", TIMEOUT);
    sim.run_until(SimTime::from_secs(300));
    assert_eq!(replicas(&mut sim), "10/10", "within the scale-down stabilization window");
    sim.run_until(SimTime::from_secs(500));
    let events = kubectl::run(&mut sim, "kubectl get events", TIMEOUT);
    assert!(events.contains("New size: 2; reason: All metrics below target"), "{events}");
}

#[test]
fn pods_without_a_cpu_request_cannot_be_autoscaled() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(3));
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx", TIMEOUT);
    kubectl::run(&mut sim, "kubectl autoscale deployment web --max=5", TIMEOUT);
    sim.run_until(SimTime::from_secs(40));
    let events = kubectl::run(&mut sim, "kubectl get events", TIMEOUT);
    assert!(
        events.contains("FailedGetResourceMetric") && events.contains("missing request for cpu in container nginx"),
        "{events}"
    );
}
