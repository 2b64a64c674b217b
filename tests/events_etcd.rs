//! A separate etcd cluster for Events (kube-apiserver `--etcd-servers-overrides=/events#…`),
//! as large clusters run one: Events are stored and watched there and nowhere else, and the
//! main etcd keeps its quota for everything else.

use kube_playground::kubectl;
use kube_playground::scenario::Scenario;
use kube_playground::sim::time::{SimTime, SECONDS};
use kube_playground::sim::Simulation;

const TIMEOUT: u64 = 10 * SECONDS;

/// Stored Events, and bytes in use, on the first running member of the main or the events
/// cluster.
fn stored_events(sim: &Simulation, events: bool) -> (usize, usize) {
    let m = sim.etcd_cluster(events).map(|(_, m)| m).find(|m| m.up).unwrap();
    (m.mvcc.range("/registry/events/").len(), m.mvcc.in_use())
}

fn cluster(events_members: usize, quota: usize) -> Simulation {
    let mut s = Scenario::default();
    s.cluster.csi_driver = false;
    s.cluster.cluster_dns = false;
    s.cluster.events_etcd_members = events_members;
    s.cluster.etcd_quota_bytes = quota;
    let mut sim = s.build().unwrap();
    sim.run_until(SimTime::from_secs(3));
    sim
}

#[test]
fn events_are_stored_and_served_from_their_own_etcd() {
    let mut sim = cluster(3, 2 << 30);
    assert_eq!(sim.etcd_cluster(true).count(), 3);
    assert_eq!(sim.etcd_members().count(), 3, "the main cluster keeps its three members");
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=3", TIMEOUT);
    sim.run_until(sim.now().plus(20 * SECONDS));
    let (main, _) = stored_events(&sim, false);
    let (events, _) = stored_events(&sim, true);
    assert_eq!(main, 0, "no Event in the main etcd");
    assert!(events > 10, "the Events are in the events etcd: {events}");
    let all = sim.etcd_cluster(true).next().unwrap().1.mvcc.range("/registry/");
    assert!(all.iter().all(|kv| kv.key.starts_with("/registry/events/")), "only Events there");
    // kubectl reads them as before, at the events cluster's revisions.
    let listed = kubectl::run(&mut sim, "kubectl get events", TIMEOUT);
    assert!(listed.contains("Scheduled") && listed.contains("Started"), "{listed}");
    let manifest =
        kubectl::run(&mut sim, "ssh control-plane cat /etc/kubernetes/manifests/kube-apiserver.yaml", TIMEOUT);
    assert!(
        manifest.contains("--etcd-servers-overrides=/events#https://etcd-events-0:2379;https://etcd-events-1:2379;https://etcd-events-2:2379"),
        "{manifest}"
    );
    // etcdctl talks to the main cluster unless --endpoints names the events cluster.
    let main_list = kubectl::run(&mut sim, "etcdctl member list", TIMEOUT);
    assert!(main_list.contains("etcd-0") && !main_list.contains("etcd-events"), "{main_list}");
    let events_list = kubectl::run(&mut sim, "etcdctl --endpoints=https://etcd-events-0:2379 member list", TIMEOUT);
    assert_eq!(events_list.lines().count(), 3, "{events_list}");
    assert!(events_list.contains("etcd-events-2, https://10.0.1.18:2380"), "{events_list}");
    let keys = kubectl::run(
        &mut sim,
        "etcdctl --endpoints=https://etcd-events-0:2379 get /registry/ --prefix --keys-only",
        TIMEOUT,
    );
    assert_eq!(keys.lines().count(), events);
}

/// The events etcd's leader dies: the apiserver fails over to another member for Events, and
/// new Events keep arriving; the main cluster is not disturbed.
#[test]
fn the_apiserver_fails_over_within_the_events_etcd() {
    let mut sim = cluster(3, 2 << 30);
    sim.run_until(sim.now().plus(2 * SECONDS));
    let leader = sim.etcd_leader_of(true).expect("the events etcd elects a leader");
    let main_leader = sim.etcd_leader();
    assert!(sim.crash(leader));
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=2", TIMEOUT);
    sim.run_until(sim.now().plus(30 * SECONDS));
    assert_eq!(sim.etcd_leader(), main_leader, "the main cluster kept its leader");
    assert!(sim.etcd_leader_of(true).is_some_and(|l| l != leader), "a new events leader");
    let listed = kubectl::run(&mut sim, "kubectl get events", TIMEOUT);
    assert!(listed.contains("Started"), "Events written after the failover: {listed}");
    assert!(kube_playground::sim::invariants::check(&sim).is_empty());
}

/// The operators' lesson: Events fill a small main etcd and it raises NOSPACE, so the rollout
/// stalls; with the Events in their own cluster, the same quota holds everything else.
#[test]
fn events_fill_a_shared_etcd_but_not_one_without_them() {
    let rollout = |events_members: usize| {
        let mut sim = cluster(events_members, 260_000);
        kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=30", TIMEOUT);
        sim.run_until(sim.now().plus(40 * SECONDS));
        let out = kubectl::run(&mut sim, "kubectl get deployment web --no-headers", TIMEOUT);
        let ready = out.split_whitespace().nth(1).unwrap_or_default().to_string();
        let alarms = kubectl::run(&mut sim, "etcdctl alarm list", TIMEOUT);
        (ready, alarms, stored_events(&sim, false).1)
    };
    let (ready, alarms, _) = rollout(0);
    assert_ne!(ready, "30/30", "the shared etcd filled before the rollout finished");
    assert!(alarms.contains("alarm:NOSPACE"), "{alarms}");
    let (ready, alarms, in_use) = rollout(3);
    assert_eq!((ready.as_str(), alarms.as_str()), ("30/30", ""), "main etcd: {in_use} bytes in use of 260,000");
}

/// A cluster without add-ons whose Events live 60 s (`--event-ttl=1m`), 3 s in.
fn events_kept_a_minute() -> Simulation {
    let mut s = Scenario::default();
    s.cluster.csi_driver = false;
    s.cluster.cluster_dns = false;
    s.cluster.apiserver.event_ttl_s = 60;
    let mut sim = s.build().unwrap();
    sim.run_until(SimTime::from_secs(3));
    sim
}

/// --event-ttl: Events are written with an etcd lease (reused for a while, as the etcd3
/// store's lease manager does) and go when etcd's leader revokes it — also after the etcd
/// leader changed, as the new leader's lessor gives every lease its whole TTL again.
#[test]
fn events_expire_after_the_event_ttl_through_an_etcd_lease() {
    let mut sim = events_kept_a_minute();
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=2", TIMEOUT);
    sim.run_until(SimTime::from_secs(30));
    assert!(kubectl::run(&mut sim, "kubectl get events", TIMEOUT).contains("Started"));
    let leases = kubectl::run(&mut sim, "etcdctl lease list", TIMEOUT);
    assert!(leases.starts_with("found ") && !leases.starts_with("found 0"), "{leases}");
    let manifest =
        kubectl::run(&mut sim, "ssh control-plane cat /etc/kubernetes/manifests/kube-apiserver.yaml", TIMEOUT);
    assert!(manifest.contains("--event-ttl=1m0s"), "{manifest}");
    let leader = sim.etcd_leader().unwrap();
    sim.crash(leader);
    // Granted for 60 s plus a 3 s reuse window; the new leader restarts the clock.
    sim.run_until(SimTime::from_secs(60));
    assert!(kubectl::run(&mut sim, "kubectl get events", TIMEOUT).contains("Started"), "not yet");
    sim.run_until(SimTime::from_secs(100));
    assert_eq!(kubectl::run(&mut sim, "kubectl get events", TIMEOUT), "No resources found in default namespace.");
    assert_eq!(stored_events(&sim, false).0, 0, "gone from etcd too");
}

/// A repeated event whose Event expired meanwhile is written again: the recorder's patch of
/// the count finds no Event (404), and the sink creates it with the count so far, as
/// client-go's recordToSink falls back on NotFound.
#[test]
fn a_repeat_of_an_expired_event_creates_it_again() {
    let mut sim = events_kept_a_minute();
    let manifest = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: lost\nspec:\n  nodeSelector:\n    disk: ssd\n  containers:\n  - name: app\n    image: nginx\n";
    let started = kubectl::apply::start_manifest(&mut sim, manifest, "lost.yaml", Default::default()).unwrap();
    assert_eq!(kubectl::wait(&mut sim, started, TIMEOUT), "pod/lost created");
    let failed = |sim: &mut Simulation| {
        let out = kubectl::run(sim, "kubectl get events", TIMEOUT);
        out.lines().filter(|l| l.contains("FailedScheduling")).map(String::from).collect::<Vec<_>>()
    };
    sim.run_until(SimTime::from_secs(30));
    assert_eq!(failed(&mut sim).len(), 1, "one FailedScheduling Event");
    // Gone after 60 s (and the lease manager's reuse window); the scheduler retries the pod
    // when the unschedulable pods are flushed, every 5 minutes.
    sim.run_until(SimTime::from_secs(120));
    assert!(failed(&mut sim).is_empty(), "expired");
    sim.run_until(SimTime::from_secs(6 * 60));
    let again = failed(&mut sim);
    assert_eq!(again.len(), 1, "{again:?}");
    let describe = kubectl::run(&mut sim, "kubectl describe pod lost", TIMEOUT);
    // The count so far and the first timestamp travel with the Event created again.
    let line = describe.lines().find(|l| l.contains("FailedScheduling")).unwrap_or_default();
    assert!(line.contains(" (x") && line.contains(" over 5m"), "{describe}");
}

/// An HA control plane (`#apiservers=3&events-etcd=3`) loses its first apiserver before
/// anything is scheduled, with requests in flight: their connections are reset, the kubelets
/// move to the other apiservers and re-create a node Lease whose create was lost, the event
/// recorders write their Events again after sleeping, and the scheduler and controller-manager
/// of another control-plane machine take the leases over and start the add-ons.
#[test]
fn an_apiserver_lost_early_loses_no_events_and_another_machine_takes_over() {
    use kube_playground::scenario::action::{Do, Fault};
    use kube_playground::scenario::session::Session;
    let s = kube_playground::scenario::fragment::apply("apiservers=3&events-etcd=3", Scenario::default()).unwrap();
    let mut session = Session::new(s).unwrap();
    session.advance(SimTime::from_millis(200), u64::MAX);
    assert!(session.act(Do::Fault { target: "kube-apiserver".into(), fault: Fault::Crash }));
    session.advance(SimTime::from_secs(60), u64::MAX);
    let sim = &mut session.sim;
    // kubectl's own apiserver is the dead one: its next dial goes to another.
    let refused = kubectl::run(sim, "kubectl get nodes", TIMEOUT);
    assert!(refused.contains("was refused"), "{refused}");
    let nodes = kubectl::run(sim, "kubectl get nodes", TIMEOUT);
    assert_eq!(nodes.matches(" Ready ").count(), 4, "{nodes}");
    let leases = kubectl::run(sim, "kubectl get leases -n kube-node-lease", TIMEOUT);
    assert_eq!(leases.lines().count(), 5, "every node's Lease: {leases}");
    let held = kubectl::run(sim, "kubectl get leases -n kube-system", TIMEOUT);
    let holders: Vec<&str> = held.lines().filter(|l| l.starts_with("kube-")).collect();
    assert_eq!(holders.len(), 2, "{held}");
    assert!(holders.iter().all(|l| !l.contains(" control-plane_")), "another machine leads: {held}");
    let pods = kubectl::run(sim, "kubectl get pods -n kube-system", TIMEOUT);
    assert_eq!(pods.matches("Running").count(), 3, "{pods}");
    let events = kubectl::run(sim, "kubectl get events -A", TIMEOUT);
    assert_eq!(events.matches("Starting kubelet.").count(), 4, "{events}");
    assert_eq!(events.matches("Successfully assigned").count(), 3, "{events}");
}
