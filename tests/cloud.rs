//! cloud-controller-manager against the simulated cloud: new nodes are initialised (taint
//! lifted, providerID and topology labels set), pod CIDRs routed, LoadBalancer Services get a
//! load balancer and its address — and without a cloud they stay `<pending>`, as on kubeadm.

use kube_playground::kubectl;
use kube_playground::scenario::Scenario;
use kube_playground::sim::component::Component;
use kube_playground::sim::time::{SimTime, SECONDS};
use kube_playground::sim::Simulation;

const TIMEOUT: u64 = 30 * SECONDS;

fn with_cloud() -> Simulation {
    let mut scenario = Scenario::default();
    scenario.cluster.cloud_controller_manager = true;
    scenario.build().unwrap()
}

fn cloud(sim: &Simulation) -> &kube_playground::sim::cloud::CloudProvider {
    sim.components
        .iter()
        .find_map(|c| match c {
            Component::Cloud(c) => Some(c.as_ref()),
            _ => None,
        })
        .expect("a cloud")
}

fn external_ip(sim: &mut Simulation) -> String {
    let out = kubectl::run(sim, "kubectl get svc web", TIMEOUT);
    out.lines().nth(1).and_then(|l| l.split_whitespace().nth(3)).unwrap_or_default().to_string()
}

#[test]
fn without_a_cloud_a_load_balancer_stays_pending() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(3));
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=2", TIMEOUT);
    kubectl::run(&mut sim, "kubectl expose deployment web --port=80 --type=LoadBalancer", TIMEOUT);
    sim.run_until(SimTime::from_secs(90));
    assert_eq!(external_ip(&mut sim), "<pending>");
}

#[test]
fn nodes_are_initialised_by_the_cloud_node_controller() {
    let mut sim = with_cloud();
    sim.run_until(SimTime::from_secs(1));
    let nodes = kubectl::run(&mut sim, "kubectl get node worker-1 -o json", TIMEOUT);
    kubectl::run(&mut sim, "kubectl run early --image=nginx", TIMEOUT);
    sim.run_until(SimTime::from_secs(10));
    let node = kubectl::run(&mut sim, "kubectl get node worker-1 -o json", TIMEOUT);
    assert!(!node.contains("node.cloudprovider.kubernetes.io/uninitialized"), "{node}");
    assert!(node.contains("\"providerID\": \"kube-playground://playground-1b/worker-1\""), "{node}");
    assert!(node.contains("\"topology.kubernetes.io/zone\": \"playground-1b\""), "{node}");
    assert!(node.contains("\"node.kubernetes.io/instance-type\": \"pg-4cpu-8gi\""), "{node}");
    // Before, the taint held pods off.
    assert!(nodes.contains("node.cloudprovider.kubernetes.io/uninitialized"), "{nodes}");
    let events = kubectl::run(&mut sim, "kubectl get events", TIMEOUT);
    assert!(events.contains("4 node(s) had untolerated taint"), "{events}");
    let pods = kubectl::run(&mut sim, "kubectl get pods", TIMEOUT);
    assert!(pods.contains("Running"), "{pods}");
    assert_eq!(cloud(&sim).routes.len(), 4, "every node's pod CIDR is routed");
}

#[test]
fn a_load_balancer_service_gets_an_address_and_loses_it_on_delete() {
    let mut sim = with_cloud();
    sim.run_until(SimTime::from_secs(5));
    kubectl::run(&mut sim, "kubectl create deployment web --image=nginx --replicas=2", TIMEOUT);
    kubectl::run(&mut sim, "kubectl expose deployment web --port=80 --type=LoadBalancer", TIMEOUT);
    sim.run_until(SimTime::from_secs(7));
    assert_eq!(external_ip(&mut sim), "<pending>", "provisioning takes the cloud a while");
    sim.run_until(SimTime::from_secs(40));
    assert_eq!(external_ip(&mut sim), "203.0.113.10");
    let svc = kubectl::run(&mut sim, "kubectl get svc web -o json", TIMEOUT);
    assert!(
        svc.contains("service.kubernetes.io/load-balancer-cleanup") && svc.contains("\"ipMode\": \"VIP\""),
        "{svc}"
    );
    let lbs: Vec<_> = cloud(&sim).load_balancers.values().cloned().collect();
    assert_eq!(lbs.len(), 1);
    assert_eq!(lbs[0].nodes, vec!["worker-1", "worker-2", "worker-3"], "the control plane is excluded");
    let events = kubectl::run(&mut sim, "kubectl get events", TIMEOUT);
    assert!(events.contains("EnsuringLoadBalancer") && events.contains("Ensured load balancer"), "{events}");
    // From the laptop through the load balancer, a node's NodePort and its rules, to nginx.
    for _ in 0..3 {
        let page = kubectl::run(&mut sim, "curl http://203.0.113.10/", TIMEOUT);
        assert_eq!(page, "<title>Welcome to nginx!</title>");
    }

    kubectl::run(&mut sim, "kubectl delete svc web", TIMEOUT);
    let during = kubectl::run(&mut sim, "kubectl get svc web", TIMEOUT);
    assert!(during.contains("web"), "the finalizer holds the Service while the cloud deletes:\n{during}");
    sim.run_until(SimTime::from_secs(60));
    let after = kubectl::run(&mut sim, "kubectl get svc web", TIMEOUT);
    assert!(after.contains("NotFound"), "{after}");
    assert!(cloud(&sim).load_balancers.is_empty());
    let events = kubectl::run(&mut sim, "kubectl get events", TIMEOUT);
    assert!(events.contains("DeletingLoadBalancer") && events.contains("DeletedLoadBalancer"), "{events}");
}

/// externalTrafficPolicy Local behind a load balancer: its health checks keep it to the node
/// that runs the pod, so every connection is answered.
#[test]
fn a_local_load_balancer_sends_only_to_nodes_that_pass_its_health_check() {
    let mut sim = with_cloud();
    sim.run_until(SimTime::from_secs(5));
    kubectl::run(
        &mut sim,
        "kubectl create deployment web --image=registry.k8s.io/serve_hostname --replicas=1",
        TIMEOUT,
    );
    let doc = serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"type": "LoadBalancer", "externalTrafficPolicy": "Local", "selector": {"app": "web"},
            "ports": [{"port": 80, "targetPort": 9376}]}});
    let started = kubectl::apply::start_manifest(&mut sim, &doc.to_string(), "svc.json", Default::default()).unwrap();
    assert_eq!(kubectl::wait(&mut sim, started, TIMEOUT), "service/web created");
    sim.run_until(SimTime::from_secs(40));
    let ip = external_ip(&mut sim);
    let pod = kubectl::run(&mut sim, "kubectl get pods -l app=web", TIMEOUT);
    let pod = pod.lines().nth(1).and_then(|l| l.split_whitespace().next()).unwrap().to_string();
    for _ in 0..6 {
        assert_eq!(kubectl::run(&mut sim, &format!("curl http://{ip}/"), TIMEOUT), pod);
    }
}
