//! Admission webhooks end to end: configurations applied as JSON, webhook servers running as
//! pods behind a Service, a validating webhook denying, a mutating one patching, and
//! failurePolicy deciding what a failed call (no endpoints, timeout) does.

use kube_playground::kubectl::{self, apply};
use kube_playground::scenario::Scenario;
use kube_playground::sim::time::{SimTime, SECONDS};
use kube_playground::sim::Simulation;
use serde_json::json;

fn k(sim: &mut Simulation, line: &str) -> String {
    kubectl::run(sim, line, 40 * SECONDS)
}

fn apply_json(sim: &mut Simulation, doc: serde_json::Value) -> String {
    let started = apply::start_manifest(sim, &doc.to_string(), "webhook.json", Default::default()).unwrap();
    kubectl::wait(sim, started, 30 * SECONDS)
}

fn config(kind: &str, name: &str, service: &str, policy: &str, timeout: i64) -> serde_json::Value {
    json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind, "metadata": {"name": name},
        "webhooks": [{"name": format!("{name}.example.com"), "failurePolicy": policy, "timeoutSeconds": timeout,
            "sideEffects": "None", "admissionReviewVersions": ["v1"],
            "clientConfig": {"service": {"namespace": "default", "name": service, "path": "/validate"}},
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
            "namespaceSelector": {"matchLabels": {"webhooks": "on"}}}]})
}

/// A cluster with a webhook server (image `program`) behind Service `svc`, and a namespace
/// `apps` its configurations select.
fn cluster_with_server(program: &str, svc: &str) -> Simulation {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    k(&mut sim, &format!("kubectl create deployment {svc} --image=kube-playground/{program}:1.0 --port=8443"));
    k(&mut sim, &format!("kubectl expose deployment {svc} --port=443 --target-port=8443"));
    k(&mut sim, "kubectl create namespace apps");
    k(&mut sim, "kubectl label namespace apps webhooks=on");
    sim.run_until(sim.now().plus(15 * SECONDS));
    sim
}

#[test]
fn a_validating_webhook_denies_and_the_rest_goes_through() {
    let mut sim = cluster_with_server("webhook-deny-latest", "deny");
    let cfg = config("ValidatingWebhookConfiguration", "deny-latest", "deny", "Fail", 10);
    assert_eq!(
        apply_json(&mut sim, cfg),
        "validatingwebhookconfiguration.admissionregistration.k8s.io/deny-latest created"
    );
    assert_eq!(
        k(&mut sim, "kubectl run web --image=nginx -n apps"),
        "Error from server (Forbidden): admission webhook \"deny-latest.example.com\" denied the request: image \"nginx\" uses the latest tag; pin a version"
    );
    assert_eq!(k(&mut sim, "kubectl run web --image=nginx:1.27 -n apps"), "pod/web created");
    // namespaceSelector: default is not selected.
    assert_eq!(k(&mut sim, "kubectl run other --image=nginx"), "pod/other created");
    let metrics = k(&mut sim, "kubectl get --raw /metrics");
    assert!(
        metrics.contains("apiserver_admission_webhook_admission_duration_seconds_count{name=\"deny-latest.example.com\",operation=\"CREATE\",rejected=\"true\",type=\"validating\"} 1"),
        "{metrics}"
    );
}

#[test]
fn a_mutating_webhook_patches_the_object() {
    let mut sim = cluster_with_server("webhook-label", "labeler");
    apply_json(&mut sim, config("MutatingWebhookConfiguration", "labeler", "labeler", "Fail", 10));
    assert_eq!(k(&mut sim, "kubectl run web --image=nginx:1.27 -n apps"), "pod/web created");
    let shown = k(&mut sim, "kubectl get pods -n apps --show-labels");
    assert!(shown.contains("admission.kube-playground.dev/mutated=true,run=web"), "{shown}");
}

#[test]
fn failure_policy_decides_when_a_call_fails() {
    let mut sim = cluster_with_server("webhook-slow", "slow");
    apply_json(&mut sim, config("ValidatingWebhookConfiguration", "gone", "nothing-here", "Fail", 10));
    let out = k(&mut sim, "kubectl run a --image=nginx:1.27 -n apps");
    assert_eq!(
        out,
        "Error from server (InternalError): Internal error occurred: failed calling webhook \"gone.example.com\": failed to call webhook: Post \"https://nothing-here.default.svc:443/validate?timeout=10s\": no endpoints available for service \"nothing-here\""
    );
    apply_json(&mut sim, config("ValidatingWebhookConfiguration", "gone", "nothing-here", "Ignore", 10));
    assert_eq!(k(&mut sim, "kubectl run a --image=nginx:1.27 -n apps"), "pod/a created");
    apply_json(&mut sim, config("ValidatingWebhookConfiguration", "slow", "slow", "Fail", 2));
    let started = sim.now();
    let out = k(&mut sim, "kubectl run b --image=nginx:1.27 -n apps");
    assert!(out.ends_with("/validate?timeout=2s\": context deadline exceeded"), "{out}");
    assert!(sim.now().since(started) >= 2 * SECONDS);
}

#[test]
fn only_the_first_call_to_a_webhook_pod_pays_the_tls_handshake() {
    let mut sim = cluster_with_server("webhook-label", "labeler");
    apply_json(&mut sim, config("MutatingWebhookConfiguration", "labeler", "labeler", "Fail", 10));
    for name in ["one", "two", "three"] {
        assert_eq!(
            k(&mut sim, &format!("kubectl run {name} --image=nginx:1.27 -n apps")),
            format!("pod/{name} created")
        );
    }
    let api = sim.apiserver().unwrap();
    let webhook_us: Vec<u64> = api
        .recent
        .iter()
        .filter(|r| {
            r.client == kube_playground::sim::cluster::USER && r.line.starts_with("POST /api/v1/namespaces/apps/pods")
        })
        .map(|r| r.stages.iter().filter(|(s, _)| *s == "webhook").map(|(_, us)| us).sum())
        .collect();
    assert_eq!(webhook_us.len(), 3, "{webhook_us:?}");
    // TCP and TLS: two more round trips between the control plane and the pod's node.
    assert!(webhook_us[0] > webhook_us[1] + webhook_us[1] / 2, "{webhook_us:?}");
    assert!(webhook_us[1].abs_diff(webhook_us[2]) < webhook_us[1] / 2, "{webhook_us:?}");
}

#[test]
fn an_if_needed_webhook_is_called_again_after_a_later_change() {
    for policy in ["IfNeeded", "Never"] {
        let mut sim = cluster_with_server("webhook-label", "labeler");
        k(&mut sim, "kubectl create deployment annotator --image=kube-playground/webhook-annotate:1.0 --port=8443");
        k(&mut sim, "kubectl expose deployment annotator --port=443 --target-port=8443");
        sim.run_until(sim.now().plus(15 * SECONDS));
        // Called in name order: a-labeler, then b-annotator, whose change comes after.
        let mut first = config("MutatingWebhookConfiguration", "a-labeler", "labeler", "Fail", 10);
        first["webhooks"][0]["reinvocationPolicy"] = json!(policy);
        apply_json(&mut sim, first);
        apply_json(&mut sim, config("MutatingWebhookConfiguration", "b-annotator", "annotator", "Fail", 10));
        assert_eq!(k(&mut sim, "kubectl run web --image=nginx:1.27 -n apps"), "pod/web created");
        let pod = k(&mut sim, "kubectl get pod web -n apps -o json");
        assert!(pod.contains("\"admission.kube-playground.dev/mutated\": \"true\""), "{pod}");
        assert!(pod.contains("\"admission.kube-playground.dev/annotated\": \"true\""), "{pod}");
        let metrics = k(&mut sim, "kubectl get --raw /metrics");
        let calls = if policy == "IfNeeded" { 2 } else { 1 };
        let line = format!("apiserver_admission_webhook_admission_duration_seconds_count{{name=\"a-labeler.example.com\",operation=\"CREATE\",rejected=\"false\",type=\"admit\"}} {calls}");
        assert!(metrics.contains(&line), "{policy}: {line}\n{metrics}");
    }
}

#[test]
fn a_node_whose_webhook_servers_hang_makes_calls_time_out() {
    use kube_playground::scenario::action::Fault;
    let mut sim = cluster_with_server("webhook-allow", "allow");
    apply_json(&mut sim, config("ValidatingWebhookConfiguration", "allow", "allow", "Fail", 2));
    assert_eq!(k(&mut sim, "kubectl run a --image=nginx:1.27 -n apps"), "pod/a created");
    let workers = ["kubelet/worker-1", "kubelet/worker-2", "kubelet/worker-3"];
    for w in workers {
        Fault::HangWebhooks(true).apply(&mut sim, w).unwrap();
    }
    let out = k(&mut sim, "kubectl run b --image=nginx:1.27 -n apps");
    assert!(out.ends_with("/validate?timeout=2s\": context deadline exceeded"), "{out}");
    for w in workers {
        Fault::HangWebhooks(false).apply(&mut sim, w).unwrap();
    }
    assert_eq!(k(&mut sim, "kubectl run b --image=nginx:1.27 -n apps"), "pod/b created");
    assert!(Fault::HangWebhooks(true).apply(&mut sim, "etcd-0").unwrap_err().contains("only on a node"));
}

/// A configuration with `clientConfig.url` instead of a Service.
fn url_config(name: &str, url: &str) -> serde_json::Value {
    let mut cfg = config("ValidatingWebhookConfiguration", name, "unused", "Fail", 10);
    cfg["webhooks"][0]["clientConfig"] = json!({"url": url});
    cfg
}

#[test]
fn a_url_webhook_reaches_a_pod_by_its_address_and_names_only_fail() {
    let mut sim = cluster_with_server("webhook-deny-latest", "deny");
    let pods: serde_json::Value = serde_json::from_str(&k(&mut sim, "kubectl get pods -l app=deny -o json")).unwrap();
    let ip = pods["items"][0]["status"]["podIP"].as_str().expect("a pod IP").to_string();
    assert_eq!(
        apply_json(&mut sim, url_config("by-ip", &format!("https://{ip}:8443/validate"))),
        "validatingwebhookconfiguration.admissionregistration.k8s.io/by-ip created"
    );
    assert!(k(&mut sim, "kubectl run web --image=nginx -n apps")
        .contains("denied the request: image \"nginx\" uses the latest tag"));
    // kube-apiserver resolves with its node's resolver: cluster names are unknown there.
    apply_json(&mut sim, url_config("by-ip", "https://deny.default.svc/validate"));
    assert_eq!(
        k(&mut sim, "kubectl run web --image=nginx -n apps"),
        "Error from server (InternalError): Internal error occurred: failed calling webhook \"by-ip.example.com\": failed to call webhook: Post \"https://deny.default.svc/validate?timeout=10s\": dial tcp: lookup deny.default.svc on 127.0.0.53:53: no such host"
    );
    // Validation: https only, exactly one of url and service.
    let out = apply_json(&mut sim, url_config("plain", "http://10.0.0.9/validate"));
    assert!(out.contains("webhooks[0].clientConfig.url: Invalid value: \"http://10.0.0.9/validate\": 'https' is the only allowed URL scheme"), "{out}");
    let mut both = url_config("both", "https://10.0.0.9/validate");
    both["webhooks"][0]["clientConfig"]["service"] = json!({"namespace": "default", "name": "deny"});
    let out = apply_json(&mut sim, both);
    assert!(
        out.contains("webhooks[0].clientConfig: Required value: exactly one of url or service is required"),
        "{out}"
    );
}
