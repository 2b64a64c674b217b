//! RBAC against upstream vectors (tests/conformance/rbac.json), through the authorizer the
//! simulated kube-apiserver uses.

use kube_playground::sim::api::*;
use kube_playground::sim::apiserver::authz::rbac::{self, RbacSource};
use kube_playground::sim::apiserver::authz::{Attributes, Decision, UserInfo};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance/rbac.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect()).unwrap_or_default()
}

fn rule(v: &Value) -> PolicyRule {
    PolicyRule {
        verbs: strings(&v["verbs"]),
        api_groups: strings(&v["apiGroups"]),
        resources: strings(&v["resources"]),
        resource_names: strings(&v["resourceNames"]),
        non_resource_urls: strings(&v["nonResourceURLs"]),
    }
}

fn attrs(verb: &str, group: &str, resource: &str, sub: &str) -> Attributes {
    Attributes {
        user: UserInfo::new("u", &[]),
        verb: verb.into(),
        namespace: "ns".into(),
        api_group: group.into(),
        resource: resource.into(),
        subresource: sub.into(),
        ..Default::default()
    }
}

#[test]
fn rule_matches() {
    let v = vectors();
    let mut checked = 0;
    for table in v["rule_matches"].as_array().unwrap() {
        let r = rule(&table["rule"]);
        for req in table["requests"].as_array().unwrap() {
            let f = req.as_array().unwrap();
            let s = |i: usize| f[i].as_str().unwrap();
            let (allowed, expected) = match f.len() {
                3 => (rbac::non_resource_rule_allows(s(0), s(1), &r), f[2].as_bool().unwrap()),
                4 => (rbac::rule_allows(&attrs(s(0), s(1), s(2), ""), &r), f[3].as_bool().unwrap()),
                5 => (rbac::rule_allows(&attrs(s(0), s(1), s(2), s(3)), &r), f[4].as_bool().unwrap()),
                n => panic!("unknown request shape of {n} fields"),
            };
            assert_eq!(allowed, expected, "{}: {req}", table["name"]);
            checked += 1;
        }
    }
    assert!(checked > 20, "checked {checked}");
}

#[test]
fn resource_matches() {
    for case in vectors()["resource_matches"]["cases"].as_array().unwrap() {
        let r = PolicyRule { resources: strings(&case["ruleResources"]), ..Default::default() };
        let combined = case["combined"].as_str().unwrap();
        let sub = case["sub"].as_str().unwrap();
        // ResourceMatches receives the combined string; split it back into resource and sub.
        let resource = if sub.is_empty() { combined } else { combined.strip_suffix(&format!("/{sub}")).unwrap() };
        assert_eq!(rbac::resource_matches(&r, resource, sub), case["expected"].as_bool().unwrap(), "{}", case["name"]);
    }
}

#[test]
fn applies_to() {
    for case in vectors()["applies_to"]["cases"].as_array().unwrap() {
        let user = UserInfo {
            name: case["user"]["name"].as_str().unwrap().into(),
            groups: strings(&case["user"]["groups"]),
            ..Default::default()
        };
        let subjects: Vec<Subject> = serde_json::from_value(case["subjects"].clone()).unwrap();
        let ns = case["namespace"].as_str().unwrap();
        let applies = subjects.iter().any(|s| rbac::applies_to(s, &user, ns));
        assert_eq!(applies, case["expected"].as_bool().unwrap(), "{}", case["name"]);
    }
}

struct Fixture {
    cluster_roles: Vec<ClusterRole>,
    role_bindings: Vec<RoleBinding>,
}

impl RbacSource for Fixture {
    fn cluster_role_bindings(&self) -> Vec<&ClusterRoleBinding> {
        vec![]
    }
    fn role_bindings(&self, namespace: &str) -> Vec<&RoleBinding> {
        self.role_bindings.iter().filter(|b| b.metadata.namespace == namespace).collect()
    }
    fn cluster_role_rules(&self, name: &str) -> Option<&[PolicyRule]> {
        self.cluster_roles.iter().find(|r| r.metadata.name == name).map(|r| r.rules.as_slice())
    }
    fn role_rules(&self, _: &str, _: &str) -> Option<&[PolicyRule]> {
        None
    }
}

#[test]
fn authorizer_scenarios() {
    for sc in vectors()["authorizer_scenarios"].as_array().unwrap() {
        let fixture = Fixture {
            cluster_roles: sc["clusterRoles"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| ClusterRole {
                    metadata: ObjectMeta::named("", r["name"].as_str().unwrap()),
                    rules: r["rules"].as_array().unwrap().iter().map(rule).collect(),
                    aggregation_rule: None,
                })
                .collect(),
            role_bindings: sc["roleBindings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| RoleBinding {
                    metadata: ObjectMeta::named(b["namespace"].as_str().unwrap(), "b"),
                    subjects: serde_json::from_value(b["subjects"].clone()).unwrap(),
                    role_ref: RoleRef {
                        api_group: "rbac.authorization.k8s.io".into(),
                        kind: b["roleRef"]["kind"].as_str().unwrap().into(),
                        name: b["roleRef"]["name"].as_str().unwrap().into(),
                    },
                })
                .collect(),
        };
        for (key, want) in [("shouldPass", Decision::Allow), ("shouldFail", Decision::NoOpinion)] {
            for q in sc[key].as_array().unwrap() {
                let s = |k: &str| q[k].as_str().unwrap().to_string();
                let a = Attributes {
                    user: UserInfo { name: s("user"), groups: strings(&q["groups"]), ..Default::default() },
                    verb: s("verb"),
                    namespace: s("namespace"),
                    api_group: s("apiGroup"),
                    resource: s("resource"),
                    subresource: s("subresource"),
                    name: s("name"),
                    path: String::new(),
                };
                assert_eq!(rbac::authorize(&a, &fixture), want, "{}: {key} {q}", sc["name"]);
            }
        }
    }
}
