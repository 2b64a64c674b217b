//! kube-controller-manager's workload controllers seen from outside: the events they record
//! about their writes, worded as upstream.

use kube_playground::kubectl;
use kube_playground::scenario::Scenario;
use kube_playground::sim::time::{SimTime, SECONDS};

const TIMEOUT: u64 = 30 * SECONDS;

#[test]
fn deployment_and_replicaset_record_their_scaling() {
    let mut sim = Scenario::default().build().unwrap();
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=2", TIMEOUT);
    sim.run_until(SimTime::from_secs(6));
    kubectl::run(&mut sim, "kubectl scale deployment web --replicas=4", TIMEOUT);
    sim.run_until(SimTime::from_secs(12));
    kubectl::run(&mut sim, "kubectl scale deployment web --replicas=1", TIMEOUT);
    sim.run_until(SimTime::from_secs(20));
    let events = kubectl::run(&mut sim, "kubectl get events", TIMEOUT);
    let about = |object: &str, reason: &str| {
        events.lines().filter(|l| l.contains(&format!(" {reason} ")) && l.contains(object)).count()
    };
    assert_eq!(about("replicaset/web-", "SuccessfulCreate"), 4, "{events}");
    assert_eq!(about("replicaset/web-", "SuccessfulDelete"), 3, "{events}");
    let scaling: Vec<&str> = events.lines().filter(|l| l.contains("deployment/web")).collect();
    assert_eq!(scaling.len(), 3, "{events}");
    assert!(scaling[0].ends_with("to 2") && scaling[0].contains("Scaled up replica set web-"), "{events}");
    assert!(scaling[1].ends_with("to 4 from 2"), "{events}");
    assert!(scaling[2].contains("Scaled down replica set web-") && scaling[2].ends_with("to 1 from 4"), "{events}");
    assert!(events.contains("Created pod: web-"), "{events}");
}
