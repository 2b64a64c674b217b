//! The garbage collector (pkg/controller/garbagecollector), keyed by an owner's uid:
//! - background (an owner gone): its dependents (by ownerReference uid) are deleted;
//! - foreground (the owner marked with the `foregroundDeletion` finalizer): its dependents
//!   are deleted, in foreground too, and once none is left the finalizer goes and the owner
//!   with it — it is the last to disappear;
//! - orphan (the `orphan` finalizer): the dependents lose their ownerReference and stay.
//!
//! Upstream watches every resource through a dependency graph; here the owners and dependents
//! are what kube-controller-manager's informers hold, and every dependent blocks its owner's
//! foreground deletion (upstream: only those with blockOwnerDeletion).

use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::Object;
use crate::sim::apiserver::registry::{FOREGROUND_FINALIZER, ORPHAN_FINALIZER};
use crate::sim::client::Informer;

fn dependents_of<'a>(uid: &'a str, dependents: &'a [&'a Informer]) -> impl Iterator<Item = &'a Object> + 'a {
    dependents
        .iter()
        .flat_map(|inf| inf.objects())
        .filter(move |o| o.meta().owner_references.iter().any(|r| r.uid == uid))
}

fn delete(o: &Object, policy: Option<&str>) -> Option<ApiRequest> {
    let m = o.meta();
    let mut req = ApiRequest::new(Verb::Delete, ResourceInfo::by_kind(o.kind())?, &m.namespace, &m.name);
    req.propagation_policy = policy.map(str::to_string);
    Some(req)
}

/// A JSON merge patch setting the object's finalizers (or its ownerReferences) anew.
fn patch(o: &Object, body: serde_json::Value) -> Option<ApiRequest> {
    let m = o.meta();
    let mut req = ApiRequest::new(Verb::Patch, ResourceInfo::by_kind(o.kind())?, &m.namespace, &m.name);
    req.patch = Some(body);
    Some(req)
}

/// What the owner with `uid` needs now, found among `owners` (None once it is gone).
pub fn sync(uid: &str, owners: &[&Informer], dependents: &[&Informer]) -> Vec<ApiRequest> {
    let owner = owners.iter().flat_map(|inf| inf.objects()).find(|o| o.meta().uid == uid);
    let finalizers = owner.map(|o| o.meta().finalizers.clone()).unwrap_or_default();
    let marked = owner.is_some_and(|o| o.meta().deletion_timestamp.is_some());
    let has = |f: &str| finalizers.iter().any(|x| x == f);
    let without = |f: &str| -> serde_json::Value {
        let rest: Vec<&String> = finalizers.iter().filter(|x| *x != f).collect();
        serde_json::json!({ "metadata": { "finalizers": rest } })
    };
    let mut out = Vec::new();
    match owner {
        // Background: the owner is gone, its dependents follow.
        None => {
            let live = dependents_of(uid, dependents).filter(|o| o.meta().deletion_timestamp.is_none());
            out.extend(live.filter_map(|o| delete(o, None)));
        }
        Some(o) if marked && has(ORPHAN_FINALIZER) => {
            for d in dependents_of(uid, dependents) {
                let refs: Vec<_> = d.meta().owner_references.iter().filter(|r| r.uid != uid).collect();
                out.extend(patch(d, serde_json::json!({ "metadata": { "ownerReferences": refs } })));
            }
            if out.is_empty() {
                out.extend(patch(o, without(ORPHAN_FINALIZER)));
            }
        }
        Some(o) if marked && has(FOREGROUND_FINALIZER) => {
            let mut waiting = false;
            for d in dependents_of(uid, dependents) {
                waiting = true;
                if d.meta().deletion_timestamp.is_none() {
                    out.extend(delete(d, Some("Foreground")));
                }
            }
            if !waiting {
                out.extend(patch(o, without(FOREGROUND_FINALIZER)));
            }
        }
        Some(_) => {}
    }
    out
}

/// Whether an owner's change is one the collector acts on: marked for foreground or orphan
/// deletion.
pub fn wants(o: &Object) -> bool {
    let m = o.meta();
    m.deletion_timestamp.is_some() && m.finalizers.iter().any(|f| f == FOREGROUND_FINALIZER || f == ORPHAN_FINALIZER)
}
