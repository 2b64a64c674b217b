//! The playground's operator image, `kube-playground/website-operator`: a custom controller
//! that runs in a pod, as operators do. While its container runs, it lists and watches
//! `websites.example.com` (a CustomResourceDefinition the user installs), Deployments and
//! Services through the apiserver — with its pod's ServiceAccount token, so RBAC decides what
//! it may do — and reconciles each Website into a Deployment and a Service of the same name.
//! A finalizer lets it delete them when the Website goes; it writes the available replicas and
//! the Service's address into the Website's status.

use super::program::{Core, Seen, Server};
use crate::sim::api::request::{ApiRequest, Verb, WatchType};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::*;
use crate::sim::client::key_of;
use crate::sim::event::{Message, Timer};
use crate::sim::Ctx;

/// The program name in the image reference.
pub const PROGRAM: &str = "website-operator";
const FINALIZER: &str = "websites.example.com/cleanup";

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

#[derive(Clone, Debug)]
pub struct WebsiteOperator {
    pub core: Core,
}

impl WebsiteOperator {
    /// Starts with the pod's ServiceAccount token.
    pub fn start(ctx: &mut Ctx, pod_key: &str, apiserver: Server, token: String, slot: u8) -> Self {
        let resources = [&WEBSITES, ResourceInfo::of("deployments"), ResourceInfo::of("services")];
        WebsiteOperator { core: Core::start(ctx, PROGRAM, pod_key, apiserver, token, slot, &resources) }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: &Timer) {
        if let Some(key) = self.core.on_timer(ctx, timer) {
            self.reconcile(ctx, &key);
            self.core.kick(ctx);
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: Message) {
        match self.core.on_message(ctx, msg) {
            Seen::Listed => {
                let keys: Vec<String> =
                    self.core.store("websites").map(|i| i.store.keys().cloned().collect()).unwrap_or_default();
                for k in keys {
                    self.core.enqueue(ctx, k);
                }
            }
            Seen::Changed { type_, object, .. } => {
                // A Website, or something a Website owns, changed.
                let key = match &*object {
                    Object::Custom(w) if w.kind == WEBSITES.kind => Some(key_of(&object)),
                    o => o
                        .meta()
                        .owner_references
                        .iter()
                        .find(|r| r.kind == WEBSITES.kind)
                        .map(|r| meta::cache_key(&o.meta().namespace, &r.name)),
                };
                if let (Some(k), false) = (key, type_ == WatchType::Deleted && matches!(*object, Object::Custom(_))) {
                    self.core.enqueue(ctx, k);
                }
            }
            Seen::Nothing => {}
        }
    }

    /// One reconcile of the Website `key`.
    fn reconcile(&mut self, ctx: &mut Ctx, key: &str) {
        let Some(Object::Custom(site)) = self.core.store("websites").and_then(|i| i.get(key)).cloned() else {
            return;
        };
        let (ns, name) = (site.metadata.namespace.clone(), site.metadata.name.clone());
        let spec = site.fields.get("spec").cloned().unwrap_or_default();
        let image = spec["image"].as_str().unwrap_or("nginx").to_string();
        let replicas = spec["replicas"].as_i64().unwrap_or(1) as i32;
        let has_finalizer = site.metadata.finalizers.iter().any(|f| f == FINALIZER);
        let deployment = match self.core.store("deployments").and_then(|i| i.get(&meta::cache_key(&ns, &name))) {
            Some(Object::Deployment(d)) => Some(d.clone()),
            _ => None,
        };
        let service = self.core.store("services").and_then(|i| i.get(&meta::cache_key(&ns, &name))).cloned();
        if site.metadata.deletion_timestamp.is_some() {
            // Deleted: remove what it made, then let it go.
            if let Some(d) = &deployment {
                let req = ApiRequest::new(Verb::Delete, ResourceInfo::of("deployments"), &ns, &d.metadata.name);
                self.core.send(ctx, &format!("{key}: deleting Deployment {name}"), req);
            }
            if service.is_some() {
                let req = ApiRequest::new(Verb::Delete, ResourceInfo::of("services"), &ns, &name);
                self.core.send(ctx, &format!("{key}: deleting Service {name}"), req);
            }
            if deployment.is_none() && service.is_none() && has_finalizer {
                let rest: Vec<&String> = site.metadata.finalizers.iter().filter(|f| *f != FINALIZER).collect();
                let mut req = ApiRequest::new(Verb::Patch, &WEBSITES, &ns, &name);
                req.patch = Some(serde_json::json!({ "metadata": { "finalizers": rest } }));
                self.core.send(ctx, &format!("{key}: cleaned up, removing the finalizer"), req);
            }
            return;
        }
        if !has_finalizer {
            let mut list = site.metadata.finalizers.clone();
            list.push(FINALIZER.into());
            let mut req = ApiRequest::new(Verb::Patch, &WEBSITES, &ns, &name);
            req.patch = Some(serde_json::json!({ "metadata": { "finalizers": list } }));
            self.core.send(ctx, &format!("{key}: adding finalizer {FINALIZER}"), req);
            return;
        }
        let owner = OwnerReference {
            api_version: "example.com/v1".into(),
            kind: WEBSITES.kind.into(),
            name: name.clone(),
            uid: site.metadata.uid.clone(),
            controller: true,
        };
        let labels: crate::sim::api::Labels = [("app".to_string(), name.clone())].into();
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
                    .with_body(Object::Deployment(Box::new(d)));
                self.core.send(ctx, &format!("{key}: creating Deployment {name} ({replicas} × {image})"), req);
            }
            Some(d) => {
                let current = d.spec.template.spec.containers.first().map(|c| c.image.clone()).unwrap_or_default();
                if current != image || d.spec.replicas != Some(replicas) {
                    let mut req = ApiRequest::new(Verb::Patch, ResourceInfo::of("deployments"), &ns, &name);
                    req.patch = Some(serde_json::json!({ "spec": { "replicas": replicas, "template": { "spec": {
                        "containers": [{ "name": "web", "image": image }] } } } }));
                    self.core.send(ctx, &format!("{key}: updating Deployment {name} to {replicas} × {image}"), req);
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
            self.core.send(ctx, &format!("{key}: creating Service {name}"), req);
        }
        // Status: what is available, and where.
        let available = deployment.as_ref().map_or(0, |d| d.status.available_replicas);
        let url = format!("http://{name}.{ns}.svc.cluster.local");
        let status = serde_json::json!({ "availableReplicas": available, "url": url });
        if site.fields.get("status") != Some(&status) {
            let mut req = ApiRequest::new(Verb::Patch, &WEBSITES, &ns, &name);
            req.patch = Some(serde_json::json!({ "status": status }));
            self.core.send(ctx, &format!("{key}: status availableReplicas={available}"), req);
        }
    }
}
