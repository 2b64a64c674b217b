//! kube-scheduler plugins against upstream test vectors (tests/conformance/*.json), through the
//! `kubesim schedule` code path (scheduler::batch): each case becomes a cluster of Nodes and
//! Pods plus a KubeSchedulerConfiguration enabling only the plugin under test (score plugins at
//! weight 1), and the assertions read the kube-scheduler-simulator style results. Cases that
//! need alpha features or errors the configuration API rejects earlier are skipped by name.

use kube_playground::sim::api::Object;
use kube_playground::sim::scheduler::batch::{self, Attempt};
use kube_playground::sim::scheduler::config;
use kube_playground::sim::scheduler::cycle::default_normalize_score;
use kube_playground::sim::scheduler::framework::Code;
use serde_json::{json, Map, Value};

fn vectors(name: &str) -> Value {
    let path = format!("{}/tests/conformance/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn obj(v: Value) -> Object {
    Object::from_json(v.to_string().as_bytes()).unwrap_or_else(|e| panic!("{e}: {v}"))
}

/// A node; `allocatable` also becomes capacity, and pods defaults to 32 as st.MakeNode does.
fn node(name: &str, labels: Value, allocatable: Value) -> Value {
    let mut alloc = allocatable.as_object().cloned().unwrap_or_default();
    alloc.entry("pods").or_insert(json!("32"));
    json!({"kind": "Node", "metadata": {"name": name, "labels": labels},
           "status": {"capacity": alloc, "allocatable": alloc}})
}

fn pod(name: &str, node: Option<&str>, spec: Value) -> Value {
    let mut spec = spec.as_object().cloned().unwrap_or_default();
    spec.entry("containers").or_insert(json!([]));
    if let Some(n) = node {
        spec.insert("nodeName".into(), json!(n));
    }
    json!({"kind": "Pod", "metadata": {"name": name, "namespace": "default"}, "spec": spec})
}

fn with_labels(mut pod: Value, labels: &Value) -> Value {
    pod["metadata"]["labels"] = labels.clone();
    pod
}

/// Containers from the vectors' request maps (`cpu_milli` → millicores).
fn containers(list: &Value) -> Value {
    let list = list.as_array().cloned().unwrap_or_default();
    Value::Array(
        list.iter()
            .enumerate()
            .map(|(i, req)| {
                let mut r = Map::new();
                for (k, v) in req.as_object().unwrap() {
                    let (k, v) = match (k.as_str(), v) {
                        ("cpu_milli", v) => ("cpu".to_string(), format!("{}m", v.as_i64().unwrap())),
                        (k, Value::String(s)) => (k.to_string(), s.clone()),
                        (k, v) => (k.to_string(), v.to_string()),
                    };
                    r.insert(k, json!(v));
                }
                json!({"name": format!("c{i}"), "image": "registry.k8s.io/pause:3.10", "resources": {"requests": r}})
            })
            .collect(),
    )
}

/// A configuration running only `plugin` at `points`, plus DefaultPreemption at postFilter so
/// the failure message tells Unschedulable from UnschedulableAndUnresolvable.
fn profiles(
    plugin: &str,
    points: &[&str],
    args: Option<Value>,
) -> Vec<kube_playground::sim::scheduler::profile::Profile> {
    let mut plugins = json!({"multiPoint": {"disabled": [{"name": "*"}]}, "postFilter": {"enabled": [{"name": "DefaultPreemption"}]}});
    for p in points {
        plugins[*p] = json!({"enabled": [{"name": plugin, "weight": 1}]});
    }
    let mut profile = json!({"schedulerName": "default-scheduler", "plugins": plugins});
    if let Some(a) = args {
        profile["pluginConfig"] = json!([{"name": plugin, "args": a}]);
    }
    let cfg = json!({"apiVersion": config::API_VERSION, "kind": "KubeSchedulerConfiguration", "profiles": [profile]});
    config::parse(&cfg).unwrap()
}

fn run(objects: Vec<Value>, plugin: &str, points: &[&str], args: Option<Value>) -> Attempt {
    let objects: Vec<Object> = objects.into_iter().map(obj).collect();
    let attempts = batch::schedule(&objects, &profiles(plugin, points, args), 1);
    attempts.into_iter().last().expect("one pending pod")
}

const SCORE: &[&str] = &["preScore", "score"];
const FILTER: &[&str] = &["preFilter", "filter"];

/// finalscore-result for the plugin on every node (weight 1 ⇒ the plugin's normalized score).
fn final_scores(a: &Attempt, plugin: &str) -> Vec<(String, i64)> {
    a.explain
        .final_score
        .iter()
        .map(|(n, p)| (n.clone(), p.get(plugin).unwrap_or_else(|| panic!("{plugin} scored {n}")).parse().unwrap()))
        .collect()
}

fn assert_scores(a: &Attempt, plugin: &str, expected: &Value, name: &str) {
    for (node, score) in final_scores(a, plugin) {
        assert_eq!(score, expected[&node].as_i64().unwrap(), "{name}: {node}");
    }
    assert_eq!(a.explain.final_score.len(), expected.as_object().unwrap().len(), "{name}: every node scored");
}

/// The filter outcome for one node: its code name and reason ("passed" → Success).
fn filter_outcome(a: &Attempt, node: &str, plugin: &str) -> (String, Option<String>) {
    match a.failed.iter().find(|(n, _)| **n == *node) {
        Some((_, s)) => {
            let code = match s.code {
                Code::Unschedulable => "Unschedulable",
                Code::UnschedulableAndUnresolvable => "UnschedulableAndUnresolvable",
                c => panic!("unexpected {c:?}"),
            };
            assert_eq!(a.explain.filter[node].get(plugin), Some(&s.message()), "filter-result carries the reason");
            (code.into(), Some(s.message()))
        }
        None => ("Success".into(), None),
    }
}

fn check_filter(a: &Attempt, node: &str, plugin: &str, expected: &Value, name: &str) {
    let (code, message) = filter_outcome(a, node, plugin);
    assert_eq!(code, expected["code"].as_str().unwrap(), "{name}");
    if let Some(m) = expected.get("message") {
        assert_eq!(message.as_deref(), m.as_str(), "{name}");
    }
    let ran = a.explain.filter.get(node).is_some_and(|p| p.contains_key(plugin));
    if expected.get("prefilter") == Some(&json!("Skip")) {
        assert!(!ran, "{name}: PreFilter returned Skip, so Filter did not run");
    }
}

// ------------------------------------------------------------------ NodeResourcesFit

/// Nodes of the *_allocated vectors: quantities as written, or millicores/bytes.
fn resource_node(n: &Value) -> Value {
    let mut alloc = Map::new();
    if let Some(cpu) = n.get("cpu_quantity") {
        alloc.insert("cpu".into(), cpu.clone());
        alloc.insert("memory".into(), n["memory_quantity"].clone());
    } else if let Some(cpu) = n.get("allocatable_cpu_milli").or(n.get("cpu_milli")) {
        alloc.insert("cpu".into(), json!(format!("{}m", cpu)));
        let mem = n.get("allocatable_memory_bytes").or(n.get("memory_bytes")).unwrap();
        alloc.insert("memory".into(), json!(mem.to_string()));
    }
    for key in ["extended_allocatable", "extended"] {
        for (k, v) in n.get(key).and_then(Value::as_object).into_iter().flatten() {
            alloc.insert(k.clone(), json!(v.to_string()));
        }
    }
    node(n["name"].as_str().unwrap(), json!({}), Value::Object(alloc))
}

fn strategy_cases(file: &str, list: &str, strategy: &str) -> usize {
    let v = vectors(file);
    let mut ran = 0;
    for case in v[list].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        // Weight validation errors are configuration errors (checked in config_rejects_bad_weights);
        // `resources: null` cannot reach the plugin through the v1 API, whose defaulting fills it.
        if case.get("expected_error").is_some() || case["resources"].is_null() {
            continue;
        }
        let mut objects: Vec<Value> = case["nodes"].as_array().unwrap().iter().map(resource_node).collect();
        for (i, p) in case["existing_pods"].as_array().unwrap().iter().enumerate() {
            let spec = json!({"containers": containers(&p["containers"])});
            objects.push(pod(&format!("existing-{i}"), p["node"].as_str(), spec));
        }
        objects.push(pod("incoming", None, json!({"containers": containers(&case["incoming_pod"]["containers"])})));
        let mut scoring = json!({"type": strategy});
        if case["resources"].is_array() {
            scoring["resources"] = case["resources"].clone();
        }
        if let Some(shape) = case.get("shape") {
            scoring["requestedToCapacityRatio"] = json!({"shape": shape});
        }
        let a = run(objects, "NodeResourcesFit", &["score"], Some(json!({"scoringStrategy": scoring})));
        assert_scores(&a, "NodeResourcesFit", &case["expected_scores"], name);
        ran += 1;
    }
    ran
}

#[test]
fn least_allocated_scores() {
    assert!(strategy_cases("least_allocated.json", "cases", "LeastAllocated") >= 5);
}

#[test]
fn most_allocated_scores() {
    assert!(strategy_cases("most_allocated.json", "cases", "MostAllocated") >= 4);
}

#[test]
fn requested_to_capacity_ratio_scores() {
    assert!(strategy_cases("requested_to_capacity_ratio.json", "strategy_cases", "RequestedToCapacityRatio") >= 2);
    let v = vectors("requested_to_capacity_ratio.json");
    let common = &v["bin_packing_single_extended_cases"]["common"];
    for case in v["bin_packing_single_extended_cases"]["cases"].as_array().unwrap() {
        let mut objects: Vec<Value> = common["nodes"].as_array().unwrap().iter().map(resource_node).collect();
        for (i, p) in case["existing_pods"].as_array().unwrap().iter().enumerate() {
            objects.push(pod(
                &format!("e{i}"),
                p["node"].as_str(),
                json!({"containers": containers(&p["containers"])}),
            ));
        }
        objects.push(pod("incoming", None, json!({"containers": containers(&case["incoming_pod"]["containers"])})));
        let scoring = json!({"type": "RequestedToCapacityRatio", "resources": common["resources"],
                             "requestedToCapacityRatio": {"shape": common["shape"]}});
        let a = run(objects, "NodeResourcesFit", &["score"], Some(json!({"scoringStrategy": scoring})));
        assert_scores(&a, "NodeResourcesFit", &case["expected_scores"], case["name"].as_str().unwrap());
    }
    for case in v["broken_linear_function_cases"].as_array().unwrap() {
        let shape: Vec<(i64, i64)> = case["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["utilization"].as_i64().unwrap(), p["score"].as_i64().unwrap()))
            .collect();
        for (p, want) in case["f"].as_object().unwrap() {
            let got =
                kube_playground::sim::scheduler::plugins::node_resources_fit::broken_linear(&shape, p.parse().unwrap());
            assert_eq!(got, want.as_i64().unwrap(), "f({p}) over {shape:?}");
        }
    }
}

#[test]
fn config_rejects_bad_weights() {
    for case in vectors("least_allocated.json")["cases"].as_array().unwrap() {
        if case.get("expected_error").is_none() {
            continue;
        }
        let profile = json!({"pluginConfig": [{"name": "NodeResourcesFit", "args": {"scoringStrategy": {"type": "LeastAllocated", "resources": case["resources"]}}}]});
        let cfg =
            json!({"apiVersion": config::API_VERSION, "kind": "KubeSchedulerConfiguration", "profiles": [profile]});
        let err = config::parse(&cfg).unwrap_err();
        assert!(err.contains("weight"), "{}: {err}", case["name"]);
    }
}

#[test]
fn node_resources_fit_filter() {
    let v = vectors("noderesources_fit_filter.json");
    let n = &v["node"];
    let alloc = json!({
        "cpu": format!("{}m", n["allocatable_cpu_milli"]),
        "memory": n["allocatable_memory_bytes"].to_string(),
        "pods": n["allocatable_pods"].to_string(),
        "example.com/aaa": n["example.com/aaa"].to_string(),
        "ephemeral-storage": n["ephemeral_storage_bytes"].to_string(),
        "hugepages-2Mi": n["hugepages-2Mi_bytes"].to_string(),
    });
    for case in v["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let existing = json!({"containers": containers(&json!([case["existing_usage"]]))});
        let spec = json!({"containers": containers(&case["pod"]["containers"]),
                          "initContainers": containers(&case["pod"]["initContainers"])});
        let objects = vec![
            node("n", json!({}), alloc.clone()),
            pod("existing", Some("n"), existing),
            pod("incoming", None, spec),
        ];
        let a = run(objects, "NodeResourcesFit", FILTER, None);
        let (code, message) = filter_outcome(&a, "n", "NodeResourcesFit");
        assert_eq!(code, case["expected"].as_str().unwrap(), "{name}");
        if let Some(reasons) = case.get("reasons") {
            let want: Vec<String> = serde_json::from_value(reasons.clone()).unwrap();
            assert_eq!(message.unwrap(), want.join(", "), "{name}");
        }
    }
}

#[test]
fn balanced_allocation_scores() {
    let v = vectors("balanced_allocation.json");
    let named = &v["conventions"]["named_pod_specs"];
    let spec = |p: &Value| -> (Value, Option<String>) {
        let p = if let Some(n) = p.as_str() { &named[n] } else { p };
        (
            json!({"containers": containers(&p["containers"])}),
            p.get("nodeName").and_then(Value::as_str).map(String::from),
        )
    };
    for case in v["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut objects: Vec<Value> = case["nodes"].as_array().unwrap().iter().map(resource_node).collect();
        for (i, p) in case["existing_pods"].as_array().unwrap().iter().enumerate() {
            let (s, node) = spec(p);
            objects.push(pod(&format!("e{i}"), node.as_deref(), s));
        }
        objects.push(pod("incoming", None, spec(&case["incoming_pod"]).0));
        let args = case.get("resources").map(|r| json!({"resources": r}));
        let a = run(objects, "NodeResourcesBalancedAllocation", SCORE, args);
        match case.get("expected_scores") {
            Some(expected) => assert_scores(&a, "NodeResourcesBalancedAllocation", expected, name),
            None => assert!(a.explain.score.is_empty(), "{name}: PreScore skipped the best-effort pod"),
        }
    }
}

// ------------------------------------------------------------------ node-local filters

#[test]
fn node_name_filter() {
    for case in vectors("node_name.json")["cases"].as_array().unwrap() {
        let spec = json!({"nodeName": case["pod_nodeName"]});
        let node_name = case["node_name"].as_str().unwrap();
        // A pod that names a node is bound already, so `kubesim schedule` never filters it; the
        // plugin's Filter is called directly on the snapshot the batch builds.
        let mut incoming = pod("incoming", None, spec);
        incoming["spec"]["nodeName"] = case["pod_nodeName"].clone();
        let objects: Vec<Object> = vec![obj(node(node_name, json!({}), json!({})))];
        let (snap, _) = batch::snapshot(&objects);
        let incoming: kube_playground::sim::api::Pod = serde_json::from_value(incoming).unwrap();
        let status =
            kube_playground::sim::scheduler::plugins::node_name::filter(&incoming, snap.node(node_name).unwrap());
        let code = if status.is_success() { "Success" } else { "UnschedulableAndUnresolvable" };
        assert_eq!(code, case["expected"].as_str().unwrap());
        if let Some(r) = case.get("reason") {
            assert_eq!(status.message(), r.as_str().unwrap());
        }
    }
}

#[test]
fn node_unschedulable_filter() {
    for case in vectors("node_unschedulable.json")["cases"].as_array().unwrap() {
        let mut n = node("n", json!({}), json!({}));
        n["spec"] = json!({"unschedulable": case["node_unschedulable"]});
        let objects = vec![n, pod("incoming", None, json!({"tolerations": case["pod_tolerations"]}))];
        let a = run(objects, "NodeUnschedulable", &["filter"], None);
        check_filter(&a, "n", "NodeUnschedulable", &case["expected"], case["name"].as_str().unwrap());
    }
}

#[test]
fn taint_toleration_filter_and_score() {
    let v = vectors("taint_toleration.json");
    // Gt/Lt are alpha (TaintTolerationComparisonOperators, off by default): not modelled.
    let gated = |c: &Value| c.get("feature_gate_comparison_ops").and_then(Value::as_bool) == Some(true);
    let mut ran = 0;
    for case in v["filter_cases"].as_array().unwrap().iter().filter(|c| !gated(c)) {
        let mut n = node("n", json!({}), json!({}));
        n["spec"] = json!({"taints": case["node_taints"]});
        let objects = vec![n, pod("incoming", None, json!({"tolerations": case["pod_tolerations"]}))];
        let a = run(objects, "TaintToleration", &["filter"], None);
        check_filter(&a, "n", "TaintToleration", &case["expected"], case["name"].as_str().unwrap());
        ran += 1;
    }
    for case in v["score_cases"].as_array().unwrap().iter().filter(|c| !gated(c)) {
        let mut objects = Vec::new();
        for (name, taints) in case["nodes"].as_object().unwrap() {
            let mut n = node(name, json!({}), json!({}));
            n["spec"] = json!({"taints": taints});
            objects.push(n);
        }
        objects.push(pod("incoming", None, json!({"tolerations": case["pod_tolerations"]})));
        let a = run(objects, "TaintToleration", SCORE, None);
        assert_scores(&a, "TaintToleration", &case["expected_scores"], case["name"].as_str().unwrap());
        ran += 1;
    }
    assert!(ran >= 9, "ran {ran}");
}

#[test]
fn node_ports_filter() {
    for case in vectors("node_ports.json")["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let ports = |list: &Value| {
            let ports: Vec<Value> = list
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|p| json!({"containerPort": p["hostPort"], "hostPort": p["hostPort"], "hostIP": p["hostIP"], "protocol": p["protocol"]}))
                .collect();
            json!({"containers": [{"name": "c", "image": "i", "ports": ports}]})
        };
        let objects = vec![
            node("m1", json!({}), json!({})),
            pod("existing", Some("m1"), ports(&case["existing_pod_on_node_ports"])),
            pod("incoming", None, ports(&case["incoming_pod_ports"])),
        ];
        let a = run(objects, "NodePorts", FILTER, None);
        let (code, _) = filter_outcome(&a, "m1", "NodePorts");
        match case["expected"].as_str().unwrap() {
            skip if skip.starts_with("PreFilter returns Skip") => {
                assert!(!a.explain.filter.get("m1").is_some_and(|p| p.contains_key("NodePorts")), "{name}")
            }
            want => assert_eq!(code, want, "{name}"),
        }
    }
}

// ------------------------------------------------------------------ NodeAffinity

fn required_affinity(terms: &Value) -> Value {
    json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}})
}

#[test]
fn node_affinity_filter() {
    let v = vectors("node_affinity.json");
    for case in v["filter_cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let node_name = case.get("node_name").and_then(Value::as_str).unwrap_or("node");
        let mut spec = json!({});
        if let Some(sel) = case["pod"].get("nodeSelector") {
            spec["nodeSelector"] = sel.clone();
        }
        if let Some(req) = case["pod"].get("required") {
            spec["affinity"] = required_affinity(req);
        }
        let labels = case.get("node_labels").cloned().unwrap_or(json!({}));
        let objects = vec![node(node_name, labels, json!({})), pod("incoming", None, spec)];
        let args = case.get("args_addedAffinity_required").map(
            |t| json!({"addedAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": t}}}),
        );
        let a = run(objects, "NodeAffinity", FILTER, args);
        check_filter(&a, node_name, "NodeAffinity", &case["expected"], name);
    }
}

#[test]
fn node_affinity_score() {
    let v = vectors("node_affinity.json");
    let defs = &v["score"]["definitions"];
    for case in v["score"]["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut objects: Vec<Value> = case["nodes"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(n, l)| node(n, defs[l.as_str().unwrap()].clone(), json!({})))
            .collect();
        let mut spec = json!({});
        if let Some(p) = case["pod_preferred"].as_str() {
            spec["affinity"] = json!({"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": defs[p]}});
        }
        objects.push(pod("incoming", None, spec));
        let args = case
            .get("args_addedAffinity_preferred")
            .map(|p| json!({"addedAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": defs[p.as_str().unwrap()]}}));
        let a = run(objects, "NodeAffinity", SCORE, args);
        if case["expected_scores"].as_object().unwrap().values().all(|s| s == 0) && a.explain.final_score.is_empty() {
            continue; // PreScore returned Skip: no preferred terms, every node scores 0.
        }
        assert_scores(&a, "NodeAffinity", &case["expected_scores"], name);
    }
}

// ------------------------------------------------------------------ PodTopologySpread

/// `Exists(foo)` → a labelSelector.
fn selector(text: &Value) -> Value {
    match text.as_str() {
        Some(t) => {
            let key = t.trim_start_matches("Exists(").trim_end_matches(')');
            json!({"matchExpressions": [{"key": key, "operator": "Exists"}]})
        }
        None => Value::Null,
    }
}

fn constraints(list: &Value, when: &str) -> Value {
    Value::Array(
        list.as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let mut c = c.clone();
                c["labelSelector"] = if c.get("labelSelector").is_some() {
                    selector(&c["labelSelector"])
                } else {
                    selector(&json!("Exists(foo)"))
                };
                c.as_object_mut().unwrap().entry("whenUnsatisfiable").or_insert(json!(when));
                c
            })
            .collect(),
    )
}

#[test]
fn pod_topology_spread_filter() {
    let v = vectors("pod_topology_spread_filter.json");
    for case in v["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut objects = Vec::new();
        for (n, labels) in case["node_labels"].as_object().unwrap() {
            let mut nd = node(n, labels.clone(), json!({}));
            if let Some(t) = case.get("node_taints").and_then(|t| t.get(n)) {
                nd["spec"] = json!({"taints": t});
            }
            objects.push(nd);
        }
        for p in case["existing_pods"].as_array().unwrap() {
            let mut e = with_labels(pod(p["name"].as_str().unwrap(), p["node"].as_str(), json!({})), &p["labels"]);
            if let Some(ns) = p.get("namespace") {
                e["metadata"]["namespace"] = ns.clone();
            }
            objects.push(e);
        }
        let mut spec = json!({"topologySpreadConstraints": constraints(&case["constraints"], "DoNotSchedule")});
        if let Some(req) = case.get("pod_required_node_affinity") {
            spec["affinity"] = required_affinity(req);
        }
        if let Some(sel) = case.get("pod_nodeSelector") {
            spec["nodeSelector"] = sel.clone();
        }
        objects.push(with_labels(pod("incoming", None, spec), &case["pod_labels"]));
        let a = run(objects, "PodTopologySpread", FILTER, None);
        for (n, want) in case["expected"].as_object().unwrap() {
            let (code, _) = filter_outcome(&a, n, "PodTopologySpread");
            assert_eq!(code, want.as_str().unwrap(), "{name}: {n}");
        }
    }
}

#[test]
fn pod_topology_spread_score() {
    let v = vectors("pod_topology_spread_score.json");
    for case in v["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut objects = Vec::new();
        for (n, labels) in case["nodes"].as_object().unwrap() {
            objects.push(node(n, labels.clone(), json!({})));
        }
        // Nodes that failed Filter: cordoned, and NodeUnschedulable runs as the only filter.
        for (n, labels) in case["failed_nodes"].as_object().unwrap() {
            let mut nd = node(n, labels.clone(), json!({}));
            nd["spec"] = json!({"unschedulable": true});
            objects.push(nd);
        }
        for (n, count) in case["pod_counts_matching"].as_object().unwrap() {
            for i in 0..count.as_i64().unwrap_or(0) {
                objects.push(with_labels(pod(&format!("{n}-{i}"), Some(n), json!({})), &json!({"foo": ""})));
            }
        }
        let spec = json!({"topologySpreadConstraints": constraints(&case["constraints"], "ScheduleAnyway")});
        objects.push(with_labels(pod("incoming", None, spec), &json!({"foo": ""})));
        let objects: Vec<Object> = objects.into_iter().map(obj).collect();
        let cfg = json!({"apiVersion": config::API_VERSION, "kind": "KubeSchedulerConfiguration", "profiles": [{
            "plugins": {"multiPoint": {"disabled": [{"name": "*"}]},
                        "filter": {"enabled": [{"name": "NodeUnschedulable"}]},
                        "preScore": {"enabled": [{"name": "PodTopologySpread"}]},
                        "score": {"enabled": [{"name": "PodTopologySpread", "weight": 1}]}}}]});
        let a = batch::schedule(&objects, &config::parse(&cfg).unwrap(), 1).pop().unwrap();
        assert_scores(&a, "PodTopologySpread", &case["expected_scores"], name);
    }
}

// ------------------------------------------------------------------ InterPodAffinity

fn term(t: &Value) -> Value {
    let mut expr = json!({"key": t["key"], "operator": t["op"]});
    if let Some(vals) = t.get("values") {
        expr["values"] = vals.clone();
    }
    json!({"labelSelector": {"matchExpressions": [expr]}, "topologyKey": t["topologyKey"]})
}

fn affinity_from_terms(p: &Value) -> Value {
    let list = |k: &str| Value::Array(p.get(k).and_then(Value::as_array).into_iter().flatten().map(term).collect());
    json!({"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": list("affinity")},
           "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": list("antiAffinity")}})
}

#[test]
fn inter_pod_affinity_filter() {
    let v = vectors("inter_pod_affinity.json");
    let common = &v["filter_common"];
    for case in v["filter_cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let n1 = &common["node1"];
        let mut objects = vec![node("node1", n1["labels"].clone(), json!({}))];
        let existing = match &case["existing"] {
            Value::String(_) => vec![common["default_existing_pod"].clone()],
            list => list.as_array().unwrap().clone(),
        };
        for (i, e) in existing.iter().enumerate() {
            let spec = json!({"affinity": affinity_from_terms(e)});
            objects.push(with_labels(pod(&format!("e{i}"), e["node"].as_str(), spec), &e["labels"]));
        }
        let p = &case["pod"];
        let labels = p.get("labels").cloned().unwrap_or(json!({}));
        objects.push(with_labels(pod("incoming", None, json!({"affinity": affinity_from_terms(p)})), &labels));
        let a = run(objects, "InterPodAffinity", FILTER, None);
        check_filter(&a, "node1", "InterPodAffinity", &case["expected"], name);
    }
}

/// `security In [S1, value2]`, `security Exists AND wrongkey DoesNotExist` → a labelSelector.
fn parse_selector(text: &str) -> Value {
    let exprs: Vec<Value> = text
        .split(" AND ")
        .map(|e| {
            let mut parts = e.splitn(3, ' ');
            let (key, op) = (parts.next().unwrap(), parts.next().unwrap());
            let mut x = json!({"key": key, "operator": op});
            if let Some(vals) = parts.next() {
                let vals: Vec<&str> = vals.trim_matches(|c| c == '[' || c == ']').split(", ").collect();
                x["values"] = json!(vals);
            }
            x
        })
        .collect();
    json!({"matchExpressions": exprs})
}

fn named_affinity(def: &Value) -> Value {
    let t = |x: &Value| json!({"labelSelector": parse_selector(x["selector"].as_str().unwrap()), "topologyKey": x["topologyKey"]});
    let w = |k: &str| -> Value {
        Value::Array(
            def.get(k)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|x| json!({"weight": x["weight"], "podAffinityTerm": t(x)}))
                .collect(),
        )
    };
    let r = |k: &str| -> Value {
        Value::Array(def.get(k).and_then(Value::as_array).into_iter().flatten().map(t).collect())
    };
    json!({"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": r("requiredAffinity"),
                           "preferredDuringSchedulingIgnoredDuringExecution": w("preferredAffinity")},
           "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": w("preferredAntiAffinity")}})
}

#[test]
fn inter_pod_affinity_score() {
    let v = vectors("inter_pod_affinity.json");
    let c = &v["score_common"];
    let labels = |l: &Value| match l {
        Value::String(s) => c["pod_labels"][s].clone(),
        other => other.clone(),
    };
    let mut ran = 0;
    for case in v["score_cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut objects: Vec<Value> = case["nodes"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(n, l)| node(n, c["node_labels"][l.as_str().unwrap()].clone(), json!({})))
            .collect();
        let spec_of = |p: &Value| match p.get("affinity").and_then(Value::as_str) {
            Some(a) => json!({"affinity": named_affinity(&c["affinities"][a])}),
            None => json!({}),
        };
        for (i, e) in case["existing"].as_array().unwrap().iter().enumerate() {
            objects.push(with_labels(pod(&format!("e{i}"), e["node"].as_str(), spec_of(e)), &labels(&e["labels"])));
        }
        let p = &case["pod"];
        objects.push(with_labels(pod("incoming", None, spec_of(p)), &labels(p.get("labels").unwrap_or(&json!({})))));
        let args = case.get("args").cloned();
        let a = run(objects, "InterPodAffinity", SCORE, args);
        match case.get("expected_scores") {
            Some(expected) => assert_scores(&a, "InterPodAffinity", expected, name),
            None => assert!(a.explain.score.is_empty(), "{name}: PreScore returned Skip"),
        }
        ran += 1;
    }
    assert!(ran >= 6, "ran {ran}");
}

// ------------------------------------------------------------------ ImageLocality

#[test]
fn image_locality_scores() {
    let v = vectors("image_locality.json");
    for case in v["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut objects = Vec::new();
        for (n, kind) in case["nodes"].as_object().unwrap() {
            let images: Vec<Value> = v["node_images"][kind.as_str().unwrap()]
                .as_object()
                .unwrap()
                .iter()
                .map(|(names, size)| json!({"names": names.split('|').collect::<Vec<_>>(), "sizeBytes": size}))
                .collect();
            let mut nd = node(n, json!({}), json!({}));
            nd["status"]["images"] = json!(images);
            objects.push(nd);
        }
        let list = |k: &str| -> Value {
            Value::Array(
                case.get(k)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                    .map(|(i, img)| json!({"name": format!("{k}{i}"), "image": img}))
                    .collect(),
            )
        };
        objects.push(pod(
            "incoming",
            None,
            json!({"containers": list("pod_containers"), "initContainers": list("pod_initContainers")}),
        ));
        let a = run(objects, "ImageLocality", &["score"], None);
        assert_scores(&a, "ImageLocality", &case["expected_scores"], name);
    }
}

#[test]
fn default_normalize_score_vectors() {
    for case in vectors("normalize_score.json")["cases"].as_array().unwrap() {
        let mut scores: Vec<i64> = serde_json::from_value(case["scores"].clone()).unwrap();
        let want: Vec<i64> = serde_json::from_value(case["expected"].clone()).unwrap();
        default_normalize_score(&mut scores, case["reverse"].as_bool().unwrap());
        assert_eq!(scores, want);
    }
}
