//! The events the workload controllers record about their own writes, once the apiserver
//! accepted them, worded as upstream: SuccessfulCreate and SuccessfulDelete on a ReplicaSet
//! and a Job (`Created pod: web-7d4b9-x2k8q`), ScalingReplicaSet on a Deployment (`Scaled up replica set
//! web-7d4b9 to 3 from 1`).

use super::Loop;
use crate::sim::api::meta::cache_key;
use crate::sim::api::request::{ApiBody, ApiRequest, Verb};
use crate::sim::api::{Object, ObjectReference};
use crate::sim::client::Informer;
use crate::sim::recorder;

/// What to record if the write succeeds.
#[derive(Clone, Debug)]
pub struct Intent {
    /// The event source (`replicaset-controller`, `deployment-controller`).
    pub component: &'static str,
    pub on: ObjectReference,
    pub reason: &'static str,
    /// The message; a create's is completed with the name the apiserver generated.
    pub message: String,
    pub append_created_name: bool,
}

fn reference(inf: &Informer, kind: &str, key: &str) -> Option<ObjectReference> {
    inf.get(key).map(|o| recorder::reference(kind, o.meta()))
}

/// The event a controller's write would deserve.
/// The informers whose objects the workload controllers' events are about.
pub struct Owners<'a> {
    pub deployments: &'a Informer,
    pub replicasets: &'a Informer,
    pub jobs: &'a Informer,
    pub daemonsets: &'a Informer,
    pub cronjobs: &'a Informer,
    pub statefulsets: &'a Informer,
}

pub fn intent(l: Loop, key: &str, req: &ApiRequest, owners: &Owners) -> Option<Intent> {
    let Owners { deployments, replicasets, jobs, daemonsets, cronjobs, statefulsets } = owners;
    match (l, req.verb, req.resource.plural) {
        (Loop::StatefulSet, Verb::Create | Verb::Delete, "pods") => {
            let on = reference(statefulsets, "StatefulSet", key)?;
            let (reason, verb) =
                if req.verb == Verb::Create { ("SuccessfulCreate", "create") } else { ("SuccessfulDelete", "delete") };
            let pod = req.body.as_ref().map_or(req.name.as_str(), |b| b.meta().name.as_str());
            let message = format!("{verb} Pod {pod} in StatefulSet {} successful", on.name);
            Some(Intent { component: "statefulset-controller", on, reason, message, append_created_name: false })
        }
        (Loop::StatefulSet, Verb::Create, "persistentvolumeclaims") => {
            let on = reference(statefulsets, "StatefulSet", key)?;
            let claim = req.body.as_ref()?.meta().name.clone();
            let pod = claim.rfind(&format!("-{}-", on.name)).map_or(claim.as_str(), |i| &claim[i + 1..]);
            let message = format!("create Claim {claim} Pod {pod} in StatefulSet {} success", on.name);
            Some(Intent {
                component: "statefulset-controller",
                on,
                reason: "SuccessfulCreate",
                message,
                append_created_name: false,
            })
        }
        (Loop::CronJob, Verb::Create, "jobs") => Some(Intent {
            component: "cronjob-controller",
            on: reference(cronjobs, "CronJob", key)?,
            reason: "SuccessfulCreate",
            message: format!("Created job {}", req.body.as_ref()?.meta().name),
            append_created_name: false,
        }),
        (Loop::CronJob, Verb::Delete, "jobs") => Some(Intent {
            component: "cronjob-controller",
            on: reference(cronjobs, "CronJob", key)?,
            reason: "SuccessfulDelete",
            message: format!("Deleted job {}", req.name),
            append_created_name: false,
        }),
        (Loop::Job, Verb::Create, "pods") => Some(Intent {
            component: "job-controller",
            on: reference(jobs, "Job", key)?,
            reason: "SuccessfulCreate",
            message: "Created pod: ".into(),
            append_created_name: true,
        }),
        (Loop::DaemonSet, Verb::Create, "pods") => Some(Intent {
            component: "daemonset-controller",
            on: reference(daemonsets, "DaemonSet", key)?,
            reason: "SuccessfulCreate",
            message: "Created pod: ".into(),
            append_created_name: true,
        }),
        (Loop::DaemonSet, Verb::Delete, "pods") => Some(Intent {
            component: "daemonset-controller",
            on: reference(daemonsets, "DaemonSet", key)?,
            reason: "SuccessfulDelete",
            message: format!("Deleted pod: {}", req.name),
            append_created_name: false,
        }),
        (Loop::ReplicaSet, Verb::Create, "pods") => Some(Intent {
            component: "replicaset-controller",
            on: reference(replicasets, "ReplicaSet", key)?,
            reason: "SuccessfulCreate",
            message: "Created pod: ".into(),
            append_created_name: true,
        }),
        (Loop::ReplicaSet, Verb::Delete, "pods") => Some(Intent {
            component: "replicaset-controller",
            on: reference(replicasets, "ReplicaSet", key)?,
            reason: "SuccessfulDelete",
            message: format!("Deleted pod: {}", req.name),
            append_created_name: false,
        }),
        (Loop::Deployment, Verb::Create, "replicasets") => {
            let Some(Object::ReplicaSet(rs)) = req.body.as_deref() else { return None };
            Some(Intent {
                component: "deployment-controller",
                on: reference(deployments, "Deployment", key)?,
                reason: "ScalingReplicaSet",
                message: format!("Scaled up replica set {} to {}", rs.metadata.name, rs.spec.replicas.unwrap_or(1)),
                append_created_name: false,
            })
        }
        (Loop::Deployment, Verb::Patch, "replicasets") if req.subresource.is_empty() => {
            let to = req.patch.as_ref()?.pointer("/spec/replicas")?.as_i64()?;
            let rs_key = cache_key(&req.namespace, &req.name);
            let from = match replicasets.get(&rs_key) {
                Some(Object::ReplicaSet(rs)) => i64::from(rs.spec.replicas.unwrap_or(1)),
                _ => return None,
            };
            let direction = if to > from { "up" } else { "down" };
            Some(Intent {
                component: "deployment-controller",
                on: reference(deployments, "Deployment", key)?,
                reason: "ScalingReplicaSet",
                message: format!("Scaled {direction} replica set {} to {to} from {from}", req.name),
                append_created_name: false,
            })
        }
        _ => None,
    }
}

/// The final message, given the apiserver's reply.
pub fn message(intent: &Intent, reply: &ApiBody) -> String {
    match reply {
        ApiBody::Object(o) if intent.append_created_name => format!("{}{}", intent.message, o.meta().name),
        _ => intent.message.clone(),
    }
}
