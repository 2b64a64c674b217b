//! The namespace controller (pkg/controller/namespace): a deleted namespace stays Terminating
//! (its `kubernetes` finalizer) while this controller lists every namespaced resource in it
//! and deletes what it finds — pods gracefully, so it comes back until their kubelets have
//! finished — and, once a round finds nothing left, removes the finalizer through the
//! `finalize` subresource, which deletes the namespace for good.
//! Simplified: one LIST per resource and one DELETE per object (no deletecollection).

use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::{ResourceInfo, RESOURCES};
use crate::sim::api::{Namespace, Object};
use crate::sim::time::{SimTime, SECONDS};

/// How long to wait before looking again when objects were still there (pods take their
/// grace period to go).
pub const RECHECK_US: u64 = 2 * SECONDS;

/// One cleanup round of a namespace: lists still out and objects found so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Round {
    pub lists_pending: usize,
    pub found: usize,
    pub started: SimTime,
}

/// The namespaced resources whose contents go with the namespace.
pub fn resources() -> impl Iterator<Item = &'static ResourceInfo> {
    RESOURCES.iter().filter(|r| r.namespaced)
}

pub fn list(res: &'static ResourceInfo, namespace: &str) -> ApiRequest {
    ApiRequest::new(Verb::List, res, namespace, "")
}

/// DELETE for each object of a list that is not already going.
pub fn deletes(res: &'static ResourceInfo, items: &[Object]) -> Vec<ApiRequest> {
    items
        .iter()
        .filter(|o| o.meta().deletion_timestamp.is_none())
        .map(|o| ApiRequest::new(Verb::Delete, res, &o.meta().namespace, &o.meta().name))
        .collect()
}

/// The finalize call that lets the apiserver delete an emptied namespace.
pub fn finalize(ns: &Namespace) -> ApiRequest {
    let mut next = ns.clone();
    next.spec.finalizers.retain(|f| f != crate::sim::apiserver::registry::NAMESPACE_FINALIZER);
    let res = ResourceInfo::by_plural("namespaces").expect("namespaces are in the resource table");
    ApiRequest::new(Verb::Update, res, "", &ns.metadata.name)
        .with_subresource("finalize")
        .with_body(Object::Namespace(next))
}
