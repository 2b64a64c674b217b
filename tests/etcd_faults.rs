//! etcd under faults, natively: the Raft safety checker over seeded fault schedules, crash and
//! restart from the WAL, quorum loss and recovery seen through kube-apiserver and kubectl.

use kube_playground::kubectl;
use kube_playground::scenario::Scenario;
use kube_playground::sim::component::Component;
use kube_playground::sim::etcd::checker::{self, check_seed, Fault};
use kube_playground::sim::etcd::raft::Role;
use kube_playground::sim::etcd::{ETCD_TIMING, PAPER_TIMING};
use kube_playground::sim::time::{SimTime, SECONDS};
use kube_playground::sim::Simulation;

const TIMEOUT: u64 = 30 * SECONDS;

#[test]
fn the_checker_finds_no_violation_across_seeded_fault_schedules() {
    let mut elections = Vec::new();
    for seed in 1..=200 {
        let r = check_seed(5, seed, &Fault::ALL, PAPER_TIMING, 5);
        assert!(r.violations.is_empty(), "seed {seed}: {:?}", r.violations);
        assert!(r.acked_writes > 50, "seed {seed}: only {} writes acknowledged", r.acked_writes);
        elections.extend(r.elections_us);
    }
    assert!(!elections.is_empty());
}

#[test]
fn the_checker_catches_two_leaders_and_a_changed_committed_entry() {
    let mut sim = checker::build(3, 1, PAPER_TIMING, 500);
    sim.run_until(SimTime::from_secs(2));
    let mut audit = checker::Audit::default();
    audit.observe(&sim);
    assert!(audit.violations().is_empty());
    // Forge a second leader in the leader's term.
    let (leader_term, leader) =
        etcd(&sim).iter().find(|m| m.raft.role == Role::Leader).map(|m| (m.raft.term, m.raft.id)).unwrap();
    let other = (leader + 1) % 3;
    if let Component::Etcd(m) = &mut sim.components[other] {
        m.raft.role = Role::Leader;
        m.raft.term = leader_term;
    }
    audit.observe(&sim);
    assert!(audit.violations().iter().any(|v| v.contains("two leaders")), "{:?}", audit.violations());
    // Rewrite a committed entry on one member.
    let mut sim = checker::build(3, 2, PAPER_TIMING, 500);
    sim.run_until(SimTime::from_secs(2));
    let mut audit = checker::Audit::default();
    audit.observe(&sim);
    if let Component::Etcd(m) = &mut sim.components[0] {
        m.raft.log[1].term += 7;
    }
    if let Component::Etcd(m) = &mut sim.components[1] {
        m.raft.log.truncate(1);
        m.raft.commit = 0;
    }
    let mut fresh = checker::Audit::default();
    // A fresh audit sees member 0's forged history first; member 2 disagrees with it.
    fresh.observe(&sim);
    assert!(fresh.violations().iter().any(|v| v.contains("committed")), "{:?}", fresh.violations());
}

fn etcd(sim: &Simulation) -> Vec<&kube_playground::sim::etcd::EtcdMember> {
    sim.etcd_members().collect()
}

#[test]
fn a_crashed_member_restarts_from_its_wal_and_catches_up() {
    let mut sim = checker::build(3, 3, ETCD_TIMING, 500);
    sim.run_until(SimTime::from_secs(4));
    let follower = etcd(&sim).iter().find(|m| m.raft.role == Role::Follower).unwrap().raft.id as u32;
    let before = etcd(&sim)[follower as usize].raft.commit;
    assert!(before > 10);
    assert!(sim.crash(follower));
    sim.run_until(SimTime::from_secs(8));
    sim.restart(follower);
    sim.run_until(SimTime::from_secs(8).plus(SECONDS / 100));
    let m = etcd(&sim)[follower as usize];
    assert!(m.up && m.raft.applied >= before, "replayed its WAL: applied {} of {before}", m.raft.applied);
    sim.run_until(SimTime::from_secs(14));
    let ms = etcd(&sim);
    let leader = ms.iter().find(|m| m.raft.role == Role::Leader).unwrap();
    let lagging = ms[follower as usize];
    assert!(
        leader.mvcc.revision() - lagging.mvcc.revision() < 5,
        "caught up: {} vs {}",
        lagging.mvcc.revision(),
        leader.mvcc.revision()
    );
}

#[test]
fn the_apiserver_fails_over_when_its_etcd_member_dies() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    let etcd0 = sim.component_by_name("etcd-0").unwrap();
    assert!(sim.crash(etcd0));
    // The survivors notice the silence and elect a leader within a couple of election timeouts.
    sim.run_until(sim.now().plus(2 * SECONDS));
    let out = kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=2", TIMEOUT);
    assert_eq!(out, "deployment.apps/web created");
    sim.run_until(sim.now().plus(20 * SECONDS));
    let pods = kubectl::run(&mut sim, "kubectl get pods", TIMEOUT);
    assert_eq!(pods.matches(" Running ").count(), 2, "{pods}");
}

#[test]
fn losing_quorum_fails_writes_and_healing_loses_nothing() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    assert_eq!(kubectl::run(&mut sim, "kubectl create namespace before", TIMEOUT), "namespace/before created");
    let (e1, e2) = (sim.component_by_name("etcd-1").unwrap(), sim.component_by_name("etcd-2").unwrap());
    sim.crash(e1);
    sim.crash(e2);
    let started = sim.now();
    let out = kubectl::run(&mut sim, "kubectl create namespace during", TIMEOUT);
    assert_eq!(out, "Error from server (InternalError): Internal error occurred: etcdserver: request timed out");
    assert!(sim.now().since(started) >= 5 * SECONDS, "etcd waits ReqTimeout before giving up");
    // Consistent reads need a ReadIndex from a leader too: they fail the same way.
    assert_eq!(
        kubectl::run(&mut sim, "kubectl get namespaces", TIMEOUT),
        "Error from server (InternalError): Internal error occurred: etcdserver: request timed out"
    );
    sim.restart(e1);
    sim.restart(e2);
    sim.run_until(sim.now().plus(5 * SECONDS));
    assert_eq!(kubectl::run(&mut sim, "kubectl create namespace after", TIMEOUT), "namespace/after created");
    let ns = kubectl::run(&mut sim, "kubectl get namespaces", TIMEOUT);
    assert!(ns.contains("before") && ns.contains("after"), "{ns}");
}

#[test]
fn both_timing_presets_elect_within_their_windows() {
    for (timing, max_ms) in [("paper", 600), ("etcd", 4000)] {
        let mut scenario = Scenario::default();
        scenario.cluster.raft_timing = timing.into();
        for members in [1, 3, 5] {
            scenario.cluster.etcd_members = members;
            let mut sim = scenario.build().unwrap();
            let mut elected = None;
            while sim.now() < SimTime::from_millis(max_ms) {
                sim.step();
                if etcd(&sim).iter().any(|m| m.raft.role == Role::Leader) {
                    elected = Some(sim.now());
                    break;
                }
            }
            assert!(elected.is_some(), "{timing}, {members} members: no leader within {max_ms} ms");
        }
    }
    let mut bad = Scenario::default();
    bad.cluster.raft_timing = "fast".into();
    assert_eq!(bad.build().err().unwrap(), "unknown Raft timing \"fast\" (paper, etcd)");
}

#[test]
fn etcdctl_and_metrics_tell_the_operator_what_happened() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    let status = kubectl::run(&mut sim, "etcdctl endpoint status -w table", TIMEOUT);
    assert!(status.contains("| IS LEADER |") && status.contains("RAFT APPLIED INDEX"), "{status}");
    assert_eq!(status.matches("   true    |").count(), 1, "exactly one leader:\n{status}");
    let leader = etcd(&sim).iter().find(|m| m.raft.role == Role::Leader).unwrap().raft.id;
    let name = format!("etcd-{leader}");
    let before = kubectl::run(&mut sim, &format!("curl -s http://{name}:2381/metrics"), TIMEOUT);
    assert!(before.contains("etcd_server_is_leader 1"), "{before}");
    assert!(before.contains("etcd_network_peer_round_trip_time_seconds_bucket{To="), "{before}");
    let id = sim.component_by_name(&name).unwrap();
    sim.crash(id);
    sim.run_until(sim.now().plus(3 * SECONDS));
    let status = kubectl::run(&mut sim, "etcdctl endpoint status", TIMEOUT);
    assert!(status.contains("Failed to get the status of endpoint"), "{status}");
    let survivor = etcd(&sim).iter().find(|m| m.up).unwrap().raft.id;
    let after = kubectl::run(&mut sim, &format!("curl -s http://etcd-{survivor}:2381/metrics"), TIMEOUT);
    assert!(after.contains("etcd_server_leader_changes_seen_total 2"), "{after}");
    assert_eq!(
        kubectl::run(&mut sim, &format!("curl -s http://{name}:2381/metrics"), TIMEOUT),
        format!("curl: (7) Failed to connect to {name} port 2381: Connection refused")
    );
}

#[test]
fn a_full_backend_raises_nospace_until_compacted_defragmented_and_disarmed() {
    let mut scenario = Scenario::default();
    scenario.cluster.etcd_quota_bytes = 100_000;
    // The bootstrap objects alone, without the add-ons', fill most of it.
    scenario.cluster.csi_driver = false;
    scenario.cluster.cluster_dns = false;
    let mut sim = scenario.build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    kubectl::run(&mut sim, "kubectl create secret generic old --from-literal=a=b", TIMEOUT);
    let mut last = String::new();
    for i in 0..200 {
        last = kubectl::run(&mut sim, &format!("kubectl create namespace filler-{i}"), TIMEOUT);
        if last.starts_with("Error") {
            break;
        }
    }
    assert_eq!(
        last,
        "Error from server (InternalError): Internal error occurred: etcdserver: mvcc: database space exceeded"
    );
    let alarms = kubectl::run(&mut sim, "etcdctl alarm list", TIMEOUT);
    assert_eq!(alarms.lines().count(), 3, "every member raised NOSPACE:\n{alarms}");
    assert!(alarms.lines().all(|l| l.ends_with(" alarm:NOSPACE")), "{alarms}");
    // Deleting still works (not a namespace: marking it Terminating is a write, refused too);
    // then compact, defragment and disarm.
    assert_eq!(
        kubectl::run(&mut sim, "kubectl delete namespace filler-0", TIMEOUT),
        "Error from server (InternalError): Internal error occurred: etcdserver: mvcc: database space exceeded"
    );
    assert_eq!(kubectl::run(&mut sim, "kubectl delete secret old", TIMEOUT), "secret \"old\" deleted");
    let rev = etcd(&sim)[0].mvcc.revision();
    assert_eq!(kubectl::run(&mut sim, &format!("etcdctl compact {rev}"), TIMEOUT), format!("compacted revision {rev}"));
    sim.run_until(sim.now().plus(SECONDS));
    assert!(
        kubectl::run(&mut sim, "etcdctl defrag", TIMEOUT).starts_with("Finished defragmenting etcd member[https://")
    );
    kubectl::run(&mut sim, "etcdctl alarm disarm", TIMEOUT);
    sim.run_until(sim.now().plus(SECONDS));
    assert_eq!(kubectl::run(&mut sim, "etcdctl alarm list", TIMEOUT), "");
    assert_eq!(kubectl::run(&mut sim, "kubectl create namespace after", TIMEOUT), "namespace/after created");
}

#[test]
fn the_apiserver_compacts_every_five_minutes_and_resumes_watches_by_revision() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(301));
    // The first run only notes a revision; the second compacts to it.
    assert_eq!(etcd(&sim)[0].mvcc.compacted(), 0);
    sim.run_until(SimTime::from_secs(601));
    let compacted = etcd(&sim)[0].mvcc.compacted();
    assert!(compacted > 0, "compacted to the revision seen five minutes earlier");
    assert!(etcd(&sim).iter().all(|m| m.mvcc.compacted() == compacted), "compaction is replicated");
    // Fail over: the new watch starts at the cache's revision, which is not compacted.
    let etcd0 = sim.component_by_name("etcd-0").unwrap();
    sim.crash(etcd0);
    sim.run_until(sim.now().plus(3 * SECONDS));
    assert_eq!(kubectl::run(&mut sim, "kubectl create namespace later", TIMEOUT), "namespace/later created");
    assert!(kubectl::run(&mut sim, "kubectl get ns later", TIMEOUT).contains("Active"));
}

#[test]
fn a_member_far_behind_catches_up_from_a_snapshot() {
    let mut scenario = Scenario::default();
    scenario.cluster.etcd_snapshot_count = 20;
    let mut sim = scenario.build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    let lagging = etcd(&sim).iter().find(|m| m.raft.role == Role::Follower).unwrap().raft.id;
    let id = sim.component_by_name(&format!("etcd-{lagging}")).unwrap();
    sim.crash(id);
    for i in 0..40 {
        assert_eq!(
            kubectl::run(&mut sim, &format!("kubectl create namespace n{i}"), TIMEOUT),
            format!("namespace/n{i} created")
        );
    }
    let compacted = etcd(&sim).iter().any(|m| m.raft.role == Role::Leader && m.raft.offset() > 0);
    assert!(compacted, "the leader compacted its log behind a snapshot");
    sim.restart(id);
    sim.run_until(sim.now().plus(3 * SECONDS));
    let ms = etcd(&sim);
    let (l, f) = (ms.iter().find(|m| m.raft.role == Role::Leader).unwrap(), ms[lagging]);
    assert!(f.raft.snapshot.0 > 0 && f.raft.offset() > 0, "installed a snapshot: {:?}", f.raft.snapshot);
    assert_eq!(f.mvcc.revision(), l.mvcc.revision(), "same store after catching up");
    assert!(f.mvcc.get("/registry/namespaces/n39").is_some());
}

#[test]
fn secrets_are_encrypted_at_rest_and_read_back_in_plaintext() {
    use base64::Engine;
    let mut scenario = Scenario::default();
    scenario.cluster.encryption = Some(kube_playground::sim::storage::EncryptionConfig {
        provider: "aescbc".into(),
        resources: vec!["secrets".into()],
        key_name: "key1".into(),
        secret: base64::engine::general_purpose::STANDARD.encode([42u8; 32]),
    });
    let mut sim = scenario.build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    let out = kubectl::run(&mut sim, "kubectl create secret generic db --from-literal=password=hunter2", TIMEOUT);
    assert_eq!(out, "secret/db created");
    let at_rest = kubectl::run(&mut sim, "etcdctl get /registry/secrets/default/db", TIMEOUT);
    assert!(at_rest.starts_with("/registry/secrets/default/db\nk8s:enc:aescbc:v1:key1:"), "{at_rest}");
    let b64 = base64::engine::general_purpose::STANDARD.encode("hunter2");
    assert!(!at_rest.contains(&b64) && !at_rest.contains("hunter2"), "no plaintext in etcd");
    let json = kubectl::run(&mut sim, "kubectl get secret db -o json", TIMEOUT);
    assert!(json.contains(&b64), "kubectl reads plaintext: {json}");
    let table = kubectl::run(&mut sim, "kubectl get secrets", TIMEOUT);
    assert!(table.starts_with("NAME   TYPE     DATA   AGE\ndb     Opaque   1"), "{table}");
    // Other resources stay in the clear at rest: protobuf, behind upstream's magic.
    let namespace = kubectl::run(&mut sim, "etcdctl get /registry/namespaces/default", TIMEOUT);
    assert!(
        namespace.starts_with("/registry/namespaces/default\nk8s.") && namespace.contains("Namespace"),
        "{namespace}"
    );
    // A bad key is refused when the cluster is built.
    let mut bad = Scenario::default();
    bad.cluster.encryption = Some(kube_playground::sim::storage::EncryptionConfig {
        provider: "aescbc".into(),
        resources: vec!["secrets".into()],
        key_name: "key1".into(),
        secret: "c2hvcnQ=".into(),
    });
    assert_eq!(bad.build().err().unwrap(), "EncryptionConfiguration: aescbc key \"key1\" must be 32 bytes, got 5");
}

/// A member restarts from its backend on disk (no copy of the store is kept at a snapshot) and
/// replays the WAL entries past its consistent index: it still holds the keys written before
/// its snapshots, whose entries its log no longer has, and catches up with the rest.
#[test]
fn a_restarted_member_keeps_its_backend_and_replays_only_the_rest_of_the_wal() {
    let mut scenario = Scenario::default();
    scenario.cluster.etcd_snapshot_count = 20;
    let mut sim = scenario.build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    for i in 0..30 {
        assert_eq!(
            kubectl::run(&mut sim, &format!("kubectl create namespace a{i}"), TIMEOUT),
            format!("namespace/a{i} created")
        );
    }
    let follower = etcd(&sim).iter().find(|m| m.raft.role == Role::Follower).unwrap().raft.id;
    assert!(etcd(&sim)[follower].raft.snapshot.0 > 0, "the follower took snapshots before it stopped");
    let id = sim.component_by_name(&format!("etcd-{follower}")).unwrap();
    sim.crash(id);
    assert_eq!(kubectl::run(&mut sim, "kubectl create namespace b0", TIMEOUT), "namespace/b0 created");
    sim.restart(id);
    sim.run_until(sim.now().plus(3 * SECONDS));
    let ms = etcd(&sim);
    let leader = ms.iter().find(|m| m.raft.role == Role::Leader).unwrap();
    assert!(ms[follower].raft.offset() > 0, "its log starts after a snapshot");
    assert_eq!(ms[follower].mvcc.revision(), leader.mvcc.revision(), "the leader's store");
    assert!(ms[follower].mvcc.get("/registry/namespaces/a0").is_some(), "written before the snapshots");
    assert!(ms[follower].mvcc.get("/registry/namespaces/b0").is_some());
}
