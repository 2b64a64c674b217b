//! kube-scheduler and kube-controller-manager elect their leaders on Leases in kube-system:
//! the holder renews every 2 s, a standby takes over once it has seen no renewal for 15 s, and
//! a leader that cannot renew within 10 s exits and is restarted by its kubelet.

use kube_playground::kubectl;
use kube_playground::scenario::Scenario;
use kube_playground::sim::api::Object;
use kube_playground::sim::component::{Component, Role};
use kube_playground::sim::time::{SimTime, SECONDS};
use kube_playground::sim::Simulation;

const TIMEOUT: u64 = 30 * SECONDS;

fn ha(replicas: usize) -> Simulation {
    let mut scenario = Scenario::default();
    scenario.cluster.leader_elected_replicas = replicas;
    scenario.build().unwrap()
}

fn lease(sim: &mut Simulation, name: &str) -> kube_playground::sim::api::Lease {
    let out = kubectl::run(sim, &format!("kubectl get lease {name} -n kube-system -o json"), TIMEOUT);
    match Object::from_json(out.as_bytes()) {
        Ok(Object::Lease(l)) => l,
        other => panic!("{name}: {other:?}\n{out}"),
    }
}

fn restarts(sim: &Simulation, name: &str) -> u32 {
    match &sim.components[sim.component_by_name(name).unwrap() as usize] {
        Component::ControllerManager(m) => m.restarts,
        Component::Scheduler(s) => s.restarts,
        _ => 0,
    }
}

#[test]
fn the_single_replicas_hold_their_leases_and_renew_them_every_two_seconds() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(5));
    for name in ["kube-scheduler", "kube-controller-manager"] {
        let first = lease(&mut sim, name);
        assert!(first.spec.holder_identity.starts_with("control-plane_"), "{first:?}");
        assert_eq!(first.spec.lease_duration_seconds, 15);
        assert_eq!(first.spec.lease_transitions, 0);
        sim.run_until(sim.now().plus(5 * SECONDS));
        let later = lease(&mut sim, name);
        assert_eq!(later.spec.holder_identity, first.spec.holder_identity);
        assert_eq!(later.spec.acquire_time, first.spec.acquire_time);
        let renewed = later.spec.renew_time.unwrap().0.since(first.spec.renew_time.unwrap().0);
        assert!((3 * SECONDS..=6 * SECONDS).contains(&renewed), "renewed {renewed} µs later");
    }
    let table = kubectl::run(&mut sim, "kubectl get leases -n kube-system", TIMEOUT);
    assert!(table.starts_with("NAME") && table.contains("HOLDER"), "{table}");
    let events = kubectl::run(&mut sim, "kubectl get events -n kube-system", TIMEOUT);
    assert_eq!(events.matches("LeaderElection").count(), 2, "{events}");
    assert!(events.contains("became leader"), "{events}");
}

#[test]
fn a_standby_controller_manager_takes_over_when_the_leader_dies() {
    let mut sim = ha(2);
    sim.run_until(SimTime::from_secs(5));
    let leader = sim.lease_holder(Role::ControllerManager).expect("a leader");
    let standby_name = if sim.infos[leader as usize].name == "kube-controller-manager" {
        "kube-controller-manager-2"
    } else {
        "kube-controller-manager"
    };
    let standby = sim.component_by_name(standby_name).unwrap();
    // The standby runs no controller: it has not even started its informers.
    match &sim.components[standby as usize] {
        Component::ControllerManager(m) => assert!(m.pods.watch_id.is_none() && m.pods.store.is_empty()),
        _ => unreachable!(),
    }
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=2", TIMEOUT);
    sim.run_until(sim.now().plus(10 * SECONDS));
    let killed_at = sim.now();
    sim.crash(leader);
    // It needs 15 s without a renewal, then up to 4.4 s to its next try.
    sim.run_until(killed_at.plus(14 * SECONDS));
    assert_eq!(sim.lease_holder(Role::ControllerManager), None, "the lease has not expired yet");
    sim.run_until(killed_at.plus(22 * SECONDS));
    assert_eq!(sim.lease_holder(Role::ControllerManager), Some(standby));
    let l = lease(&mut sim, "kube-controller-manager");
    assert_eq!(l.spec.lease_transitions, 1);
    // The new leader reconciles: scaling works again.
    kubectl::run(&mut sim, "kubectl scale deployment web --replicas=3", TIMEOUT);
    sim.run_until(sim.now().plus(15 * SECONDS));
    let pods = kubectl::run(&mut sim, "kubectl get pods", TIMEOUT);
    assert_eq!(pods.matches(" Running ").count(), 3, "{pods}");
    // The old leader, started again, stays a standby.
    sim.restart(leader);
    sim.run_until(sim.now().plus(30 * SECONDS));
    assert_eq!(sim.lease_holder(Role::ControllerManager), Some(standby));
}

#[test]
fn pods_wait_for_a_scheduler_leader_and_are_bound_by_the_new_one() {
    let mut sim = ha(2);
    sim.run_until(SimTime::from_secs(5));
    let leader = sim.lease_holder(Role::Scheduler).expect("a leader");
    sim.crash(leader);
    kubectl::run(&mut sim, "kubectl run web --image=nginx", TIMEOUT);
    sim.run_until(sim.now().plus(5 * SECONDS));
    let pods = kubectl::run(&mut sim, "kubectl get pods", TIMEOUT);
    assert!(pods.contains("Pending"), "nobody schedules while the lease runs out:\n{pods}");
    sim.run_until(sim.now().plus(25 * SECONDS));
    let new_leader = sim.lease_holder(Role::Scheduler).expect("the standby took over");
    assert_ne!(new_leader, leader);
    let pods = kubectl::run(&mut sim, "kubectl get pods", TIMEOUT);
    assert!(pods.contains("Running"), "{pods}");
}

#[test]
fn without_the_apiserver_for_longer_than_the_renew_deadline_both_exit_and_come_back() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(5));
    let apiserver = sim.component_by_name("kube-apiserver").unwrap();
    sim.crash(apiserver);
    sim.run_until(SimTime::from_secs(25));
    assert_eq!(sim.lease_holder(Role::Scheduler), None);
    assert_eq!(sim.lease_holder(Role::ControllerManager), None);
    assert!(restarts(&sim, "kube-scheduler") >= 1 && restarts(&sim, "kube-controller-manager") >= 1);
    sim.restart(apiserver);
    // Restarted with new identities, they wait out the old holder's 15 s lease.
    sim.run_until(SimTime::from_secs(60));
    assert!(sim.lease_holder(Role::Scheduler).is_some() && sim.lease_holder(Role::ControllerManager).is_some());
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=2", TIMEOUT);
    sim.run_until(SimTime::from_secs(80));
    let pods = kubectl::run(&mut sim, "kubectl get pods", TIMEOUT);
    assert_eq!(pods.matches(" Running ").count(), 2, "{pods}");
}
