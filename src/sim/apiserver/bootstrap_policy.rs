//! The RBAC objects the apiserver's bootstrap hook writes (plugin/pkg/auth/authorizer/rbac/
//! bootstrappolicy), plus the binding kubeadm adds for its admin.conf group. The rules name the
//! upstream resources, including kinds this playground does not model yet, so that what a user
//! reads with `kubectl get clusterrole view -o json` is what a real cluster shows.

use super::authz::node::node_rules;
use super::authz::rbac::rule;
use crate::sim::api::*;

const READ: &[&str] = &["get", "list", "watch"];
const WRITE: &[&str] = &["create", "delete", "deletecollection", "patch", "update"];
const READ_WRITE: &[&str] = &["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];
const AGGREGATE_TO: &str = "rbac.authorization.k8s.io/aggregate-to-";

/// Every bootstrap ClusterRole and ClusterRoleBinding, in a stable order.
pub fn objects() -> Vec<Object> {
    let mut out = Vec::new();
    for (name, labels, rules, aggregate_from) in cluster_roles() {
        let mut metadata = ObjectMeta::named("", name);
        metadata.labels.insert("kubernetes.io/bootstrapping".into(), "rbac-defaults".into());
        for l in labels {
            metadata.labels.insert(format!("{AGGREGATE_TO}{l}"), "true".into());
        }
        let aggregation_rule = aggregate_from.map(|target| AggregationRule {
            cluster_role_selectors: vec![LabelSelector {
                match_labels: [(format!("{AGGREGATE_TO}{target}"), "true".to_string())].into(),
                ..Default::default()
            }],
        });
        out.push(Object::ClusterRole(ClusterRole { metadata, rules, aggregation_rule }));
    }
    for (name, role, subjects) in bindings() {
        let mut metadata = ObjectMeta::named("", name);
        metadata.labels.insert("kubernetes.io/bootstrapping".into(), "rbac-defaults".into());
        let role_ref =
            RoleRef { api_group: "rbac.authorization.k8s.io".into(), kind: "ClusterRole".into(), name: role.into() };
        out.push(Object::ClusterRoleBinding(ClusterRoleBinding { metadata, subjects, role_ref }));
    }
    out
}

/// What a cloud provider's install manifest adds for its cloud-controller-manager (not a
/// bootstrap role: kube-apiserver does not create it).
pub fn cloud_controller_manager() -> Vec<Object> {
    let name = "system:cloud-controller-manager";
    let rules = vec![
        events_rule(),
        rule(&["*"], &[""], &["nodes"]),
        rule(&["patch"], &[""], &["nodes/status"]),
        rule(&["list", "patch", "update", "watch"], &[""], &["services"]),
        rule(&["patch", "update"], &[""], &["services/status"]),
        leases_rule(),
    ];
    let role = ClusterRole { metadata: ObjectMeta::named("", name), rules, aggregation_rule: None };
    let role_ref =
        RoleRef { api_group: "rbac.authorization.k8s.io".into(), kind: "ClusterRole".into(), name: name.into() };
    let binding = ClusterRoleBinding { metadata: ObjectMeta::named("", name), subjects: vec![user(name)], role_ref };
    vec![Object::ClusterRole(role), Object::ClusterRoleBinding(binding)]
}

/// What `kubeadm init` installs as its CoreDNS add-on: the ServiceAccount and the
/// system:coredns role to read Services, the `coredns` ConfigMap (the Corefile), the
/// Deployment of two replicas and the `kube-dns` Service at 10.96.0.10.
pub fn coredns() -> Vec<Object> {
    let sa = Subject { kind: "ServiceAccount".into(), name: "coredns".into(), namespace: "kube-system".into() };
    let rules = vec![
        rule(&["list", "watch"], &[""], &["endpoints", "services", "pods", "namespaces"]),
        rule(&["list", "watch"], &["discovery.k8s.io"], &["endpointslices"]),
    ];
    let role = ClusterRole { metadata: ObjectMeta::named("", "system:coredns"), rules, aggregation_rule: None };
    let role_ref = RoleRef {
        api_group: "rbac.authorization.k8s.io".into(),
        kind: "ClusterRole".into(),
        name: "system:coredns".into(),
    };
    let binding =
        ClusterRoleBinding { metadata: ObjectMeta::named("", "system:coredns"), subjects: vec![sa], role_ref };
    let corefile = ".:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n";
    let config = ConfigMap {
        metadata: ObjectMeta::named("kube-system", "coredns"),
        data: [("Corefile".to_string(), corefile.to_string())].into(),
    };
    let labels: crate::sim::api::Labels = [("k8s-app".to_string(), "kube-dns".to_string())].into();
    let http_probe = |path: &str, port: i64| crate::sim::api::probe::Probe {
        http_get: Some(crate::sim::api::probe::HttpGetAction {
            path: path.into(),
            port: IntOrString::Int(port),
            scheme: "HTTP".into(),
        }),
        ..Default::default()
    };
    let port = |name: &str, number: i32, protocol: &str| ContainerPort {
        name: name.into(),
        container_port: number,
        protocol: protocol.into(),
        ..Default::default()
    };
    let container = Container {
        name: "coredns".into(),
        image: "registry.k8s.io/coredns/coredns:v1.12.0".into(),
        args: vec!["-conf".into(), "/etc/coredns/Corefile".into()],
        ports: vec![port("dns", 53, "UDP"), port("dns-tcp", 53, "TCP"), port("metrics", 9153, "TCP")],
        liveness_probe: Some(Box::new(crate::sim::api::probe::Probe {
            initial_delay_seconds: 60,
            timeout_seconds: 5,
            failure_threshold: 5,
            ..http_probe("/health", 8080)
        })),
        readiness_probe: Some(Box::new(http_probe("/ready", 8181))),
        volume_mounts: vec![VolumeMount {
            name: "config-volume".into(),
            mount_path: "/etc/coredns".into(),
            read_only: true,
        }],
        ..Default::default()
    };
    let mut metadata = ObjectMeta::named("kube-system", "coredns");
    metadata.labels = labels.clone();
    let deployment = Deployment {
        metadata,
        spec: DeploymentSpec {
            replicas: Some(2),
            selector: LabelSelector { match_labels: labels.clone(), ..Default::default() },
            template: PodTemplateSpec {
                metadata: ObjectMeta { labels: labels.clone(), ..Default::default() },
                spec: PodSpec {
                    containers: vec![container],
                    service_account_name: "coredns".into(),
                    priority_class_name: "system-cluster-critical".into(),
                    volumes: vec![Volume {
                        name: "config-volume".into(),
                        config_map: Some(ConfigMapVolumeSource { name: "coredns".into(), optional: None }),
                        ..Default::default()
                    }],
                    ..Default::default()
                },
            },
            ..Default::default()
        },
        status: Default::default(),
    };
    let mut svc_meta = ObjectMeta::named("kube-system", "kube-dns");
    svc_meta.labels = labels.clone();
    let svc_port = |name: &str, port: i32, protocol: &str| ServicePort {
        name: name.into(),
        port,
        target_port: port,
        protocol: protocol.into(),
        node_port: 0,
    };
    let service = Service {
        metadata: svc_meta,
        spec: ServiceSpec {
            selector: labels,
            cluster_ip: crate::sim::kubelet::coredns::CLUSTER_DNS.into(),
            ports: vec![svc_port("dns", 53, "UDP"), svc_port("dns-tcp", 53, "TCP"), svc_port("metrics", 9153, "TCP")],
            ..Default::default()
        },
        status: Default::default(),
    };
    vec![
        Object::ServiceAccount(ServiceAccount { metadata: ObjectMeta::named("kube-system", "coredns") }),
        Object::ClusterRole(role),
        Object::ClusterRoleBinding(binding),
        Object::ConfigMap(config),
        Object::Deployment(Box::new(deployment)),
        Object::Service(service),
    ]
}

/// What the playground's CSI driver install manifest adds: its controller's ServiceAccount
/// with the external-provisioner and external-attacher roles, the Deployment running it, and
/// the default StorageClass `standard`.
pub fn csi_driver() -> Vec<Object> {
    use crate::sim::kubelet::csi::DRIVER;
    let name = "csi-controller";
    let rules = vec![
        events_rule(),
        rule(&["get", "list", "watch", "update", "patch"], &[""], &["persistentvolumeclaims"]),
        rule(&["get", "list", "watch", "create", "delete"], &[""], &["persistentvolumes"]),
        rule(&["get", "list", "watch"], &["storage.k8s.io"], &["storageclasses"]),
        rule(&["get", "list", "watch", "patch"], &["storage.k8s.io"], &["volumeattachments"]),
        rule(&["patch"], &["storage.k8s.io"], &["volumeattachments/status"]),
    ];
    let role = ClusterRole { metadata: ObjectMeta::named("", name), rules, aggregation_rule: None };
    let role_ref =
        RoleRef { api_group: "rbac.authorization.k8s.io".into(), kind: "ClusterRole".into(), name: name.into() };
    let sa = Subject { kind: "ServiceAccount".into(), name: name.into(), namespace: "kube-system".into() };
    let binding = ClusterRoleBinding { metadata: ObjectMeta::named("", name), subjects: vec![sa], role_ref };
    let labels: crate::sim::api::Labels = [("app".to_string(), name.to_string())].into();
    let container = Container {
        name: "csi-driver".into(),
        image: "kube-playground/csi-driver:v1.0.0".into(),
        args: vec!["--mode=controller".into()],
        ..Default::default()
    };
    let mut metadata = ObjectMeta::named("kube-system", name);
    metadata.labels = labels.clone();
    let deployment = Deployment {
        metadata,
        spec: DeploymentSpec {
            replicas: Some(1),
            selector: LabelSelector { match_labels: labels.clone(), ..Default::default() },
            template: PodTemplateSpec {
                metadata: ObjectMeta { labels, ..Default::default() },
                spec: PodSpec {
                    containers: vec![container],
                    service_account_name: name.into(),
                    priority_class_name: "system-cluster-critical".into(),
                    ..Default::default()
                },
            },
            ..Default::default()
        },
        status: Default::default(),
    };
    let mut class_meta = ObjectMeta::named("", "standard");
    class_meta.annotations.insert(crate::sim::api::DEFAULT_CLASS_ANNOTATION.into(), "true".into());
    let class = StorageClass {
        metadata: class_meta,
        provisioner: DRIVER.into(),
        reclaim_policy: "Delete".into(),
        volume_binding_mode: "Immediate".into(),
        allow_volume_expansion: Some(true),
    };
    vec![
        Object::ServiceAccount(ServiceAccount { metadata: ObjectMeta::named("kube-system", name) }),
        Object::ClusterRole(role),
        Object::ClusterRoleBinding(binding),
        Object::Deployment(Box::new(deployment)),
        Object::StorageClass(class),
    ]
}

type RoleDef = (&'static str, &'static [&'static str], Vec<PolicyRule>, Option<&'static str>);

fn cluster_roles() -> Vec<RoleDef> {
    vec![
        ("cluster-admin", &[], vec![rule(&["*"], &["*"], &["*"]), urls(&["*"], &["*"])], None),
        ("admin", &[], vec![], Some("admin")),
        ("edit", &["admin"], vec![], Some("edit")),
        ("view", &["edit"], vec![], Some("view")),
        (
            "system:aggregate-to-admin",
            &["admin"],
            vec![
                rule(READ_WRITE, &["rbac.authorization.k8s.io"], &["roles", "rolebindings"]),
                rule(&["create"], &["authorization.k8s.io"], &["localsubjectaccessreviews"]),
            ],
            None,
        ),
        ("system:aggregate-to-edit", &["admin", "edit"], aggregate_to_edit(), None),
        ("system:aggregate-to-view", &["admin", "edit", "view"], aggregate_to_view(), None),
        (
            "system:basic-user",
            &[],
            vec![
                rule(&["create"], &["authorization.k8s.io"], &["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
                rule(&["create"], &["authentication.k8s.io"], &["selfsubjectreviews"]),
            ],
            None,
        ),
        (
            "system:discovery",
            &[],
            vec![urls(
                &["get"],
                &[
                    "/api",
                    "/api/*",
                    "/apis",
                    "/apis/*",
                    "/healthz",
                    "/livez",
                    "/openapi",
                    "/openapi/*",
                    "/readyz",
                    "/version",
                    "/version/",
                ],
            )],
            None,
        ),
        (
            "system:public-info-viewer",
            &[],
            vec![urls(&["get"], &["/healthz", "/livez", "/readyz", "/version", "/version/"])],
            None,
        ),
        // Granted through the Node authorizer, so upstream binds it to nobody.
        ("system:node", &[], node_rules(), None),
        (
            "system:kube-scheduler",
            &[],
            vec![
                rule(READ, &[""], &["nodes", "pods", "namespaces", "services"]),
                rule(READ, &[""], &["persistentvolumeclaims", "persistentvolumes"]),
                rule(READ, &["storage.k8s.io"], &["storageclasses"]),
                rule(READ, &["apps"], &["replicasets"]),
                rule(READ, &["policy"], &["poddisruptionbudgets"]),
                rule(&["create"], &[""], &["pods/binding", "bindings"]),
                rule(&["patch", "update"], &[""], &["pods/status"]),
                rule(&["delete"], &[""], &["pods"]),
                events_rule(),
                leases_rule(),
            ],
            None,
        ),
        (
            // Upstream gives each controller its own service account and role
            // (--use-service-account-credentials); here they share one role.
            "system:kube-controller-manager",
            &[],
            vec![
                rule(
                    &["get", "list", "watch", "create", "update", "patch", "delete"],
                    &["apps"],
                    &["deployments", "replicasets", "daemonsets", "statefulsets"],
                ),
                rule(
                    &["update", "patch"],
                    &["apps"],
                    &["deployments/status", "replicasets/status", "daemonsets/status", "statefulsets/status"],
                ),
                rule(&["get", "list", "watch", "create", "update", "patch", "delete"], &[""], &["pods"]),
                rule(&["create", "update", "patch"], &["discovery.k8s.io"], &["endpointslices"]),
                rule(&["create", "update", "delete"], &[""], &["endpoints"]),
                rule(
                    &["get", "list", "watch", "create", "update", "patch", "delete"],
                    &["batch"],
                    &["jobs", "cronjobs"],
                ),
                rule(&["update", "patch"], &["batch"], &["jobs/status", "cronjobs/status"]),
                rule(&["get", "list", "watch"], &["autoscaling"], &["horizontalpodautoscalers"]),
                rule(&["update"], &["autoscaling"], &["horizontalpodautoscalers/status"]),
                rule(&["get", "update", "patch"], &["apps"], &["deployments/scale"]),
                rule(&["get", "list", "watch"], &["policy"], &["poddisruptionbudgets"]),
                rule(&["update", "patch"], &["policy"], &["poddisruptionbudgets/status"]),
                // The namespace controller empties a Terminating namespace.
                rule(&["get", "list", "watch", "delete"], &["*"], &["*"]),
                rule(&["update"], &[""], &["namespaces/finalize", "namespaces/status"]),
                // Node lifecycle and taint eviction.
                rule(&["get", "list", "watch", "update", "patch"], &[""], &["nodes"]),
                rule(&["update", "patch"], &[""], &["nodes/status", "pods/status"]),
                rule(READ, &["coordination.k8s.io"], &["leases"]),
                // The serviceaccount, resourcequota and clusterrole-aggregation controllers.
                rule(&["create"], &[""], &["serviceaccounts"]),
                rule(&["update"], &[""], &["resourcequotas/status"]),
                rule(&["update"], &["rbac.authorization.k8s.io"], &["clusterroles"]),
                // The persistentvolume binder, attach/detach and protection controllers.
                rule(&["create", "update", "patch"], &[""], &["persistentvolumeclaims", "persistentvolumes"]),
                rule(&["update", "patch"], &[""], &["persistentvolumeclaims/status", "persistentvolumes/status"]),
                rule(&["create", "patch"], &["storage.k8s.io"], &["volumeattachments"]),
                events_rule(),
                leases_rule(),
            ],
            None,
        ),
        (
            "system:node-proxier",
            &[],
            vec![
                rule(&["list", "watch"], &[""], &["services", "endpoints"]),
                rule(&["list", "watch"], &["discovery.k8s.io"], &["endpointslices"]),
                rule(READ, &[""], &["nodes"]),
                events_rule(),
            ],
            None,
        ),
    ]
}

fn aggregate_to_edit() -> Vec<PolicyRule> {
    vec![
        rule(&["impersonate"], &[""], &["serviceaccounts"]),
        rule(WRITE, &[""], &["pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"]),
        rule(&["create"], &[""], &["pods/eviction"]),
        rule(READ, &[""], &["pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy"]),
        rule(
            WRITE,
            &[""],
            &[
                "replicationcontrollers",
                "replicationcontrollers/scale",
                "services",
                "services/proxy",
                "endpoints",
                "persistentvolumeclaims",
                "configmaps",
                "secrets",
                "events",
            ],
        ),
        rule(WRITE, &[""], &["serviceaccounts"]),
        rule(&["create"], &[""], &["serviceaccounts/token"]),
        rule(
            WRITE,
            &["apps"],
            &[
                "statefulsets",
                "statefulsets/scale",
                "daemonsets",
                "deployments",
                "deployments/scale",
                "deployments/rollback",
                "replicasets",
                "replicasets/scale",
            ],
        ),
        rule(WRITE, &["autoscaling"], &["horizontalpodautoscalers"]),
        rule(WRITE, &["batch"], &["jobs", "cronjobs"]),
        rule(WRITE, &["networking.k8s.io"], &["ingresses", "networkpolicies"]),
        rule(WRITE, &["policy"], &["poddisruptionbudgets"]),
        rule(WRITE, &["coordination.k8s.io"], &["leases"]),
    ]
}

fn aggregate_to_view() -> Vec<PolicyRule> {
    vec![
        rule(
            READ,
            &[""],
            &[
                "pods",
                "replicationcontrollers",
                "replicationcontrollers/scale",
                "serviceaccounts",
                "services",
                "services/status",
                "endpoints",
                "persistentvolumeclaims",
                "persistentvolumeclaims/status",
                "configmaps",
            ],
        ),
        rule(
            READ,
            &[""],
            &[
                "limitranges",
                "resourcequotas",
                "bindings",
                "events",
                "pods/status",
                "resourcequotas/status",
                "namespaces/status",
                "replicationcontrollers/status",
                "pods/log",
            ],
        ),
        rule(READ, &[""], &["namespaces"]),
        rule(READ, &["discovery.k8s.io"], &["endpointslices"]),
        rule(
            READ,
            &["apps"],
            &[
                "controllerrevisions",
                "statefulsets",
                "statefulsets/status",
                "statefulsets/scale",
                "daemonsets",
                "daemonsets/status",
                "deployments",
                "deployments/status",
                "deployments/scale",
                "replicasets",
                "replicasets/status",
                "replicasets/scale",
            ],
        ),
        rule(READ, &["autoscaling"], &["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
        rule(READ, &["batch"], &["cronjobs", "cronjobs/status", "jobs", "jobs/status"]),
        rule(READ, &["policy"], &["poddisruptionbudgets", "poddisruptionbudgets/status"]),
        rule(READ, &["networking.k8s.io"], &["ingresses", "ingresses/status", "networkpolicies"]),
    ]
}

fn bindings() -> Vec<(&'static str, &'static str, Vec<Subject>)> {
    vec![
        ("cluster-admin", "cluster-admin", vec![group("system:masters")]),
        // kubeadm (v1.29+): admin.conf's group, so that system:masters stays break-glass.
        ("kubeadm:cluster-admins", "cluster-admin", vec![group("kubeadm:cluster-admins")]),
        ("system:basic-user", "system:basic-user", vec![group("system:authenticated")]),
        ("system:discovery", "system:discovery", vec![group("system:authenticated")]),
        (
            "system:public-info-viewer",
            "system:public-info-viewer",
            vec![group("system:authenticated"), group("system:unauthenticated")],
        ),
        ("system:kube-scheduler", "system:kube-scheduler", vec![user("system:kube-scheduler")]),
        (
            "system:kube-controller-manager",
            "system:kube-controller-manager",
            vec![user("system:kube-controller-manager")],
        ),
        ("system:node-proxier", "system:node-proxier", vec![user("system:kube-proxy")]),
    ]
}

/// A nonResourceURLs rule.
fn urls(verbs: &[&str], paths: &[&str]) -> PolicyRule {
    let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    PolicyRule { verbs: owned(verbs), non_resource_urls: owned(paths), ..Default::default() }
}

/// Every control-plane component records Events.
fn events_rule() -> PolicyRule {
    rule(&["create", "patch", "update"], &["", "events.k8s.io"], &["events"])
}

/// Leader election on Lease objects.
fn leases_rule() -> PolicyRule {
    rule(&["create", "get", "update"], &["coordination.k8s.io"], &["leases"])
}

fn user(name: &str) -> Subject {
    Subject { kind: "User".into(), name: name.into(), namespace: String::new() }
}

fn group(name: &str) -> Subject {
    Subject { kind: "Group".into(), name: name.into(), namespace: String::new() }
}
