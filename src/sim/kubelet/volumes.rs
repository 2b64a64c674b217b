//! The kubelet's volume manager (WaitForAttachAndMount): before the pod's sandbox starts,
//! every volume is set up, one after the other. An emptyDir is a directory; a configMap or
//! secret volume is read through the apiserver (the Node authorizer lets the kubelet read
//! them); a PersistentVolumeClaim is followed to its PersistentVolume, the kubelet waits for
//! the VolumeAttachment the attach/detach controller created to say `attached`, then calls
//! the CSI node plugin: NodeStageVolume (format and mount the disk at its global mount) and
//! NodePublishVolume (bind-mount it into the pod). A volume that cannot be set up is a
//! FailedMount warning and is tried again.

use super::worker::Step;
use super::{Kubelet, Tag};
use crate::sim::api::request::{ApiBody, ApiRequest, ApiResponse, Verb};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::{attachment_name, Object, Pod, VolumeKind};
use crate::sim::event::Timer;
use crate::sim::recorder;
use crate::sim::rng::Draw;
use crate::sim::time::{MILLIS, SECONDS};
use crate::sim::Ctx;

/// How long the kubelet waits before looking again at an attachment not yet attached, or
/// retrying a volume that failed.
const ATTACH_POLL_US: u64 = SECONDS;
const RETRY_US: u64 = 2 * SECONDS;

/// A ConfigMap or Secret key a container's env names: resource, name, key, optional, and
/// the container's index in start order.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvSource {
    pub plural: &'static str,
    pub name: String,
    pub key: String,
    pub optional: bool,
    pub container: usize,
}

/// Every env source of the pod's containers, in start order.
pub fn env_sources(pod: &Pod) -> Vec<EnvSource> {
    let all = pod.spec.init_containers.iter().chain(&pod.spec.containers).enumerate();
    all.flat_map(|(i, c)| c.env.iter().map(move |e| (i, e)))
        .filter_map(|(container, e)| {
            let from = e.value_from.as_ref()?;
            let (plural, sel) = match (&from.config_map_key_ref, &from.secret_key_ref) {
                (Some(k), _) => ("configmaps", k),
                (None, Some(k)) => ("secrets", k),
                _ => return None,
            };
            Some(EnvSource {
                plural,
                name: sel.name.clone(),
                key: sel.key.clone(),
                optional: sel.optional.unwrap_or(false),
                container,
            })
        })
        .collect()
}

/// What a volume lookup was asking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// A ConfigMap or Secret an env var names.
    Env,
    /// The configMap or secret itself.
    Source,
    Claim,
    Volume,
    Attachment,
}

impl Kubelet {
    /// Sets up volume `i` of the pod (past the last one: the sandbox starts).
    pub(super) fn mount(&mut self, ctx: &mut Ctx, pod: &Pod, uid: &str, i: usize, seq: u64) {
        let ns = &pod.metadata.namespace;
        let get = |plural: &str, name: &str| ApiRequest::new(Verb::Get, ResourceInfo::of(plural), ns, name);
        let Some(volume) = pod.spec.volumes.get(i) else {
            // Past the volumes: the env's sources (the kubelet's configmap and secret managers).
            if let Some(src) = env_sources(pod).get(i - pod.spec.volumes.len()) {
                let req = get(src.plural, &src.name);
                self.client.send(ctx, 0, req, Tag::Volume { uid: uid.into(), seq, lookup: Lookup::Env });
            }
            return;
        };
        let (req, lookup) = match volume.kind() {
            VolumeKind::ConfigMap(name) => (get("configmaps", name), Lookup::Source),
            VolumeKind::Secret(name) => (get("secrets", name), Lookup::Source),
            VolumeKind::Claim(name) => (get("persistentvolumeclaims", name), Lookup::Claim),
            VolumeKind::EmptyDir | VolumeKind::Other => {
                ctx.phase("MountVolume.SetUp", format!("volume \"{}\" (emptyDir)", volume.name));
                self.volume_done(ctx, uid, seq, 5 * MILLIS);
                return;
            }
        };
        self.client.send(ctx, 0, req, Tag::Volume { uid: uid.into(), seq, lookup });
    }

    /// The answer to a volume lookup.
    pub(super) fn on_volume_answer(&mut self, ctx: &mut Ctx, uid: &str, seq: u64, lookup: Lookup, resp: ApiResponse) {
        let Some(pod) = self.pod_of(uid) else { return };
        let Some(Step::Mount(i)) = self.workers.get(uid).filter(|w| w.seq == seq).map(|w| w.step) else { return };
        if lookup == Lookup::Env {
            return self.env_read(ctx, &pod, uid, seq, i - pod.spec.volumes.len(), resp);
        }
        let Some(volume) = pod.spec.volumes.get(i) else { return };
        let name = volume.name.clone();
        let object = match resp {
            Ok(ApiBody::Object(o)) => o,
            Ok(_) => return,
            Err(s) if lookup == Lookup::Attachment && s.code == 404 => return self.attachment_missing(ctx, uid, seq),
            Err(s) => {
                let message = format!("MountVolume.SetUp failed for volume \"{name}\" : {}", s.message);
                return self.mount_failed(ctx, &pod, uid, seq, message);
            }
        };
        let get = |plural: &str, ns: &str, n: &str| ApiRequest::new(Verb::Get, ResourceInfo::of(plural), ns, n);
        let next = match (lookup, &object) {
            (Lookup::Source, _) => {
                ctx.phase("MountVolume.SetUp", format!("volume \"{name}\": {} written", object.kind()));
                return self.volume_done(ctx, uid, seq, 20 * MILLIS);
            }
            (Lookup::Claim, Object::PersistentVolumeClaim(c)) if c.spec.volume_name.is_empty() => {
                let message = format!("persistentvolumeclaim \"{}\" is not bound", c.metadata.name);
                return self.mount_failed(ctx, &pod, uid, seq, message);
            }
            (Lookup::Claim, Object::PersistentVolumeClaim(c)) => {
                (get("persistentvolumes", "", &c.spec.volume_name), Lookup::Volume)
            }
            (Lookup::Volume, Object::PersistentVolume(pv)) => match &pv.spec.csi {
                Some(csi) => {
                    let va = attachment_name(&pv.metadata.name, &csi.driver, &self.config.name);
                    (get("volumeattachments", "", &va), Lookup::Attachment)
                }
                None => {
                    ctx.phase("MountVolume.SetUp", format!("volume \"{}\"", pv.metadata.name));
                    return self.volume_done(ctx, uid, seq, 50 * MILLIS);
                }
            },
            (Lookup::Attachment, Object::VolumeAttachment(va)) if va.status.attached => {
                let pv = va.spec.source.persistent_volume_name.clone().unwrap_or_default();
                let stage = self.rng.between(200, 500) * MILLIS;
                let publish = self.rng.between(30, 100) * MILLIS;
                ctx.phase("NodeStageVolume", format!("{pv}: ext4 mounted at its global mount"));
                ctx.phase("NodePublishVolume", format!("{pv}: bind-mounted into the pod as \"{name}\""));
                return self.volume_done(ctx, uid, seq, stage + publish);
            }
            (Lookup::Attachment, _) => {
                ctx.phase("WaitForAttach", format!("volume \"{name}\": not attached yet"));
                return self.volume_retry(ctx, uid, seq, ATTACH_POLL_US);
            }
            _ => return,
        };
        self.client.send(ctx, 0, next.0, Tag::Volume { uid: uid.into(), seq, lookup: next.1 });
    }

    /// An env source read: a missing object or key (not optional) will hold the container.
    fn env_read(&mut self, ctx: &mut Ctx, pod: &Pod, uid: &str, seq: u64, j: usize, resp: ApiResponse) {
        let Some(src) = env_sources(pod).get(j).cloned() else { return };
        let (kind, title) = if src.plural == "configmaps" { ("configmap", "ConfigMap") } else { ("secret", "Secret") };
        let has_key = |o: &Object| match o {
            Object::ConfigMap(c) => c.data.contains_key(&src.key),
            Object::Secret(s) => s.data.contains_key(&src.key),
            _ => false,
        };
        let error = match resp {
            _ if src.optional => None,
            Ok(ApiBody::Object(o)) if has_key(&o) => None,
            Ok(_) => Some(format!("couldn't find key {} in {title} {}/{}", src.key, pod.metadata.namespace, src.name)),
            Err(s) if s.code == 404 => Some(format!("{kind} \"{}\" not found", src.name)),
            Err(s) => Some(s.message),
        };
        if let (Some(e), Some(w)) = (error, self.workers.get_mut(uid)) {
            w.config_error.get_or_insert((src.container, e));
        }
        self.volume_done(ctx, uid, seq, MILLIS);
    }

    /// A 404 on the attachment is "not created yet": the controller has not caught up.
    pub(super) fn attachment_missing(&mut self, ctx: &mut Ctx, uid: &str, seq: u64) {
        ctx.phase("WaitForAttach", "no VolumeAttachment yet");
        self.volume_retry(ctx, uid, seq, ATTACH_POLL_US);
    }

    fn mount_failed(&mut self, ctx: &mut Ctx, pod: &Pod, uid: &str, seq: u64, message: String) {
        let on = recorder::reference("Pod", &pod.metadata);
        let req = self.recorder.event(ctx.now, on, recorder::WARNING, "FailedMount", message);
        self.client.send_event(ctx, req, Tag::Other);
        self.volume_retry(ctx, uid, seq, RETRY_US);
    }

    /// The volume is set up after `after`: the next one follows.
    fn volume_done(&mut self, ctx: &mut Ctx, uid: &str, seq: u64, after: u64) {
        if let Some(w) = self.workers.get_mut(uid) {
            w.volume_ready = true;
        }
        ctx.timer(after, Timer::PodStep { uid: uid.into(), seq });
    }

    /// The volume is not ready: the same step runs again after `after`.
    fn volume_retry(&mut self, ctx: &mut Ctx, uid: &str, seq: u64, after: u64) {
        if let Some(w) = self.workers.get_mut(uid) {
            w.volume_ready = false;
        }
        ctx.timer(after, Timer::PodStep { uid: uid.into(), seq });
    }
}
