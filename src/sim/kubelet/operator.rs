//! The playground's operator image, `kube-playground/website-operator`: a custom controller
//! that runs in a pod, as operators do. While its container runs, it lists and watches
//! `websites.example.com` (a CustomResourceDefinition the user installs), Deployments and
//! Services through the apiserver — with its pod's ServiceAccount token, so RBAC decides what
//! it may do — and reconciles each Website into a Deployment and a Service of the same name.
//! A finalizer lets it delete them when the Website goes; it writes the available replicas and
//! the Service's address into the Website's status.

use crate::sim::api::request::{ApiRequest, Credential, Verb, WatchType};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::*;
use crate::sim::client::{bookmark, hang_up, key_of, rewatch_later, started, watch_failed, ApiClient, Informer};
use crate::sim::event::{Message, Payload, Timer};
use crate::sim::vecmap::VecSet;
use crate::sim::Ctx;

/// The program name in the image reference.
pub const PROGRAM: &str = "website-operator";
const FINALIZER: &str = "websites.example.com/cleanup";
/// Time one reconcile takes, µs.
const RECONCILE_US: u64 = 500;

/// The Website API the operator was built against (its generated client, in real life).
pub static WEBSITES: ResourceInfo = ResourceInfo {
    plural: "websites",
    singular: "website",
    short: &[],
    kind: "Website",
    group: "example.com",
    version: "v1",
    namespaced: true,
    etcd_prefix: "/registry/example.com/websites",
};

/// Whether a pod's first container runs the operator image.
pub fn runs_operator(pod: &Pod) -> bool {
    let image = pod.spec.containers.first().map_or("", |c| c.image.as_str());
    super::images::base_name(image) == PROGRAM
}

#[derive(Clone, Debug)]
pub struct WebsiteOperator {
    /// The pod it runs in.
    pub pod_key: String,
    client: ApiClient<()>,
    websites: Informer,
    deployments: Informer,
    services: Informer,
    queue: VecSet<String>,
    busy: bool,
    /// Its slot among the node's programs: the ControllerWork timer it answers to.
    slot: u8,
    first_id: u64,
}

/// Each program's request ids live in their own block of 2^40, above the kubelet's.
pub const ID_BLOCK_BITS: u32 = 40;

impl WebsiteOperator {
    /// Starts with the pod's ServiceAccount token; request ids from `first_id` keep its
    /// answers apart from the kubelet's.
    pub fn start(ctx: &mut Ctx, pod_key: &str, apiserver: u32, token: String, first_id: u64, slot: u8) -> Self {
        let mut op = WebsiteOperator {
            pod_key: pod_key.to_string(),
            client: ApiClient::with_first_id(apiserver, Credential::Bearer(token), first_id),
            websites: Informer::new(&WEBSITES, None),
            deployments: Informer::new(ResourceInfo::of("deployments"), None),
            services: Informer::new(ResourceInfo::of("services"), None),
            queue: VecSet::new(),
            busy: false,
            slot,
            first_id,
        };
        ctx.phase(PROGRAM, format!("{pod_key}: starting informers on websites, deployments, services"));
        for inf in [&mut op.websites, &mut op.deployments, &mut op.services] {
            inf.start(ctx, &mut op.client, ());
        }
        op
    }

    /// Whether an answer or watch event with this id is the operator's.
    pub fn owns(&self, id: u64) -> bool {
        id >> ID_BLOCK_BITS == self.first_id >> ID_BLOCK_BITS
    }

    fn informers(&mut self) -> [&mut Informer; 3] {
        [&mut self.websites, &mut self.deployments, &mut self.services]
    }

    /// The container stopped: its connections close.
    pub fn stop(&mut self, ctx: &mut Ctx) {
        let client = self.client.clone();
        hang_up(ctx, &client, &mut self.informers());
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: &Timer) {
        match timer {
            Timer::ControllerWork { controller } if *controller == self.slot => {
                self.busy = false;
                let next = self.queue.iter().next().cloned();
                if let Some(key) = next {
                    self.queue.remove(&key);
                    self.reconcile(ctx, &key);
                    self.kick(ctx);
                }
            }
            Timer::Rewatch { resource } => {
                let client = &mut self.client;
                let [a, b, c] = [&mut self.websites, &mut self.deployments, &mut self.services];
                if let Some(inf) =
                    [a, b, c].into_iter().find(|i| i.resource.plural == *resource && i.watch_id.is_none())
                {
                    inf.start(ctx, client, ());
                }
            }
            _ => {}
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: Message) {
        match msg.payload {
            Payload::ApiResp { req_id, resp } => {
                let watch = self.informers().iter().any(|i| i.watch_id == Some(req_id));
                if self.client.complete(ctx, req_id, &resp).is_none() {
                    return;
                }
                match (*resp, watch) {
                    (Ok(body), true) => {
                        if let Some(inf) = self.informers().into_iter().find(|i| i.watch_id == Some(req_id)) {
                            started(ctx, inf, body);
                        }
                        let keys: Vec<String> = self.websites.store.keys().cloned().collect();
                        for k in keys {
                            self.enqueue(ctx, k);
                        }
                    }
                    // A CRD not installed yet (404) or RBAC missing (403): the reflector backs off.
                    (Err(s), true) => {
                        ctx.phase(PROGRAM, format!("{}: failed to list and watch: {}", self.pod_key, s.message));
                        watch_failed(ctx, &mut self.informers(), req_id, &s);
                    }
                    (Err(s), false) => ctx.phase(PROGRAM, format!("{}: {}", self.pod_key, s.message)),
                    (Ok(_), false) => {}
                }
            }
            Payload::WatchClosed { watch_id } => {
                rewatch_later(ctx, &mut self.informers(), watch_id);
            }
            Payload::Bookmark { watch_id, revision } => bookmark(&mut self.informers(), watch_id, revision),
            Payload::Watch(ev) => {
                if self.informers().into_iter().find_map(|i| i.apply(&ev)).is_none() {
                    return;
                }
                // A Website, or something a Website owns, changed.
                let key = match &ev.object {
                    Object::Custom(w) if w.kind == WEBSITES.kind => Some(key_of(&ev.object)),
                    o => o
                        .meta()
                        .owner_references
                        .iter()
                        .find(|r| r.kind == WEBSITES.kind)
                        .map(|r| meta::cache_key(&o.meta().namespace, &r.name)),
                };
                if let (Some(k), false) =
                    (key, ev.type_ == WatchType::Deleted && matches!(ev.object, Object::Custom(_)))
                {
                    self.enqueue(ctx, k);
                }
            }
            _ => {}
        }
    }

    fn enqueue(&mut self, ctx: &mut Ctx, key: String) {
        self.queue.insert(key);
        self.kick(ctx);
    }

    fn kick(&mut self, ctx: &mut Ctx) {
        if !self.busy && !self.queue.is_empty() {
            self.busy = true;
            ctx.timer(RECONCILE_US, Timer::ControllerWork { controller: self.slot });
        }
    }

    fn send(&mut self, ctx: &mut Ctx, what: &str, req: ApiRequest) {
        ctx.phase(PROGRAM, what.to_string());
        self.client.send(ctx, 0, req, ());
    }

    /// One reconcile of the Website `key`.
    fn reconcile(&mut self, ctx: &mut Ctx, key: &str) {
        let Some(Object::Custom(site)) = self.websites.store.get(key).cloned() else { return };
        let (ns, name) = (site.metadata.namespace.clone(), site.metadata.name.clone());
        let spec = site.fields.get("spec").cloned().unwrap_or_default();
        let image = spec["image"].as_str().unwrap_or("nginx").to_string();
        let replicas = spec["replicas"].as_i64().unwrap_or(1) as i32;
        let has_finalizer = site.metadata.finalizers.iter().any(|f| f == FINALIZER);
        let deployment = match self.deployments.store.get(&meta::cache_key(&ns, &name)) {
            Some(Object::Deployment(d)) => Some(d.clone()),
            _ => None,
        };
        let service = self.services.store.get(&meta::cache_key(&ns, &name)).cloned();
        if site.metadata.deletion_timestamp.is_some() {
            // Deleted: remove what it made, then let it go.
            if let Some(d) = &deployment {
                let req = ApiRequest::new(Verb::Delete, ResourceInfo::of("deployments"), &ns, &d.metadata.name);
                self.send(ctx, &format!("{key}: deleting Deployment {name}"), req);
            }
            if service.is_some() {
                let req = ApiRequest::new(Verb::Delete, ResourceInfo::of("services"), &ns, &name);
                self.send(ctx, &format!("{key}: deleting Service {name}"), req);
            }
            if deployment.is_none() && service.is_none() && has_finalizer {
                let rest: Vec<&String> = site.metadata.finalizers.iter().filter(|f| *f != FINALIZER).collect();
                let mut req = ApiRequest::new(Verb::Patch, &WEBSITES, &ns, &name);
                req.patch = Some(serde_json::json!({ "metadata": { "finalizers": rest } }));
                self.send(ctx, &format!("{key}: cleaned up, removing the finalizer"), req);
            }
            return;
        }
        if !has_finalizer {
            let mut list = site.metadata.finalizers.clone();
            list.push(FINALIZER.into());
            let mut req = ApiRequest::new(Verb::Patch, &WEBSITES, &ns, &name);
            req.patch = Some(serde_json::json!({ "metadata": { "finalizers": list } }));
            self.send(ctx, &format!("{key}: adding finalizer {FINALIZER}"), req);
            return;
        }
        let owner = OwnerReference {
            api_version: "example.com/v1".into(),
            kind: WEBSITES.kind.into(),
            name: name.clone(),
            uid: site.metadata.uid.clone(),
            controller: true,
        };
        let labels: std::collections::BTreeMap<String, String> = [("app".to_string(), name.clone())].into();
        match &deployment {
            None => {
                let mut metadata = ObjectMeta::named(&ns, &name);
                metadata.labels = labels.clone();
                metadata.owner_references = vec![owner.clone()];
                let container = Container { name: "web".into(), image: image.clone(), ..Default::default() };
                let d = Deployment {
                    metadata,
                    spec: DeploymentSpec {
                        replicas: Some(replicas),
                        selector: LabelSelector { match_labels: labels.clone(), ..Default::default() },
                        template: PodTemplateSpec {
                            metadata: ObjectMeta { labels: labels.clone(), ..Default::default() },
                            spec: PodSpec { containers: vec![container], ..Default::default() },
                        },
                        ..Default::default()
                    },
                    status: Default::default(),
                };
                let req = ApiRequest::new(Verb::Create, ResourceInfo::of("deployments"), &ns, "")
                    .with_body(Object::Deployment(d));
                self.send(ctx, &format!("{key}: creating Deployment {name} ({replicas} × {image})"), req);
            }
            Some(d) => {
                let current = d.spec.template.spec.containers.first().map(|c| c.image.clone()).unwrap_or_default();
                if current != image || d.spec.replicas != Some(replicas) {
                    let mut req = ApiRequest::new(Verb::Patch, ResourceInfo::of("deployments"), &ns, &name);
                    req.patch = Some(serde_json::json!({ "spec": { "replicas": replicas, "template": { "spec": {
                        "containers": [{ "name": "web", "image": image }] } } } }));
                    self.send(ctx, &format!("{key}: updating Deployment {name} to {replicas} × {image}"), req);
                }
            }
        }
        if service.is_none() {
            let mut metadata = ObjectMeta::named(&ns, &name);
            metadata.owner_references = vec![owner];
            let port = ServicePort { port: 80, target_port: 80, protocol: "TCP".into(), ..Default::default() };
            let svc = Service {
                metadata,
                spec: ServiceSpec { selector: labels, ports: vec![port], ..Default::default() },
                status: Default::default(),
            };
            let req =
                ApiRequest::new(Verb::Create, ResourceInfo::of("services"), &ns, "").with_body(Object::Service(svc));
            self.send(ctx, &format!("{key}: creating Service {name}"), req);
        }
        // Status: what is available, and where.
        let available = deployment.as_ref().map_or(0, |d| d.status.available_replicas);
        let url = format!("http://{name}.{ns}.svc.cluster.local");
        let status = serde_json::json!({ "availableReplicas": available, "url": url });
        if site.fields.get("status") != Some(&status) {
            let mut req = ApiRequest::new(Verb::Patch, &WEBSITES, &ns, &name);
            req.patch = Some(serde_json::json!({ "status": status }));
            self.send(ctx, &format!("{key}: status availableReplicas={available}"), req);
        }
    }
}
