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

/// A definition with `subresources.status` and a schema that keeps the status.
fn gadget_crd(status_subresource: bool) -> serde_json::Value {
    let mut version = json!({"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema":
        {"type": "object", "properties": {
            "spec": {"type": "object", "properties": {"size": {"type": "integer"}}},
            "status": {"type": "object", "properties": {"phase": {"type": "string"}}}}}}});
    if status_subresource {
        version["subresources"] = json!({"status": {}});
    }
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "gadgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"}, "versions": [version]}})
}

/// Sends one request to the API and waits for its answer.
fn call(
    sim: &mut Simulation,
    req: kube_playground::sim::api::request::ApiRequest,
) -> kube_playground::sim::api::request::ApiResponse {
    let handle = sim.submit(req);
    let deadline = sim.now().plus(5 * SECONDS);
    loop {
        if let Some(resp) = sim.take_response(handle) {
            return resp;
        }
        assert!(sim.now() < deadline && sim.step(), "no answer");
    }
}

fn gadget_json(sim: &mut Simulation) -> serde_json::Value {
    serde_json::from_str(&k(sim, "kubectl get gadget g -o json")).unwrap()
}

#[test]
fn the_status_subresource_splits_spec_and_status_writes() {
    use kube_playground::sim::api::request::{ApiRequest, Verb};
    for sub in [true, false] {
        let mut sim = Scenario::default().build().unwrap();
        sim.run_until(SimTime::from_secs(2));
        apply_json(&mut sim, gadget_crd(sub));
        let res = *sim.discovery().iter().find(|r| r.plural == "gadgets").expect("served");
        let created = apply_json(
            &mut sim,
            json!({"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g", "namespace": "default"},
                "spec": {"size": 1}, "status": {"phase": "Invented"}}),
        );
        assert_eq!(created, "gadget.example.com/g created");
        let g = gadget_json(&mut sim);
        assert_eq!(g["metadata"]["generation"], 1);
        // With the subresource a create starts without a status.
        assert_eq!(g["status"]["phase"].as_str(), if sub { None } else { Some("Invented") }, "{g}");

        let mut status = ApiRequest::new(Verb::Patch, res, "default", "g").with_subresource("status");
        status.patch = Some(json!({"status": {"phase": "Ready"}, "spec": {"size": 9}}));
        let answer = call(&mut sim, status);
        sim.run_until(sim.now().plus(SECONDS));
        let g = gadget_json(&mut sim);
        if sub {
            assert!(answer.is_ok(), "{answer:?}");
            // /status takes the status only, and the generation stays.
            assert_eq!((g["status"]["phase"].as_str(), g["spec"]["size"].as_i64()), (Some("Ready"), Some(1)));
            assert_eq!(g["metadata"]["generation"], 1);
        } else {
            assert_eq!(answer.unwrap_err().code, 404);
        }

        let mut main = ApiRequest::new(Verb::Patch, res, "default", "g");
        main.patch = Some(json!({"status": {"phase": "Hacked"}, "spec": {"size": 2}}));
        assert!(call(&mut sim, main).is_ok());
        sim.run_until(sim.now().plus(SECONDS));
        let g = gadget_json(&mut sim);
        assert_eq!(g["spec"]["size"], 2);
        // The main endpoint keeps the stored status when /status is served, and writes it
        // (bumping the generation with the spec) when it is not.
        assert_eq!(g["status"]["phase"].as_str(), Some(if sub { "Ready" } else { "Hacked" }), "{g}");
        assert_eq!(g["metadata"]["generation"], 2);
    }
}

/// A definition with v1beta1 (served, deprecated shape) and v1 (served, stored), and the scale
/// subresource on `.spec.size`.
fn crontab_crd() -> serde_json::Value {
    let schema = json!({"openAPIV3Schema": {"type": "object", "properties": {
        "spec": {"type": "object", "properties": {"size": {"type": "integer", "minimum": 0}}},
        "status": {"type": "object", "properties": {"size": {"type": "integer"}}}}}});
    let version = |name: &str, storage: bool| {
        json!({"name": name, "served": true, "storage": storage, "schema": schema,
            "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.size", "statusReplicasPath": ".status.size"}}})
    };
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "crontabs.stable.example.com"},
        "spec": {"group": "stable.example.com", "scope": "Namespaced",
            "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab", "shortNames": ["ct"]},
            "versions": [version("v1beta1", false), version("v1", true)]}})
}

#[test]
fn every_served_version_is_served_and_objects_are_stored_at_the_storage_version() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    apply_json(&mut sim, crontab_crd());
    let versions: Vec<&str> = sim.discovery().iter().map(|r| r.version).collect();
    assert_eq!(versions, ["v1", "v1beta1"], "the preferred version first");
    let old = json!({"apiVersion": "stable.example.com/v1beta1", "kind": "CronTab",
        "metadata": {"name": "nightly"}, "spec": {"size": 1}});
    assert_eq!(apply_json(&mut sim, old), "crontab.stable.example.com/nightly created");
    // kubectl reads the preferred version; a client of the old one still gets its version.
    let doc: serde_json::Value = serde_json::from_str(&k(&mut sim, "kubectl get ct nightly -o json")).unwrap();
    assert_eq!(doc["apiVersion"], "stable.example.com/v1");
    let doc: serde_json::Value =
        serde_json::from_str(&k(&mut sim, "kubectl get crontabs.v1beta1.stable.example.com nightly -o json")).unwrap();
    assert_eq!(doc["apiVersion"], "stable.example.com/v1beta1");
    let stored = k(&mut sim, "etcdctl get /registry/stable.example.com/crontabs/default/nightly");
    assert!(stored.contains("stable.example.com/v1\""), "stored at v1: {stored}");
    let apis = k(&mut sim, "kubectl api-resources");
    assert_eq!(apis.lines().filter(|l| l.starts_with("crontabs ")).count(), 1, "{apis}");
    assert!(apis.contains("stable.example.com/v1 "), "{apis}");

    // The scale subresource: kubectl scale writes .spec.size.
    assert_eq!(k(&mut sim, "kubectl scale crontab nightly --replicas=4"), "crontab.stable.example.com/nightly scaled");
    let doc: serde_json::Value = serde_json::from_str(&k(&mut sim, "kubectl get ct nightly -o json")).unwrap();
    assert_eq!(doc["spec"]["size"], 4);
}

#[test]
fn scaling_a_custom_resource_without_the_scale_subresource_is_not_found() {
    let mut sim = Scenario::default().build().unwrap();
    sim.run_until(SimTime::from_secs(2));
    apply_json(&mut sim, widget_crd());
    apply_json(&mut sim, widget("w", json!({"size": 1})));
    assert_eq!(
        k(&mut sim, "kubectl scale widget w --replicas=2"),
        "Error from server (NotFound): the server could not find the requested resource"
    );
}
