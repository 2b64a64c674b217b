//! kube-proxy's iptables rules for a Service, as `ssh NODE iptables-save -t nat` prints them.

use kube_playground::kubectl;
use kube_playground::scenario::Scenario;
use kube_playground::sim::component::Role;
use kube_playground::sim::time::{SimTime, SECONDS};

const TIMEOUT: u64 = 30 * SECONDS;

/// The endpoint picks of default/web's service chain.
fn svc_rules(nat: &str) -> Vec<&str> {
    nat.lines().filter(|l| l.starts_with("-A KUBE-SVC-") && l.contains("\"default/web -> ")).collect()
}

#[test]
fn three_endpoints_get_one_third_one_half_then_the_rest() {
    let mut sim = Scenario::default().build().unwrap();
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=3 --port=80", TIMEOUT);
    sim.run_until(SimTime::from_secs(10));
    kubectl::run(&mut sim, "kubectl expose deployment web --port=80 --target-port=8080", TIMEOUT);
    sim.run_until(SimTime::from_secs(12));
    let nat = kubectl::run(&mut sim, "ssh worker-2 iptables-save -t nat", TIMEOUT);
    assert!(nat.starts_with("*nat\n:PREROUTING ACCEPT [0:0]") && nat.ends_with("COMMIT"), "{nat}");
    let portal = nat.lines().find(|l| l.contains("\"default/web cluster IP\" -m tcp --dport 80 -j KUBE-SVC-"));
    assert!(portal.is_some_and(|l| l.starts_with("-A KUBE-SERVICES -d 10.")), "{nat}");
    let rules = svc_rules(&nat);
    assert_eq!(rules.len(), 3, "{nat}");
    assert!(rules[0].contains("--probability 0.33333333349 -j KUBE-SEP-"), "{nat}");
    assert!(rules[1].contains("--probability 0.50000000000 -j KUBE-SEP-"), "{nat}");
    assert!(!rules[2].contains("--probability"), "the last endpoint takes the rest:\n{nat}");
    let web_dnat = nat.lines().filter(|l| l.contains("default/web -m tcp -j DNAT --to-destination 10.244.")).count();
    assert_eq!(web_dnat, 3, "{nat}");
    assert!(nat.contains("-j KUBE-SVC-NPX46M4PTMTKRN6Y"), "the kubernetes Service, as on every cluster:\n{nat}");
    // Every node renders the same Service rules.
    let other = kubectl::run(&mut sim, "ssh worker-3 iptables-save -t nat", TIMEOUT);
    assert_eq!(svc_rules(&other), rules);
    assert!(kubectl::run(&mut sim, "ssh nowhere iptables-save", TIMEOUT).starts_with("ssh: Could not resolve hostname"));

    // Pods on a lost node are marked not ready: the rules drop them.
    let kubelet = sim.infos.iter().position(|i| i.role == Role::Kubelet && i.node == "worker-1").unwrap() as u32;
    let on_worker1 = kubectl::run(&mut sim, "kubectl get pods -o wide", TIMEOUT).matches(" worker-1 ").count();
    sim.crash(kubelet);
    sim.run_until(SimTime::from_secs(80));
    let nat = kubectl::run(&mut sim, "ssh worker-2 iptables-save -t nat", TIMEOUT);
    assert_eq!(svc_rules(&nat).len(), 3 - on_worker1, "{nat}");
}

#[test]
fn node_agents_serve_their_metrics() {
    let mut sim = Scenario::default().build().unwrap();
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=3", TIMEOUT);
    sim.run_until(SimTime::from_secs(20));
    kubectl::run(&mut sim, "kubectl expose deployment web --port=80", TIMEOUT);
    sim.run_until(SimTime::from_secs(22));
    let value = |m: &str, prefix: &str| {
        m.lines().find_map(|l| l.strip_prefix(prefix)).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
    };
    let (mut starts, mut sandboxes, mut creates) = (0, 0, 0);
    for n in ["worker-1", "worker-2", "worker-3"] {
        let m = kubectl::run(&mut sim, &format!("curl -k https://{n}:10250/metrics"), TIMEOUT);
        assert!(m.contains(&format!("kubelet_node_name{{node=\"{n}\"}} 1")), "{m}");
        starts += value(&m, "kubelet_pod_start_duration_seconds_count ");
        sandboxes += value(&m, "kubelet_runtime_operations_total{operation_type=\"run_podsandbox\"} ");
        creates += value(&m, "kubelet_pod_worker_duration_seconds_count{operation_type=\"create\"} ");
    }
    // Three web pods, the two CoreDNS pods and the CSI driver's controller.
    assert_eq!((starts, sandboxes, creates), (6, 6, 6), "one sandbox, pod start and create sync per pod");
    // A deleted pod's kill sync: stop, then the sandbox's teardown.
    let pods = kubectl::run(&mut sim, "kubectl get pods -l app=web", TIMEOUT);
    for pod in pods.lines().skip(1).filter_map(|l| l.split_whitespace().next()) {
        kubectl::run(&mut sim, &format!("kubectl delete pod {pod} --wait=false"), TIMEOUT);
    }
    sim.run_until(SimTime::from_secs(60));
    let kills: u64 = ["worker-1", "worker-2", "worker-3"]
        .iter()
        .map(|n| {
            let m = kubectl::run(&mut sim, &format!("curl -k https://{n}:10250/metrics"), TIMEOUT);
            value(&m, "kubelet_pod_worker_duration_seconds_count{operation_type=\"kill\"} ")
        })
        .sum();
    assert_eq!(kills, 3);
    let proxy = kubectl::run(&mut sim, "curl http://10.0.0.12:10249/metrics", TIMEOUT);
    assert!(proxy.contains("kubeproxy_sync_proxy_rules_iptables_total{table=\"nat\"} "), "{proxy}");
    assert!(proxy.contains("kubeproxy_sync_proxy_rules_duration_seconds_count "), "{proxy}");
    assert_eq!(
        kubectl::run(&mut sim, "curl https://worker-1:10250/metrics", TIMEOUT),
        "curl: (60) SSL certificate problem: self-signed certificate in certificate chain"
    );
}

#[test]
fn a_node_port_service_reaches_its_chain_from_kube_nodeports() {
    let mut sim = Scenario::default().build().unwrap();
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=2", TIMEOUT);
    sim.run_until(SimTime::from_secs(10));
    kubectl::run(&mut sim, "kubectl expose deployment web --port=80 --type=NodePort", TIMEOUT);
    sim.run_until(SimTime::from_secs(12));
    let svc = kubectl::run(&mut sim, "kubectl get svc web", TIMEOUT);
    let ports = svc.lines().nth(1).and_then(|l| l.split_whitespace().nth(4)).unwrap_or_default().to_string();
    let node_port: i32 = ports.trim_start_matches("80:").trim_end_matches("/TCP").parse().unwrap_or(0);
    assert!((30000..=32767).contains(&node_port), "{svc}");
    let nat = kubectl::run(&mut sim, "ssh worker-3 iptables-save -t nat", TIMEOUT);
    let jump =
        format!("-A KUBE-NODEPORTS -p tcp -m comment --comment default/web -m tcp --dport {node_port} -j KUBE-EXT-");
    let ext = nat.lines().find(|l| l.starts_with(&jump)).unwrap_or_else(|| panic!("{nat}"));
    let ext_chain = ext.rsplit(' ').next().unwrap_or_default();
    let svc_chain = ext_chain.replace("KUBE-EXT-", "KUBE-SVC-");
    assert!(nat.contains(&format!("-A {ext_chain} -j {svc_chain}")), "{nat}");
}

#[test]
fn ipvs_mode_programs_virtual_servers_instead_of_chains() {
    let mut scenario = Scenario::default();
    scenario.cluster.proxy_mode = "ipvs".into();
    scenario.cluster.ipvs_scheduler = "lc".into();
    let mut sim = scenario.build().unwrap();
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=3", TIMEOUT);
    sim.run_until(SimTime::from_secs(20));
    kubectl::run(&mut sim, "kubectl expose deployment web --port=80 --type=NodePort", TIMEOUT);
    sim.run_until(SimTime::from_secs(22));
    let ipvs = kubectl::run(&mut sim, "ssh worker-1 ipvsadm -Ln", TIMEOUT);
    assert!(ipvs.starts_with("IP Virtual Server version 1.2.1 (size=4096)"), "{ipvs}");
    assert!(ipvs.contains("TCP  10.96.0.1:443 lc\n  -> 10.0.0.10:6443"), "{ipvs}");
    let real = ipvs.lines().filter(|l| l.starts_with("  -> 10.244.") && l.contains(":80 ")).count();
    assert_eq!(real, 6, "three real servers behind the ClusterIP and three behind the NodePort: {ipvs}");
    assert!(ipvs.lines().any(|l| l.starts_with("TCP  10.0.0.11:3") && l.ends_with(" lc")), "{ipvs}");
    let nat = kubectl::run(&mut sim, "ssh worker-1 iptables-save -t nat", TIMEOUT);
    assert!(!nat.contains("KUBE-SVC-"), "no per-service chains in IPVS mode: {nat}");
    assert!(nat.contains("-m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT"), "{nat}");
    let sets = kubectl::run(&mut sim, "ssh worker-1 ipset list KUBE-CLUSTER-IP", TIMEOUT);
    assert!(sets.contains("10.96.0.1,tcp:443"), "{sets}");
    let mut bad = Scenario::default();
    bad.cluster.proxy_mode = "nftables".into();
    assert_eq!(
        bad.build().err(),
        Some("kube-proxy: mode \"nftables\" is not modelled here (iptables or ipvs)".to_string())
    );
}

/// trafficDistribution: PreferClose — the EndpointSlice controller hints each endpoint for its
/// node's zone, and each node's kube-proxy keeps to its zone's endpoints.
#[test]
fn prefer_close_keeps_each_zone_to_its_own_endpoints() {
    let mut scenario = Scenario::default();
    for (w, zone) in scenario.cluster.workers.iter_mut().zip(["zone-a", "zone-b", "zone-b"]) {
        w.labels.insert("topology.kubernetes.io/zone".into(), zone.into());
    }
    let mut sim = scenario.build().unwrap();
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=3 --port=80", TIMEOUT);
    sim.run_until(SimTime::from_secs(10));
    let doc = serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "trafficDistribution": "PreferClose", "ports": [{"port": 80}]}});
    let started = kubectl::apply::start_manifest(&mut sim, &doc.to_string(), "svc.json", Default::default()).unwrap();
    assert_eq!(kubectl::wait(&mut sim, started, TIMEOUT), "service/web created");
    sim.run_until(SimTime::from_secs(14));
    let slices = kubectl::run(&mut sim, "kubectl get endpointslices -o json", TIMEOUT);
    assert!(slices.contains("\"forZones\"") && slices.contains("\"zone\": \"zone-a\""), "{slices}");
    let wide = kubectl::run(&mut sim, "kubectl get pods -l app=web -o wide", TIMEOUT);
    let ips_on = |nodes: &[&str]| -> Vec<String> {
        let mut ips: Vec<String> = wide
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .filter(|w| nodes.contains(&w[6]))
            .map(|w| w[5].to_string())
            .collect();
        ips.sort();
        ips
    };
    let picked = |nat: &str| -> Vec<String> {
        let mut ips: Vec<String> = svc_rules(nat)
            .iter()
            .filter_map(|l| l.split("default/web -> ").nth(1))
            .map(|s| s.split(':').next().unwrap().to_string())
            .collect();
        ips.sort();
        ips
    };
    let (a, b) = (ips_on(&["worker-1"]), ips_on(&["worker-2", "worker-3"]));
    assert!(!a.is_empty() && !b.is_empty(), "{wide}");
    assert_eq!(picked(&kubectl::run(&mut sim, "ssh worker-1 iptables-save -t nat", TIMEOUT)), a);
    assert_eq!(picked(&kubectl::run(&mut sim, "ssh worker-3 iptables-save -t nat", TIMEOUT)), b);
    // The control-plane node has no zone: it uses every endpoint.
    let all = picked(&kubectl::run(&mut sim, "ssh control-plane iptables-save -t nat", TIMEOUT));
    assert_eq!(all.len(), a.len() + b.len());
}

/// Before 1.19 kube-proxy watched v1 Endpoints: the same rules, from one object per Service.
#[test]
fn the_legacy_endpoints_source_programs_the_same_rules() {
    let rules = |source: &str| {
        let mut scenario = Scenario::default();
        scenario.cluster.proxy_endpoints = source.into();
        let mut sim = scenario.build().unwrap();
        kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=3 --port=80", TIMEOUT);
        sim.run_until(SimTime::from_secs(10));
        kubectl::run(&mut sim, "kubectl expose deployment web --port=80 --target-port=8080", TIMEOUT);
        sim.run_until(SimTime::from_secs(14));
        let nat = kubectl::run(&mut sim, "ssh worker-2 iptables-save -t nat", TIMEOUT);
        svc_rules(&nat).iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let slices = rules("endpointslices");
    assert_eq!(slices.len(), 3);
    assert_eq!(rules("endpoints"), slices);
    let mut bad = Scenario::default();
    bad.cluster.proxy_endpoints = "both".into();
    assert!(bad.build().err().unwrap().contains("unknown endpoints source"));
}
