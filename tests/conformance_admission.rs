//! Admission against upstream vectors (tests/conformance/admission_*.json): LimitRanger,
//! ResourceQuota and NamespaceLifecycle, through `admission::mutate` / `admission::validate`
//! — the entry points the simulated kube-apiserver calls — with the vectors' objects standing
//! in for its watch cache.

use kube_playground::sim::api::request::{ApiRequest, Verb};
use kube_playground::sim::api::resource::ResourceInfo;
use kube_playground::sim::api::*;
use kube_playground::sim::apiserver::admission::{self, limit_ranger, namespace_lifecycle, Chain, Lookup};
use serde_json::Value;

fn vectors(name: &str) -> Value {
    let path = format!("{}/tests/conformance/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The objects the plugins look up, as the apiserver's cache would hold them.
struct Cache(Vec<Object>);

impl Lookup for Cache {
    fn namespaced(&self, plural: &str, namespace: &str) -> Vec<&Object> {
        let kind = ResourceInfo::of(plural).kind;
        self.0.iter().filter(|o| o.kind() == kind && o.meta().namespace == namespace).collect()
    }
    fn cluster(&self, plural: &str) -> Vec<&Object> {
        let kind = ResourceInfo::of(plural).kind;
        self.0.iter().filter(|o| o.kind() == kind).collect()
    }
}

fn list(v: &Value) -> ResourceList {
    v.as_object()
        .map(|m| m.iter().map(|(k, q)| (k.clone(), q.as_str().unwrap().to_string())).collect())
        .unwrap_or_default()
}

fn container(name: String, v: &Value) -> Container {
    let resources = ResourceRequirements { requests: list(&v["requests"]), limits: list(&v["limits"]) };
    Container { name, image: "nginx".into(), resources, ..Default::default() }
}

fn pod(namespace: &str, v: &Value) -> Pod {
    let mut p = Pod { metadata: ObjectMeta::named(namespace, "pod"), ..Default::default() };
    for (i, c) in v["containers"].as_array().unwrap().iter().enumerate() {
        let name = c["name"].as_str().map_or(format!("foo-{i}"), str::to_string);
        p.spec.containers.push(container(name, c));
    }
    for (i, c) in v["initContainers"].as_array().into_iter().flatten().enumerate() {
        p.spec.init_containers.push(container(format!("init-{i}"), c));
    }
    p.spec.active_deadline_seconds = v["activeDeadlineSeconds"].as_i64();
    p
}

fn item(v: &Value) -> LimitRangeItem {
    LimitRangeItem {
        type_: v["type"].as_str().unwrap().into(),
        max: list(&v["max"]),
        min: list(&v["min"]),
        default: list(&v["default"]),
        default_request: list(&v["defaultRequest"]),
        max_limit_request_ratio: list(&v["maxLimitRequestRatio"]),
    }
}

/// A LimitRange as stored: the API's defaulting applied to each item.
fn limit_range(namespace: &str, items: Vec<LimitRangeItem>) -> LimitRange {
    let mut lr =
        LimitRange { metadata: ObjectMeta::named(namespace, "limits"), spec: LimitRangeSpec { limits: items } };
    for i in &mut lr.spec.limits {
        limit_ranger::default_item(i);
    }
    lr
}

fn create(obj: &Object, sub: &str) -> ApiRequest {
    let res = ResourceInfo::by_kind(obj.kind()).unwrap();
    let mut req = ApiRequest::new(Verb::Create, res, &obj.meta().namespace, "").with_body(obj.clone());
    req.subresource = sub.into();
    req
}

#[test]
fn limit_range_items_default_as_the_api_does() {
    let v = vectors("admission_limitranger.json");
    let lr = limit_range("test", v["validLimitRange"]["limits"].as_array().unwrap().iter().map(item).collect());
    let case = &v["defaulting_cases"][0];
    let container = lr.spec.limits.iter().find(|i| i.type_ == "Container").unwrap();
    assert_eq!(container.default_request, list(&case["expected_defaults"]["requests"]), "{}", case["name"]);
    assert_eq!(container.default, list(&case["expected_defaults"]["limits"]), "{}", case["name"]);
}

#[test]
fn limit_ranger_fills_missing_resources_and_annotates() {
    let v = vectors("admission_limitranger.json");
    let lr = limit_range("test", v["validLimitRange"]["limits"].as_array().unwrap().iter().map(item).collect());
    let cache = Cache(vec![Object::LimitRange(lr)]);
    for case in v["defaulting_cases"].as_array().unwrap().iter().skip(1) {
        let original = Object::Pod(Box::new(pod("test", &case["pod"])));
        let mut obj = original.clone();
        let only = Chain { enabled: vec!["LimitRanger".into()], flag: vec![], disabled: vec![] };
        admission::mutate(&only, &create(&original, ""), &mut obj, &cache, &mut vec![]).unwrap();
        let Object::Pod(p) = &obj else { unreachable!() };
        let annotation = p.metadata.annotations.get(limit_ranger::ANNOTATION).cloned();
        assert_eq!(annotation.as_deref(), case["expected_annotation"].as_str(), "{}", case["name"]);
        if case["expected"] == "unchanged" {
            let Object::Pod(before) = &original else { unreachable!() };
            assert_eq!(p.spec.containers, before.spec.containers, "{}", case["name"]);
            assert_eq!(p.spec.init_containers, before.spec.init_containers, "{}", case["name"]);
        } else {
            let want = &case["expected_container_resources"];
            assert_eq!(p.spec.containers[0].resources.requests, list(&want["requests"]), "{}", case["name"]);
            assert_eq!(p.spec.containers[0].resources.limits, list(&want["limits"]), "{}", case["name"]);
        }
    }
}

#[test]
fn limit_ranger_enforces_min_max_and_ratio() {
    let v = vectors("admission_limitranger.json");
    let cases = &v["validation_cases"];
    for (key, admitted) in [("success", true), ("error", false)] {
        for case in cases[key].as_array().unwrap() {
            let mut p = pod("test", &serde_json::json!({ "containers": [], "initContainers": case["initContainers"] }));
            let n = case["containers"].as_u64().unwrap();
            for i in 0..n {
                p.spec.containers.push(container(format!("foo-{i}"), case));
            }
            // validation_cases build the item directly (createLimitRange), without API defaulting.
            let lr = LimitRange {
                metadata: ObjectMeta::named("test", "limits"),
                spec: LimitRangeSpec { limits: vec![item(&case["limitRange"])] },
            };
            let cache = Cache(vec![Object::LimitRange(lr)]);
            let obj = Object::Pod(Box::new(p));
            let got = admission::validate(&Chain::default(), &create(&obj, ""), &obj, &cache, &mut vec![]);
            assert_eq!(got.is_ok(), admitted, "{key} {}: {got:?}", case["pod"]);
            if let Err(s) = got {
                assert_eq!(s.code, 403, "{}", case["pod"]);
                assert!(s.message.starts_with("pods \"pod\" is forbidden: "), "{}", s.message);
            }
        }
    }
}

#[test]
fn limit_ranger_acts_on_creates_not_subresources() {
    let v = vectors("admission_limitranger.json");
    let mut items: Vec<LimitRangeItem> = v["validLimitRange"]["limits"].as_array().unwrap().iter().map(item).collect();
    for i in &mut items {
        i.default.clear();
        i.default_request.clear();
    }
    // validLimitRangeNoDefaults: min/max without defaults, stored without API defaulting.
    let lr = LimitRange { metadata: ObjectMeta::named("test", "limits"), spec: LimitRangeSpec { limits: items } };
    let cache = Cache(vec![Object::LimitRange(lr)]);
    let obj = Object::Pod(Box::new(pod("test", &serde_json::json!({ "containers": [{}] }))));
    let denied = admission::validate(&Chain::default(), &create(&obj, ""), &obj, &cache, &mut vec![]).unwrap_err();
    assert!(denied.message.contains("maximum cpu usage per Container is 100m.  No limit is specified"), "{denied:?}");
    let mut status = create(&obj, "status");
    status.verb = Verb::Update;
    assert!(admission::validate(&Chain::default(), &status, &obj, &cache, &mut vec![]).is_ok());
}

fn quota(v: &Value, namespace: &str) -> ResourceQuota {
    ResourceQuota {
        metadata: ObjectMeta::named(namespace, v["name"].as_str().unwrap()),
        spec: ResourceQuotaSpec {
            hard: list(&v["hard"]),
            scopes: v["scopes"].as_array().into_iter().flatten().map(|s| s.as_str().unwrap().into()).collect(),
        },
        status: ResourceQuotaStatus { hard: list(&v["hard"]), used: list(&v["used"]) },
    }
}

#[test]
fn resource_quota_charges_or_refuses_as_upstream() {
    let v = vectors("admission_resourcequota.json");
    for case in v["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let quotas: Vec<ResourceQuota> = match case.get("quotas") {
            Some(qs) => qs.as_array().unwrap().iter().map(|q| quota(q, "test")).collect(),
            None => vec![quota(&case["quota"], "test")],
        };
        let cache = Cache(quotas.iter().cloned().map(Object::ResourceQuota).collect());
        let obj = Object::Pod(Box::new(pod("test", &case["pod"])));
        let expected = &case["expected"];
        if let Some(sub) = expected.get("CREATE pods/<subresource>") {
            let main = admission::validate(&Chain::default(), &create(&obj, ""), &obj, &cache, &mut vec![]);
            assert!(main.is_err() && expected["CREATE pods"] == "rejected", "{name}");
            let on_sub = admission::validate(&Chain::default(), &create(&obj, "status"), &obj, &cache, &mut vec![]);
            assert!(on_sub.is_ok() && sub == "admitted", "{name}");
            continue;
        }
        let got = admission::validate(&Chain::default(), &create(&obj, ""), &obj, &cache, &mut vec![]);
        assert_eq!(got.is_ok(), expected["admitted"].as_bool().unwrap(), "{name}: {got:?}");
        match got {
            Ok(charged) => {
                let want = list(&expected["new_used"]);
                let only = expected["only_updated"].as_str();
                assert_eq!(charged.len(), 1, "{name}");
                assert_eq!(charged[0].status.used, want, "{name}");
                if let Some(q) = only {
                    assert_eq!(charged[0].metadata.name, q, "{name}");
                }
            }
            Err(s) => {
                assert_eq!(s.code, 403, "{name}");
                assert!(s.message.starts_with("pods \"pod\" is forbidden: "), "{name}: {}", s.message);
            }
        }
    }
}

#[test]
fn resource_quota_messages_name_only_what_is_exceeded() {
    let q = quota(
        &serde_json::json!({"name": "quota", "hard": {"cpu": "3", "memory": "100Gi", "pods": "5"},
            "used": {"cpu": "1", "memory": "50Gi", "pods": "3"}}),
        "test",
    );
    let cache = Cache(vec![Object::ResourceQuota(q)]);
    let obj = Object::Pod(Box::new(pod(
        "test",
        &serde_json::json!({"containers": [{"requests": {"cpu": "100m", "memory": "60Gi"}}]}),
    )));
    let err = admission::validate(&Chain::default(), &create(&obj, ""), &obj, &cache, &mut vec![]).unwrap_err();
    assert_eq!(
        err.message,
        "pods \"pod\" is forbidden: exceeded quota: quota, requested: memory=60Gi, used: memory=50Gi, limited: memory=100Gi"
    );
    let limits = quota(
        &serde_json::json!({"name": "quota", "hard": {"limits.memory": "200Gi"}, "used": {"limits.memory": "100Gi"}}),
        "test",
    );
    let cache = Cache(vec![Object::ResourceQuota(limits)]);
    let err = admission::validate(&Chain::default(), &create(&obj, ""), &obj, &cache, &mut vec![]).unwrap_err();
    assert!(err.message.ends_with("failed quota: quota: must specify limits.memory"), "{}", err.message);
}

#[test]
fn namespace_lifecycle_follows_the_namespace_phase() {
    let v = vectors("admission_namespace_lifecycle.json");
    let terminating = Namespace {
        metadata: ObjectMeta::named("", "test"),
        spec: Default::default(),
        status: NamespaceStatus { phase: "Terminating".into() },
    };
    let pods = ResourceInfo::of("pods");
    let body = Object::Pod(Box::new(Pod { metadata: ObjectMeta::named("test", "p"), ..Default::default() }));
    for case in v["cases"].as_array().unwrap().iter().filter(|c| c.get("ops").is_some()) {
        let ns = (case["namespace_state"] == "Terminating").then_some(&terminating);
        for (op, outcome) in case["ops"].as_object().unwrap() {
            let (verb, what) = op.split_once(' ').unwrap();
            let verb = match verb {
                "CREATE" => Verb::Create,
                "UPDATE" => Verb::Update,
                _ => Verb::Delete,
            };
            let req = if let Some(name) = what.strip_prefix("namespace ") {
                ApiRequest::new(verb, ResourceInfo::of("namespaces"), "", name.trim_matches('\''))
            } else {
                ApiRequest::new(verb, pods, "test", "p").with_body(body.clone())
            };
            let got = namespace_lifecycle::admit(&req, ns);
            let allowed = outcome.as_str().unwrap() == "allowed";
            assert_eq!(got.is_ok(), allowed, "{} {op}: {got:?}", case["name"]);
            if let (Err(s), Some(text)) = (&got, outcome.as_str()) {
                if text.contains("being terminated") {
                    assert!(s
                        .message
                        .ends_with("unable to create new content in namespace test because it is being terminated"));
                }
                if text.contains("NotFound") {
                    assert_eq!(s.code, 404);
                }
            }
        }
    }
}

#[test]
fn quota_scopes_split_terminating_pods() {
    let mut q = ResourceQuota::default();
    q.spec.scopes = vec!["Terminating".into()];
    let mut p = Pod::default();
    assert!(!kube_playground::sim::quota::matches_scopes(&q, &Object::Pod(Box::new(p.clone()))));
    p.spec.active_deadline_seconds = Some(30);
    assert!(kube_playground::sim::quota::matches_scopes(&q, &Object::Pod(Box::new(p))));
}
