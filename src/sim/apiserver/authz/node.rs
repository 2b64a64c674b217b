//! The Node authorizer (plugin/pkg/auth/authorizer/node): kubelets, identified as
//! `system:node:<name>` in group `system:nodes`, get the system:node rules. Simplified: the
//! object graph that limits a kubelet to its own pods' secrets and volumes is not modelled yet.

use super::rbac::{rule, rule_allows};
use super::{Attributes, Decision};
use crate::sim::api::PolicyRule;

pub fn node_rules() -> Vec<PolicyRule> {
    vec![
        rule(&["create", "get", "list", "watch", "update", "patch", "delete"], &[""], &["nodes"]),
        rule(&["patch", "update"], &[""], &["nodes/status"]),
        rule(&["get", "list", "watch", "create", "delete"], &[""], &["pods"]),
        rule(&["patch", "update"], &[""], &["pods/status"]),
        rule(&["list", "watch", "get"], &[""], &["services"]),
        // What its pods' volumes need.
        rule(&["get"], &[""], &["configmaps", "secrets", "persistentvolumeclaims", "persistentvolumes"]),
        rule(&["get"], &["storage.k8s.io"], &["volumeattachments"]),
        // Projected ServiceAccount tokens for the pods it runs.
        rule(&["create"], &[""], &["serviceaccounts/token"]),
        rule(&["get", "create", "update", "patch", "delete"], &["coordination.k8s.io"], &["leases"]),
        rule(&["create", "patch", "update"], &["", "events.k8s.io"], &["events"]),
    ]
}

pub fn authorize(attrs: &Attributes, rules: &[PolicyRule]) -> Decision {
    let is_node = attrs.user.groups.iter().any(|g| g == "system:nodes") && attrs.user.name.starts_with("system:node:");
    if is_node && attrs.is_resource_request() && rules.iter().any(|r| rule_allows(attrs, r)) {
        Decision::Allow
    } else {
        Decision::NoOpinion
    }
}
