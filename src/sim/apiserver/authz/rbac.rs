//! RBAC (plugin/pkg/auth/authorizer/rbac and pkg/apis/rbac/v1/evaluation_helpers.go): visit
//! ClusterRoleBindings, then RoleBindings of the request's namespace; the first rule that
//! allows wins; otherwise NoOpinion (RBAC never denies).

use super::{Attributes, Decision, UserInfo};
use crate::sim::api::{ClusterRoleBinding, PolicyRule, RoleBinding, RoleRef, Subject};

/// Where RBAC reads its objects from: the apiserver's watch cache, or a test fixture.
pub trait RbacSource {
    fn cluster_role_bindings(&self) -> Vec<&ClusterRoleBinding>;
    fn role_bindings(&self, namespace: &str) -> Vec<&RoleBinding>;
    fn cluster_role_rules(&self, name: &str) -> Option<&[PolicyRule]>;
    fn role_rules(&self, namespace: &str, name: &str) -> Option<&[PolicyRule]>;
}

/// RBAC objects held in a list: the bootstrap policy plus a file's, for `kubesim auth can-i`.
pub struct PolicyObjects(pub Vec<crate::sim::api::Object>);

impl RbacSource for PolicyObjects {
    fn cluster_role_bindings(&self) -> Vec<&ClusterRoleBinding> {
        self.0
            .iter()
            .filter_map(|o| match o {
                crate::sim::api::Object::ClusterRoleBinding(b) => Some(b),
                _ => None,
            })
            .collect()
    }
    fn role_bindings(&self, namespace: &str) -> Vec<&RoleBinding> {
        self.0
            .iter()
            .filter_map(|o| match o {
                crate::sim::api::Object::RoleBinding(b) if b.metadata.namespace == namespace => Some(b),
                _ => None,
            })
            .collect()
    }
    fn cluster_role_rules(&self, name: &str) -> Option<&[PolicyRule]> {
        self.0.iter().find_map(|o| match o {
            crate::sim::api::Object::ClusterRole(r) if r.metadata.name == name => Some(r.rules.as_slice()),
            _ => None,
        })
    }
    fn role_rules(&self, namespace: &str, name: &str) -> Option<&[PolicyRule]> {
        self.0.iter().find_map(|o| match o {
            crate::sim::api::Object::Role(r) if r.metadata.namespace == namespace && r.metadata.name == name => {
                Some(r.rules.as_slice())
            }
            _ => None,
        })
    }
}

pub fn authorize(attrs: &Attributes, src: &dyn RbacSource) -> Decision {
    let allows = |r: &PolicyRule| {
        if attrs.is_resource_request() {
            rule_allows(attrs, r)
        } else {
            non_resource_rule_allows(&attrs.verb, &attrs.path, r)
        }
    };
    for crb in src.cluster_role_bindings() {
        if !crb.subjects.iter().any(|s| applies_to(s, &attrs.user, "")) {
            continue;
        }
        if let Some(rules) = rules_of(src, &crb.role_ref, "") {
            if rules.iter().any(allows) {
                return Decision::Allow;
            }
        }
    }
    if !attrs.namespace.is_empty() {
        for rb in src.role_bindings(&attrs.namespace) {
            if !rb.subjects.iter().any(|s| applies_to(s, &attrs.user, &rb.metadata.namespace)) {
                continue;
            }
            if let Some(rules) = rules_of(src, &rb.role_ref, &rb.metadata.namespace) {
                if rules.iter().any(allows) {
                    return Decision::Allow;
                }
            }
        }
    }
    Decision::NoOpinion
}

fn rules_of<'a>(src: &'a dyn RbacSource, role_ref: &RoleRef, namespace: &str) -> Option<&'a [PolicyRule]> {
    match role_ref.kind.as_str() {
        "ClusterRole" => src.cluster_role_rules(&role_ref.name),
        "Role" => src.role_rules(namespace, &role_ref.name),
        _ => None,
    }
}

/// appliesTo: does a binding subject name this user?
pub fn applies_to(subject: &Subject, user: &UserInfo, binding_namespace: &str) -> bool {
    match subject.kind.as_str() {
        "User" => subject.name == user.name,
        "Group" => user.groups.contains(&subject.name),
        "ServiceAccount" => {
            let ns = if subject.namespace.is_empty() { binding_namespace } else { &subject.namespace };
            user.name == format!("system:serviceaccount:{ns}:{}", subject.name)
        }
        _ => false,
    }
}

pub fn rule_allows(attrs: &Attributes, rule: &PolicyRule) -> bool {
    verb_matches(rule, &attrs.verb)
        && api_group_matches(rule, &attrs.api_group)
        && resource_matches(rule, &attrs.resource, &attrs.subresource)
        && resource_name_matches(rule, &attrs.name)
}

/// A non-resource request (`/healthz`, `/version`).
pub fn non_resource_rule_allows(verb: &str, path: &str, rule: &PolicyRule) -> bool {
    verb_matches(rule, verb)
        && rule
            .non_resource_urls
            .iter()
            .any(|u| u == "*" || u == path || u.strip_suffix('*').is_some_and(|prefix| path.starts_with(prefix)))
}

pub fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    rule.verbs.iter().any(|v| v == "*" || v == verb)
}

pub fn api_group_matches(rule: &PolicyRule, group: &str) -> bool {
    rule.api_groups.iter().any(|g| g == "*" || g == group)
}

pub fn resource_matches(rule: &PolicyRule, resource: &str, subresource: &str) -> bool {
    let combined = if subresource.is_empty() { resource.to_string() } else { format!("{resource}/{subresource}") };
    rule.resources
        .iter()
        .any(|r| r == "*" || *r == combined || (!subresource.is_empty() && *r == format!("*/{subresource}")))
}

pub fn resource_name_matches(rule: &PolicyRule, name: &str) -> bool {
    rule.resource_names.is_empty() || (!name.is_empty() && rule.resource_names.iter().any(|n| n == name))
}

/// A rule written the way bootstrap policy writes them.
pub fn rule(verbs: &[&str], groups: &[&str], resources: &[&str]) -> PolicyRule {
    let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    PolicyRule { verbs: owned(verbs), api_groups: owned(groups), resources: owned(resources), ..Default::default() }
}
