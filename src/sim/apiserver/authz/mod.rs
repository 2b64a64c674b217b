//! Authorization: the Node authorizer, then RBAC (the kubeadm default `--authorization-mode=Node,RBAC`).

pub mod node;
pub mod rbac;

use crate::sim::api::request::ApiRequest;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub groups: Vec<String>,
}

/// authorizer.Attributes for a resource request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attributes {
    pub user: UserInfo,
    pub verb: String,
    pub namespace: String,
    pub api_group: String,
    pub resource: String,
    pub subresource: String,
    pub name: String,
}

impl Attributes {
    pub fn of(user: &UserInfo, req: &ApiRequest) -> Self {
        Attributes {
            user: user.clone(),
            verb: req.verb.as_str().to_string(),
            namespace: req.namespace.clone(),
            api_group: req.resource.group.to_string(),
            resource: req.resource.plural.to_string(),
            subresource: req.subresource.clone(),
            name: req.name.clone(),
        }
    }

    /// The upstream denial text (responsewriters.forbiddenMessage).
    pub fn forbidden_message(&self) -> String {
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    NoOpinion,
}
