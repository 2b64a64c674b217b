//! Volumes end to end: the default StorageClass and the CSI driver's controller pod, dynamic
//! provisioning (ExternalProvisioning → Provisioning → ProvisioningSucceeded), binding, the
//! attach/detach controller's VolumeAttachment and the driver's attach, the kubelet's mount
//! before the sandbox, configMap volumes, Released volumes deleted, StatefulSet claims.

use kube_playground::kubectl;
use kube_playground::scenario::Scenario;
use kube_playground::sim::time::{SimTime, SECONDS};
use kube_playground::sim::Simulation;
use serde_json::{json, Value};

const TIMEOUT: u64 = 30 * SECONDS;

fn cluster() -> Simulation {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(10));
    sim
}

fn apply(sim: &mut Simulation, doc: Value) -> String {
    let started = kubectl::apply::start_manifest(sim, &doc.to_string(), "doc.json", Default::default()).unwrap();
    kubectl::wait(sim, started, TIMEOUT)
}

fn run(sim: &mut Simulation, line: &str) -> String {
    kubectl::run(sim, line, TIMEOUT)
}

fn claim(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
           "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})
}

fn pod_with(name: &str, volume: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
           "spec": {"containers": [{"name": "app", "image": "nginx:1.27",
                                     "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
                    "volumes": [volume]}})
}

fn line<'a>(out: &'a str, prefix: &str) -> &'a str {
    out.lines().find(|l| l.starts_with(prefix)).unwrap_or_default()
}

#[test]
fn a_claim_is_provisioned_bound_attached_and_mounted() {
    let mut sim = cluster();
    let system = run(&mut sim, "kubectl get pods -n kube-system");
    assert!(line(&system, "csi-controller-").contains("Running"), "{system}");
    let classes = run(&mut sim, "kubectl get storageclass");
    let standard = line(&classes, "standard (default)");
    assert!(standard.contains("disk.csi.kube-playground.dev") && standard.contains("Immediate"), "{classes}");

    assert_eq!(apply(&mut sim, claim("data")), "persistentvolumeclaim/data created");
    sim.run_until(SimTime::from_secs(16));
    let pvc = run(&mut sim, "kubectl get pvc");
    let row = line(&pvc, "data ");
    assert!(row.contains("Bound") && row.contains("pvc-") && row.contains("1Gi") && row.contains("RWO"), "{pvc}");
    assert!(row.contains("standard"), "the default class was set: {pvc}");
    let pv = run(&mut sim, "kubectl get pv");
    let pv_row = line(&pv, "pvc-");
    assert!(pv_row.contains("Delete") && pv_row.contains("Bound") && pv_row.contains("default/data"), "{pv}");
    let events = run(&mut sim, "kubectl get events");
    assert!(
        events.contains(
            "Waiting for a volume to be created either by the external provisioner 'disk.csi.kube-playground.dev'"
        ),
        "{events}"
    );
    assert!(events.contains("External provisioner is provisioning volume for claim \"default/data\""), "{events}");
    assert!(events.contains("Successfully provisioned volume pvc-"), "{events}");

    let volume = json!({"name": "data", "persistentVolumeClaim": {"claimName": "data"}});
    apply(&mut sim, pod_with("db", volume));
    sim.run_until(SimTime::from_secs(30));
    let pods = run(&mut sim, "kubectl get pods");
    assert!(line(&pods, "db ").contains("Running"), "{pods}");
    let attachments = run(&mut sim, "kubectl get volumeattachments");
    let va = line(&attachments, "csi-");
    assert!(va.contains("disk.csi.kube-playground.dev") && va.contains("true"), "{attachments}");
    let events = run(&mut sim, "kubectl get events");
    assert!(events.contains("AttachVolume.Attach succeeded for volume \"pvc-"), "{events}");
    let claim = run(&mut sim, "kubectl describe pvc data");
    let has = |key: &str, value: &str| claim.lines().any(|l| l.starts_with(key) && l.trim_end().ends_with(value));
    assert!(
        has("Status:", "Bound") && has("Used By:", "db") && has("Finalizers:", "[kubernetes.io/pvc-protection]"),
        "{claim}"
    );
    assert!(claim.contains("ProvisioningSucceeded"), "{claim}");
    let describe = run(&mut sim, "kubectl describe pod db");
    assert!(describe.lines().any(|l| l.trim_start().starts_with("ClaimName:") && l.ends_with(" data")), "{describe}");
    assert!(describe.contains("      /data from data (rw)"), "{describe}");

    // A claim in use stays while its pod runs; then the volume is Released and deleted.
    run(&mut sim, "kubectl delete pvc data --wait=false");
    sim.run_until(SimTime::from_secs(35));
    let pvc = run(&mut sim, "kubectl get pvc");
    assert!(line(&pvc, "data ").contains("Terminating"), "kept by kubernetes.io/pvc-protection: {pvc}");
    run(&mut sim, "kubectl delete pod db");
    sim.run_until(SimTime::from_secs(60));
    assert_eq!(run(&mut sim, "kubectl get pvc"), "No resources found in default namespace.");
    assert_eq!(run(&mut sim, "kubectl get pv"), "No resources found");
    assert_eq!(run(&mut sim, "kubectl get volumeattachments"), "No resources found");
}

#[test]
fn a_missing_config_map_holds_the_pod_until_it_exists() {
    let mut sim = cluster();
    let volume = json!({"name": "data", "configMap": {"name": "app-config"}});
    apply(&mut sim, pod_with("web", volume));
    sim.run_until(SimTime::from_secs(20));
    let pods = run(&mut sim, "kubectl get pods");
    assert!(line(&pods, "web ").contains("ContainerCreating"), "{pods}");
    let events = run(&mut sim, "kubectl get events");
    assert!(
        events.contains("MountVolume.SetUp failed for volume \"data\" : configmaps \"app-config\" not found"),
        "{events}"
    );
    assert_eq!(
        run(&mut sim, "kubectl create configmap app-config --from-literal=index.html=hello"),
        "configmap/app-config created"
    );
    sim.run_until(SimTime::from_secs(30));
    let pods = run(&mut sim, "kubectl get pods");
    assert!(line(&pods, "web ").contains("Running"), "{pods}");
    assert!(line(&run(&mut sim, "kubectl get configmaps"), "app-config ").contains(" 1 "));
}

#[test]
fn statefulset_pods_keep_their_claims() {
    let mut sim = cluster();
    let sts = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"},
        "spec": {"replicas": 2, "serviceName": "nginx", "selector": {"matchLabels": {"app": "nginx"}},
                 "template": {"metadata": {"labels": {"app": "nginx"}},
                              "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27",
                                        "volumeMounts": [{"name": "www", "mountPath": "/usr/share/nginx/html"}]}]}},
                 "volumeClaimTemplates": [{"metadata": {"name": "www"},
                     "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}});
    apply(&mut sim, sts);
    sim.run_until(SimTime::from_secs(60));
    let pods = run(&mut sim, "kubectl get pods");
    assert!(line(&pods, "web-0 ").contains("Running") && line(&pods, "web-1 ").contains("Running"), "{pods}");
    let pvc = run(&mut sim, "kubectl get pvc");
    assert!(line(&pvc, "www-web-0 ").contains("Bound") && line(&pvc, "www-web-1 ").contains("Bound"), "{pvc}");
    let volume = |pvc: &str| line(pvc, "www-web-0 ").split_whitespace().nth(2).map(String::from);
    let before = volume(&pvc);
    let events = run(&mut sim, "kubectl get events");
    assert!(events.contains("create Claim www-web-0 Pod web-0 in StatefulSet web success"), "{events}");
    run(&mut sim, "kubectl delete pod web-0");
    sim.run_until(SimTime::from_secs(100));
    let pods = run(&mut sim, "kubectl get pods");
    assert!(line(&pods, "web-0 ").contains("Running"), "{pods}");
    assert_eq!(volume(&run(&mut sim, "kubectl get pvc")), before, "the same volume again");
}

#[test]
fn a_pod_waits_in_the_scheduler_for_its_claim() {
    let mut sim = cluster();
    let volume = json!({"name": "data", "persistentVolumeClaim": {"claimName": "later"}});
    apply(&mut sim, pod_with("waiting", volume));
    sim.run_until(SimTime::from_secs(15));
    let events = run(&mut sim, "kubectl get events");
    assert!(events.contains("0/4 nodes are available: persistentvolumeclaim \"later\" not found."), "{events}");
    let no_class = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "later"},
        "spec": {"storageClassName": "", "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}});
    apply(&mut sim, no_class);
    sim.run_until(SimTime::from_secs(20));
    let events = run(&mut sim, "kubectl get events");
    assert!(events.contains("0/4 nodes are available: pod has unbound immediate PersistentVolumeClaims."), "{events}");
    assert!(events.contains("no persistent volumes available for this claim and no storage class is set"), "{events}");
    // An administrator's volume: the claim binds to it and the pod is scheduled.
    let pv = json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "manual"},
        "spec": {"capacity": {"storage": "5Gi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": "",
                 "csi": {"driver": "disk.csi.kube-playground.dev", "volumeHandle": "vol-manual"}}});
    apply(&mut sim, pv);
    sim.run_until(SimTime::from_secs(40));
    let pvc = run(&mut sim, "kubectl get pvc");
    assert!(line(&pvc, "later ").contains("Bound") && line(&pvc, "later ").contains("manual"), "{pvc}");
    assert!(line(&run(&mut sim, "kubectl get pv"), "manual ").contains("Retain"), "static volumes default to Retain");
    let pods = run(&mut sim, "kubectl get pods");
    assert!(line(&pods, "waiting ").contains("Running"), "{pods}");
}

#[test]
fn env_from_a_missing_config_map_holds_the_container() {
    // The "Configure a Pod to Use a ConfigMap" example, before its ConfigMap exists.
    let mut sim = cluster();
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "dapi-test-pod"},
        "spec": {"containers": [{"name": "test-container", "image": "registry.k8s.io/busybox",
            "command": ["/bin/sh", "-c", "env; sleep 3600"],
            "env": [{"name": "SPECIAL_LEVEL_KEY",
                     "valueFrom": {"configMapKeyRef": {"name": "special-config", "key": "special.how"}}}]}]}});
    apply(&mut sim, pod);
    sim.run_until(SimTime::from_secs(20));
    let status = |sim: &mut Simulation| {
        let pods = run(sim, "kubectl get pods");
        line(&pods, "dapi-test-pod ").split_whitespace().nth(2).unwrap_or_default().to_string()
    };
    assert_eq!(status(&mut sim), "CreateContainerConfigError");
    let events = run(&mut sim, "kubectl get events");
    assert!(events.contains("Error: configmap \"special-config\" not found"), "{events}");
    run(&mut sim, "kubectl create configmap special-config --from-literal=special.type=charm");
    sim.run_until(SimTime::from_secs(35));
    let events = run(&mut sim, "kubectl get events");
    assert!(events.contains("Error: couldn't find key special.how in ConfigMap default/special-config"), "{events}");
    run(&mut sim, "kubectl delete configmap special-config");
    run(&mut sim, "kubectl create configmap special-config --from-literal=special.how=very");
    sim.run_until(SimTime::from_secs(60));
    assert_eq!(status(&mut sim), "Running");
    let describe = run(&mut sim, "kubectl describe pod dapi-test-pod");
    assert!(
        describe.contains("SPECIAL_LEVEL_KEY:  <set to the key 'special.how' of config map 'special-config'>"),
        "{describe}"
    );
}

/// The CSI driver's Events go through the event sink as every recorder's do: its Provisioning
/// event, in flight when kube-apiserver dies, is written again once the apiserver is back.
#[test]
fn the_csi_drivers_event_is_written_again_after_a_reset_connection() {
    use kube_playground::scenario::action::{Do, Fault};
    use kube_playground::scenario::session::Session;
    use kube_playground::sim::trace::TraceRecord;
    let mut session = Session::new(Scenario::default()).unwrap();
    session.advance(SimTime::from_secs(20), u64::MAX);
    assert!(session.act(Do::Apply(claim("data").to_string())));
    // Event by event until the driver sends its Provisioning event; then kube-apiserver dies
    // under it.
    let provisioning = |r: &TraceRecord| matches!(r, TraceRecord::Phase { phase, detail, .. } if phase == "csi-driver" && detail == "event Provisioning");
    let mut sent = false;
    while !sent && session.sim.now() < SimTime::from_secs(40) {
        let before = session.sim.trace.total();
        session.advance(SimTime::from_secs(40), 1);
        let added = (session.sim.trace.total() - before) as usize;
        sent = session.sim.trace.recent().rev().take(added).any(provisioning);
    }
    assert!(sent, "the driver provisions the claim");
    let crash = |fault| Do::Fault { target: "kube-apiserver".into(), fault };
    assert!(session.act(crash(Fault::Crash)));
    session.advance(session.sim.now().plus(5 * SECONDS), u64::MAX);
    assert!(session.act(crash(Fault::Restart)));
    session.advance(session.sim.now().plus(60 * SECONDS), u64::MAX);
    let retried = session.sim.trace.recent().any(|r| {
        matches!(r, TraceRecord::Phase { phase, detail, .. } if phase == "event" && detail.contains("may retry after sleeping"))
    });
    assert!(retried, "the write met the dead apiserver and slept");
    let events = run(&mut session.sim, "kubectl get events");
    assert!(events.contains("External provisioner is provisioning volume for claim \"default/data\""), "{events}");
}
