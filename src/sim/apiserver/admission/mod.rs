//! Admission control (k8s.io/apiserver/pkg/admission): the plugins of
//! `--enable-admission-plugins`, in upstream order. Mutating plugins run on a create before
//! validation; validating ones after it, where ResourceQuota charges usage. The cluster runs
//! upstream's default-on set plus kubeadm's NodeRestriction; the ones this playground models
//! are listed in `MODELLED`, the rest are named in the flag but do nothing here.

pub mod default_toleration_seconds;
pub mod limit_ranger;
pub mod namespace_lifecycle;
pub mod priority;
pub mod resource_quota;
pub mod service_account;
pub mod storage;

use crate::sim::api::request::{ApiRequest, Status, Verb};
use crate::sim::api::{Object, ResourceQuota};

/// The plugins on by default (pkg/kubeapiserver/options/plugins.go), in execution order.
pub const DEFAULT_ON: &[&str] = &[
    "NamespaceLifecycle",
    "LimitRanger",
    "ServiceAccount",
    "TaintNodesByCondition",
    "PodSecurity",
    "Priority",
    "DefaultTolerationSeconds",
    "DefaultStorageClass",
    "StorageObjectInUseProtection",
    "PersistentVolumeClaimResize",
    "RuntimeClass",
    "CertificateApproval",
    "CertificateSigning",
    "ClusterTrustBundleAttest",
    "CertificateSubjectRestriction",
    "DefaultIngressClass",
    "MutatingAdmissionWebhook",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionWebhook",
    "ResourceQuota",
];

/// The plugins that act in this playground.
pub const MODELLED: &[&str] = &[
    "NamespaceLifecycle",
    "LimitRanger",
    "ServiceAccount",
    "Priority",
    "DefaultTolerationSeconds",
    "DefaultStorageClass",
    "StorageObjectInUseProtection",
    "ResourceQuota",
];

/// The enabled plugins: the default-on set, plus `--enable-admission-plugins`, minus
/// `--disable-admission-plugins`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    pub enabled: Vec<String>,
    /// The `--enable-admission-plugins` and `--disable-admission-plugins` values, as the
    /// static pod manifest shows them.
    pub flag: Vec<String>,
    pub disabled: Vec<String>,
}

impl Chain {
    pub fn new(enable: &[String], disable: &[String]) -> Result<Chain, String> {
        let known = |p: &String| DEFAULT_ON.contains(&p.as_str()) || p == "NodeRestriction";
        if let Some(p) = enable.iter().chain(disable).find(|p| !known(p)) {
            return Err(format!("enable-admission-plugins plugin \"{p}\" is unknown"));
        }
        let mut enabled: Vec<String> = DEFAULT_ON.iter().map(|p| p.to_string()).collect();
        enabled.extend(enable.iter().filter(|p| !DEFAULT_ON.contains(&p.as_str())).cloned());
        enabled.retain(|p| !disable.contains(p));
        Ok(Chain { enabled, flag: enable.to_vec(), disabled: disable.to_vec() })
    }

    pub fn on(&self, plugin: &str) -> bool {
        self.enabled.iter().any(|p| p == plugin)
    }
}

impl Default for Chain {
    /// kubeadm's kube-apiserver: `--enable-admission-plugins=NodeRestriction`.
    fn default() -> Self {
        Chain::new(&["NodeRestriction".into()], &[]).unwrap_or(Chain {
            enabled: vec![],
            flag: vec![],
            disabled: vec![],
        })
    }
}

/// What the plugins read from the apiserver's informers (the watch cache here).
pub trait Lookup {
    fn namespaced(&self, plural: &str, namespace: &str) -> Vec<&Object>;
    fn cluster(&self, plural: &str) -> Vec<&Object>;
}

/// The name a denial names: the object's name, or its generateName prefix before one is drawn.
pub fn forbidden(req: &ApiRequest, message: impl std::fmt::Display) -> Status {
    let meta = req.body.as_ref().map(|b| b.meta());
    let name = match meta {
        Some(m) if !m.name.is_empty() => m.name.as_str(),
        Some(m) => m.generate_name.as_str(),
        None => req.name.as_str(),
    };
    Status::forbidden(format!("{} \"{name}\" is forbidden: {message}", req.resource.qualified()))
}

/// utilerrors.NewAggregate's text: one error as is, several as `[a, b]`.
pub fn aggregate(errs: &[String]) -> String {
    match errs {
        [one] => one.clone(),
        _ => format!("[{}]", errs.join(", ")),
    }
}

fn creating(req: &ApiRequest) -> bool {
    req.verb == Verb::Create && req.subresource.is_empty()
}

/// The plugins that ran on a request, and whether each rejected it (for the metrics).
pub type Trail = Vec<(&'static str, bool)>;

/// Runs `plugin` if enabled, noting it in the trail.
fn step<T: Default>(
    chain: &Chain,
    plugin: &'static str,
    trail: &mut Trail,
    f: impl FnOnce() -> Result<T, Status>,
) -> Result<T, Status> {
    if !chain.on(plugin) {
        return Ok(T::default());
    }
    let r = f();
    trail.push((plugin, r.is_err()));
    r
}

/// The mutating plugins, on the object a create is about to store.
pub fn mutate(
    chain: &Chain,
    req: &ApiRequest,
    obj: &mut Object,
    lookup: &dyn Lookup,
    trail: &mut Trail,
) -> Result<(), Status> {
    if !creating(req) {
        return Ok(());
    }
    step(chain, "DefaultStorageClass", trail, || {
        let classes = lookup.cluster("storageclasses");
        let classes = classes.into_iter().filter_map(|o| match o {
            Object::StorageClass(c) => Some(c),
            _ => None,
        });
        storage::default_storage_class(obj, classes);
        Ok(())
    })?;
    step(chain, "StorageObjectInUseProtection", trail, || {
        storage::in_use_protection(obj);
        Ok(())
    })?;
    let Object::Pod(pod) = obj else { return Ok(()) };
    let ns = pod.metadata.namespace.clone();
    step(chain, "LimitRanger", trail, || {
        for lr in lookup.namespaced("limitranges", &ns) {
            if let Object::LimitRange(lr) = lr {
                limit_ranger::default_pod(pod, lr);
            }
        }
        Ok(())
    })?;
    step(chain, "ServiceAccount", trail, || {
        let accounts = lookup.namespaced("serviceaccounts", &ns);
        service_account::admit(pod, |name| accounts.iter().any(|a| a.meta().name == name))
            .map_err(|e| forbidden(req, e))
    })?;
    step(chain, "Priority", trail, || {
        let classes: Vec<_> = lookup
            .cluster("priorityclasses")
            .into_iter()
            .filter_map(|o| match o {
                Object::PriorityClass(pc) => Some(pc),
                _ => None,
            })
            .collect();
        priority::admit(pod, &classes).map_err(|e| forbidden(req, e))
    })?;
    step(chain, "DefaultTolerationSeconds", trail, || {
        default_toleration_seconds::admit(pod);
        Ok(())
    })
}

/// The validating plugins. Returns the quotas to charge, with their new usage.
pub fn validate(
    chain: &Chain,
    req: &ApiRequest,
    obj: &Object,
    lookup: &dyn Lookup,
    trail: &mut Trail,
) -> Result<Vec<ResourceQuota>, Status> {
    if !creating(req) {
        return Ok(vec![]);
    }
    let ns = obj.meta().namespace.clone();
    if let Object::Pod(pod) = obj {
        step(chain, "LimitRanger", trail, || {
            let mut errs = Vec::new();
            for lr in lookup.namespaced("limitranges", &ns) {
                if let Object::LimitRange(lr) = lr {
                    errs.extend(limit_ranger::validate_pod(pod, lr));
                }
            }
            if errs.is_empty() {
                Ok(())
            } else {
                Err(forbidden(req, aggregate(&errs)))
            }
        })?;
    }
    if ns.is_empty() {
        return Ok(vec![]);
    }
    step(chain, "ResourceQuota", trail, || {
        let quotas: Vec<&ResourceQuota> = lookup
            .namespaced("resourcequotas", &ns)
            .into_iter()
            .filter_map(|o| match o {
                Object::ResourceQuota(q) => Some(q),
                _ => None,
            })
            .collect();
        resource_quota::admit(obj, &quotas).map_err(|e| forbidden(req, e))
    })
}
