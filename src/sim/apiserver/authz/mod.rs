//! Authorization: the Node authorizer, then RBAC (the kubeadm default `--authorization-mode=Node,RBAC`).

pub mod node;
pub mod rbac;

pub use crate::sim::api::request::UserInfo;
use crate::sim::api::request::{ApiRequest, Status};

/// authorizer.Attributes: a resource request, or a non-resource one when `path` is set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attributes {
    pub user: UserInfo,
    pub verb: String,
    pub namespace: String,
    pub api_group: String,
    pub resource: String,
    pub subresource: String,
    pub name: String,
    /// `/healthz`, `/version`, … for a non-resource request.
    pub path: String,
}

impl Attributes {
    pub fn of(user: &UserInfo, req: &ApiRequest) -> Self {
        if !req.path.is_empty() {
            return Attributes { user: user.clone(), verb: "get".into(), path: req.path.clone(), ..Default::default() };
        }
        Attributes {
            user: user.clone(),
            verb: req.verb.as_str().to_string(),
            namespace: req.namespace.clone(),
            api_group: req.resource.group.to_string(),
            resource: req.resource.plural.to_string(),
            subresource: req.subresource.clone(),
            name: req.name.clone(),
            path: String::new(),
        }
    }

    /// What a SelfSubjectAccessReview asks about, for `user`.
    pub fn of_review(user: &UserInfo, spec: &crate::sim::api::AccessReviewSpec) -> Self {
        let mut attrs = Attributes { user: user.clone(), ..Default::default() };
        if let Some(ra) = &spec.resource_attributes {
            attrs.verb = ra.verb.clone();
            attrs.namespace = ra.namespace.clone();
            attrs.api_group = ra.group.clone();
            attrs.resource = ra.resource.clone();
            attrs.subresource = ra.subresource.clone();
            attrs.name = ra.name.clone();
        } else if let Some(nr) = &spec.non_resource_attributes {
            attrs.verb = nr.verb.clone();
            attrs.path = nr.path.clone();
        }
        attrs
    }

    pub fn is_resource_request(&self) -> bool {
        self.path.is_empty()
    }

    /// The 403 a denial answers with: `pods "web" is forbidden: User …`.
    pub fn forbidden(&self, creating: bool) -> Status {
        if !self.is_resource_request() {
            return Status::forbidden(format!("forbidden: {}", self.forbidden_message()));
        }
        let group = if self.api_group.is_empty() { String::new() } else { format!(".{}", self.api_group) };
        let what = if self.name.is_empty() || creating {
            format!("{}{group}", self.resource)
        } else {
            format!("{}{group} \"{}\"", self.resource, self.name)
        };
        Status::forbidden(format!("{what} is forbidden: {}", self.forbidden_message()))
    }

    /// The upstream denial text (responsewriters.forbiddenMessage).
    pub fn forbidden_message(&self) -> String {
        if !self.is_resource_request() {
            return format!("User \"{}\" cannot {} path \"{}\"", self.user.name, self.verb, self.path);
        }
        let mut resource = self.resource.clone();
        if !self.subresource.is_empty() {
            resource = format!("{resource}/{}", self.subresource);
        }
        let scope = if self.namespace.is_empty() {
            "at the cluster scope".to_string()
        } else {
            format!("in the namespace \"{}\"", self.namespace)
        };
        format!(
            "User \"{}\" cannot {} resource \"{resource}\" in API group \"{}\" {scope}",
            self.user.name, self.verb, self.api_group
        )
    }
}

/// `--authorization-mode=Node,RBAC`: the first authorizer with an opinion decides.
pub fn authorize(
    attrs: &Attributes,
    node_rules: &[crate::sim::api::PolicyRule],
    rbac: &dyn rbac::RbacSource,
) -> Decision {
    match node::authorize(attrs, node_rules) {
        Decision::Allow => Decision::Allow,
        Decision::NoOpinion => rbac::authorize(attrs, rbac),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    NoOpinion,
}
