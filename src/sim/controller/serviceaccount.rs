//! The serviceaccount controller (pkg/controller/serviceaccount): every active namespace has a
//! `default` ServiceAccount, created when the namespace appears and again if it is deleted.

use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::{Object, ObjectMeta, ServiceAccount};
use crate::sim::apiserver::admission::service_account::DEFAULT;
use crate::sim::client::Informer;

/// `key` is a namespace name.
pub fn sync(key: &str, namespaces: &Informer, accounts: &Informer) -> Vec<ApiRequest> {
    let active = matches!(namespaces.get(key), Some(Object::Namespace(n)) if n.metadata.deletion_timestamp.is_none());
    if !active || accounts.store.contains_key(&format!("{key}/{DEFAULT}")) {
        return vec![];
    }
    let sa = ServiceAccount { metadata: ObjectMeta::named(key, DEFAULT) };
    vec![ApiRequest::new(Verb::Create, ResourceInfo::of("serviceaccounts"), key, "")
        .with_body(Object::ServiceAccount(sa))]
}
