//! A custom controller: the website-operator image runs in a pod, with its ServiceAccount's
//! token, and reconciles Website objects (a CRD) into a Deployment and a Service.

use kube_playground::kubectl;
use kube_playground::scenario::Scenario;
use kube_playground::sim::time::{SimTime, SECONDS};
use kube_playground::sim::Simulation;

const TIMEOUT: u64 = 30 * SECONDS;

fn apply(sim: &mut Simulation, file: &str) -> String {
    let text = std::fs::read_to_string(format!("tests/fixtures/{file}")).unwrap();
    let started = kubectl::apply::start_manifest(sim, &text, file, Default::default()).unwrap();
    kubectl::wait(sim, started, TIMEOUT)
}

fn cluster() -> Simulation {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(3));
    sim
}

#[test]
fn the_operator_reconciles_a_website_into_a_deployment_and_a_service() {
    let mut sim = cluster();
    assert!(apply(&mut sim, "website-crd.json").contains("created"));
    let out = apply(&mut sim, "website-operator.json");
    assert!(out.contains("deployment.apps/website-operator created"), "{out}");
    sim.run_until(SimTime::from_secs(15));
    assert!(apply(&mut sim, "website-blog.json").contains("website.example.com/blog created"));
    sim.run_until(SimTime::from_secs(40));
    let deploy = kubectl::run(&mut sim, "kubectl get deployment blog", TIMEOUT);
    assert!(deploy.contains("blog   2/2"), "{deploy}");
    let svc = kubectl::run(&mut sim, "kubectl get svc blog", TIMEOUT);
    assert!(svc.contains("80/TCP"), "{svc}");
    let site = kubectl::run(&mut sim, "kubectl get website blog -o json", TIMEOUT);
    assert!(
        site.contains("\"availableReplicas\": 2") && site.contains("http://blog.default.svc.cluster.local"),
        "{site}"
    );
    assert!(site.contains("websites.example.com/cleanup"), "{site}");
    // What it made is owned by the Website.
    let owner = kubectl::run(&mut sim, "kubectl get deployment blog -o json", TIMEOUT);
    assert!(owner.contains("\"kind\": \"Website\""), "owned by the Website:\n{owner}");

    // A change to the Website reaches the Deployment.
    let mut text = std::fs::read_to_string("tests/fixtures/website-blog.json").unwrap();
    text = text.replace("\"replicas\": 2", "\"replicas\": 3");
    let started = kubectl::apply::start_manifest(&mut sim, &text, "blog.json", Default::default()).unwrap();
    assert!(kubectl::wait(&mut sim, started, TIMEOUT).contains("configured"));
    sim.run_until(SimTime::from_secs(60));
    let deploy = kubectl::run(&mut sim, "kubectl get deployment blog", TIMEOUT);
    assert!(deploy.contains("blog   3/3"), "{deploy}");

    // Deleting the Website: the operator removes what it made, then its finalizer.
    kubectl::run(&mut sim, "kubectl delete website blog", TIMEOUT);
    sim.run_until(SimTime::from_secs(75));
    for what in ["website blog", "deployment blog", "svc blog"] {
        let out = kubectl::run(&mut sim, &format!("kubectl get {what}"), TIMEOUT);
        assert!(out.contains("NotFound"), "{what}: {out}");
    }
}

#[test]
fn without_rbac_the_operator_is_forbidden() {
    let mut sim = cluster();
    apply(&mut sim, "website-crd.json");
    // Only the operator's Deployment, none of its RBAC: it runs as `default` in default.
    let text = std::fs::read_to_string("tests/fixtures/website-operator.json").unwrap();
    let docs: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut deployment = docs[3].clone();
    deployment["spec"]["template"]["spec"]["serviceAccountName"] = "default".into();
    let started =
        kubectl::apply::start_manifest(&mut sim, &deployment.to_string(), "op.json", Default::default()).unwrap();
    kubectl::wait(&mut sim, started, TIMEOUT);
    apply(&mut sim, "website-blog.json");
    sim.run_until(SimTime::from_secs(40));
    let deploy = kubectl::run(&mut sim, "kubectl get deployment blog", TIMEOUT);
    assert!(deploy.contains("NotFound"), "{deploy}");
    let said: Vec<String> = sim
        .trace
        .recent()
        .filter_map(|r| match r {
            kube_playground::sim::trace::TraceRecord::Phase { phase, detail, .. } if phase == "website-operator" => {
                Some(detail.clone())
            }
            _ => None,
        })
        .collect();
    assert!(
        said.iter()
            .any(|d| d.contains("User \"system:serviceaccount:default:default\" cannot watch resource \"websites\"")),
        "{said:#?}"
    );
}
