//! kube-proxy's endpoint selection against upstream's TestCategorizeEndpoints cases
//! (tests/conformance/kube_proxy_categorize_endpoints.json), through the function the
//! proxier uses.

use kube_playground::sim::proxy::topology::{categorize, Endpoint, Policy};
use serde_json::Value;

fn load() -> Value {
    let path = format!("{}/tests/conformance/kube_proxy_categorize_endpoints.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn addrs(list: &[Endpoint]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|e| e.addr.clone()).collect();
    v.sort();
    v
}

fn expected(v: &Value) -> Option<Vec<String>> {
    let mut list: Vec<String> = v.as_array()?.iter().filter_map(|s| s.as_str().map(String::from)).collect();
    list.sort();
    Some(list)
}

#[test]
fn categorize_endpoints_matches_upstream() {
    let doc = load();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 12);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let eps: Vec<Endpoint> = case["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| Endpoint {
                addr: e["endpoint"].as_str().unwrap().to_string(),
                ready: e["ready"].as_bool().unwrap_or(false),
                serving: e["serving"].as_bool().unwrap_or(false),
                terminating: e["terminating"].as_bool().unwrap_or(false),
                local: e["isLocal"].as_bool().unwrap_or(false),
                zone_hints: e["zoneHints"]
                    .as_array()
                    .map(|z| z.iter().filter_map(|s| s.as_str().map(String::from)).collect())
                    .unwrap_or_default(),
            })
            .collect();
        let svc = &case["service"];
        let policy = Policy {
            internal_local: svc["internalPolicyLocal"].as_bool().unwrap_or(false),
            external_local: svc["externalPolicyLocal"].as_bool().unwrap_or(false),
            externally_accessible: svc["nodePort"].as_i64().unwrap_or(0) > 0,
            topology: true,
        };
        let labels: kube_playground::sim::api::Labels = case["nodeLabels"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string())).collect())
            .unwrap_or_default();
        let got = categorize(&eps, &policy, &labels);
        assert_eq!(got.cluster.as_deref().map(addrs), expected(&case["clusterEndpoints"]), "{name}: cluster");
        assert_eq!(got.local.as_deref().map(addrs), expected(&case["localEndpoints"]), "{name}: local");
        let all = expected(&case["allEndpoints"])
            .or_else(|| expected(&case["clusterEndpoints"]))
            .or_else(|| expected(&case["localEndpoints"]))
            .unwrap_or_default();
        assert_eq!(addrs(&got.all), all, "{name}: all");
        let only_remote = case["onlyRemoteEndpoints"].as_bool().unwrap_or(false);
        let has_any = case["hasAnyEndpoints"].as_bool().unwrap_or(!all.is_empty() || only_remote);
        assert_eq!(got.has_any, has_any, "{name}: hasAnyEndpoints");
    }
}
