//! kube-scheduler plugins against upstream test vectors (tests/conformance/*.json), through the
//! same functions the simulated scheduler calls. Cases that need configuration or alpha
//! features the simulator does not model are listed and skipped explicitly.

use kube_playground::sim::api::*;
use kube_playground::sim::scheduler::framework::{pod_non_zero_requests, Code, NodeInfo, Status};
use kube_playground::sim::scheduler::plugins::{node_name, node_resources_fit, node_unschedulable, taint_toleration};
use kube_playground::sim::scheduler::{default_normalize_score, filter};
use serde_json::Value;
use std::collections::BTreeMap;

fn vectors(name: &str) -> Value {
    let path = format!("{}/tests/conformance/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn node(name: &str, allocatable: &[(&str, String)]) -> Node {
    let mut n = Node { metadata: ObjectMeta::named("", name), ..Default::default() };
    n.status.allocatable = allocatable.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    n.status.allocatable.entry("pods".into()).or_insert_with(|| "32".into());
    n
}

fn container(requests: &serde_json::Map<String, Value>) -> Container {
    let requests: ResourceList = requests
        .iter()
        .map(|(k, v)| match (k.as_str(), v) {
            ("cpu_milli", v) => ("cpu".to_string(), format!("{}m", v.as_i64().unwrap())),
            (k, Value::String(s)) => (k.to_string(), s.clone()),
            (k, v) => (k.to_string(), v.as_i64().unwrap().to_string()),
        })
        .collect();
    Container {
        name: "c".into(),
        image: "i".into(),
        resources: ResourceRequirements { requests, ..Default::default() },
        ..Default::default()
    }
}

fn pod(v: &Value) -> Pod {
    let list = |key: &str| {
        v.get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|c| container(c.as_object().unwrap())).collect())
            .unwrap_or_default()
    };
    Pod {
        spec: PodSpec { containers: list("containers"), init_containers: list("initContainers"), ..Default::default() },
        ..Default::default()
    }
}

fn tolerations(v: &Value) -> Vec<Toleration> {
    serde_json::from_value(v.clone()).unwrap()
}

fn taints(v: &Value) -> Vec<Taint> {
    serde_json::from_value(v.clone()).unwrap()
}

fn code_name(c: Code) -> &'static str {
    match c {
        Code::Success => "Success",
        Code::Error => "Error",
        Code::Unschedulable => "Unschedulable",
        Code::UnschedulableAndUnresolvable => "UnschedulableAndUnresolvable",
        Code::Wait => "Wait",
        Code::Skip => "Skip",
    }
}

#[test]
fn least_allocated_scores() {
    let v = vectors("least_allocated.json");
    let mut ran = 0;
    for case in v["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        // Scoring-strategy validation (weights, missing resources) is configuration the
        // simulator does not expose yet.
        if case.get("expected_error").is_some() || case["resources"].is_null() {
            continue;
        }
        let resources: Vec<(String, i64)> = match &case["resources"] {
            Value::String(_) => vec![("cpu".into(), 1), ("memory".into(), 1)],
            list => list
                .as_array()
                .unwrap()
                .iter()
                .map(|r| (r["name"].as_str().unwrap().to_string(), r["weight"].as_i64().unwrap()))
                .collect(),
        };
        let weights: Vec<(&str, i64)> = resources.iter().map(|(n, w)| (n.as_str(), *w)).collect();
        let incoming = pod(&case["incoming_pod"]);
        for n in case["nodes"].as_array().unwrap() {
            let node_name = n["name"].as_str().unwrap();
            let mut alloc = Vec::new();
            if let Some(cpu) = n.get("cpu_quantity") {
                alloc.push(("cpu", cpu.as_str().unwrap().to_string()));
                alloc.push(("memory", n["memory_quantity"].as_str().unwrap().to_string()));
            }
            let ext: BTreeMap<String, i64> =
                n.get("extended_allocatable").map(|e| serde_json::from_value(e.clone()).unwrap()).unwrap_or_default();
            let ext_alloc: Vec<(String, String)> = ext.iter().map(|(k, v)| (k.clone(), v.to_string())).collect();
            alloc.extend(ext_alloc.iter().map(|(k, v)| (k.as_str(), v.clone())));
            let mut info = NodeInfo::new(node(node_name, &alloc));
            for p in case["existing_pods"].as_array().unwrap() {
                if p["node"] == node_name {
                    info.add_pod(&pod(p));
                }
            }
            let score = node_resources_fit::least_allocated(
                &pod_non_zero_requests(&incoming),
                &info.non_zero_requested,
                &info.allocatable,
                &weights,
            );
            assert_eq!(score, case["expected_scores"][node_name].as_i64().unwrap(), "{name}: {node_name}");
            if weights == node_resources_fit::DEFAULT_RESOURCES {
                assert_eq!(score, node_resources_fit::score(&incoming, &info), "{name}: the plugin's Score agrees");
            }
        }
        ran += 1;
    }
    assert!(ran >= 5, "ran {ran} cases");
}

#[test]
fn node_resources_fit_filter() {
    let v = vectors("noderesources_fit_filter.json");
    let n = &v["node"];
    let alloc = vec![
        ("cpu", format!("{}m", n["allocatable_cpu_milli"])),
        ("memory", n["allocatable_memory_bytes"].to_string()),
        ("pods", n["allocatable_pods"].to_string()),
        ("example.com/aaa", n["example.com/aaa"].to_string()),
        ("ephemeral-storage", n["ephemeral_storage_bytes"].to_string()),
        ("hugepages-2Mi", n["hugepages-2Mi_bytes"].to_string()),
    ];
    for case in v["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut info = NodeInfo::new(node("n", &alloc));
        info.add_pod(&Pod {
            spec: PodSpec {
                containers: vec![container(case["existing_usage"].as_object().unwrap())],
                ..Default::default()
            },
            ..Default::default()
        });
        let status = node_resources_fit::filter(&pod(&case["pod"]), &info);
        assert_eq!(code_name(status.code), case["expected"].as_str().unwrap(), "{name}");
        if let Some(reasons) = case.get("reasons") {
            let want: Vec<String> = serde_json::from_value(reasons.clone()).unwrap();
            assert_eq!(status.reasons, want, "{name}");
        }
    }
}

#[test]
fn node_name_filter() {
    for case in vectors("node_name.json")["cases"].as_array().unwrap() {
        let mut p = Pod::default();
        p.spec.node_name = case["pod_nodeName"].as_str().unwrap().into();
        let info = NodeInfo::new(node(case["node_name"].as_str().unwrap(), &[]));
        let s = node_name::filter(&p, &info);
        assert_eq!(code_name(s.code), case["expected"].as_str().unwrap());
        if let Some(r) = case.get("reason") {
            assert_eq!(s.reasons, vec![r.as_str().unwrap().to_string()]);
        }
    }
}

fn check_expected(s: &Status, expected: &Value, name: &str) {
    assert_eq!(code_name(s.code), expected["code"].as_str().unwrap(), "{name}");
    if let Some(m) = expected.get("message") {
        assert_eq!(s.reasons, vec![m.as_str().unwrap().to_string()], "{name}");
    }
}

#[test]
fn node_unschedulable_filter() {
    for case in vectors("node_unschedulable.json")["cases"].as_array().unwrap() {
        let mut n = node("n", &[]);
        n.spec.unschedulable = case["node_unschedulable"].as_bool().unwrap();
        let mut p = Pod::default();
        p.spec.tolerations = tolerations(&case["pod_tolerations"]);
        check_expected(
            &node_unschedulable::filter(&p, &NodeInfo::new(n)),
            &case["expected"],
            case["name"].as_str().unwrap(),
        );
    }
}

#[test]
fn taint_toleration_filter_and_score() {
    let v = vectors("taint_toleration.json");
    // Gt/Lt are alpha (TaintTolerationComparisonOperators, off by default): not modelled.
    let gated = |c: &Value| c.get("feature_gate_comparison_ops").and_then(Value::as_bool) == Some(true);
    let mut ran = 0;
    for case in v["filter_cases"].as_array().unwrap().iter().filter(|c| !gated(c)) {
        let mut n = node("n", &[]);
        n.spec.taints = taints(&case["node_taints"]);
        let mut p = Pod::default();
        p.spec.tolerations = tolerations(&case["pod_tolerations"]);
        let name = case["name"].as_str().unwrap();
        let info = NodeInfo::new(n);
        check_expected(&taint_toleration::filter(&p, &info), &case["expected"], name);
        // The scheduler's whole Filter phase agrees when no other plugin objects.
        assert_eq!(filter(&p, &info).code == Code::Success, case["expected"]["code"] == "Success", "{name}");
        ran += 1;
    }
    for case in v["score_cases"].as_array().unwrap().iter().filter(|c| !gated(c)) {
        let mut p = Pod::default();
        p.spec.tolerations = tolerations(&case["pod_tolerations"]);
        let nodes: BTreeMap<String, Value> = serde_json::from_value(case["nodes"].clone()).unwrap();
        let raw: Vec<i64> = nodes
            .iter()
            .map(|(name, t)| {
                let mut n = node(name, &[]);
                n.spec.taints = taints(t);
                taint_toleration::score(&p, &NodeInfo::new(n))
            })
            .collect();
        let normalized = default_normalize_score(100, true, &raw);
        for ((name, _), score) in nodes.iter().zip(normalized) {
            assert_eq!(score, case["expected_scores"][name].as_i64().unwrap(), "{}: {name}", case["name"]);
        }
        ran += 1;
    }
    assert!(ran >= 9, "ran {ran}");
}

#[test]
fn default_normalize_score_vectors() {
    for case in vectors("normalize_score.json")["cases"].as_array().unwrap() {
        let scores: Vec<i64> = serde_json::from_value(case["scores"].clone()).unwrap();
        let want: Vec<i64> = serde_json::from_value(case["expected"].clone()).unwrap();
        assert_eq!(default_normalize_score(100, case["reverse"].as_bool().unwrap(), &scores), want);
    }
}
