//! The namespace controller (pkg/controller/namespace): a deleted namespace stays Terminating
//! (its `kubernetes` finalizer) while this controller lists every namespaced resource in it
//! and deletes what it finds — pods gracefully, so it comes back until their kubelets have
//! finished — and, once a round finds nothing left, removes the finalizer through the
//! `finalize` subresource, which deletes the namespace for good.
//! Simplified: one LIST per resource and one DELETE per object (no deletecollection).

use super::{Loop, Tag};
use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::{ResourceInfo, RESOURCES};
use crate::sim::api::{Namespace, Object};
use crate::sim::client::Informer;
use crate::sim::event::Timer;
use crate::sim::time::{SimTime, SECONDS};
use crate::sim::Ctx;

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
pub fn deletes(res: &'static ResourceInfo, items: &[std::sync::Arc<Object>]) -> Vec<ApiRequest> {
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
    let res = ResourceInfo::of("namespaces");
    ApiRequest::new(Verb::Update, res, "", &ns.metadata.name)
        .with_subresource("finalize")
        .with_body(Object::Namespace(next))
}

/// Namespaces being deleted.
pub fn terminating(namespaces: &Informer) -> impl Iterator<Item = String> + '_ {
    namespaces.objects().filter(|o| o.meta().deletion_timestamp.is_some()).map(|o| o.meta().name.clone())
}

/// The namespace controller's rounds.
impl super::ControllerManager {
    /// Lists every namespaced resource of a Terminating namespace (one round at a time).
    pub(super) fn start_round(&mut self, ctx: &mut Ctx, ns: &str) {
        let deleting = self.namespaces.get(ns).is_some_and(|o| o.meta().deletion_timestamp.is_some());
        if !deleting || self.rounds.contains_key(ns) {
            return;
        }
        let resources: Vec<_> = resources().collect();
        self.rounds.insert(ns.to_string(), Round { lists_pending: resources.len(), found: 0, started: ctx.now });
        ctx.phase("namespace", format!("{ns} is Terminating: deleting its content"));
        for res in resources {
            let tag = Tag::NamespaceList { namespace: ns.to_string(), resource: res };
            self.client.send(ctx, 0, list(res, ns), tag);
        }
    }

    /// One list came back: delete what is in it; when the round is complete, finalize an
    /// empty namespace or look again a little later.
    pub(super) fn on_namespace_list(
        &mut self,
        ctx: &mut Ctx,
        ns: &str,
        res: &'static ResourceInfo,
        items: &[std::sync::Arc<Object>],
    ) {
        for req in deletes(res, items) {
            self.client.send(ctx, 0, req, Tag::Note);
        }
        let Some(round) = self.rounds.get_mut(ns) else { return };
        round.found += items.len();
        round.lists_pending -= 1;
        if round.lists_pending > 0 {
            return;
        }
        let found = round.found;
        self.rounds.remove(ns);
        match (found, self.namespaces.get(ns)) {
            (0, Some(Object::Namespace(n))) => {
                ctx.phase("namespace", format!("{ns} is empty: removing the kubernetes finalizer"));
                let req = finalize(n);
                self.client.send(ctx, 0, req, Tag::Note);
            }
            (_, Some(_)) => {
                let token = self.next_retry;
                self.next_retry += 1;
                self.retries.insert(token, (Loop::Namespace, ns.to_string()));
                ctx.timer(RECHECK_US, Timer::Retry { token });
            }
            _ => {}
        }
    }
}
