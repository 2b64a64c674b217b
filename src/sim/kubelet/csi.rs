//! The playground's CSI driver, `kube-playground/csi-driver` — its controller pod, as CSI
//! drivers deploy it: the driver's controller plugin with the external-provisioner and
//! external-attacher sidecars, talking to the apiserver with the pod's ServiceAccount token.
//!
//! - external-provisioner: a claim the persistentvolume controller handed to this driver
//!   (annotation `volume.kubernetes.io/storage-provisioner`) gets a disk (CreateVolume, about
//!   a second and a half at the simulated disk API) and a PersistentVolume `pvc-<claim uid>`
//!   pre-bound to it; a Released volume with reclaimPolicy Delete has its disk deleted, then
//!   its PersistentVolume.
//! - external-attacher: a VolumeAttachment for this driver gets the disk attached to its node
//!   (ControllerPublishVolume, a couple of seconds) and `status.attached: true`; one being
//!   deleted is detached before its finalizer goes.
//!
//! The node plugin's NodeStageVolume and NodePublishVolume are the kubelet's (see
//! [`super::volumes`]); the node DaemonSet that serves them is not modelled as pods.

use super::program::{Core, Seen, Server};
use crate::sim::api::meta::cache_key;
use crate::sim::api::request::{ApiRequest, Verb, WatchType};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::*;
use crate::sim::client::key_of;
use crate::sim::event::{Message, Timer};
use crate::sim::recorder::{self, Recorder};
use crate::sim::rng::fnv1a64;
use crate::sim::time::MILLIS;
use crate::sim::vecmap::{VecMap, VecSet};
use crate::sim::Ctx;

/// The program name in the image reference.
pub const PROGRAM: &str = "csi-driver";
/// The CSI driver's name: the StorageClass's provisioner and the VolumeAttachments' attacher.
pub const DRIVER: &str = "disk.csi.kube-playground.dev";
/// The annotation the persistentvolume controller sets to hand a claim to a provisioner.
pub const STORAGE_PROVISIONER: &str = "volume.kubernetes.io/storage-provisioner";
pub const PROVISIONED_BY: &str = "pv.kubernetes.io/provisioned-by";
/// The finalizer external-attacher puts on the VolumeAttachments it attached.
pub const ATTACHER_FINALIZER: &str = "external-attacher/disk-csi-kube-playground-dev";

/// A call at the simulated disk API, under way.
#[derive(Clone, Debug, PartialEq)]
enum Call {
    CreateVolume { claim: String },
    DeleteVolume { pv: String },
    ControllerPublish { va: String },
    ControllerUnpublish { va: String },
}

impl Call {
    /// The object it is about, as a queue key.
    fn key(&self) -> String {
        match self {
            Call::CreateVolume { claim } => format!("pvc:{claim}"),
            Call::DeleteVolume { pv } => format!("pv:{pv}"),
            Call::ControllerPublish { va } | Call::ControllerUnpublish { va } => format!("va:{va}"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct CsiController {
    pub core: Core,
    /// Disk API calls under way, by timer token.
    calls: VecMap<u64, Call>,
    /// Claims provisioned whose PersistentVolume is not yet seen on the watch.
    provisioned: VecSet<String>,
    recorder: Recorder,
}

/// How long a call at the disk API takes: `base` plus up to half of it more, drawn from
/// the object's name (the program has no random source of its own).
fn latency(base_ms: u64, name: &str) -> u64 {
    (base_ms + fnv1a64(name.as_bytes()) % (base_ms / 2 + 1)) * MILLIS
}

impl CsiController {
    pub fn start(ctx: &mut Ctx, pod_key: &str, apiserver: Server, token: String, slot: u8) -> Self {
        let resources = [
            ResourceInfo::of("persistentvolumeclaims"),
            ResourceInfo::of("persistentvolumes"),
            ResourceInfo::of("storageclasses"),
            ResourceInfo::of("volumeattachments"),
        ];
        let pod = pod_key.rsplit('/').next().unwrap_or(pod_key);
        // The provisioner's identity, as its events name their source: driver_pod_instance.
        let identity = format!("{DRIVER}_{pod}_{:016x}", fnv1a64(pod_key.as_bytes()));
        CsiController {
            core: Core::start(ctx, PROGRAM, pod_key, apiserver, token, slot, &resources),
            calls: VecMap::new(),
            provisioned: VecSet::new(),
            recorder: Recorder::new(&identity, ""),
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: &Timer) {
        if let Timer::Retry { token } = timer {
            if let Some(call) = self.calls.remove(token) {
                self.finish(ctx, call);
            }
            return;
        }
        if let Some(key) = self.core.on_timer(ctx, timer) {
            self.reconcile(ctx, &key);
            self.core.kick(ctx);
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: Message) {
        match self.core.on_message(ctx, msg) {
            Seen::Listed => {
                let mut keys = Vec::new();
                for (plural, prefix) in
                    [("persistentvolumeclaims", "pvc"), ("persistentvolumes", "pv"), ("volumeattachments", "va")]
                {
                    if let Some(inf) = self.core.store(plural) {
                        keys.extend(inf.store.keys().map(|k| format!("{prefix}:{k}")));
                    }
                }
                for k in keys {
                    self.core.enqueue(ctx, k);
                }
            }
            Seen::Changed { type_, object, .. } => {
                let key = key_of(&object);
                let queued = match &*object {
                    Object::PersistentVolumeClaim(_) if type_ != WatchType::Deleted => Some(format!("pvc:{key}")),
                    Object::PersistentVolume(pv) => {
                        if let Some(c) = &pv.spec.claim_ref {
                            self.provisioned.remove(&cache_key(&c.namespace, &c.name));
                        }
                        (type_ != WatchType::Deleted).then(|| format!("pv:{key}"))
                    }
                    Object::VolumeAttachment(va) if type_ == WatchType::Deleted => {
                        va.spec.source.persistent_volume_name.as_ref().map(|pv| format!("pv:{pv}"))
                    }
                    Object::VolumeAttachment(_) => Some(format!("va:{key}")),
                    _ => None,
                };
                if let Some(k) = queued {
                    self.core.enqueue(ctx, k);
                }
            }
            Seen::Nothing => {}
        }
    }

    fn busy(&self, key: &str) -> bool {
        self.calls.values().any(|c| c.key() == key)
    }

    /// Starts a disk API call; it completes on its timer.
    fn call(&mut self, ctx: &mut Ctx, call: Call, base_ms: u64, what: String) {
        let token = self.core.token();
        let name = call.key();
        ctx.phase(PROGRAM, what);
        ctx.timer(latency(base_ms, &name), Timer::Retry { token });
        self.calls.insert(token, call);
    }

    fn object(&self, plural: &str, key: &str) -> Option<&Object> {
        self.core.store(plural)?.get(key)
    }

    fn reconcile(&mut self, ctx: &mut Ctx, key: &str) {
        if self.busy(key) {
            return;
        }
        let Some((kind, name)) = key.split_once(':') else { return };
        match kind {
            "pvc" => self.provision(ctx, name),
            "pv" => self.delete_released(ctx, name),
            _ => self.attach(ctx, name),
        }
    }

    /// external-provisioner: a claim handed to this driver gets a volume.
    fn provision(&mut self, ctx: &mut Ctx, claim_key: &str) {
        let Some(Object::PersistentVolumeClaim(claim)) = self.object("persistentvolumeclaims", claim_key).cloned()
        else {
            return;
        };
        let mine = claim.metadata.annotations.get(STORAGE_PROVISIONER).is_some_and(|d| d == DRIVER);
        let pv_name = format!("pvc-{}", claim.metadata.uid);
        if !mine
            || !claim.spec.volume_name.is_empty()
            || claim.metadata.deletion_timestamp.is_some()
            || self.provisioned.contains(claim_key)
            || self.object("persistentvolumes", &pv_name).is_some()
        {
            return;
        }
        let on = recorder::reference("PersistentVolumeClaim", &claim.metadata);
        let message = format!("External provisioner is provisioning volume for claim \"{claim_key}\"");
        self.event(ctx, on, recorder::NORMAL, "Provisioning", message);
        let size = claim.requested().to_string();
        self.call(
            ctx,
            Call::CreateVolume { claim: claim_key.into() },
            1000,
            format!("CreateVolume {pv_name} ({size})"),
        );
    }

    /// external-provisioner's deleter: a Released volume of this driver with reclaimPolicy
    /// Delete loses its disk, then its PersistentVolume.
    fn delete_released(&mut self, ctx: &mut Ctx, name: &str) {
        let Some(Object::PersistentVolume(pv)) = self.object("persistentvolumes", name) else { return };
        let ours = pv.metadata.annotations.get(PROVISIONED_BY).is_some_and(|d| d == DRIVER);
        let releasable = ours
            && pv.status.phase == "Released"
            && pv.spec.persistent_volume_reclaim_policy == "Delete"
            && pv.metadata.deletion_timestamp.is_none();
        if !releasable {
            return;
        }
        let handle = pv.spec.csi.as_ref().map(|c| c.volume_handle.clone()).unwrap_or_default();
        let attached = self.core.store("volumeattachments").is_some_and(|i| {
            i.objects().any(|o| {
                matches!(o, Object::VolumeAttachment(va) if va.spec.source.persistent_volume_name.as_deref() == Some(name))
            })
        });
        if attached {
            // The disk API refuses to delete an attached disk; the attachment's deletion
            // brings the volume back here.
            ctx.phase(PROGRAM, format!("DeleteVolume {handle}: the disk is still attached, waiting"));
            return;
        }
        self.call(ctx, Call::DeleteVolume { pv: name.into() }, 800, format!("DeleteVolume {handle} ({name})"));
    }

    /// external-attacher: attach (or detach) the disk of a VolumeAttachment.
    fn attach(&mut self, ctx: &mut Ctx, name: &str) {
        let Some(Object::VolumeAttachment(va)) = self.object("volumeattachments", name).cloned() else { return };
        if va.spec.attacher != DRIVER {
            return;
        }
        let pv = va.spec.source.persistent_volume_name.clone().unwrap_or_default();
        let has_finalizer = va.metadata.finalizers.iter().any(|f| f == ATTACHER_FINALIZER);
        if va.metadata.deletion_timestamp.is_some() {
            if has_finalizer {
                let what = format!("ControllerUnpublishVolume {pv} from {}", va.spec.node_name);
                self.call(ctx, Call::ControllerUnpublish { va: name.into() }, 1500, what);
            }
            return;
        }
        if va.status.attached {
            return;
        }
        if !has_finalizer {
            let mut finalizers = va.metadata.finalizers.clone();
            finalizers.push(ATTACHER_FINALIZER.into());
            let mut req = ApiRequest::new(Verb::Patch, ResourceInfo::of("volumeattachments"), "", name);
            req.patch = Some(serde_json::json!({ "metadata": { "finalizers": finalizers } }));
            self.core.send(ctx, &format!("{name}: adding finalizer {ATTACHER_FINALIZER}"), req);
        }
        let what = format!("ControllerPublishVolume {pv} to {}", va.spec.node_name);
        self.call(ctx, Call::ControllerPublish { va: name.into() }, 2000, what);
    }

    /// A disk API call came back: write its outcome to the API.
    fn finish(&mut self, ctx: &mut Ctx, call: Call) {
        match call {
            Call::CreateVolume { claim } => {
                let Some(Object::PersistentVolumeClaim(c)) = self.object("persistentvolumeclaims", &claim).cloned()
                else {
                    return;
                };
                let class = c.spec.storage_class_name.clone().unwrap_or_default();
                let reclaim = match self.object("storageclasses", &class) {
                    Some(Object::StorageClass(sc)) => sc.reclaim_policy.clone(),
                    _ => "Delete".into(),
                };
                let pv = provisioned_volume(&c, &class, &reclaim);
                let name = pv.metadata.name.clone();
                self.provisioned.insert(claim.clone());
                let req = ApiRequest::new(Verb::Create, ResourceInfo::of("persistentvolumes"), "", "")
                    .with_body(Object::PersistentVolume(pv));
                self.core.send(ctx, &format!("{claim}: creating PersistentVolume {name}"), req);
                let on = recorder::reference("PersistentVolumeClaim", &c.metadata);
                self.event(
                    ctx,
                    on,
                    recorder::NORMAL,
                    "ProvisioningSucceeded",
                    format!("Successfully provisioned volume {name}"),
                );
            }
            Call::DeleteVolume { pv } => {
                let req = ApiRequest::new(Verb::Delete, ResourceInfo::of("persistentvolumes"), "", &pv);
                self.core.send(ctx, &format!("{pv}: disk deleted, deleting the PersistentVolume"), req);
            }
            Call::ControllerPublish { va } => {
                let mut req = ApiRequest::new(Verb::Patch, ResourceInfo::of("volumeattachments"), "", &va)
                    .with_subresource("status");
                req.patch = Some(serde_json::json!({ "status": { "attached": true } }));
                self.core.send(ctx, &format!("{va}: attached"), req);
            }
            Call::ControllerUnpublish { va } => {
                let Some(Object::VolumeAttachment(a)) = self.object("volumeattachments", &va) else { return };
                let rest: Vec<&String> = a.metadata.finalizers.iter().filter(|f| *f != ATTACHER_FINALIZER).collect();
                let mut req = ApiRequest::new(Verb::Patch, ResourceInfo::of("volumeattachments"), "", &va);
                req.patch = Some(serde_json::json!({ "metadata": { "finalizers": rest } }));
                self.core.send(ctx, &format!("{va}: detached, removing the finalizer"), req);
            }
        }
    }

    fn event(&mut self, ctx: &mut Ctx, on: ObjectReference, type_: &str, reason: &str, message: String) {
        let req = self.recorder.event(ctx.now, on, type_, reason, message);
        self.core.send_event(ctx, &format!("event {reason}"), req);
    }
}

/// The PersistentVolume external-provisioner creates for a claim: pre-bound to it
/// (claimRef), sized and shaped as it asked, backed by a new disk.
fn provisioned_volume(c: &PersistentVolumeClaim, class: &str, reclaim: &str) -> PersistentVolume {
    let mut metadata = ObjectMeta::named("", &format!("pvc-{}", c.metadata.uid));
    metadata.annotations.insert(PROVISIONED_BY.into(), DRIVER.into());
    let handle = format!("vol-{:016x}", fnv1a64(c.metadata.uid.as_bytes()));
    PersistentVolume {
        metadata,
        spec: PersistentVolumeSpec {
            capacity: [("storage".to_string(), c.requested().to_string())].into(),
            access_modes: c.spec.access_modes.clone(),
            persistent_volume_reclaim_policy: reclaim.into(),
            storage_class_name: class.into(),
            claim_ref: Some(ClaimReference {
                kind: "PersistentVolumeClaim".into(),
                namespace: c.metadata.namespace.clone(),
                name: c.metadata.name.clone(),
                uid: c.metadata.uid.clone(),
            }),
            csi: Some(CsiPersistentVolumeSource {
                driver: DRIVER.into(),
                volume_handle: handle,
                fs_type: "ext4".into(),
            }),
            volume_mode: c.spec.volume_mode.clone(),
        },
        status: Default::default(),
    }
}
