//! The clusterrole-aggregation controller (pkg/controller/clusterroleaggregation): a
//! ClusterRole with an aggregationRule gets the rules of every ClusterRole its selectors pick,
//! in name order without repeats — how `admin`, `edit` and `view` grow when a CRD's roles are
//! labelled `rbac.authorization.k8s.io/aggregate-to-view: "true"`.

use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::{ClusterRole, Object, PolicyRule};
use crate::sim::client::Informer;

/// The rules an aggregated role should have, from all ClusterRoles (sorted by name).
pub fn aggregated_rules<'a>(role: &ClusterRole, all: impl Iterator<Item = &'a ClusterRole>) -> Option<Vec<PolicyRule>> {
    let rule = role.aggregation_rule.as_ref()?;
    let mut rules: Vec<PolicyRule> = Vec::new();
    for other in all.filter(|o| o.metadata.name != role.metadata.name) {
        if rule.cluster_role_selectors.iter().any(|s| s.matches(&other.metadata.labels)) {
            for r in &other.rules {
                if !rules.contains(r) {
                    rules.push(r.clone());
                }
            }
        }
    }
    Some(rules)
}

/// `key` is an aggregated ClusterRole's name.
pub fn sync(key: &str, roles: &Informer) -> Vec<ApiRequest> {
    let Some(Object::ClusterRole(role)) = roles.get(key) else { return vec![] };
    let all = roles.objects().filter_map(|o| match o {
        Object::ClusterRole(r) => Some(r),
        _ => None,
    });
    match aggregated_rules(role, all) {
        Some(rules) if rules != role.rules => {
            let mut next = role.clone();
            next.rules = rules;
            let res = ResourceInfo::of("clusterroles");
            vec![ApiRequest::new(Verb::Update, res, "", key).with_body(Object::ClusterRole(next))]
        }
        _ => vec![],
    }
}
