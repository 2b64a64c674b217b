//! The scale presets, cut down to a size a test runs in seconds: same shapes, same code paths
//! as the full-size benchmarks (`kubesim bench cluster`, tests/e2e/bench_scale.mjs).

use kube_playground::scenario::scale::SHAPES;
use kube_playground::scenario::session::Session;
use kube_playground::sim::api::Object;
use kube_playground::sim::time::{SimTime, SECONDS};
use kube_playground::sim::Simulation;

fn objects<'a>(sim: &'a Simulation, prefix: &str) -> Vec<&'a Object> {
    sim.apiserver().map(|a| a.cached_under(prefix).collect()).unwrap_or_default()
}

fn distinct(mut v: Vec<String>) -> bool {
    let n = v.len();
    v.sort();
    v.dedup();
    v.len() == n
}

#[test]
fn every_scale_preset_runs_all_its_pods_at_reduced_size() {
    for shape in SHAPES {
        let nodes = 16;
        let want = shape.replicas * nodes / shape.nodes + nodes * shape.daemonsets.len();
        let mut session = Session::new(shape.scenario(Some(nodes))).unwrap();
        let mut running = 0;
        while running < want && session.sim.now() < SimTime::from_secs(60) {
            let t = session.sim.now().plus(SECONDS);
            session.advance(t, u64::MAX);
            let pods = objects(&session.sim, "/registry/pods/");
            running = pods.iter().filter_map(|o| o.as_pod()).filter(|p| p.status.phase == "Running").count();
        }
        assert_eq!(running, want, "{}: pods Running by {}", shape.name, session.sim.now());
        let pods = objects(&session.sim, "/registry/pods/");
        let ips: Vec<String> = pods.iter().filter_map(|o| o.as_pod()).map(|p| p.status.pod_ip.clone()).collect();
        assert!(distinct(ips.clone()), "{}: pod IPs repeat: {ips:?}", shape.name);
        let prefix = shape.pod_subnet.split('.').take(2).collect::<Vec<_>>().join(".");
        assert!(ips.iter().all(|ip| ip.starts_with(&prefix)), "{}: {ips:?} outside {}", shape.name, shape.pod_subnet);
    }
}

#[test]
fn nodes_past_255_get_their_own_addresses_and_pod_cidrs() {
    let shape = SHAPES.iter().find(|s| s.name == "openai-7500").unwrap();
    let mut sim = shape.scenario(Some(300)).build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    let nodes: Vec<&Object> = objects(&sim, "/registry/minions/");
    assert_eq!(nodes.len(), 301, "every node registered");
    let node = |o: &&Object| match o {
        Object::Node(n) => Some((n.internal_ip().to_string(), n.spec.pod_cidr.clone())),
        _ => None,
    };
    let (ips, cidrs): (Vec<String>, Vec<String>) = nodes.iter().filter_map(node).unzip();
    assert!(distinct(ips.clone()) && distinct(cidrs.clone()));
    assert!(ips.contains(&"10.0.2.45".to_string()), "node 300 steps over the etcd /24: {ips:?}");
    assert!(cidrs.contains(&"10.129.44.0/24".to_string()), "{cidrs:?}");
}

/// Past 100 nodes the page takes each picture after the first only where something changed:
/// it must be the picture taken whole, through pods starting, a node powering off and back.
#[test]
fn a_picture_taken_again_equals_one_taken_whole() {
    let shape = SHAPES.iter().find(|s| s.name == "large").unwrap();
    let mut session = Session::new(shape.scenario(Some(120))).unwrap();
    let mut view = session.sim.view();
    let mut reused = 0;
    for step in 1..=60 {
        session.advance(SimTime(step * 500 * kube_playground::sim::time::MILLIS), u64::MAX);
        let sim = &mut session.sim;
        let node = sim.infos.iter().position(|i| i.name == "kubelet/worker-7").unwrap() as u32;
        match step {
            20 => assert!(sim.crash(node), "the node powers off"),
            30 => sim.restart(node),
            _ => {}
        }
        let since = view.steps;
        reused += (0..sim.components.len() as u32).filter(|&i| !sim.changed_since(i, since)).count();
        view = sim.view_after(Some(view));
        assert_eq!(view, sim.view(), "picture {step} at {}", sim.now());
    }
    let pods = view.nodes.iter().map(|n| n.pods.len()).sum::<usize>();
    assert!(pods > 200, "pods were drawn: {pods}");
    assert!(reused > 60 * 120, "most node components were kept: {reused}");
}

/// Workers joining all at once against a small apiserver bounce off API Priority and Fairness
/// (429); the same workers joining over a few seconds do not.
#[test]
fn a_join_storm_is_throttled_and_spreading_the_joins_avoids_it() {
    let throttled = |spread_s: u64| {
        let mut s = kube_playground::scenario::Scenario::default();
        s.cluster.set_workers(200);
        s.cluster.apiserver.max_requests_inflight = 20;
        s.cluster.apiserver.max_mutating_requests_inflight = 10;
        s.cluster.node_join_spread_s = spread_s;
        let mut sim = s.build().unwrap();
        sim.run_until(SimTime::from_secs(spread_s + 5));
        let metrics = kube_playground::kubectl::run(&mut sim, "kubectl get --raw /metrics", 30 * SECONDS);
        metrics
            .lines()
            .filter(|l| l.starts_with("apiserver_request_total{code=\"429\""))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>()
    };
    let (storm, spread) = (throttled(0), throttled(8));
    assert!(storm > 0.0 && spread == 0.0, "429s: {storm} at once, {spread} spread over 8 s");
}

/// openai-7500's five kube-apiservers share the nodes' connections (the load balancer), each
/// watching etcd and serving from its own cache; kubectl and the first control-plane machine's
/// components use the first.
#[test]
fn several_apiservers_share_the_nodes_and_each_keeps_its_own_cache() {
    let shape = SHAPES.iter().find(|s| s.name == "openai-7500").unwrap();
    let mut session = Session::new(shape.scenario(Some(20))).unwrap();
    session.advance(SimTime::from_secs(30), u64::MAX);
    let apiservers: Vec<&kube_playground::sim::apiserver::ApiServer> = session
        .sim
        .components
        .iter()
        .filter_map(|c| match c {
            kube_playground::sim::component::Component::ApiServer(a) => Some(a.as_ref()),
            _ => None,
        })
        .collect();
    assert_eq!(apiservers.len(), 5);
    let served: Vec<u64> = apiservers.iter().map(|a| a.requests_total).collect();
    assert!(served.iter().all(|n| *n > 20), "every apiserver serves requests: {served:?}");
    // Each cache holds every node and pod (they are fed by their own etcd watches).
    let count = |a: &&kube_playground::sim::apiserver::ApiServer, p: &str| a.cached_under(p).count();
    let nodes: Vec<usize> = apiservers.iter().map(|a| count(a, "/registry/minions/")).collect();
    assert!(nodes.iter().all(|n| *n == 21), "{nodes:?}");
    let pods: Vec<usize> = apiservers.iter().map(|a| count(a, "/registry/pods/")).collect();
    assert!(pods.iter().all(|n| *n == 20 * (1 + shape.daemonsets.len())), "{pods:?}");
}

/// One of the five apiservers dies: the nodes whose connections it held are refused once,
/// the load balancer sends their next dial to another, and every node stays Ready.
#[test]
fn a_dead_apiserver_behind_the_load_balancer_costs_its_nodes_one_reconnect() {
    use kube_playground::scenario::action::{Do, Fault};
    let shape = SHAPES.iter().find(|s| s.name == "openai-7500").unwrap();
    let mut session = Session::new(shape.scenario(Some(20))).unwrap();
    session.advance(SimTime::from_secs(20), u64::MAX);
    assert!(session.act(Do::Fault { target: "kube-apiserver-3".into(), fault: Fault::Crash }));
    // Past node-monitor-grace-period (40 s): a node that lost its apiserver for good would
    // be NotReady by now.
    session.advance(SimTime::from_secs(90), u64::MAX);
    let nodes = objects(&session.sim, "/registry/minions/");
    let ready = |o: &&&Object| match o {
        Object::Node(n) => n.status.conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True"),
        _ => false,
    };
    assert_eq!(nodes.iter().filter(ready).count(), 21, "every node Ready with one apiserver down");
    let out = kube_playground::kubectl::run(&mut session.sim, "kubectl get nodes", 10 * SECONDS);
    assert!(out.contains("worker-3 ") && !out.contains("NotReady"), "{out}");
}

/// The master endpoint reconciler: the `kubernetes` Service's Endpoints and EndpointSlice list
/// every apiserver holding a master lease; one that dies drops out once its 15 s lease ends.
#[test]
fn the_kubernetes_service_lists_every_live_apiserver() {
    use kube_playground::scenario::action::{Do, Fault};
    let shape = SHAPES.iter().find(|s| s.name == "openai-7500").unwrap();
    let mut session = Session::new(shape.scenario(Some(4))).unwrap();
    session.advance(SimTime::from_secs(15), u64::MAX);
    let ips = |session: &mut Session| -> Vec<String> {
        let out =
            kube_playground::kubectl::run(&mut session.sim, "kubectl get endpoints kubernetes -o yaml", 10 * SECONDS);
        out.lines().filter_map(|l| l.trim().strip_prefix("- ip: ")).map(str::to_string).collect()
    };
    assert_eq!(ips(&mut session), ["10.0.0.10", "10.0.1.34", "10.0.1.35", "10.0.1.36", "10.0.1.37"]);
    let out = kube_playground::kubectl::run(&mut session.sim, "kubectl get endpoints kubernetes", 10 * SECONDS);
    assert!(out.contains("10.0.0.10:6443,10.0.1.34:6443,10.0.1.35:6443 + 2 more..."), "{out}");
    let leases = kube_playground::kubectl::run(
        &mut session.sim,
        "etcdctl get /registry/masterleases/ --prefix --keys-only",
        10 * SECONDS,
    );
    assert_eq!(leases.lines().count(), 5, "{leases}");
    // Each apiserver's identity Lease (APIServerIdentity).
    let identities = kube_playground::kubectl::run(
        &mut session.sim,
        "kubectl get leases -n kube-system -l apiserver.kubernetes.io/identity=kube-apiserver",
        10 * SECONDS,
    );
    let names: Vec<&str> = identities.lines().skip(1).filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(names.len(), 5, "{identities}");
    assert!(names.iter().all(|n| n.starts_with("apiserver-") && n.len() == 36), "{identities}");
    assert!(session.act(Do::Fault { target: "kube-apiserver-3".into(), fault: Fault::Crash }));
    session.advance(SimTime::from_secs(45), u64::MAX);
    assert_eq!(ips(&mut session), ["10.0.0.10", "10.0.1.34", "10.0.1.36", "10.0.1.37"]);
    let slice = kube_playground::kubectl::run(&mut session.sim, "kubectl get endpointslice kubernetes", 10 * SECONDS);
    assert!(slice.contains("10.0.0.10,10.0.1.34,10.0.1.36 + 1 more..."), "{slice}");
}

/// Five apiservers compact etcd once per 5-minute interval between them: each tries to bump
/// `compact_rev_key`'s version, and only the one that wins the turn compacts.
#[test]
fn several_apiservers_take_turns_compacting() {
    let shape = SHAPES.iter().find(|s| s.name == "openai-7500").unwrap();
    let mut sim = shape.scenario(Some(2)).build().unwrap();
    sim.run_until(SimTime::from_secs(601));
    let leader = sim.etcd_members().find(|m| m.up && m.raft.role == kube_playground::sim::etcd::raft::Role::Leader);
    let m = &leader.unwrap().mvcc;
    assert_eq!(m.get("compact_rev_key").map(|kv| kv.version), Some(2), "one turn per interval, not one per apiserver");
    assert!(m.compacted() > 0, "the second turn compacted");
    let events = sim.etcd_cluster(true).map(|(_, m)| m).find(|m| m.up).unwrap();
    assert_eq!(events.mvcc.get("compact_rev_key").map(|kv| kv.version), Some(2), "the events etcd too");
}

/// A first list past 500 objects reaches kube-controller-manager's handlers in batches: each
/// node the list brought is still registered once by the node lifecycle controller, and the
/// batches do not reorder it with the changes that come after.
#[test]
fn a_large_first_list_reaches_every_handler_once() {
    let shape = SHAPES.iter().find(|s| s.name == "openai-7500").unwrap();
    let mut sim = shape.scenario(Some(520)).build().unwrap();
    sim.run_until(SimTime::from_secs(4));
    let mut registered: Vec<String> = objects(&sim, "/registry/events/")
        .into_iter()
        .filter_map(|o| match o {
            Object::Event(e) if e.reason == "RegisteredNode" => Some(e.involved_object.name.clone()),
            _ => None,
        })
        .collect();
    let n = registered.len();
    registered.sort();
    registered.dedup();
    assert_eq!(registered.len(), n, "one RegisteredNode per node");
    assert_eq!(n, 521, "every node registered with the controller, the control plane's too");
}
