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
