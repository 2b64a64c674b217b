//! Cascading deletion through the garbage collector: background (the owner goes at once, its
//! dependents after), foreground (the owner waits, marked, until its dependents are gone) and
//! orphan (the dependents stay, without their ownerReference).

use kube_playground::kubectl;
use kube_playground::scenario::Scenario;
use kube_playground::sim::time::{SimTime, SECONDS};
use kube_playground::sim::Simulation;

const TIMEOUT: u64 = 30 * SECONDS;

fn with_deployment() -> Simulation {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(3));
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=2", TIMEOUT);
    sim.run_until(SimTime::from_secs(20));
    sim
}

fn count(sim: &mut Simulation, what: &str) -> usize {
    let out = kubectl::run(sim, &format!("kubectl get {what}"), TIMEOUT);
    out.lines().skip(1).filter(|l| l.starts_with("web")).count()
}

#[test]
fn background_deletes_the_owner_at_once_and_its_dependents_after() {
    let mut sim = with_deployment();
    let out = kubectl::run(&mut sim, "kubectl delete deployment web", TIMEOUT);
    assert_eq!(out, "deployment.apps \"web\" deleted");
    assert_eq!(count(&mut sim, "deployments"), 0);
    sim.run_until(sim.now().plus(45 * SECONDS));
    assert_eq!(count(&mut sim, "replicasets"), 0);
    assert_eq!(count(&mut sim, "pods"), 0);
}

#[test]
fn foreground_keeps_the_owner_until_its_dependents_are_gone() {
    let mut sim = with_deployment();
    kubectl::run(&mut sim, "kubectl delete deployment web --cascade=foreground", TIMEOUT);
    let marked = kubectl::run(&mut sim, "kubectl get deployment web -o json", TIMEOUT);
    assert!(marked.contains("\"foregroundDeletion\"") && marked.contains("deletionTimestamp"), "{marked}");
    // The pods terminate first (the ReplicaSet waits for them in foreground too), then the
    // ReplicaSet goes, then the Deployment.
    let mut gone = Vec::new();
    for _ in 0..120 {
        sim.run_until(sim.now().plus(SECONDS / 2));
        for what in ["pods", "replicasets", "deployments"] {
            if !gone.contains(&what) && count(&mut sim, what) == 0 {
                gone.push(what);
            }
        }
    }
    assert_eq!(gone, vec!["pods", "replicasets", "deployments"]);
}

#[test]
fn orphan_leaves_the_dependents_without_an_owner() {
    let mut sim = with_deployment();
    assert_eq!(
        kubectl::run(&mut sim, "kubectl delete deployment web --cascade=bogus", TIMEOUT),
        "error: invalid cascade value (bogus). Must be \"background\", \"foreground\", or \"orphan\""
    );
    kubectl::run(&mut sim, "kubectl delete deployment web --cascade=orphan", TIMEOUT);
    sim.run_until(sim.now().plus(10 * SECONDS));
    assert_eq!(count(&mut sim, "deployments"), 0);
    assert_eq!(count(&mut sim, "replicasets"), 1);
    assert_eq!(count(&mut sim, "pods"), 2);
    let rs = kubectl::run(&mut sim, "kubectl get replicasets -o json", TIMEOUT);
    assert!(!rs.contains("ownerReferences"), "{rs}");
}
