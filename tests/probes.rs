//! Probes, as the "Configure Liveness, Readiness and Startup Probes" task shows them: an exec
//! liveness probe that fails once the script removes its file, agnhost's /healthz that fails
//! after 10 s, readiness gating the pod's Ready condition and its Service endpoints, and a
//! startup probe holding the others back.

use kube_playground::kubectl;
use kube_playground::scenario::Scenario;
use kube_playground::sim::time::{SimTime, SECONDS};
use kube_playground::sim::Simulation;
use serde_json::{json, Value};

const TIMEOUT: u64 = 30 * SECONDS;

fn cluster() -> Simulation {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(3));
    sim
}

fn apply(sim: &mut Simulation, doc: Value) -> String {
    let started = kubectl::apply::start_manifest(sim, &doc.to_string(), "pod.json", Default::default()).unwrap();
    kubectl::wait(sim, started, TIMEOUT)
}

fn pod(name: &str, container: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}},
           "spec": {"containers": [container]}})
}

fn run(sim: &mut Simulation, line: &str) -> String {
    kubectl::run(sim, line, TIMEOUT)
}

/// The pod's line of `kubectl get pods`: READY, STATUS, RESTARTS.
fn row(sim: &mut Simulation, name: &str) -> (String, String, String) {
    let out = run(sim, "kubectl get pods");
    let line = out.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap_or_default().to_string();
    let w: Vec<&str> = line.split_whitespace().collect();
    let at = |i: usize| w.get(i).map(|s| s.to_string()).unwrap_or_default();
    (at(1), at(2), at(3))
}

#[test]
fn a_failing_exec_liveness_probe_restarts_the_container() {
    let mut sim = cluster();
    let container = json!({"name": "liveness", "image": "registry.k8s.io/busybox:1.27.2",
        "args": ["/bin/sh", "-c", "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"],
        "livenessProbe": {"exec": {"command": ["cat", "/tmp/healthy"]}, "initialDelaySeconds": 5, "periodSeconds": 5}});
    assert_eq!(apply(&mut sim, pod("liveness-exec", container)), "pod/liveness-exec created");
    sim.run_until(SimTime::from_secs(25));
    assert_eq!(row(&mut sim, "liveness-exec"), ("1/1".into(), "Running".into(), "0".into()));
    // The file goes 30 s after the start; three failures 5 s apart kill the container.
    sim.run_until(SimTime::from_secs(90));
    let (_, _, restarts) = row(&mut sim, "liveness-exec");
    assert_eq!(restarts, "1", "one restart after the third failed probe");
    let events = run(&mut sim, "kubectl get events");
    assert!(
        events.contains("Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory"),
        "{events}"
    );
    assert!(events.contains("Container liveness failed liveness probe, will be restarted"), "{events}");
    let describe = run(&mut sim, "kubectl describe pod liveness-exec");
    assert!(describe.contains("Liveness:"), "{describe}");
    assert!(
        describe.contains("exec [cat /tmp/healthy] delay=5s timeout=1s period=5s #success=1 #failure=3"),
        "{describe}"
    );
    assert!(describe.contains("Exit Code:    137"), "{describe}");
}

#[test]
fn agnhost_healthz_fails_after_ten_seconds() {
    let mut sim = cluster();
    let container = json!({"name": "liveness", "image": "registry.k8s.io/e2e-test-images/agnhost:2.40",
        "args": ["liveness"],
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "initialDelaySeconds": 3, "periodSeconds": 3}});
    apply(&mut sim, pod("liveness-http", container));
    sim.run_until(SimTime::from_secs(60));
    let (_, _, restarts) = row(&mut sim, "liveness-http");
    assert!(restarts.parse::<i32>().unwrap_or(0) >= 2, "restarted again and again: {restarts}");
    let events = run(&mut sim, "kubectl get events");
    assert!(events.contains("Liveness probe failed: HTTP probe failed with statuscode: 500"), "{events}");
    let metrics: String = ["worker-1", "worker-2", "worker-3"]
        .iter()
        .map(|n| run(&mut sim, &format!("curl -k https://{n}:10250/metrics")))
        .collect();
    assert!(metrics.contains("prober_probe_total{probe_type=\"Liveness\",result=\"failed\""), "{metrics}");
}

#[test]
fn readiness_gates_the_ready_condition_and_the_endpoints() {
    let mut sim = cluster();
    let good = json!({"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80, "name": "http"}],
        "readinessProbe": {"httpGet": {"path": "/", "port": "http"}}});
    let bad = json!({"name": "web", "image": "nginx:1.27",
        "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 2}});
    apply(&mut sim, pod("good", good));
    apply(&mut sim, pod("bad", bad));
    run(&mut sim, "kubectl expose pod good --port=80");
    run(&mut sim, "kubectl expose pod bad --port=80");
    sim.run_until(SimTime::from_secs(30));
    assert_eq!(row(&mut sim, "good"), ("1/1".into(), "Running".into(), "0".into()));
    assert_eq!(row(&mut sim, "bad"), ("0/1".into(), "Running".into(), "0".into()), "never ready, never restarted");
    // v1 Endpoints list ready addresses only.
    let endpoints = run(&mut sim, "kubectl get endpoints");
    let of = |svc: &str| {
        endpoints
            .lines()
            .find(|l| l.starts_with(&format!("{svc} ")))
            .and_then(|l| l.split_whitespace().nth(1))
            .map(String::from)
    };
    assert!(of("good").is_some_and(|e| e.starts_with("10.244.") && e.ends_with(":80")), "{endpoints}");
    assert_eq!(of("bad").as_deref(), Some("<none>"), "{endpoints}");
    let events = run(&mut sim, "kubectl get events");
    assert!(events.contains("Readiness probe failed: dial tcp 10.244."), "{events}");
    assert!(events.contains(":8080: connect: connection refused"), "{events}");
    let describe = run(&mut sim, "kubectl describe pod bad");
    assert!(describe.contains("  Ready                       False"), "{describe}");
}

#[test]
fn a_startup_probe_holds_liveness_back_until_it_succeeds() {
    let mut sim = cluster();
    // The file appears after 20 s: the startup probe (every 5 s, 10 tries) waits for it, and
    // the liveness probe, which would kill a container without it, starts only after.
    let container = json!({"name": "slow", "image": "busybox",
        "command": ["sh", "-c", "sleep 20; touch /tmp/started; sleep 3600"],
        "startupProbe": {"exec": {"command": ["cat", "/tmp/started"]}, "periodSeconds": 5, "failureThreshold": 10},
        "livenessProbe": {"exec": {"command": ["cat", "/tmp/started"]}, "periodSeconds": 5, "failureThreshold": 1}});
    apply(&mut sim, pod("slow", container));
    sim.run_until(SimTime::from_secs(15));
    assert_eq!(row(&mut sim, "slow"), ("0/1".into(), "Running".into(), "0".into()), "not started yet");
    sim.run_until(SimTime::from_secs(60));
    assert_eq!(row(&mut sim, "slow"), ("1/1".into(), "Running".into(), "0".into()), "started, alive, no restart");
    // Too few tries: killed for its startup probe.
    let impatient = json!({"name": "slow", "image": "busybox",
        "command": ["sh", "-c", "sleep 20; touch /tmp/started; sleep 3600"],
        "startupProbe": {"exec": {"command": ["cat", "/tmp/started"]}, "periodSeconds": 2, "failureThreshold": 2}});
    apply(&mut sim, pod("impatient", impatient));
    sim.run_until(SimTime::from_secs(80));
    let events = run(&mut sim, "kubectl get events");
    assert!(events.contains("Container slow failed startup probe, will be restarted"), "{events}");
}

#[test]
fn a_probe_without_a_handler_is_refused() {
    let mut sim = cluster();
    let container =
        json!({"name": "web", "image": "nginx", "livenessProbe": {"periodSeconds": 5, "successThreshold": 2}});
    let out = apply(&mut sim, pod("nohandler", container));
    assert!(out.contains("spec.containers[0].livenessProbe: Required value: must specify a handler type"), "{out}");
    assert!(out.contains("spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1"), "{out}");
}

#[test]
fn a_container_over_its_memory_limit_is_oom_killed() {
    // The "Exceed a Container's memory limit" example: stress allocates 250M under a 100Mi limit.
    let mut sim = cluster();
    let container = json!({"name": "memory-demo-2-ctr", "image": "polinux/stress",
        "resources": {"requests": {"memory": "50Mi"}, "limits": {"memory": "100Mi"}},
        "command": ["stress"], "args": ["--vm", "1", "--vm-bytes", "250M", "--vm-hang", "1"]});
    apply(&mut sim, pod("memory-demo-2", container));
    let mut seen_oom = false;
    for _ in 0..100 {
        sim.run_until(sim.now().plus(SECONDS / 5));
        seen_oom |= row(&mut sim, "memory-demo-2").1 == "OOMKilled";
    }
    assert!(seen_oom, "kubectl get pods showed OOMKilled");
    let (_, status, restarts) = row(&mut sim, "memory-demo-2");
    assert_eq!(status, "CrashLoopBackOff");
    assert!(restarts.parse::<i32>().unwrap_or(0) >= 1, "{restarts}");
    let describe = run(&mut sim, "kubectl describe pod memory-demo-2");
    let has = |key: &str, value: &str| {
        describe.lines().any(|l| l.trim_start().starts_with(key) && l.trim_end().ends_with(value))
    };
    assert!(has("Last State:", "Terminated") && has("Reason:", "OOMKilled"), "{describe}");
    assert!(has("Exit Code:", "137") && has("QoS Class:", "Burstable"), "{describe}");
    let pod_json = run(&mut sim, "kubectl get pod memory-demo-2 -o json");
    assert!(pod_json.contains("\"qosClass\": \"Burstable\""), "{pod_json}");
    let events = run(&mut sim, "kubectl get events");
    assert!(
        events.contains("SystemOOM") && events.contains("System OOM encountered, victim process: stress"),
        "{events}"
    );
}

#[test]
fn init_containers_run_to_completion_in_order_before_the_app() {
    let mut sim = cluster();
    let doc = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "myapp-pod"},
        "spec": {"initContainers": [
                    {"name": "init-one", "image": "busybox:1.28", "command": ["sh", "-c", "sleep 4"]},
                    {"name": "init-two", "image": "busybox:1.28", "command": ["sh", "-c", "sleep 4"]}],
                 "containers": [{"name": "myapp-container", "image": "busybox:1.28",
                                  "command": ["sh", "-c", "echo The app is running! && sleep 3600"]}]}});
    apply(&mut sim, doc);
    let mut seen = Vec::new();
    // PodInitializing lasts about as long as the app container takes to start (about 0.1 s
    // here; upstream up to a PLEG relist, 1 s): look often.
    for _ in 0..800 {
        sim.run_until(sim.now().plus(SECONDS / 40));
        let (_, status, _) = row(&mut sim, "myapp-pod");
        if seen.last() != Some(&status) {
            seen.push(status);
        }
    }
    let want = ["Init:0/2", "Init:1/2", "PodInitializing", "Running"];
    let found: Vec<&String> = seen.iter().filter(|s| want.contains(&s.as_str())).collect();
    assert_eq!(found, want.iter().collect::<Vec<_>>(), "{seen:?}");
    let describe = run(&mut sim, "kubectl describe pod myapp-pod");
    assert!(describe.contains("Init Containers:\n  init-one:"), "{describe}");
    // A failing init container blocks the app and crash-loops.
    let bad = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bad-init"},
        "spec": {"initContainers": [{"name": "check", "image": "busybox", "command": ["sh", "-c", "exit 1"]}],
                 "containers": [{"name": "app", "image": "nginx"}]}});
    apply(&mut sim, bad);
    sim.run_until(sim.now().plus(30 * SECONDS));
    let (ready, status, restarts) = row(&mut sim, "bad-init");
    assert_eq!((ready.as_str(), status.as_str()), ("0/1", "Init:CrashLoopBackOff"), "{restarts}");
    assert!(restarts.parse::<i32>().unwrap_or(0) >= 2, "{restarts}");
}

#[test]
fn a_sidecar_keeps_running_beside_the_app_and_stops_after_it() {
    let mut sim = cluster();
    let doc = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "with-sidecar"},
        "spec": {"initContainers": [
                    {"name": "logshipper", "image": "busybox:1.28", "restartPolicy": "Always",
                     "command": ["sh", "-c", "tail -F /opt/logs.txt"],
                     "resources": {"requests": {"cpu": "100m"}}},
                    {"name": "migrate", "image": "busybox:1.28", "command": ["sh", "-c", "sleep 2"],
                     "resources": {"requests": {"cpu": "300m"}}}],
                 "containers": [{"name": "app", "image": "nginx", "resources": {"requests": {"cpu": "200m"}}}]}});
    apply(&mut sim, doc);
    let mut seen = Vec::new();
    for _ in 0..150 {
        sim.run_until(sim.now().plus(SECONDS / 10));
        let (ready, status, _) = row(&mut sim, "with-sidecar");
        if seen.last() != Some(&(ready.clone(), status.clone())) {
            seen.push((ready, status));
        }
    }
    // The sidecar runs through the second init container, then beside the app: 2/2.
    let statuses: Vec<&str> = seen.iter().map(|(_, s)| s.as_str()).collect();
    assert!(statuses.contains(&"Init:1/2"), "{seen:?}");
    assert_eq!(seen.last(), Some(&("2/2".to_string(), "Running".to_string())), "{seen:?}");
    let json = run(&mut sim, "kubectl get pod with-sidecar -o json");
    let pod: serde_json::Value = serde_json::from_str(&json).unwrap();
    let inits = &pod["status"]["initContainerStatuses"];
    assert!(
        inits[0]["state"]["running"].is_object() && inits[0]["ready"] == true && inits[0]["started"] == true,
        "{inits}"
    );
    assert_eq!(inits[1]["state"]["terminated"]["reason"], "Completed", "{inits}");
    // The scheduler counts the sidecar with the app (100m + 200m), against the init
    // container with the sidecar already running (100m + 300m): 400m.
    let node = pod["spec"]["nodeName"].as_str().unwrap().to_string();
    let described = run(&mut sim, &format!("kubectl describe node {node}"));
    let line = described.lines().find(|l| l.contains("with-sidecar")).unwrap_or_default().to_string();
    assert!(line.contains("400m"), "{line}");
    // It stops after the app container.
    run(&mut sim, "kubectl delete pod with-sidecar --wait=false");
    sim.run_until(sim.now().plus(5 * SECONDS));
    let events = run(&mut sim, "kubectl get events");
    let app = events.find("Stopping container app").unwrap_or(usize::MAX);
    let sidecar = events.find("Stopping container logshipper").unwrap_or(0);
    assert!(app < sidecar, "{events}");
    // Only init containers may be sidecars.
    let bad = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bad"},
        "spec": {"containers": [{"name": "app", "image": "nginx", "restartPolicy": "Always"}]}});
    let started =
        kube_playground::kubectl::apply::start_manifest(&mut sim, &bad.to_string(), "bad.json", Default::default())
            .unwrap();
    let out = kube_playground::kubectl::wait(&mut sim, started, 30 * SECONDS);
    assert!(
        out.contains("spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers"),
        "{out}"
    );
}

/// How long a deleted pod stays (Terminating) before it is gone, in seconds.
fn seconds_to_delete(sim: &mut Simulation, name: &str, flags: &str) -> f64 {
    let out = run(sim, &format!("kubectl delete pod {name} --wait=false {flags}"));
    assert_eq!(out, format!("pod \"{name}\" deleted"));
    let start = sim.now();
    while run(sim, "kubectl get pods").contains(&format!("{name} ")) {
        sim.run_until(sim.now().plus(SECONDS / 4));
        assert!(sim.now().since(start) < 120 * SECONDS, "{name} never went");
    }
    sim.now().since(start) as f64 / SECONDS as f64
}

/// A server exits on SIGTERM at once; a shell as PID 1 ignores it and waits out the grace
/// period for SIGKILL; a preStop hook runs first and counts against the grace period.
#[test]
fn termination_takes_the_grace_period_when_sigterm_is_ignored() {
    let mut sim = cluster();
    apply(&mut sim, pod("server", json!({"name": "nginx", "image": "nginx"})));
    apply(&mut sim, pod("shell", json!({"name": "sh", "image": "busybox", "command": ["sh", "-c", "sleep 3600"]})));
    apply(&mut sim, pod("short", json!({"name": "sh", "image": "busybox", "command": ["sh", "-c", "sleep 3600"]})));
    apply(
        &mut sim,
        pod(
            "hooked",
            json!({"name": "nginx", "image": "nginx",
        "lifecycle": {"preStop": {"sleep": {"seconds": 8}}}}),
        ),
    );
    apply(
        &mut sim,
        pod(
            "bad-hook",
            json!({"name": "nginx", "image": "nginx",
        "lifecycle": {"preStop": {"exec": {"command": ["sh", "-c", "sleep 1; exit 2"]}}}}),
        ),
    );
    sim.run_until(sim.now().plus(20 * SECONDS));
    assert!(run(&mut sim, "kubectl get pods").matches("Running").count() == 5);
    let server = seconds_to_delete(&mut sim, "server", "");
    assert!(server < 3.0, "{server}");
    let shell = seconds_to_delete(&mut sim, "shell", "");
    assert!((30.0..33.0).contains(&shell), "{shell}");
    let short = seconds_to_delete(&mut sim, "short", "--grace-period=5");
    assert!((5.0..8.0).contains(&short), "{short}");
    let hooked = seconds_to_delete(&mut sim, "hooked", "");
    assert!((8.0..11.0).contains(&hooked), "{hooked}");
    seconds_to_delete(&mut sim, "bad-hook", "");
    let events = run(&mut sim, "kubectl get events");
    assert!(events.contains("FailedPreStopHook") && events.contains("PreStopHook failed"), "{events}");
    // --force --grace-period=0 removes the object at once, whatever runs.
    apply(&mut sim, pod("stuck", json!({"name": "sh", "image": "busybox", "command": ["sh", "-c", "sleep 3600"]})));
    sim.run_until(sim.now().plus(10 * SECONDS));
    let out = run(&mut sim, "kubectl delete pod stuck --force --grace-period=0");
    assert!(out.starts_with("Warning: Immediate deletion") && out.ends_with("pod \"stuck\" force deleted"), "{out}");
    assert!(!run(&mut sim, "kubectl get pods").contains("stuck "));
    assert_eq!(
        run(&mut sim, "kubectl delete pod x --now --grace-period=3"),
        "error: --now and --grace-period cannot be specified together"
    );
}

#[test]
fn a_pre_stop_hook_needs_one_handler() {
    let mut sim = cluster();
    let out = apply(&mut sim, pod("x", json!({"name": "nginx", "image": "nginx", "lifecycle": {"preStop": {}}})));
    assert!(out.contains("spec.containers[0].lifecycle.preStop: Required value: must specify a handler type"), "{out}");
}

/// Node-pressure eviction: a BestEffort pod that takes the node's memory pushes
/// memory.available under 100Mi; the node reports MemoryPressure and is tainted, the hog is
/// evicted (Failed, reason Evicted) and the pod within its requests stays.
#[test]
fn a_memory_hog_is_evicted_under_memory_pressure() {
    let mut sim = cluster();
    let pinned = |name: &str, container: Value| {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
               "spec": {"nodeName": "worker-1", "containers": [container]}})
    };
    apply(
        &mut sim,
        pinned(
            "steady",
            json!({"name": "nginx", "image": "nginx",
        "resources": {"requests": {"memory": "64Mi"}, "limits": {"memory": "64Mi"}}}),
        ),
    );
    apply(
        &mut sim,
        pinned(
            "hog",
            json!({"name": "stress", "image": "polinux/stress",
        "command": ["stress"], "args": ["--vm", "1", "--vm-bytes", "7700M", "--vm-hang", "0"]}),
        ),
    );
    sim.run_until(sim.now().plus(30 * SECONDS));
    let (_, status, _) = row(&mut sim, "hog");
    assert_eq!(status, "Error", "the killed container's reason, as kubectl prints it");
    let describe = run(&mut sim, "kubectl describe pod hog");
    let field = |name: &str| describe.lines().find(|l| l.starts_with(name)).map(|l| l[name.len()..].trim().to_string());
    assert_eq!(field("Status:").as_deref(), Some("Failed"), "{describe}");
    assert_eq!(field("Reason:").as_deref(), Some("Evicted"), "{describe}");
    let events = run(&mut sim, "kubectl get events");
    assert!(
        events.contains("Evicted")
            && events.contains("The node was low on resource: memory. Threshold quantity: 100Mi"),
        "{events}"
    );
    assert!(events.contains("Container stress was using"), "{events}");
    assert!(events.contains("EvictionThresholdMet"), "{events}");
    assert_eq!(row(&mut sim, "steady").1, "Running");
    let node = run(&mut sim, "kubectl describe node worker-1");
    assert!(node.contains("MemoryPressure") && node.contains("KubeletHasInsufficientMemory"), "{node}");
    assert!(node.contains("node.kubernetes.io/memory-pressure:NoSchedule"), "{node}");
    let metrics = run(&mut sim, "curl -k https://worker-1:10250/metrics");
    assert!(metrics.contains("kubelet_evictions{eviction_signal=\"memory.available\"} 1"), "{metrics}");
    // Five minutes without a breach: the condition clears and the taint goes.
    sim.run_until(sim.now().plus(320 * SECONDS));
    let node = run(&mut sim, "kubectl describe node worker-1");
    assert!(node.contains("KubeletHasSufficientMemory") && !node.contains("memory-pressure"), "{node}");
}

/// The docs' CPU example: vish/stress wants two cores under a one-core limit — it gets one and
/// is throttled in every CFS period; without a limit it gets what it wants.
#[test]
fn a_cpu_limit_caps_usage_and_throttles_every_period() {
    let mut sim = cluster();
    let limited = json!({"name": "cpu-demo-ctr", "image": "vish/stress", "args": ["-cpus", "2"],
        "resources": {"requests": {"cpu": "500m"}, "limits": {"cpu": "1"}}});
    apply(&mut sim, pod("cpu-demo", limited));
    apply(&mut sim, pod("free", json!({"name": "burn", "image": "vish/stress", "args": ["-cpus", "1"]})));
    sim.run_until(sim.now().plus(30 * SECONDS));
    let json: Value = serde_json::from_str(&run(&mut sim, "kubectl get pods -o json")).unwrap();
    let node_of = |name: &str| {
        json["items"].as_array().unwrap().iter().find(|p| p["metadata"]["name"] == name).unwrap()["spec"]["nodeName"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let node = node_of("cpu-demo");
    let metrics = run(&mut sim, &format!("curl -k https://{node}:10250/metrics/cadvisor"));
    let value = |name: &str, container: &str| -> f64 {
        let line = metrics
            .lines()
            .find(|l| l.starts_with(name) && l.contains(&format!("container=\"{container}\"")))
            .unwrap_or_else(|| panic!("{name} {container}: {metrics}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    let periods = value("container_cpu_cfs_periods_total", "cpu-demo-ctr");
    assert!(periods > 100.0, "{periods}");
    assert_eq!(value("container_cpu_cfs_throttled_periods_total", "cpu-demo-ctr"), periods);
    let (usage, throttled) = (
        value("container_cpu_usage_seconds_total", "cpu-demo-ctr"),
        value("container_cpu_cfs_throttled_seconds_total", "cpu-demo-ctr"),
    );
    // One core for as long as it ran; waiting half of each period.
    let ran = periods / 10.0;
    assert!((usage - ran).abs() < 0.2 && (throttled - ran / 2.0).abs() < 0.2, "{usage} {throttled} over {ran}");
    let stats = run(&mut sim, &format!("ssh {node} crictl stats"));
    let line = stats.lines().find(|l| l.contains("cpu-demo-ctr")).unwrap_or_default().to_string();
    assert!(line.contains("100.00"), "{stats}");
    let free = node_of("free");
    let stats = run(&mut sim, &format!("ssh {free} crictl stats"));
    assert!(stats.lines().any(|l| l.contains("burn") && l.contains("100.00")), "{stats}");
    let metrics = run(&mut sim, &format!("curl -k https://{free}:10250/metrics/cadvisor"));
    assert!(!metrics.contains("container_cpu_cfs_periods_total{container=\"burn\""), "no limit, no quota: {metrics}");
}
