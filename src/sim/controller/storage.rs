//! Which storage controllers a change wakes: the persistentvolume binder, the attach/detach
//! controller and the protection controllers.

use super::{attachdetach, ControllerManager, Loop};
use crate::sim::api::meta::cache_key;
use crate::sim::api::request::WatchType;
use crate::sim::api::{Object, Pod, VolumeKind};
use crate::sim::client::key_of;
use crate::sim::recorder;
use crate::sim::Ctx;

impl ControllerManager {
    /// A claim, volume or attachment changed.
    pub(super) fn storage_changed(&mut self, ctx: &mut Ctx, type_: WatchType, old: Option<&Object>, obj: &Object) {
        let key = key_of(obj);
        let deleting = obj.meta().deletion_timestamp.is_some();
        match obj {
            Object::PersistentVolumeClaim(c) => {
                self.enqueue(ctx, Loop::PersistentVolumeBinder, key.clone());
                if deleting {
                    self.enqueue(ctx, Loop::PvcProtection, key);
                }
                if !c.spec.volume_name.is_empty() {
                    // Its volume may be Released now, or its pods' nodes need it attached.
                    self.enqueue(ctx, Loop::PersistentVolumeBinder, c.spec.volume_name.clone());
                    let nodes: Vec<String> = self
                        .pods
                        .objects()
                        .filter_map(|o| o.as_pod())
                        .filter(|p| p.metadata.namespace == c.metadata.namespace && !p.spec.node_name.is_empty())
                        .filter(|p| claims_of(p).any(|n| n == c.metadata.name))
                        .map(|p| p.spec.node_name.clone())
                        .collect();
                    for n in nodes {
                        self.enqueue(ctx, Loop::AttachDetach, n);
                    }
                }
            }
            Object::PersistentVolume(pv) => {
                if type_ != WatchType::Deleted {
                    self.enqueue(ctx, Loop::PersistentVolumeBinder, key.clone());
                }
                if let Some(r) = &pv.spec.claim_ref {
                    self.enqueue(ctx, Loop::PersistentVolumeBinder, cache_key(&r.namespace, &r.name));
                } else if pv.status.phase == "Available" {
                    // A volume free to take: the waiting claims look again (upstream's resync).
                    self.unbound_claims_again(ctx);
                }
                if deleting {
                    self.enqueue(ctx, Loop::PvcProtection, key);
                }
            }
            Object::VolumeAttachment(va) => {
                self.enqueue(ctx, Loop::AttachDetach, va.spec.node_name.clone());
                let was = matches!(old, Some(Object::VolumeAttachment(o)) if o.status.attached);
                if va.status.attached && !was {
                    self.attached(ctx, &va.spec.node_name, va.spec.source.persistent_volume_name.as_deref());
                }
            }
            _ => {}
        }
    }

    /// Every claim still waiting for a volume goes through the binder again.
    pub(super) fn unbound_claims_again(&mut self, ctx: &mut Ctx) {
        let waiting: Vec<String> = self
            .claims
            .objects()
            .filter(|o| matches!(o, Object::PersistentVolumeClaim(c) if c.spec.volume_name.is_empty()))
            .map(key_of)
            .collect();
        for k in waiting {
            self.enqueue(ctx, Loop::PersistentVolumeBinder, k);
        }
    }

    /// AttachVolume.Attach succeeded: an event on each pod on the node that uses the volume.
    fn attached(&mut self, ctx: &mut Ctx, node: &str, pv: Option<&str>) {
        let Some(pv) = pv else { return };
        let on: Vec<_> = self
            .pods
            .on_node(node)
            .filter_map(|o| o.as_pod())
            .filter(|p| attachdetach::pod_volumes(p, &self.claims, &self.volumes).iter().any(|(v, _)| v == pv))
            .map(|p| recorder::reference("Pod", &p.metadata))
            .collect();
        for r in on {
            let message = format!("AttachVolume.Attach succeeded for volume \"{pv}\" ");
            self.record(ctx, "attachdetach-controller", r, recorder::NORMAL, "SuccessfulAttachVolume", message);
        }
    }

    /// A pod with claims was scheduled, finished or deleted: its node's attachments and its
    /// claims' protection.
    pub(super) fn pod_volumes_changed(&mut self, ctx: &mut Ctx, type_: WatchType, old: Option<&Pod>, pod: &Pod) {
        if claims_of(pod).next().is_none() {
            return;
        }
        let node_changed = old.is_none_or(|o| o.spec.node_name != pod.spec.node_name);
        let finished = type_ == WatchType::Deleted || (pod.is_terminal() && !old.is_some_and(|o| o.is_terminal()));
        if !pod.spec.node_name.is_empty() && (node_changed || finished) {
            self.enqueue(ctx, Loop::AttachDetach, pod.spec.node_name.clone());
        }
        if finished {
            let keys: Vec<String> = claims_of(pod).map(|c| cache_key(&pod.metadata.namespace, c)).collect();
            for k in keys {
                self.enqueue(ctx, Loop::PvcProtection, k);
            }
        }
    }
}

/// The claims a pod mounts.
fn claims_of(pod: &Pod) -> impl Iterator<Item = &str> {
    pod.spec.volumes.iter().filter_map(|v| match v.kind() {
        VolumeKind::Claim(c) => Some(c),
        _ => None,
    })
}
