//! The attach/detach controller (pkg/controller/volume/attachdetach): for every node, the
//! CSI volumes its pods need attached — each pod's claims, bound to PersistentVolumes of a
//! CSI driver — as VolumeAttachment objects `csi-<sha256>` for the driver's external-attacher
//! to act on; an attachment no pod on the node needs any more is deleted (detached). Keys are
//! node names. Not modelled: the 6-minute maxWaitForUnmountDuration, multi-attach errors.

use crate::sim::api::request::{ApiRequest, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::*;
use crate::sim::client::Informer;
use crate::sim::vecmap::VecMap;

/// The PersistentVolumes (with their CSI driver) that pod needs, via its claims.
pub fn pod_volumes<'a>(pod: &Pod, claims: &'a Informer, volumes: &'a Informer) -> Vec<(String, String)> {
    pod.spec
        .volumes
        .iter()
        .filter_map(|v| match v.kind() {
            VolumeKind::Claim(c) => Some(c),
            _ => None,
        })
        .filter_map(|c| match claims.get(&meta::cache_key(&pod.metadata.namespace, c)) {
            Some(Object::PersistentVolumeClaim(c)) if !c.spec.volume_name.is_empty() => {
                match volumes.get(&c.spec.volume_name) {
                    Some(Object::PersistentVolume(pv)) => {
                        pv.spec.csi.as_ref().map(|csi| (pv.metadata.name.clone(), csi.driver.clone()))
                    }
                    _ => None,
                }
            }
            _ => None,
        })
        .collect()
}

pub fn sync(
    node: &str,
    pods: &Informer,
    claims: &Informer,
    volumes: &Informer,
    attachments: &Informer,
) -> Vec<ApiRequest> {
    let res = ResourceInfo::of("volumeattachments");
    // Desired state of the world: attachment name → (volume, driver).
    let mut desired: VecMap<String, (String, String)> = VecMap::new();
    for pod in pods.on_node(node).filter_map(|o| o.as_pod()) {
        if pod.is_terminal() {
            continue;
        }
        for (pv, driver) in pod_volumes(pod, claims, volumes) {
            desired.insert(attachment_name(&pv, &driver, node), (pv, driver));
        }
    }
    let mut out = Vec::new();
    for (name, (pv, driver)) in desired.iter() {
        if !attachments.store.contains_key(name) {
            let va = VolumeAttachment {
                metadata: ObjectMeta::named("", name),
                spec: VolumeAttachmentSpec {
                    attacher: driver.clone(),
                    node_name: node.into(),
                    source: VolumeAttachmentSource { persistent_volume_name: Some(pv.clone()) },
                },
                status: Default::default(),
            };
            out.push(ApiRequest::new(Verb::Create, res, "", "").with_body(Object::VolumeAttachment(va)));
        }
    }
    for a in attachments.objects() {
        if let Object::VolumeAttachment(va) = a {
            let gone = va.spec.node_name == node
                && va.metadata.deletion_timestamp.is_none()
                && desired.get(&va.metadata.name).is_none();
            if gone {
                out.push(ApiRequest::new(Verb::Delete, res, "", &va.metadata.name));
            }
        }
    }
    out
}
