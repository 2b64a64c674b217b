//! CustomResourceDefinitions end to end: applying one serves a new resource that kubectl
//! discovers (get, short names, api-resources, -o json), objects are pruned to the schema and
//! validated with kube-openapi's messages, and deleting the definition stops serving them.

use kube_playground::kubectl::{self, apply};
use kube_playground::scenario::Scenario;
use kube_playground::sim::time::{SimTime, SECONDS};
use kube_playground::sim::Simulation;
use serde_json::json;

fn k(sim: &mut Simulation, line: &str) -> String {
    kubectl::run(sim, line, 30 * SECONDS)
}

fn apply_json(sim: &mut Simulation, docs: serde_json::Value) -> String {
    let started = apply::start_manifest(sim, &docs.to_string(), "manifest.json", Default::default()).unwrap();
    let out = kubectl::wait(sim, started, 30 * SECONDS);
    sim.run_until(sim.now().plus(SECONDS));
    out
}

fn widget_crd() -> serde_json::Value {
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
            "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema":
                {"type": "object", "properties": {"spec": {"type": "object", "required": ["size"],
                    "properties": {"size": {"type": "integer", "minimum": 1, "maximum": 10},
                                   "color": {"type": "string", "enum": ["red", "blue"]}}}}}}}]}})
}

fn widget(name: &str, spec: serde_json::Value) -> serde_json::Value {
    json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": name}, "spec": spec})
}

#[test]
fn a_definition_serves_a_validated_resource_until_it_is_deleted() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    assert_eq!(
        apply_json(&mut sim, widget("early", json!({"size": 1}))),
        "error: resource mapping not found for name: \"early\" namespace: \"\" from \"manifest.json\": no matches for kind \"Widget\" in version \"example.com/v1\"\nensure CRDs are installed first"
    );
    assert_eq!(
        apply_json(&mut sim, widget_crd()),
        "customresourcedefinition.apiextensions.k8s.io/widgets.example.com created"
    );
    assert!(k(&mut sim, "kubectl get crds").contains("widgets.example.com"));
    assert_eq!(
        apply_json(&mut sim, widget("small", json!({"size": 2, "color": "red", "shape": "round"}))),
        "widget.example.com/small created"
    );
    let list = k(&mut sim, "kubectl get widgets");
    assert!(list.starts_with("NAME    AGE\nsmall   "), "{list}");
    assert_eq!(k(&mut sim, "kubectl get wd small -o name"), "widget.example.com/small");
    let json = k(&mut sim, "kubectl get widget small -o json");
    // The field is pruned from the object (the last-applied annotation keeps the manifest as written).
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(doc["apiVersion"] == "example.com/v1" && doc["spec"]["shape"].is_null(), "pruned: {json}");
    // A new manifest changes the last-applied annotation, so the object is configured; the same
    // manifest again changes nothing.
    assert_eq!(
        apply_json(&mut sim, widget("small", json!({"size": 2, "color": "red"}))),
        "widget.example.com/small configured"
    );
    assert_eq!(
        apply_json(&mut sim, widget("small", json!({"size": 2, "color": "red"}))),
        "widget.example.com/small unchanged"
    );
    assert_eq!(apply_json(&mut sim, widget("small", json!({"size": 3}))), "widget.example.com/small configured");
    assert_eq!(
        apply_json(&mut sim, widget("big", json!({"size": 20, "color": "green"}))),
        "The Widget \"big\" is invalid: \n* spec.color: Unsupported value: \"green\": supported values: \"red\", \"blue\"\n* spec.size: Invalid value: 20: spec.size in body should be less than or equal to 10"
    );
    assert_eq!(
        apply_json(&mut sim, widget("empty", json!({}))),
        "The Widget \"empty\" is invalid: spec.size: Required value"
    );
    assert!(k(&mut sim, "kubectl api-resources")
        .lines()
        .any(|l| l.starts_with("widgets") && l.contains("example.com/v1")));
    // kubectl's verbs work on the new resource, through RBAC like any other.
    assert_eq!(k(&mut sim, "kubectl --as=alice get widgets").split(':').next(), Some("Error from server (Forbidden)"));
    assert_eq!(k(&mut sim, "kubectl label widget small team=a"), "widget.example.com/small labeled");
    assert_eq!(k(&mut sim, "kubectl delete widget small"), "widget.example.com \"small\" deleted");
    apply_json(&mut sim, widget("again", json!({"size": 1})));
    assert_eq!(
        k(&mut sim, "kubectl delete crd widgets.example.com"),
        "customresourcedefinition.apiextensions.k8s.io \"widgets.example.com\" deleted"
    );
    sim.run_until(sim.now().plus(SECONDS));
    assert_eq!(k(&mut sim, "kubectl get widgets"), "error: the server doesn't have a resource type \"widgets\"");
}

#[test]
fn a_bad_definition_is_refused() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    let mut crd = widget_crd();
    crd["metadata"]["name"] = json!("widgets");
    crd["spec"]["scope"] = json!("Global");
    let out = apply_json(&mut sim, crd);
    assert!(out.starts_with("The CustomResourceDefinition \"widgets\" is invalid: \n* metadata.name: Invalid value: \"widgets\": must be spec.names.plural+\".\"+spec.group\n* spec.scope: Unsupported value: \"Global\""), "{out}");
}
