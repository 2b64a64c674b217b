//! Pod traffic through the Service rules: a wget loop in a pod spreads its requests over the
//! endpoints by the rules' probabilities, stops reaching a pod once the rules re-sync without
//! it, keeps flowing with the control plane down, and is refused when no endpoint is left.

use kube_playground::kubectl;
use kube_playground::scenario::Scenario;
use kube_playground::sim::time::{SimTime, SECONDS};
use kube_playground::sim::Simulation;

const TIMEOUT: u64 = 30 * SECONDS;

fn run(sim: &mut Simulation, line: &str) -> String {
    kubectl::run(sim, line, TIMEOUT)
}

/// The last `n` lines of the load pod's log.
fn last(sim: &mut Simulation, n: usize) -> Vec<String> {
    run(sim, &format!("kubectl logs load --tail={n}")).lines().map(String::from).collect()
}

/// A cluster at t = 20 s with `replicas` serve_hostname pods behind the Service `hostnames`.
fn hostnames(replicas: u32) -> Simulation {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    let image = "registry.k8s.io/serve_hostname";
    run(&mut sim, &format!("kubectl create deployment hostnames --image={image} --replicas={replicas}"));
    run(&mut sim, "kubectl expose deployment hostnames --port=80 --target-port=9376");
    sim.run_until(SimTime::from_secs(20));
    sim
}

#[test]
fn a_wget_loop_spreads_over_the_endpoints_and_follows_the_rules() {
    let mut sim = hostnames(3);
    let svc = run(&mut sim, "kubectl get svc hostnames");
    let ip = svc.lines().nth(1).and_then(|l| l.split_whitespace().nth(2)).unwrap().to_string();
    let script = format!("while true; do wget -q -O- http://{ip}; sleep 0.05; done");
    assert_eq!(run(&mut sim, &format!("kubectl run load --image=busybox -- sh -c \"{script}\"")), "pod/load created");
    sim.run_until(SimTime::from_secs(40));
    let pods: Vec<String> = run(&mut sim, "kubectl get pods -l app=hostnames")
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .collect();
    assert_eq!(pods.len(), 3);
    let lines = last(&mut sim, 200);
    assert_eq!(lines.len(), 200, "a request every 50 ms for ~15 s");
    for p in &pods {
        let n = lines.iter().filter(|l| *l == p).count();
        assert!((40..=95).contains(&n), "{p} answered {n} of 200: {lines:?}");
    }
    // One pod goes: once the rules re-sync, nothing reaches it.
    let gone = pods[0].clone();
    run(&mut sim, &format!("kubectl delete pod {gone}"));
    sim.run_until(SimTime::from_secs(50));
    let recent = last(&mut sim, 60);
    assert!(!recent.contains(&gone), "{recent:?}");
    assert!(recent.iter().all(|l| l.starts_with("hostnames-")), "{recent:?}");
    // The control plane goes: the rules stay, and so does the traffic.
    let api = sim.component_by_name("kube-apiserver").unwrap();
    sim.crash(api);
    sim.run_until(SimTime::from_secs(60));
    assert!(run(&mut sim, "kubectl logs load").starts_with("The connection to the server 10.0.0.10:6443 was refused"));
    sim.restart(api);
    sim.run_until(SimTime::from_secs(61));
    let during = last(&mut sim, 150);
    assert!(during.iter().all(|l| l.starts_with("hostnames-")), "{during:?}");
    sim.run_until(SimTime::from_secs(75));
    // No endpoint left: the Service's REJECT rule refuses.
    run(&mut sim, "kubectl scale deployment hostnames --replicas=0");
    sim.run_until(SimTime::from_secs(95));
    let refused = last(&mut sim, 5);
    let want = format!("wget: can't connect to remote host ({ip}): Connection refused");
    assert!(refused.iter().all(|l| *l == want), "{refused:?}");
}

#[test]
fn service_names_resolve_through_coredns() {
    let mut sim = hostnames(2);
    let dns = run(&mut sim, "kubectl get pods -n kube-system -l k8s-app=kube-dns");
    assert_eq!(dns.lines().filter(|l| l.contains(" 1/1 ") && l.contains("Running")).count(), 2, "{dns}");
    let script = "while true; do wget -q -O- http://hostnames.default.svc.cluster.local; wget -q -O- http://hostnames; sleep 0.5; done";
    run(&mut sim, &format!("kubectl run load --image=busybox -- sh -c \"{script}\""));
    sim.run_until(SimTime::from_secs(35));
    let lines = last(&mut sim, 20);
    assert!(lines.len() == 20 && lines.iter().all(|l| l.starts_with("hostnames-")), "{lines:?}");
}

#[test]
fn names_do_not_resolve_without_a_service_and_logs_show_echo() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    run(&mut sim, "kubectl run load --image=busybox -- sh -c \"echo starting; while true; do wget -qO- http://web; sleep 1; done\"");
    sim.run_until(SimTime::from_secs(12));
    let log = last(&mut sim, 3);
    assert_eq!(log.first().map(String::as_str), Some("wget: bad address 'web'"), "{log:?}");
    let all = run(&mut sim, "kubectl logs load");
    assert!(all.starts_with("starting\nwget: bad address 'web'"), "{all}");
    assert_eq!(run(&mut sim, "kubectl logs nope"), "Error from server (NotFound): pods \"nope\" not found");
}

/// kube-proxy's BoundedFrequencyRunner: changes closer together than the 1 s
/// --iptables-min-sync-period share a sync; every 30 s (--sync-period) it syncs anyway.
#[test]
fn rule_syncs_are_paced_by_min_sync_period_and_sync_period() {
    use kube_playground::sim::component::Component;
    let synced = |sim: &Simulation| -> u64 {
        sim.components
            .iter()
            .find_map(|c| if let Component::KubeProxy(p) = c { Some(p.rules_synced) } else { None })
            .unwrap()
    };
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(20));
    run(&mut sim, "kubectl create deployment web --image=nginx --replicas=1");
    run(&mut sim, "kubectl expose deployment web --port=80");
    sim.run_until(sim.now().plus(10 * SECONDS));
    // Quiet: only the periodic sync, once per 30 s.
    let before = synced(&sim);
    sim.run_until(sim.now().plus(60 * SECONDS));
    assert_eq!(synced(&sim) - before, 2, "two periodic syncs in a quiet minute");
    // A burst of changes (scaling up pod by pod) within a few seconds: at most one sync a second.
    let before = synced(&sim);
    let start = sim.now();
    run(&mut sim, "kubectl scale deployment web --replicas=6");
    sim.run_until(start.plus(5 * SECONDS));
    let syncs = synced(&sim) - before;
    assert!(syncs >= 1, "the new endpoints were synced");
    // This kube-proxy's syncs in the burst are at least the minimum period apart.
    use kube_playground::sim::trace::TraceRecord;
    let me = sim.components.iter().position(|c| matches!(c, Component::KubeProxy(_))).unwrap() as u32;
    let times: Vec<u64> = sim
        .trace
        .recent()
        .filter_map(|r| match r {
            TraceRecord::Phase { at, component, phase, .. }
                if *component == me && phase == "syncProxyRules" && *at >= start =>
            {
                Some(at.0)
            }
            _ => None,
        })
        .collect();
    assert_eq!(times.len() as u64, syncs, "{times:?}");
    assert!(times.windows(2).all(|w| w[1] - w[0] >= SECONDS), "{times:?}");
}

/// Applies a Service as JSON.
fn apply_service(sim: &mut Simulation, doc: serde_json::Value) -> String {
    let started = kubectl::apply::start_manifest(sim, &doc.to_string(), "svc.json", Default::default()).unwrap();
    kubectl::wait(sim, started, TIMEOUT)
}

fn node_port_service(name: &str, node_port: i32, policy: &str) -> serde_json::Value {
    serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
        "spec": {"type": "NodePort", "externalTrafficPolicy": policy, "selector": {"app": "hostnames"},
            "ports": [{"port": 80, "targetPort": 9376, "nodePort": node_port}]}})
}

#[test]
fn external_traffic_policy_local_answers_only_on_nodes_with_a_pod() {
    let mut sim = hostnames(1);
    assert_eq!(apply_service(&mut sim, node_port_service("local", 30080, "Local")), "service/local created");
    assert_eq!(apply_service(&mut sim, node_port_service("cluster", 30081, "Cluster")), "service/cluster created");
    sim.run_until(SimTime::from_secs(25));
    let described = run(&mut sim, "kubectl describe service local");
    assert!(described.contains("External Traffic Policy:  Local"), "{described}");
    let wide = run(&mut sim, "kubectl get pods -l app=hostnames -o wide");
    let row = wide.lines().nth(1).unwrap().split_whitespace().collect::<Vec<_>>();
    let (pod, node) = (row[0], row[6]);
    // Workers worker-1..3 are 10.0.0.11..13.
    let node_ip = |n: &str| format!("10.0.0.{}", 10 + n.trim_start_matches("worker-").parse::<u32>().unwrap());
    for worker in ["worker-1", "worker-2", "worker-3"] {
        let ip = node_ip(worker);
        let local = run(&mut sim, &format!("curl http://{ip}:30080/"));
        if worker == node {
            assert_eq!(local, pod, "{worker}");
        } else {
            assert_eq!(
                local,
                format!("curl: (28) Failed to connect to {ip} port 30080 after 3000 ms: Timeout was reached"),
                "{worker}"
            );
        }
        assert_eq!(run(&mut sim, &format!("curl http://{ip}:30081/")), pod, "{worker}: Cluster reaches it anywhere");
    }
    assert_eq!(
        run(&mut sim, "curl http://10.0.0.11:30099/"),
        "curl: (7) Failed to connect to 10.0.0.11 port 30099 after 0 ms: Couldn't connect to server"
    );
    // A pod is a client inside the cluster: it reaches the Local NodePort of a node without
    // the pod too ("pod traffic for … external destinations" goes to the Cluster chain).
    let nodes = ["worker-1", "worker-2", "worker-3"];
    let elsewhere = nodes.iter().find(|n| **n != node).unwrap();
    let ip = node_ip(elsewhere);
    let script = format!("while true; do wget -q -O- http://{ip}:30080; sleep 0.2; done");
    run(&mut sim, &format!("kubectl run load --image=busybox -- sh -c \"{script}\""));
    sim.run_until(SimTime::from_secs(45));
    let lines = last(&mut sim, 10);
    assert!(!lines.is_empty() && lines.iter().all(|l| l == pod), "{lines:?}");
}

#[test]
fn client_ip_affinity_keeps_a_client_on_one_pod() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    run(&mut sim, "kubectl create deployment hostnames --image=registry.k8s.io/serve_hostname --replicas=3");
    let exposed =
        run(&mut sim, "kubectl expose deployment hostnames --port=80 --target-port=9376 --session-affinity=ClientIP");
    assert_eq!(exposed, "service/hostnames exposed");
    sim.run_until(SimTime::from_secs(20));
    let described = run(&mut sim, "kubectl describe service hostnames");
    assert!(described.contains("Session Affinity:         ClientIP"), "{described}");
    let script = "while true; do wget -q -O- http://hostnames; sleep 0.05; done";
    run(&mut sim, &format!("kubectl run load --image=busybox -- sh -c \"{script}\""));
    sim.run_until(SimTime::from_secs(35));
    let lines = last(&mut sim, 100);
    assert_eq!(lines.len(), 100);
    assert!(lines.iter().all(|l| *l == lines[0] && l.starts_with("hostnames-")), "{lines:?}");
    let save = run(&mut sim, "ssh worker-1 iptables-save -t nat");
    assert!(save.contains("-m recent --rcheck --seconds 10800 --reap"), "{save}");
}

#[test]
fn network_programming_latency_runs_from_a_pods_readiness_to_the_synced_rules() {
    let mut sim = hostnames(2);
    run(&mut sim, "kubectl scale deployment hostnames --replicas=4");
    sim.run_until(SimTime::from_secs(40));
    let slices = run(&mut sim, "kubectl get endpointslices -o json");
    assert!(slices.contains("endpoints.kubernetes.io/last-change-trigger-time"), "{slices}");
    let metrics = run(&mut sim, "curl http://worker-1:10249/metrics");
    let value = |name: &str| -> f64 {
        let line = metrics.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name}: {metrics}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    let (count, sum) = (
        value("kubeproxy_network_programming_duration_seconds_count"),
        value("kubeproxy_network_programming_duration_seconds_sum"),
    );
    assert!(count >= 2.0, "each new pod's readiness was programmed: {count}");
    // Whole-second Ready times, the watch fan-out and a sync paced by the 1 s minimum period.
    let mean = sum / count;
    assert!(mean > 0.0 && mean < 3.0, "mean {mean} s");
    assert!(metrics.contains("kubeproxy_network_programming_duration_seconds_bucket{le=\"0.25\"}"), "{metrics}");
}
