//! What kubeadm writes to /etc/kubernetes/manifests on the control-plane node: the static pod
//! manifests the kubelet runs the control plane from. kube-apiserver's is generated from the
//! running apiserver's configuration, so a scenario's admission and authentication settings
//! show up as the flags an operator would read there.

use super::apiserver::ApiServer;
use super::cluster::{APISERVER_ADDRESS, EVENTS_ETCD};
use super::kubelet::KUBELET_VERSION;

pub const DIR: &str = "/etc/kubernetes/manifests";

/// The manifest files, by name.
pub fn manifests(api: &ApiServer, cluster_cidr: &str, etcd_members: usize) -> Vec<(&'static str, String)> {
    vec![
        ("etcd.yaml", etcd()),
        ("kube-apiserver.yaml", apiserver(api, etcd_members)),
        ("kube-controller-manager.yaml", controller_manager(cluster_cidr)),
        ("kube-scheduler.yaml", scheduler()),
    ]
}

fn pod(component: &str, flags: &[String], image: &str, port: u16, scheme: &str) -> String {
    let command: String = flags.iter().map(|f| format!("    - {f}\n")).collect();
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    component: {component}\n    tier: control-plane\n  name: {component}\n  namespace: kube-system\nspec:\n  containers:\n  - command:\n    - {component}\n{command}    image: {image}\n    imagePullPolicy: IfNotPresent\n    livenessProbe:\n      failureThreshold: 8\n      httpGet:\n        path: /livez\n        port: {port}\n        scheme: {scheme}\n      initialDelaySeconds: 10\n      periodSeconds: 10\n      timeoutSeconds: 15\n    name: {component}\n  hostNetwork: true\n  priority: 2000001000\n  priorityClassName: system-node-critical\n"
    )
}

fn owned(flags: &[&str]) -> Vec<String> {
    flags.iter().map(|f| f.to_string()).collect()
}

fn apiserver(api: &ApiServer, etcd_members: usize) -> String {
    let etcd_servers = if etcd_members == 1 {
        "https://127.0.0.1:2379".to_string()
    } else {
        (0..etcd_members).map(|i| format!("https://etcd-{i}:2379")).collect::<Vec<_>>().join(",")
    };
    let mut flags = vec![format!("--advertise-address={APISERVER_ADDRESS}"), "--allow-privileged=true".into()];
    if !api.authn.anonymous {
        flags.push("--anonymous-auth=false".into());
    }
    flags.extend(owned(&["--authorization-mode=Node,RBAC", "--client-ca-file=/etc/kubernetes/pki/ca.crt"]));
    let chain = &api.admission;
    if !chain.disabled.is_empty() {
        flags.push(format!("--disable-admission-plugins={}", chain.disabled.join(",")));
    }
    if !chain.flag.is_empty() {
        flags.push(format!("--enable-admission-plugins={}", chain.flag.join(",")));
    }
    flags.push("--enable-bootstrap-token-auth=true".into());
    let (max, mutating) = api.max_inflight;
    if (max, mutating) != super::apiserver::DEFAULT_MAX_INFLIGHT {
        flags.push(format!("--max-mutating-requests-inflight={mutating}"));
        flags.push(format!("--max-requests-inflight={max}"));
    }
    if api.event_ttl_s != super::apiserver::DEFAULT_EVENT_TTL_S {
        flags.push(format!("--event-ttl={}", super::time::go_duration(api.event_ttl_s * super::time::SECONDS)));
    }
    if api.encryption.is_some() {
        flags.push("--encryption-provider-config=/etc/kubernetes/enc/encryption-config.yaml".into());
    }
    flags.extend(owned(&[
        "--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt",
        "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
        "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key",
    ]));
    flags.push(format!("--etcd-servers={etcd_servers}"));
    // Group/resource#servers, the servers separated by semicolons.
    let events = api.events_etcd_members();
    if events > 0 {
        let servers: Vec<String> = (0..events).map(|i| format!("https://{EVENTS_ETCD}-{i}:2379")).collect();
        flags.push(format!("--etcd-servers-overrides=/events#{}", servers.join(";")));
    }
    flags.extend(owned(&[
        "--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt",
        "--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key",
        "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
        "--proxy-client-cert-file=/etc/kubernetes/pki/front-proxy-client.crt",
        "--proxy-client-key-file=/etc/kubernetes/pki/front-proxy-client.key",
        "--requestheader-allowed-names=front-proxy-client",
        "--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-username-headers=X-Remote-User",
        "--secure-port=6443",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        "--service-account-key-file=/etc/kubernetes/pki/sa.pub",
        "--service-account-signing-key-file=/etc/kubernetes/pki/sa.key",
        "--service-cluster-ip-range=10.96.0.0/12",
        "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
        "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
    ]));
    if !api.authn.static_tokens.is_empty() {
        flags.push("--token-auth-file=/etc/kubernetes/tokens.csv".into());
    }
    pod("kube-apiserver", &flags, &format!("registry.k8s.io/kube-apiserver:{KUBELET_VERSION}"), 6443, "HTTPS")
}

fn controller_manager(cluster_cidr: &str) -> String {
    let mut flags = owned(&[
        "--allocate-node-cidrs=true",
        "--authentication-kubeconfig=/etc/kubernetes/controller-manager.conf",
        "--authorization-kubeconfig=/etc/kubernetes/controller-manager.conf",
        "--bind-address=127.0.0.1",
        "--client-ca-file=/etc/kubernetes/pki/ca.crt",
        "--cluster-name=kubernetes",
        "--cluster-signing-cert-file=/etc/kubernetes/pki/ca.crt",
        "--cluster-signing-key-file=/etc/kubernetes/pki/ca.key",
        "--controllers=*,bootstrapsigner,tokencleaner",
        "--kubeconfig=/etc/kubernetes/controller-manager.conf",
        "--leader-elect=true",
        "--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt",
        "--root-ca-file=/etc/kubernetes/pki/ca.crt",
        "--service-account-private-key-file=/etc/kubernetes/pki/sa.key",
        "--service-cluster-ip-range=10.96.0.0/12",
        "--use-service-account-credentials=true",
    ]);
    // Flags are sorted, as kubeadm writes them.
    flags.insert(5, format!("--cluster-cidr={cluster_cidr}"));
    let image = format!("registry.k8s.io/kube-controller-manager:{KUBELET_VERSION}");
    pod("kube-controller-manager", &flags, &image, 10257, "HTTPS")
}

fn scheduler() -> String {
    let flags = owned(&[
        "--authentication-kubeconfig=/etc/kubernetes/scheduler.conf",
        "--authorization-kubeconfig=/etc/kubernetes/scheduler.conf",
        "--bind-address=127.0.0.1",
        "--kubeconfig=/etc/kubernetes/scheduler.conf",
        "--leader-elect=true",
    ]);
    pod("kube-scheduler", &flags, &format!("registry.k8s.io/kube-scheduler:{KUBELET_VERSION}"), 10259, "HTTPS")
}

fn etcd() -> String {
    let ip = APISERVER_ADDRESS;
    let flags = vec![
        format!("--advertise-client-urls=https://{ip}:2379"),
        "--cert-file=/etc/kubernetes/pki/etcd/server.crt".into(),
        "--client-cert-auth=true".into(),
        "--data-dir=/var/lib/etcd".into(),
        "--experimental-initial-corrupt-check=true".into(),
        format!("--initial-advertise-peer-urls=https://{ip}:2380"),
        format!("--listen-client-urls=https://127.0.0.1:2379,https://{ip}:2379"),
        "--listen-metrics-urls=http://127.0.0.1:2381".into(),
        format!("--listen-peer-urls=https://{ip}:2380"),
        "--name=etcd-0".into(),
        "--snapshot-count=10000".into(),
    ];
    pod("etcd", &flags, "registry.k8s.io/etcd:3.6.5-0", 2381, "HTTP")
}
