//! Authentication (k8s.io/apiserver/pkg/authentication): turns a credential into a user.
//! The walking skeleton knows x509 client certificates (CN = user, O = groups); tokens, the
//! authenticating proxy and anonymous access come with the apiserver issue.

use super::authz::UserInfo;
use crate::sim::api::request::Credential;

pub fn authenticate(cred: &Credential) -> Option<UserInfo> {
    match cred {
        Credential::ClientCert { common_name, organizations } if !common_name.is_empty() => {
            let mut groups = organizations.clone();
            groups.push("system:authenticated".to_string());
            Some(UserInfo { name: common_name.clone(), groups })
        }
        _ => None,
    }
}
