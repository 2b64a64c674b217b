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

fn rs_replicas_total(sim: &mut kube_playground::sim::Simulation) -> i64 {
    let out = kubectl::run(sim, "kubectl get rs", TIMEOUT);
    out.lines().skip(1).filter_map(|l| l.split_whitespace().nth(1)?.parse::<i64>().ok()).sum()
}

fn running(sim: &mut kube_playground::sim::Simulation) -> usize {
    let out = kubectl::run(sim, "kubectl get pods", TIMEOUT);
    out.lines().filter(|l| l.contains(" Running ")).count()
}

#[test]
fn a_rolling_update_stays_within_surge_and_unavailable_bounds() {
    let mut sim = Scenario::default().build().unwrap();
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx:1.26 --replicas=4", TIMEOUT);
    sim.run_until(SimTime::from_secs(20));
    assert_eq!(running(&mut sim), 4);
    let out = kubectl::run(&mut sim, "kubectl set image deployment/web nginx=nginx:1.27", TIMEOUT);
    assert_eq!(out, "deployment.apps/web image updated");
    // 4 replicas at 25 %: maxSurge 1, maxUnavailable 1.
    let (mut max_total, mut min_running) = (0, usize::MAX);
    for step in 1..=200 {
        sim.run_until(SimTime::from_secs(20).plus(step * 200_000));
        max_total = max_total.max(rs_replicas_total(&mut sim));
        min_running = min_running.min(running(&mut sim));
    }
    assert_eq!(max_total, 5, "replicas + maxSurge, and never more");
    assert!(min_running >= 3, "fewer than replicas − maxUnavailable available: {min_running}");
    let rs = kubectl::run(&mut sim, "kubectl get rs -o wide", TIMEOUT);
    let rows: Vec<&str> = rs.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{rs}");
    assert!(rows.iter().any(|r| r.contains(" 4 ") && r.contains("nginx:1.27")), "{rs}");
    assert!(rows.iter().any(|r| r.split_whitespace().nth(1) == Some("0") && r.contains("nginx:1.26")), "{rs}");
    let pods = kubectl::run(&mut sim, "kubectl get pods", TIMEOUT);
    assert_eq!(pods.lines().filter(|l| l.contains(" Running ")).count(), 4, "{pods}");
    let restart = kubectl::run(&mut sim, "kubectl rollout restart deployment/web", TIMEOUT);
    assert_eq!(restart, "deployment.apps/web restarted");
    sim.run_until(SimTime::from_secs(80));
    let rs = kubectl::run(&mut sim, "kubectl get rs", TIMEOUT);
    assert_eq!(rs.lines().count(), 4, "a third ReplicaSet for the restarted template:\n{rs}");
    let json = kubectl::run(&mut sim, "kubectl get rs -o json", TIMEOUT);
    assert!(json.contains("\"deployment.kubernetes.io/revision\": \"3\""), "{json}");
}

#[test]
fn deleting_a_namespace_empties_it_then_removes_it() {
    let mut sim = Scenario::default().build().unwrap();
    kubectl::run(&mut sim, "kubectl create namespace shop", TIMEOUT);
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=2 -n shop", TIMEOUT);
    sim.run_until(SimTime::from_secs(10));
    assert_eq!(kubectl::run(&mut sim, "kubectl delete namespace shop", TIMEOUT), "namespace \"shop\" deleted");
    let ns = kubectl::run(&mut sim, "kubectl get namespaces", TIMEOUT);
    assert!(ns.lines().any(|l| l.starts_with("shop ") && l.contains("Terminating")), "{ns}");
    assert_eq!(
        kubectl::run(&mut sim, "kubectl create deployment x --image=nginx -n shop", TIMEOUT),
        "Error from server (Forbidden): deployments.apps \"x\" is forbidden: unable to create new content in \
         namespace shop because it is being terminated"
    );
    sim.run_until(SimTime::from_secs(40));
    let ns = kubectl::run(&mut sim, "kubectl get namespaces", TIMEOUT);
    assert!(!ns.contains("shop"), "{ns}");
    assert_eq!(kubectl::run(&mut sim, "kubectl get pods -n shop", TIMEOUT), "No resources found in shop namespace.");
    assert_eq!(
        kubectl::run(&mut sim, "kubectl get deployments -n shop", TIMEOUT),
        "No resources found in shop namespace."
    );
}

#[test]
fn controller_manager_metrics_show_the_workqueues() {
    let mut sim = Scenario::default().build().unwrap();
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=3", TIMEOUT);
    sim.run_until(SimTime::from_secs(10));
    let m = kubectl::run(&mut sim, "curl -k https://kube-controller-manager:10257/metrics", TIMEOUT);
    let adds = m
        .lines()
        .find_map(|l| l.strip_prefix("workqueue_adds_total{name=\"replicaset\"} "))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("{m}"));
    assert!(adds >= 3.0, "{m}");
    assert!(m.contains("workqueue_depth{name=\"deployment\"} 0"), "{m}");
    assert!(m.contains("workqueue_queue_duration_seconds_count{name=\"replicaset\"}"), "{m}");
}

#[test]
fn services_get_a_cluster_ip_and_an_endpointslice_of_their_ready_pods() {
    let mut sim = Scenario::default().build().unwrap();
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=3 --port=80", TIMEOUT);
    sim.run_until(SimTime::from_secs(10));
    let exposed = kubectl::run(&mut sim, "kubectl expose deployment web --port=80 --target-port=8080", TIMEOUT);
    assert_eq!(exposed, "service/web exposed");
    sim.run_until(SimTime::from_secs(12));
    let svc = kubectl::run(&mut sim, "kubectl get svc", TIMEOUT);
    assert!(
        svc.lines().any(|l| l.starts_with("kubernetes ") && l.contains(" 10.96.0.1 ") && l.contains("443/TCP")),
        "{svc}"
    );
    let web = svc.lines().find(|l| l.starts_with("web ")).unwrap_or_else(|| panic!("{svc}"));
    let ip = web.split_whitespace().nth(2).unwrap_or_default();
    let octets: Vec<u32> = ip.split('.').filter_map(|o| o.parse().ok()).collect();
    assert!(octets.len() == 4 && octets[0] == 10 && (96..112).contains(&octets[1]), "inside 10.96.0.0/12: {ip}");
    let pods = kubectl::run(&mut sim, "kubectl get pods -o wide", TIMEOUT);
    let json = kubectl::run(&mut sim, "kubectl get endpointslices -o json", TIMEOUT);
    for ip in pods.lines().skip(1).filter_map(|l| l.split_whitespace().nth(5)) {
        assert!(json.contains(&format!("\"{ip}\"")), "{ip} missing:\n{json}");
    }
    assert!(json.contains("\"kubernetes.io/service-name\": \"web\"") && json.contains("\"port\": 8080"), "{json}");
    assert!(json.contains("\"ready\": true"), "{json}");
    // The legacy Endpoints too, with the deprecation warning the apiserver sends.
    let ep = kubectl::run(&mut sim, "kubectl get endpoints web", TIMEOUT);
    let lines: Vec<&str> = ep.lines().collect();
    assert_eq!(lines[0], "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice");
    assert!(lines[2].starts_with("web ") && lines[2].contains(":8080,") && lines[2].contains(":8080"), "{ep}");
    kubectl::run(&mut sim, "kubectl scale deployment web --replicas=0", TIMEOUT);
    sim.run_until(SimTime::from_secs(14));
    let ep = kubectl::run(&mut sim, "kubectl get ep web", TIMEOUT);
    assert!(ep.lines().nth(2).is_some_and(|l| l.contains("<none>")), "{ep}");
    assert_eq!(kubectl::run(&mut sim, "kubectl delete svc web", TIMEOUT), "service \"web\" deleted");
    sim.run_until(SimTime::from_secs(15));
    let left = kubectl::run(&mut sim, "kubectl get endpointslices", TIMEOUT);
    let names: Vec<&str> = left.lines().skip(1).filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(names, ["kubernetes"], "web's slice is owned by the Service, collected with it:\n{left}");
    let left = kubectl::run(&mut sim, "kubectl get endpoints", TIMEOUT);
    let names: Vec<&str> = left.lines().skip(2).filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(names, ["kubernetes"], "the Endpoints controller deletes web's with the Service:\n{left}");
}

#[test]
fn a_job_runs_its_pod_to_completion_and_crashing_pods_back_off() {
    let mut sim = Scenario::default().build().unwrap();
    let run = |sim: &mut kube_playground::sim::Simulation, line: &str| kubectl::run(sim, line, TIMEOUT);
    assert_eq!(run(&mut sim, "kubectl create job hello --image=busybox -- sh -c 'sleep 5'"), "job.batch/hello created");
    run(&mut sim, "kubectl run crash --image=busybox -- sh -c 'exit 1'");
    assert!(run(&mut sim, "kubectl create job bad --image=busybox --restart=Always").starts_with("error: unknown flag"));
    sim.run_until(SimTime::from_secs(4));
    let jobs = run(&mut sim, "kubectl get jobs");
    assert!(jobs.lines().any(|l| l.starts_with("hello ") && l.contains(" Running ") && l.contains(" 0/1 ")), "{jobs}");
    sim.run_until(SimTime::from_secs(12));
    let jobs = run(&mut sim, "kubectl get jobs");
    assert!(jobs.lines().any(|l| l.starts_with("hello ") && l.contains(" Complete ") && l.contains(" 1/1 ")), "{jobs}");
    let pods = run(&mut sim, "kubectl get pods");
    assert!(pods.lines().any(|l| l.starts_with("hello-") && l.contains(" Completed ")), "{pods}");
    let events = run(&mut sim, "kubectl get events");
    assert!(events.contains("job/hello") && events.contains("Job completed"), "{events}");
    // exit 1 under restartPolicy Always: restarted at once, then after 10 s, then 20 s, …
    let restarts =
        |pods: &str| pods.lines().find(|l| l.starts_with("crash "))?.split_whitespace().nth(3)?.parse::<i32>().ok();
    sim.run_until(SimTime::from_secs(20));
    let pods = run(&mut sim, "kubectl get pods");
    assert!(pods.lines().any(|l| l.starts_with("crash ") && l.contains("CrashLoopBackOff")), "{pods}");
    let at_20 = restarts(&pods).unwrap_or(0);
    sim.run_until(SimTime::from_secs(45));
    let at_45 = restarts(&run(&mut sim, "kubectl get pods")).unwrap_or(0);
    assert_eq!((at_20, at_45), (2, 3), "restarted at once, then after a 10 s back-off, then after 20 s");
}

#[test]
fn rollout_status_history_and_undo() {
    let mut sim = Scenario::default().build().unwrap();
    let run = |sim: &mut kube_playground::sim::Simulation, line: &str| kubectl::run(sim, line, TIMEOUT);
    run(&mut sim, "kubectl create deployment web --image=nginx:1.26 --replicas=3");
    sim.run_until(SimTime::from_secs(15));
    run(&mut sim, "kubectl set image deployment/web nginx=nginx:1.27");
    let status = run(&mut sim, "kubectl rollout status deployment/web");
    assert!(status.starts_with("Waiting for deployment \"web\" rollout to finish: "), "{status}");
    assert!(status.ends_with("deployment \"web\" successfully rolled out"), "{status}");
    let history = run(&mut sim, "kubectl rollout history deployment/web");
    assert_eq!(history, "deployment.apps/web\nREVISION   CHANGE-CAUSE\n1          <none>\n2          <none>");
    assert_eq!(run(&mut sim, "kubectl rollout undo deployment/web"), "deployment.apps/web rolled back");
    assert!(run(&mut sim, "kubectl rollout status deployment/web").ends_with("successfully rolled out"));
    let rs = run(&mut sim, "kubectl get rs -o wide");
    assert!(rs.lines().any(|l| l.contains(" 3 ") && l.contains("nginx:1.26")), "back on the first template:\n{rs}");
    let history = run(&mut sim, "kubectl rollout history deployment/web");
    assert!(
        history.ends_with("2          <none>\n3          <none>"),
        "the old template is revision 3 now:\n{history}"
    );
    assert_eq!(
        run(&mut sim, "kubectl rollout undo deployment/web --to-revision=7"),
        "error: unable to find specified revision 7 in history"
    );
}

fn apply_json(sim: &mut kube_playground::sim::Simulation, doc: serde_json::Value) -> String {
    let started =
        kube_playground::kubectl::apply::start_manifest(sim, &doc.to_string(), "manifest.json", Default::default())
            .unwrap();
    kubectl::wait(sim, started, TIMEOUT)
}

fn daemonset(image: &str) -> serde_json::Value {
    serde_json::json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
                 "template": {"metadata": {"labels": {"app": "agent"}},
                              "spec": {"containers": [{"name": "agent", "image": image}]}}}})
}

#[test]
fn a_daemonset_runs_one_pod_per_eligible_node_and_rolls_one_at_a_time() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    assert_eq!(apply_json(&mut sim, daemonset("fluentd:1.16")), "daemonset.apps/agent created");
    sim.run_until(SimTime::from_secs(15));
    let pods = kubectl::run(&mut sim, "kubectl get pods -o wide", TIMEOUT);
    let mut nodes: Vec<&str> = pods.lines().skip(1).filter_map(|l| l.split_whitespace().nth(6)).collect();
    nodes.sort();
    assert_eq!(nodes, ["worker-1", "worker-2", "worker-3"], "{pods}");
    assert!(!pods.contains("control-plane"), "the control-plane taint is not tolerated:\n{pods}");
    let ds = kubectl::run(&mut sim, "kubectl get ds", TIMEOUT);
    assert_eq!(
        ds.lines().nth(1).unwrap().split_whitespace().take(6).collect::<Vec<_>>(),
        ["agent", "3", "3", "3", "3", "3"],
        "{ds}"
    );
    // Cordoning does not move daemon pods (they tolerate unschedulable).
    kubectl::run(&mut sim, "kubectl cordon worker-2", TIMEOUT);
    sim.run_until(SimTime::from_secs(20));
    assert_eq!(running_on(&mut sim, "agent-"), 3);
    // A new template rolls at most one node at a time (maxUnavailable 1).
    assert_eq!(apply_json(&mut sim, daemonset("fluentd:1.17")), "daemonset.apps/agent configured");
    let mut min_available = i64::MAX;
    for step in 1..=150 {
        sim.run_until(SimTime::from_secs(20).plus(step * 200_000));
        let ds = kubectl::run(&mut sim, "kubectl get ds", TIMEOUT);
        let available: i64 = ds.lines().nth(1).and_then(|l| l.split_whitespace().nth(5)?.parse().ok()).unwrap_or(0);
        min_available = min_available.min(available);
    }
    assert_eq!(min_available, 2, "one node at a time");
    let pods = kubectl::run(&mut sim, "kubectl get pods -o wide", TIMEOUT);
    assert_eq!(pods.lines().filter(|l| l.contains(" Running ")).count(), 3, "{pods}");
    let json = kubectl::run(&mut sim, "kubectl get pods -o json", TIMEOUT);
    assert!(!json.contains("fluentd:1.16") && json.contains("fluentd:1.17"), "every pod on the new template:\n{json}");
    let events = kubectl::run(&mut sim, "kubectl get events", TIMEOUT);
    assert!(events.contains("daemonset/agent") && events.contains("Created pod: agent-"), "{events}");
    // kubectl rollout status follows the next one to its end.
    apply_json(&mut sim, daemonset("fluentd:1.18"));
    let status = kubectl::run(&mut sim, "kubectl rollout status daemonset/agent", 60 * SECONDS);
    assert!(status.contains("Waiting for daemon set \"agent\" rollout to finish: "), "{status}");
    assert!(status.ends_with("daemon set \"agent\" successfully rolled out"), "{status}");
    let described = kubectl::run(&mut sim, "kubectl describe ds agent", TIMEOUT);
    assert!(described.contains("Desired Number of Nodes Scheduled: 3\n"), "{described}");
    assert!(described.contains("Pods Status:  3 Running / 0 Waiting / 0 Succeeded / 0 Failed"), "{described}");
    assert!(described.contains("SuccessfulCreate") && described.contains("daemonset-controller"), "{described}");
    // Deleting the DaemonSet garbage-collects its pods.
    kubectl::run(&mut sim, "kubectl delete daemonset agent", TIMEOUT);
    sim.run_until(SimTime::from_secs(100));
    let pods = kubectl::run(&mut sim, "kubectl get pods", TIMEOUT);
    assert!(!pods.contains("agent-"), "{pods}");
}

fn running_on(sim: &mut kube_playground::sim::Simulation, prefix: &str) -> usize {
    let out = kubectl::run(sim, "kubectl get pods", TIMEOUT);
    out.lines().filter(|l| l.starts_with(prefix) && l.contains(" Running ")).count()
}

#[test]
fn drain_respects_a_pod_disruption_budget() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=4", TIMEOUT);
    assert_eq!(
        kubectl::run(&mut sim, "kubectl create pdb web --selector=app=web --min-available=3", TIMEOUT),
        "poddisruptionbudget.policy/web created"
    );
    sim.run_until(SimTime::from_secs(15));
    let pdb = kubectl::run(&mut sim, "kubectl get pdb", TIMEOUT);
    assert_eq!(
        pdb.lines().nth(1).unwrap().split_whitespace().take(4).collect::<Vec<_>>(),
        ["web", "3", "N/A", "1"],
        "{pdb}"
    );
    // The node with two of the pods: the second eviction must wait for a replacement.
    let pods = kubectl::run(&mut sim, "kubectl get pods -o wide", TIMEOUT);
    let node = ["worker-1", "worker-2", "worker-3"]
        .into_iter()
        .find(|n| pods.lines().filter(|l| l.split_whitespace().nth(6) == Some(*n)).count() == 2)
        .expect("4 pods on 3 workers: one has two");
    let out = kubectl::run(&mut sim, &format!("kubectl drain {node}"), 60 * SECONDS);
    assert!(
        out.contains("(will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget."),
        "{out}"
    );
    assert!(out.ends_with(&format!("node/{node} drained")), "{out}");
    let mut min_ready = usize::MAX;
    for step in 0..60 {
        sim.run_until(sim.now().plus(500_000));
        let pods = kubectl::run(&mut sim, "kubectl get pods", TIMEOUT);
        min_ready = min_ready.min(pods.lines().filter(|l| l.contains(" 1/1 ") && l.contains(" Running ")).count());
        if step == 59 {
            assert_eq!(pods.lines().filter(|l| l.contains(" Running ")).count(), 4, "{pods}");
        }
    }
    assert!(min_ready >= 3, "never fewer than minAvailable ready: {min_ready}");
    let json = kubectl::run(&mut sim, "kubectl get pdb web -o json", TIMEOUT);
    assert!(json.contains("\"disruptionsAllowed\": 1"), "{json}");
    let described = kubectl::run(&mut sim, "kubectl describe pdb web", TIMEOUT);
    assert!(described.contains("Min available:  3\n") && described.contains("Allowed disruptions:  1"), "{described}");
}

/// A daemon pod the apiserver refuses is a FailedCreate on the DaemonSet, and the DaemonSet
/// tries again: once the quota allows, every node gets its pod.
#[test]
fn a_refused_daemon_pod_is_a_failed_create_and_retried() {
    use kube_playground::sim::api::request::{ApiRequest, Verb};
    use kube_playground::sim::api::resource::ResourceInfo;
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    kubectl::run(&mut sim, "kubectl create quota pods --hard=pods=1", TIMEOUT);
    sim.run_until(SimTime::from_secs(3));
    apply_json(&mut sim, daemonset("fluentd:1.16"));
    sim.run_until(SimTime::from_secs(10));
    let events = kubectl::run(&mut sim, "kubectl get events", TIMEOUT);
    assert!(events.contains("FailedCreate") && events.contains("daemonset/agent"), "{events}");
    assert_eq!(running_on(&mut sim, "agent-"), 1);
    let mut req = ApiRequest::new(Verb::Patch, ResourceInfo::of("resourcequotas"), "default", "pods");
    req.patch = Some(serde_json::json!({"spec": {"hard": {"pods": "5"}}}));
    sim.submit(req);
    sim.run_until(SimTime::from_secs(60));
    assert_eq!(running_on(&mut sim, "agent-"), 3, "{}", kubectl::run(&mut sim, "kubectl get events", TIMEOUT));
}

#[test]
fn endpointslices_hold_at_most_100_endpoints_and_a_change_touches_one_slice() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(3));
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=150", TIMEOUT);
    kubectl::run(&mut sim, "kubectl expose deployment web --port=80", TIMEOUT);
    sim.run_until(SimTime::from_secs(60));
    let slices = |sim: &mut kube_playground::sim::Simulation| -> Vec<(String, usize, String)> {
        let json = kubectl::run(sim, "kubectl get endpointslices -l kubernetes.io/service-name=web -o json", TIMEOUT);
        let doc: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        doc["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| {
                let n = s["endpoints"].as_array().map_or(0, |e| e.len());
                let name = s["metadata"]["name"].as_str().unwrap_or_default().to_string();
                (name, n, s["metadata"]["resourceVersion"].as_str().unwrap_or_default().to_string())
            })
            .collect()
    };
    let before = slices(&mut sim);
    let mut sizes: Vec<usize> = before.iter().map(|s| s.1).collect();
    sizes.sort();
    assert_eq!(sizes, vec![50, 100], "{before:?}");
    kubectl::run(&mut sim, "kubectl scale deployment web --replicas=151", TIMEOUT);
    sim.run_until(SimTime::from_secs(80));
    let after = slices(&mut sim);
    let full = |v: &[(String, usize, String)]| v.iter().find(|s| s.1 == 100).cloned();
    assert_eq!(full(&before), full(&after), "the full slice is not rewritten: {after:?}");
    assert!(after.iter().any(|s| s.1 == 51), "{after:?}");
}
