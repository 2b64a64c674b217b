//! VolumeBinding (pkg/scheduler/framework/plugins/volumebinding), its PreFilter: a pod whose
//! claims are missing, being deleted, or not yet bound under an Immediate StorageClass cannot
//! be scheduled anywhere (UnschedulableAndUnresolvable) until a claim event moves it back.
//! Pods without claims Skip it. Simplified: bound volumes' node affinity is not checked,
//! and WaitForFirstConsumer claims are not bound by the scheduler (they pass).

use crate::sim::api::meta::cache_key;
use crate::sim::api::{Pod, VolumeKind};
use crate::sim::scheduler::framework::{Code, Snapshot, Status};

pub const NAME: &str = "VolumeBinding";
pub const UNBOUND_IMMEDIATE: &str = "pod has unbound immediate PersistentVolumeClaims";

/// A claim as the scheduler sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    Bound,
    /// Unbound, and its class binds at once.
    UnboundImmediate,
    /// Unbound, and its class waits for the first consumer.
    UnboundDelayed,
    Deleting,
}

pub fn pre_filter(pod: &Pod, snap: &Snapshot) -> Status {
    let mut any = false;
    let mut unbound_immediate = false;
    for v in &pod.spec.volumes {
        let VolumeKind::Claim(name) = v.kind() else { continue };
        any = true;
        match snap.claims.get(&cache_key(&pod.metadata.namespace, name)) {
            None => {
                let reason = format!("persistentvolumeclaim \"{name}\" not found");
                return Status::new(Code::UnschedulableAndUnresolvable, reason);
            }
            Some(Claim::Deleting) => {
                let reason = format!("persistentvolumeclaim \"{name}\" is being deleted");
                return Status::new(Code::UnschedulableAndUnresolvable, reason);
            }
            Some(Claim::UnboundImmediate) => unbound_immediate = true,
            Some(Claim::Bound | Claim::UnboundDelayed) => {}
        }
    }
    match (any, unbound_immediate) {
        (false, _) => Status::new(Code::Skip, ""),
        (true, true) => Status::new(Code::UnschedulableAndUnresolvable, UNBOUND_IMMEDIATE),
        (true, false) => Status::success(),
    }
}
