//! The resource table: for each kind, its REST resource name, API group and version, scope,
//! kubectl short names and the etcd key prefix kube-apiserver stores it under.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceInfo {
    pub plural: &'static str,
    pub singular: &'static str,
    pub short: &'static [&'static str],
    pub kind: &'static str,
    pub group: &'static str,
    pub version: &'static str,
    pub namespaced: bool,
    /// Upstream storage prefix: nodes really live under /registry/minions. Empty for the
    /// review kinds, which are answered and never stored.
    pub etcd_prefix: &'static str,
}

pub const RESOURCES: &[ResourceInfo] = &[
    ResourceInfo {
        plural: "namespaces",
        singular: "namespace",
        short: &["ns"],
        kind: "Namespace",
        group: "",
        version: "v1",
        namespaced: false,
        etcd_prefix: "/registry/namespaces",
    },
    ResourceInfo {
        plural: "nodes",
        singular: "node",
        short: &["no"],
        kind: "Node",
        group: "",
        version: "v1",
        namespaced: false,
        etcd_prefix: "/registry/minions",
    },
    ResourceInfo {
        plural: "pods",
        singular: "pod",
        short: &["po"],
        kind: "Pod",
        group: "",
        version: "v1",
        namespaced: true,
        etcd_prefix: "/registry/pods",
    },
    ResourceInfo {
        plural: "services",
        singular: "service",
        short: &["svc"],
        kind: "Service",
        group: "",
        version: "v1",
        namespaced: true,
        etcd_prefix: "/registry/services/specs",
    },
    ResourceInfo {
        plural: "events",
        singular: "event",
        short: &["ev"],
        kind: "Event",
        group: "",
        version: "v1",
        namespaced: true,
        etcd_prefix: "/registry/events",
    },
    ResourceInfo {
        plural: "endpoints",
        singular: "endpoints",
        short: &["ep"],
        kind: "Endpoints",
        group: "",
        version: "v1",
        namespaced: true,
        etcd_prefix: "/registry/services/endpoints",
    },
    ResourceInfo {
        plural: "endpointslices",
        singular: "endpointslice",
        short: &[],
        kind: "EndpointSlice",
        group: "discovery.k8s.io",
        version: "v1",
        namespaced: true,
        etcd_prefix: "/registry/endpointslices",
    },
    ResourceInfo {
        plural: "secrets",
        singular: "secret",
        short: &[],
        kind: "Secret",
        group: "",
        version: "v1",
        namespaced: true,
        etcd_prefix: "/registry/secrets",
    },
    ResourceInfo {
        plural: "deployments",
        singular: "deployment",
        short: &["deploy"],
        kind: "Deployment",
        group: "apps",
        version: "v1",
        namespaced: true,
        etcd_prefix: "/registry/deployments",
    },
    ResourceInfo {
        plural: "replicasets",
        singular: "replicaset",
        short: &["rs"],
        kind: "ReplicaSet",
        group: "apps",
        version: "v1",
        namespaced: true,
        etcd_prefix: "/registry/replicasets",
    },
    ResourceInfo {
        plural: "daemonsets",
        singular: "daemonset",
        short: &["ds"],
        kind: "DaemonSet",
        group: "apps",
        version: "v1",
        namespaced: true,
        etcd_prefix: "/registry/daemonsets",
    },
    ResourceInfo {
        plural: "statefulsets",
        singular: "statefulset",
        short: &["sts"],
        kind: "StatefulSet",
        group: "apps",
        version: "v1",
        namespaced: true,
        etcd_prefix: "/registry/statefulsets",
    },
    ResourceInfo {
        plural: "poddisruptionbudgets",
        singular: "poddisruptionbudget",
        short: &["pdb"],
        kind: "PodDisruptionBudget",
        group: "policy",
        version: "v1",
        namespaced: true,
        etcd_prefix: "/registry/poddisruptionbudgets",
    },
    ResourceInfo {
        plural: "jobs",
        singular: "job",
        short: &[],
        kind: "Job",
        group: "batch",
        version: "v1",
        namespaced: true,
        etcd_prefix: "/registry/jobs",
    },
    ResourceInfo {
        plural: "horizontalpodautoscalers",
        singular: "horizontalpodautoscaler",
        short: &["hpa"],
        kind: "HorizontalPodAutoscaler",
        group: "autoscaling",
        version: "v2",
        namespaced: true,
        etcd_prefix: "/registry/horizontalpodautoscalers",
    },
    ResourceInfo {
        plural: "cronjobs",
        singular: "cronjob",
        short: &["cj"],
        kind: "CronJob",
        group: "batch",
        version: "v1",
        namespaced: true,
        etcd_prefix: "/registry/cronjobs",
    },
    ResourceInfo {
        plural: "leases",
        singular: "lease",
        short: &[],
        kind: "Lease",
        group: "coordination.k8s.io",
        version: "v1",
        namespaced: true,
        etcd_prefix: "/registry/leases",
    },
    ResourceInfo {
        plural: "clusterroles",
        singular: "clusterrole",
        short: &[],
        kind: "ClusterRole",
        group: "rbac.authorization.k8s.io",
        version: "v1",
        namespaced: false,
        etcd_prefix: "/registry/clusterroles",
    },
    ResourceInfo {
        plural: "clusterrolebindings",
        singular: "clusterrolebinding",
        short: &[],
        kind: "ClusterRoleBinding",
        group: "rbac.authorization.k8s.io",
        version: "v1",
        namespaced: false,
        etcd_prefix: "/registry/clusterrolebindings",
    },
    ResourceInfo {
        plural: "roles",
        singular: "role",
        short: &[],
        kind: "Role",
        group: "rbac.authorization.k8s.io",
        version: "v1",
        namespaced: true,
        etcd_prefix: "/registry/roles",
    },
    ResourceInfo {
        plural: "rolebindings",
        singular: "rolebinding",
        short: &[],
        kind: "RoleBinding",
        group: "rbac.authorization.k8s.io",
        version: "v1",
        namespaced: true,
        etcd_prefix: "/registry/rolebindings",
    },
    ResourceInfo {
        plural: "serviceaccounts",
        singular: "serviceaccount",
        short: &["sa"],
        kind: "ServiceAccount",
        group: "",
        version: "v1",
        namespaced: true,
        etcd_prefix: "/registry/serviceaccounts",
    },
    ResourceInfo {
        plural: "limitranges",
        singular: "limitrange",
        short: &["limits"],
        kind: "LimitRange",
        group: "",
        version: "v1",
        namespaced: true,
        etcd_prefix: "/registry/limitranges",
    },
    ResourceInfo {
        plural: "resourcequotas",
        singular: "resourcequota",
        short: &["quota"],
        kind: "ResourceQuota",
        group: "",
        version: "v1",
        namespaced: true,
        etcd_prefix: "/registry/resourcequotas",
    },
    ResourceInfo {
        plural: "priorityclasses",
        singular: "priorityclass",
        short: &["pc"],
        kind: "PriorityClass",
        group: "scheduling.k8s.io",
        version: "v1",
        namespaced: false,
        etcd_prefix: "/registry/priorityclasses",
    },
    ResourceInfo {
        plural: "configmaps",
        singular: "configmap",
        short: &["cm"],
        kind: "ConfigMap",
        group: "",
        version: "v1",
        namespaced: true,
        etcd_prefix: "/registry/configmaps",
    },
    ResourceInfo {
        plural: "persistentvolumeclaims",
        singular: "persistentvolumeclaim",
        short: &["pvc"],
        kind: "PersistentVolumeClaim",
        group: "",
        version: "v1",
        namespaced: true,
        etcd_prefix: "/registry/persistentvolumeclaims",
    },
    ResourceInfo {
        plural: "persistentvolumes",
        singular: "persistentvolume",
        short: &["pv"],
        kind: "PersistentVolume",
        group: "",
        version: "v1",
        namespaced: false,
        etcd_prefix: "/registry/persistentvolumes",
    },
    ResourceInfo {
        plural: "storageclasses",
        singular: "storageclass",
        short: &["sc"],
        kind: "StorageClass",
        group: "storage.k8s.io",
        version: "v1",
        namespaced: false,
        etcd_prefix: "/registry/storageclasses",
    },
    ResourceInfo {
        plural: "volumeattachments",
        singular: "volumeattachment",
        short: &[],
        kind: "VolumeAttachment",
        group: "storage.k8s.io",
        version: "v1",
        namespaced: false,
        etcd_prefix: "/registry/volumeattachments",
    },
    ResourceInfo {
        plural: "mutatingwebhookconfigurations",
        singular: "mutatingwebhookconfiguration",
        short: &[],
        kind: "MutatingWebhookConfiguration",
        group: "admissionregistration.k8s.io",
        version: "v1",
        namespaced: false,
        etcd_prefix: "/registry/mutatingwebhookconfigurations",
    },
    ResourceInfo {
        plural: "validatingwebhookconfigurations",
        singular: "validatingwebhookconfiguration",
        short: &[],
        kind: "ValidatingWebhookConfiguration",
        group: "admissionregistration.k8s.io",
        version: "v1",
        namespaced: false,
        etcd_prefix: "/registry/validatingwebhookconfigurations",
    },
    ResourceInfo {
        plural: "customresourcedefinitions",
        singular: "customresourcedefinition",
        short: &["crd", "crds"],
        kind: "CustomResourceDefinition",
        group: "apiextensions.k8s.io",
        version: "v1",
        namespaced: false,
        etcd_prefix: "/registry/apiextensions.k8s.io/customresourcedefinitions",
    },
    ResourceInfo {
        plural: "selfsubjectaccessreviews",
        singular: "selfsubjectaccessreview",
        short: &[],
        kind: "SelfSubjectAccessReview",
        group: "authorization.k8s.io",
        version: "v1",
        namespaced: false,
        etcd_prefix: "",
    },
    ResourceInfo {
        plural: "selfsubjectreviews",
        singular: "selfsubjectreview",
        short: &[],
        kind: "SelfSubjectReview",
        group: "authentication.k8s.io",
        version: "v1",
        namespaced: false,
        etcd_prefix: "",
    },
];

/// What a non-resource request (`/healthz`) names instead of a resource.
pub const NON_RESOURCE: ResourceInfo = ResourceInfo {
    plural: "",
    singular: "",
    short: &[],
    kind: "",
    group: "",
    version: "",
    namespaced: false,
    etcd_prefix: "",
};

impl ResourceInfo {
    /// Looks a resource up the way kubectl does: plural, singular, short name or Kind.
    pub fn lookup(name: &str) -> Option<&'static ResourceInfo> {
        RESOURCES.iter().find(|r| r.named(name))
    }

    /// Whether kubectl's `name` (plural, singular, short name or Kind, optionally
    /// `.group` or `.version.group`) means this resource.
    fn named(&self, name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        let (res, group) = lower.split_once('.').unwrap_or((lower.as_str(), ""));
        let group = match group.split_once('.') {
            Some((version, rest)) if version == self.version => rest,
            _ => group,
        };
        (self.plural == res || self.singular == res || self.short.contains(&res) || self.kind.eq_ignore_ascii_case(res))
            && (group.is_empty() || self.group.starts_with(group))
    }

    /// The same lookup among resources that discovery found (custom resources).
    pub fn lookup_in(list: &[&'static ResourceInfo], name: &str) -> Option<&'static ResourceInfo> {
        list.iter().copied().find(|r| r.named(name))
    }

    pub fn by_kind(kind: &str) -> Option<&'static ResourceInfo> {
        RESOURCES.iter().find(|r| r.kind == kind)
    }

    pub fn by_plural(plural: &str) -> Option<&'static ResourceInfo> {
        RESOURCES.iter().find(|r| r.plural == plural)
    }

    /// A resource the code names itself (`"pods"`): its absence from the table is a bug.
    pub fn of(plural: &str) -> &'static ResourceInfo {
        Self::by_plural(plural).unwrap_or_else(|| panic!("{plural} is not in the resource table"))
    }

    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `resource.group` as kubectl and error messages print it (`deployments.apps`, `pods`).
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// The etcd key of one object.
    pub fn key(&self, namespace: &str, name: &str) -> String {
        if self.namespaced {
            format!("{}/{namespace}/{name}", self.etcd_prefix)
        } else {
            format!("{}/{name}", self.etcd_prefix)
        }
    }

    /// The key prefix of a list (all namespaces when `namespace` is empty).
    pub fn list_prefix(&self, namespace: &str) -> String {
        if self.namespaced && !namespace.is_empty() {
            format!("{}/{namespace}/", self.etcd_prefix)
        } else {
            format!("{}/", self.etcd_prefix)
        }
    }

    /// The REST path, e.g. `/apis/apps/v1/namespaces/default/deployments/web`.
    pub fn path(&self, namespace: &str, name: &str) -> String {
        let mut p = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        if self.namespaced && !namespace.is_empty() {
            p.push_str("/namespaces/");
            p.push_str(namespace);
        }
        p.push('/');
        p.push_str(self.plural);
        if !name.is_empty() {
            p.push('/');
            p.push_str(name);
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_names_resolve() {
        assert_eq!(ResourceInfo::lookup("po").map(|r| r.plural), Some("pods"));
        assert_eq!(ResourceInfo::lookup("deploy").map(|r| r.plural), Some("deployments"));
        assert_eq!(ResourceInfo::lookup("Deployment").map(|r| r.plural), Some("deployments"));
        assert_eq!(ResourceInfo::lookup("deployments.apps").map(|r| r.plural), Some("deployments"));
        assert!(ResourceInfo::lookup("widgets").is_none());
    }

    #[test]
    fn keys_and_paths_match_upstream() {
        let nodes = ResourceInfo::lookup("nodes").unwrap();
        assert_eq!(nodes.key("", "worker-1"), "/registry/minions/worker-1");
        let deploy = ResourceInfo::lookup("deployments").unwrap();
        assert_eq!(deploy.path("default", "web"), "/apis/apps/v1/namespaces/default/deployments/web");
    }
}
