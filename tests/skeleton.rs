//! The thin end-to-end slice, natively: `kubectl create deployment` walks the apiserver chain,
//! is committed through Raft, the controllers create pods, the scheduler binds them and the
//! kubelets start them — with the invariants checked after every event.

use kube_playground::kubectl;
use kube_playground::scenario::Scenario;
use kube_playground::sim::component::Component;
use kube_playground::sim::invariants;
use kube_playground::sim::time::{SimTime, SECONDS};
use kube_playground::sim::trace::TraceRecord;
use kube_playground::sim::Simulation;

const TIMEOUT: u64 = 30 * SECONDS;

fn cluster() -> Simulation {
    Scenario::default().build().unwrap()
}

fn run_checked(sim: &mut Simulation, until: SimTime) {
    while sim.next_event_time().is_some_and(|t| t <= until) {
        sim.step();
        let errs = invariants::check(sim);
        assert!(errs.is_empty(), "invariant broken at {}: {errs:?}", sim.now());
    }
}

fn running_pods(out: &str) -> usize {
    out.lines().skip(1).filter(|l| l.contains(" Running ")).count()
}

#[test]
fn etcd_elects_exactly_one_leader_at_start() {
    let mut sim = cluster();
    run_checked(&mut sim, SimTime::from_secs(1));
    let leaders = sim
        .components
        .iter()
        .filter(|c| matches!(c, Component::Etcd(e) if e.raft.role == kube_playground::sim::etcd::raft::Role::Leader))
        .count();
    assert_eq!(leaders, 1);
}

#[test]
fn a_deployment_becomes_three_running_pods() {
    let mut sim = cluster();
    run_checked(&mut sim, SimTime::from_secs(1));
    let created = kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=3", TIMEOUT);
    assert_eq!(created, "deployment.apps/web created");
    let start = sim.now();
    let mut running_at = None;
    for _ in 0..40 {
        let t = sim.now().plus(SECONDS / 2);
        run_checked(&mut sim, t);
        let pods = kubectl::run(&mut sim, "kubectl get pods -o wide", TIMEOUT);
        if running_pods(&pods) == 3 {
            running_at = Some(sim.now());
            break;
        }
    }
    let at = running_at.expect("3 pods Running within 20 s of simulated time");
    assert!(at.since(start) < 15 * SECONDS, "took {}", at.since(start));
    let pods = kubectl::run(&mut sim, "kubectl get pods -o wide", TIMEOUT);
    let header = pods.lines().next().unwrap();
    assert!(
        header.starts_with("NAME ")
            && header.contains("READY")
            && header.contains("STATUS")
            && header.contains("IP")
            && header.contains("NODE")
    );
    for line in pods.lines().skip(1) {
        assert!(line.starts_with("web-"), "{line}");
        assert!(line.contains("1/1"), "{line}");
        assert!(line.contains("10.244."), "pods get IPs from their node's podCIDR: {line}");
        assert!(!line.contains("control-plane"), "the control-plane taint keeps pods off it: {line}");
    }
    let deploy = kubectl::run(&mut sim, "kubectl get deployments", TIMEOUT);
    assert!(deploy.lines().nth(1).unwrap().starts_with("web    3/3     3            3"), "{deploy}");
    let rs = kubectl::run(&mut sim, "kubectl get rs", TIMEOUT);
    assert!(rs.lines().nth(1).unwrap().starts_with("web-"), "{rs}");
}

#[test]
fn the_request_walks_the_whole_chain() {
    let mut sim = cluster();
    sim.run_until(SimTime::from_secs(1));
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=1", TIMEOUT);
    sim.run_until(SimTime::from_secs(8));
    let phases: Vec<&str> = sim
        .trace
        .recent()
        .filter_map(|r| match r {
            TraceRecord::Phase { phase, .. } => Some(phase.as_ref()),
            _ => None,
        })
        .collect();
    for expected in [
        "authentication",
        "authorization",
        "admission",
        "validation",
        "etcd",
        "propose",
        "commit",
        "deployment",
        "replicaset",
        "Score",
        "Bind",
        "RunPodSandbox",
        "CNI ADD",
        "PullImage",
        "StartContainer",
    ] {
        assert!(phases.contains(&expected), "no {expected} phase in the trace");
    }
}

#[test]
fn nodes_register_with_roles_and_versions() {
    let mut sim = cluster();
    sim.run_until(SimTime::from_secs(2));
    let out = kubectl::run(&mut sim, "kubectl get nodes", TIMEOUT);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "NAME            STATUS   ROLES           AGE   VERSION");
    assert!(lines[1].starts_with("control-plane   Ready    control-plane   2s    v1.35.0"), "{out}");
    assert_eq!(lines.len(), 5);
}

#[test]
fn scaling_down_and_deleting_remove_pods_gracefully() {
    let mut sim = cluster();
    sim.run_until(SimTime::from_secs(1));
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=3", TIMEOUT);
    run_checked(&mut sim, SimTime::from_secs(10));
    assert_eq!(
        kubectl::run(&mut sim, "kubectl scale deployment web --replicas=1", TIMEOUT),
        "deployment.apps/web scaled"
    );
    run_checked(&mut sim, SimTime::from_secs(20));
    let pods = kubectl::run(&mut sim, "kubectl get pods", TIMEOUT);
    assert_eq!(running_pods(&pods), 1, "{pods}");
    assert_eq!(pods.lines().count(), 2, "terminated pods are gone: {pods}");
    assert_eq!(kubectl::run(&mut sim, "kubectl delete deployment web", TIMEOUT), "deployment.apps \"web\" deleted");
    run_checked(&mut sim, SimTime::from_secs(30));
    assert_eq!(kubectl::run(&mut sim, "kubectl get rs", TIMEOUT), "No resources found in default namespace.");
    assert_eq!(kubectl::run(&mut sim, "kubectl get pods", TIMEOUT), "No resources found in default namespace.");
}

#[test]
fn pods_that_fit_nowhere_get_the_upstream_message() {
    let mut scenario = Scenario::default();
    for w in &mut scenario.cluster.workers {
        w.max_pods = 10;
    }
    scenario.cluster.csi_driver = false;
    scenario.cluster.cluster_dns = false;
    let mut sim = scenario.build().unwrap();
    sim.run_until(SimTime::from_secs(1));
    // Three workers of 10 pods; the control plane's taint keeps pods off it.
    kubectl::run(&mut sim, "kubectl create deployment big --image=busybox --replicas=32", TIMEOUT);
    run_checked(&mut sim, SimTime::from_secs(20));
    let pods = kubectl::run(&mut sim, "kubectl get pods", TIMEOUT);
    assert_eq!(running_pods(&pods), 30, "{pods}");
    let pending: Vec<&str> = pods.lines().filter(|l| l.contains(" Pending ")).collect();
    assert_eq!(pending.len(), 2, "{pods}");
    let name = pending[0].split_whitespace().next().unwrap();
    let json = kubectl::run(&mut sim, &format!("kubectl get pod {name} -o json"), TIMEOUT);
    assert!(json.contains("0/4 nodes are available: 1 node(s) had untolerated taint(s), 3 Too many pods."), "{json}");
}

#[test]
fn api_errors_read_like_kubectl() {
    let mut sim = cluster();
    sim.run_until(SimTime::from_secs(1));
    assert_eq!(
        kubectl::run(&mut sim, "kubectl get pod nope", TIMEOUT),
        "Error from server (NotFound): pods \"nope\" not found"
    );
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx", TIMEOUT);
    assert_eq!(
        kubectl::run(&mut sim, "kubectl create deployment web --image=nginx", TIMEOUT),
        "Error from server (AlreadyExists): deployments.apps \"web\" already exists"
    );
    assert_eq!(
        kubectl::run(&mut sim, "kubectl create deployment web -n ghost --image=nginx", TIMEOUT),
        "Error from server (NotFound): namespaces \"ghost\" not found"
    );
    assert_eq!(
        kubectl::run(&mut sim, "kubectl delete namespace default", TIMEOUT),
        "Error from server (Forbidden): namespaces \"default\" is forbidden: this namespace may not be deleted"
    );
    let invalid = kubectl::run(&mut sim, "kubectl create deployment Web --image=nginx", TIMEOUT);
    assert!(
        invalid.starts_with(
            "The Deployment \"Web\" is invalid: metadata.name: Invalid value: \"Web\": a lowercase RFC 1123 subdomain"
        ),
        "{invalid}"
    );
    assert_eq!(
        kubectl::run(&mut sim, "kubectl get widgets", TIMEOUT),
        "error: the server doesn't have a resource type \"widgets\""
    );
}

#[test]
fn cordon_keeps_new_pods_off_a_node() {
    let mut sim = cluster();
    sim.run_until(SimTime::from_secs(1));
    assert_eq!(kubectl::run(&mut sim, "kubectl cordon worker-1", TIMEOUT), "node/worker-1 cordoned");
    let nodes = kubectl::run(&mut sim, "kubectl get nodes", TIMEOUT);
    assert!(nodes.contains("worker-1        Ready,SchedulingDisabled"), "{nodes}");
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=4", TIMEOUT);
    run_checked(&mut sim, SimTime::from_secs(12));
    let pods = kubectl::run(&mut sim, "kubectl get pods -o wide", TIMEOUT);
    assert_eq!(running_pods(&pods), 4, "{pods}");
    assert!(!pods.contains("worker-1"), "{pods}");
}

#[test]
fn a_lost_message_does_not_break_raft_safety() {
    let mut scenario = Scenario::default();
    scenario.cluster.network.loss = 0.02;
    let mut sim = scenario.build().unwrap();
    run_checked(&mut sim, SimTime::from_secs(5));
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=3", TIMEOUT);
    run_checked(&mut sim, SimTime::from_secs(30));
}

#[test]
fn describe_pod_lists_the_scheduler_and_kubelet_events() {
    let mut sim = cluster();
    kubectl::run(&mut sim, "kubectl run web --image=nginx", TIMEOUT);
    sim.run_until(SimTime::from_secs(20));
    let out = kubectl::run(&mut sim, "kubectl describe pod web", TIMEOUT);
    assert!(out.starts_with("Name:             web\nNamespace:        default\n"), "{out}");
    assert!(out.contains("QoS Class:                    BestEffort"), "{out}");
    let events: Vec<&str> = out.lines().skip_while(|l| *l != "Events:").skip(3).collect();
    let reasons: Vec<&str> = events.iter().filter_map(|l| l.split_whitespace().nth(1)).collect();
    assert_eq!(reasons, ["Scheduled", "Pulling", "Pulled", "Created", "Started"], "{out}");
    assert!(events[0].contains("default-scheduler  Successfully assigned default/web to worker-"), "{out}");
    assert!(events[2].contains("kubelet            Successfully pulled image \"nginx\" in "), "{out}");
    let get = kubectl::run(&mut sim, "kubectl get events", TIMEOUT);
    // Columns as wide as their widest cell: the nodes' start events come first.
    let header = "LAST SEEN   TYPE     REASON                    OBJECT               MESSAGE\n";
    assert!(get.starts_with(header), "{get}");
    assert!(get.contains("Normal   Scheduled                 pod/web              Successfully assigned"), "{get}");
    assert_eq!(
        kubectl::run(&mut sim, "kubectl describe pod nope", TIMEOUT),
        "Error from server (NotFound): pods \"nope\" not found"
    );
}

#[test]
fn pods_that_fit_nowhere_carry_a_failed_scheduling_event() {
    let mut sim = cluster();
    // Three workers with 110 pods each cannot hold 340 pods.
    kubectl::run(&mut sim, "kubectl create deployment big --image=pause --replicas=340", TIMEOUT);
    sim.run_until(SimTime::from_secs(60));
    let out = kubectl::run(&mut sim, "kubectl describe pods", TIMEOUT);
    let warning = out.lines().find(|l| l.contains("Warning  FailedScheduling")).unwrap_or_else(|| panic!("{out}"));
    assert!(
        warning.ends_with(
            "default-scheduler  0/4 nodes are available: 1 node(s) had untolerated taint(s), 3 Too many pods. \
             preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, \
             3 No preemption victims found for incoming pod.."
        ),
        "{warning}"
    );
}

#[test]
fn kubelets_list_pulled_images_in_the_node_status() {
    let mut sim = cluster();
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=3", TIMEOUT);
    sim.run_until(SimTime::from_secs(25));
    let out = kubectl::run(&mut sim, "kubectl get nodes -o json", TIMEOUT);
    assert_eq!(out.matches("\"docker.io/library/nginx:latest\"").count(), 3, "{out}");
    assert!(out.contains("\"sizeBytes\": 72000000"), "{out}");
}

#[test]
fn the_scalability_slis_are_measured_and_met_on_a_small_cluster() {
    let mut sim = Scenario::default().build().unwrap();
    let before = sim.slis();
    assert_eq!(before.iter().map(|s| s.p99_s).collect::<Vec<_>>(), vec![None, None]);
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=6", TIMEOUT);
    sim.run_until(SimTime::from_secs(40));
    let slis = sim.slis();
    let names: Vec<&str> = slis.iter().map(|s| s.name).collect();
    assert_eq!(names, ["Mutating API call latency", "Pod startup latency"]);
    for s in &slis {
        let p99 = s.p99_s.unwrap_or_else(|| panic!("{s:?}"));
        assert!(p99 > 0.0 && s.met() == Some(true), "{s:?}");
    }
    assert!(slis[1].detail.ends_with("pods started"), "{:?}", slis[1]);
    // A window counts only what happened since its start.
    let start = sim.sli_counters();
    assert_eq!(sim.slis_since(&start)[1].detail, "0 pods started");
    kubectl::run(&mut sim, "kubectl scale deployment web --replicas=8", TIMEOUT);
    sim.run_until(SimTime::from_secs(60));
    let window = sim.slis_since(&start);
    assert_eq!(window[1].detail, "2 pods started");
    assert!(window[0].p99_s.is_some(), "the scale and the new pods' writes: {window:?}");
    let text = kubectl::curl::scrape(&sim, "kubelet/worker-1").unwrap();
    assert!(text.contains("kubelet_pod_start_sli_duration_seconds_count"), "{text}");
    assert!(kubectl::curl::scrape(&sim, "nothing").is_err());
    let targets = kubectl::curl::scrape_targets(&sim);
    assert!(targets.contains(&"cadvisor/worker-3".to_string()) && targets[0] == "kube-apiserver", "{targets:?}");
}

#[test]
fn a_pod_opens_up_into_its_containers_and_volumes_in_the_view() {
    let mut sim = cluster();
    run_checked(&mut sim, SimTime::from_secs(3));
    let manifest = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"app"},"spec":{"containers":[
        {"name":"web","image":"nginx","resources":{"limits":{"cpu":"500m","memory":"64Mi"}}},
        {"name":"side","image":"busybox","command":["sh","-c","sleep 3600"]}],
        "volumes":[{"name":"scratch","emptyDir":{}}]}}"#;
    let started = kubectl::apply::start_manifest(&mut sim, manifest, "app.json", Default::default()).unwrap();
    let out = kubectl::wait(&mut sim, started, TIMEOUT);
    assert!(out.contains("pod/app created"), "{out}");
    run_checked(&mut sim, SimTime::from_secs(15));
    let view = sim.view();
    let pod = view.nodes.iter().flat_map(|n| &n.pods).find(|p| p.name() == "app").expect("the pod is on a node");
    assert!(pod.ip().starts_with("10.244."), "{pod:?}");
    assert_eq!(pod.volumes, ["scratch (emptyDir)"]);
    let names: Vec<(&str, &str, bool)> =
        pod.containers.iter().map(|c| (c.name.as_str(), c.state.as_str(), c.ready)).collect();
    assert_eq!(names, [("web", "Running", true), ("side", "Running", true)]);
    let (_, cpu_limit) = pod.containers[0].cpu.expect("a running container's CPU");
    assert_eq!(cpu_limit, Some(0.5));
    assert_eq!(pod.containers[0].memory.map(|m| m.1), Some(Some(64 << 20)));
    assert_eq!(pod.containers[1].memory.map(|m| m.1), Some(None));
}

#[test]
fn the_charts_gauges_read_the_components_metrics() {
    let mut sim = cluster();
    run_checked(&mut sim, SimTime::from_secs(3));
    let out = kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=3", TIMEOUT);
    assert!(out.contains("created"), "{out}");
    run_checked(&mut sim, SimTime::from_secs(12));
    let g = sim.gauges();
    assert_eq!(g.has_leader, 3, "every member knows the leader");
    assert!(g.leader_changes >= 1);
    assert!(g.peer_rtt_p99_ms > 0.0 && g.peer_rtt_p99_ms < 100.0, "{g:?}");
    assert!(g.workqueue_adds >= 3, "{g:?}");
    assert!(g.admission_p99_ms > 0.0, "{g:?}");
    assert!(g.pod_starts >= 3 && g.proxy_syncs > 0, "{g:?}");
}

#[test]
fn the_inspector_shows_an_etcd_members_key_space() {
    use kube_playground::kubectl::inspect::{inspect, Target};
    let mut sim = cluster();
    run_checked(&mut sim, SimTime::from_secs(3));
    let out = kubectl::run(&mut sim, "kubectl create namespace team-a", TIMEOUT);
    assert!(out.contains("created"), "{out}");
    run_checked(&mut sim, SimTime::from_secs(4));
    let etcd = sim.component_by_name("etcd-1").unwrap();
    let (title, text) = inspect(&sim, &Target::Component(etcd));
    assert_eq!(title, "etcd-1");
    assert!(text.contains("Key space: ") && text.contains(" keys · revision "), "{text}");
    let writes: Vec<&str> = text.lines().skip_while(|l| !l.starts_with("Latest writes")).skip(1).take(12).collect();
    assert_eq!(writes.len(), 12, "{text}");
    // Newest first: the revisions never grow down the list.
    let revs: Vec<i64> = writes.iter().filter_map(|l| l.split_whitespace().next()?.parse().ok()).collect();
    assert!(revs.windows(2).all(|w| w[0] > w[1]), "{revs:?}");
    assert!(text.contains("/registry/namespaces/team-a"), "{text}");
    assert!(text.contains("Newest value (/registry/") && text.contains("  k8s."), "{text}");
}

#[test]
fn the_inspector_shows_a_message_and_what_its_receiver_did() {
    use kube_playground::kubectl::inspect::{inspect, Target};
    let mut sim = cluster();
    run_checked(&mut sim, SimTime::from_secs(3));
    let id = sim
        .trace
        .recent()
        .find_map(|r| match r {
            TraceRecord::Message { id, label, arrives: Some(_), .. } if label.starts_with("Txn") => Some(*id),
            _ => None,
        })
        .expect("an etcd transaction went out");
    let (title, text) = inspect(&sim, &Target::Message(id));
    assert_eq!(title, format!("message {id}"));
    assert!(text.starts_with("Message:  Txn"), "{text}");
    assert!(text.contains("From:     kube-apiserver") && text.contains("To:       etcd-"), "{text}");
    assert!(text.contains("Arrives:  t = ") && text.contains("Then, at etcd-"), "{text}");
    let (_, gone) = inspect(&sim, &Target::Message(u64::MAX));
    assert!(gone.contains("no longer"));
}
