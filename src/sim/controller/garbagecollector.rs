//! The garbage collector (pkg/controller/garbagecollector), background propagation only: when
//! an owner is gone, its dependents (by ownerReference uid) are deleted. Foreground and orphan
//! propagation come with the controller-manager issue.

use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::client::Informer;

/// Dependents of the owner with `uid` in the given informers, to delete.
pub fn collect(uid: &str, dependents: &[&Informer]) -> Vec<ApiRequest> {
    let mut out = Vec::new();
    for inf in dependents {
        for o in inf.objects() {
            let m = o.meta();
            if m.deletion_timestamp.is_none() && m.owner_references.iter().any(|r| r.uid == uid) {
                if let Some(res) = ResourceInfo::by_kind(o.kind()) {
                    out.push(ApiRequest::new(Verb::Delete, res, &m.namespace, &m.name));
                }
            }
        }
    }
    out
}
