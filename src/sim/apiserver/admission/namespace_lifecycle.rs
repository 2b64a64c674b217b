//! NamespaceLifecycle (k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle): no new
//! content in a namespace that does not exist or is being terminated; the immortal namespaces
//! cannot be deleted. Simplified: the 50 ms wait and live lookup for a missing namespace are
//! not modelled; the apiserver's watch cache is the source.

use crate::sim::api::request::{ApiRequest, Status, Verb};
use crate::sim::api::Namespace;

pub const IMMORTAL: [&str; 3] = ["default", "kube-system", "kube-public"];

pub fn admit(req: &ApiRequest, namespace: Option<&Namespace>) -> Result<(), Status> {
    if req.resource.plural == "namespaces" {
        if req.verb == Verb::Delete && IMMORTAL.contains(&req.name.as_str()) {
            return Err(Status::forbidden(format!(
                "namespaces \"{}\" is forbidden: this namespace may not be deleted",
                req.name
            )));
        }
        return Ok(());
    }
    if !req.resource.namespaced || matches!(req.verb, Verb::Delete | Verb::Get | Verb::List | Verb::Watch) {
        return Ok(());
    }
    match namespace {
        None => Err(Status {
            causes: vec![],
            code: 404,
            reason: "NotFound",
            message: format!("namespaces \"{}\" not found", req.namespace),
        }),
        Some(ns) if req.verb == Verb::Create && ns.status.phase == "Terminating" => Err(Status::forbidden(format!(
            "{} \"{}\" is forbidden: unable to create new content in namespace {} because it is being terminated",
            req.resource.qualified(),
            req.body.as_ref().map_or(req.name.as_str(), |b| b.meta().name.as_str()),
            req.namespace
        ))),
        Some(_) => Ok(()),
    }
}
