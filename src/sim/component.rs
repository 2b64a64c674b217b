//! The components of a cluster as one enum (cloneable, so the whole world can be snapshotted)
//! and the static facts about each: name, role, host.

use super::apiserver::ApiServer;
use super::cloud::CloudProvider;
use super::cloudcontroller::CloudControllerManager;
use super::connection::Transport;
use super::controller::ControllerManager;
use super::etcd::checker::KvClient;
use super::etcd::EtcdMember;
use super::event::{ComponentId, Message, Timer};
use super::kubelet::Kubelet;
use super::proxy::KubeProxy;
use super::scheduler::Scheduler;
use super::transport::Protocol;
use super::user::UserClient;
use super::Ctx;
use serde::Serialize;

/// What a component is, which decides its colour and place on the canvas.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Role {
    User,
    ApiServer,
    Etcd,
    Scheduler,
    ControllerManager,
    Kubelet,
    KubeProxy,
    CloudControllerManager,
    /// The cloud provider's API, outside the cluster.
    Cloud,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::User,
        Role::ApiServer,
        Role::Etcd,
        Role::Scheduler,
        Role::ControllerManager,
        Role::Kubelet,
        Role::KubeProxy,
        Role::CloudControllerManager,
        Role::Cloud,
    ];
    pub fn label(self) -> &'static str {
        match self {
            Role::User => "kubectl (you)",
            Role::ApiServer => "kube-apiserver",
            Role::Etcd => "etcd",
            Role::Scheduler => "kube-scheduler",
            Role::ControllerManager => "kube-controller-manager",
            Role::Kubelet => "kubelet",
            Role::KubeProxy => "kube-proxy",
            Role::CloudControllerManager => "cloud-controller-manager",
            Role::Cloud => "cloud provider API",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComponentInfo {
    pub name: String,
    pub role: Role,
    /// Network host; 0 is the user's laptop.
    pub host: u32,
    /// The Kubernetes node this component runs on, if any.
    pub node: String,
    /// When the process starts (a worker joining later than the control plane).
    pub start_at: crate::sim::time::SimTime,
}

#[derive(Clone, Debug)]
pub enum Component {
    User(UserClient),
    ApiServer(Box<ApiServer>),
    Etcd(Box<EtcdMember>),
    Scheduler(Box<Scheduler>),
    ControllerManager(Box<ControllerManager>),
    Kubelet(Box<Kubelet>),
    KubeProxy(Box<KubeProxy>),
    CloudControllerManager(Box<CloudControllerManager>),
    Cloud(Box<CloudProvider>),
    /// The writing client of the Raft safety checker.
    KvClient(Box<KvClient>),
}

impl Component {
    /// The informers of a component that lists and watches (client-go's role).
    pub fn informers(&mut self) -> Vec<&mut super::client::Informer> {
        match self {
            Component::Kubelet(k) => vec![&mut k.pods],
            Component::KubeProxy(p) => p.informers().into_iter().collect(),
            Component::Scheduler(s) => s.informers.iter_mut().collect(),
            Component::ControllerManager(m) => m.informers_mut().into_iter().collect(),
            Component::CloudControllerManager(c) => vec![&mut c.nodes, &mut c.services],
            _ => vec![],
        }
    }

    /// A client's connections to kube-apiserver (kubectl's and the components').
    pub fn transport(&self) -> Option<&Transport> {
        match self {
            Component::User(u) => Some(u.transport()),
            Component::Kubelet(k) => Some(&k.client.transport),
            Component::KubeProxy(p) => Some(&p.client.transport),
            Component::Scheduler(s) => Some(&s.client.transport),
            Component::ControllerManager(m) => Some(&m.client.transport),
            Component::CloudControllerManager(c) => Some(&c.client.transport),
            _ => None,
        }
    }

    /// Sets an in-cluster component's HTTP version (before it starts).
    pub(crate) fn set_http(&mut self, http: Protocol) {
        let client = match self {
            Component::Kubelet(k) => &mut k.client.transport,
            Component::KubeProxy(p) => &mut p.client.transport,
            Component::Scheduler(s) => &mut s.client.transport,
            Component::ControllerManager(m) => &mut m.client.transport,
            Component::CloudControllerManager(c) => &mut c.client.transport,
            _ => return,
        };
        *client = Transport::new(http);
    }

    /// The kube-apiserver the component's client talks to now.
    pub fn apiserver(&self) -> Option<ComponentId> {
        Some(match self {
            Component::User(u) => u.apiserver(),
            Component::Kubelet(k) => k.client.apiserver,
            Component::KubeProxy(p) => p.client.apiserver,
            Component::Scheduler(s) => s.client.apiserver,
            Component::ControllerManager(m) => m.client.apiserver,
            Component::CloudControllerManager(c) => c.client.apiserver,
            _ => return None,
        })
    }

    /// The apiservers the node's clients reach through the control-plane load balancer.
    pub(crate) fn set_backends(&mut self, backends: &[ComponentId]) {
        match self {
            Component::Kubelet(k) => k.client.backends = backends.to_vec(),
            Component::KubeProxy(p) => p.client.backends = backends.to_vec(),
            Component::User(u) => u.set_backends(backends),
            _ => {}
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: Message) {
        match self {
            Component::User(c) => c.on_message(ctx, msg),
            Component::ApiServer(c) => c.on_message(ctx, msg),
            Component::Etcd(c) => c.on_message(ctx, msg),
            Component::Scheduler(c) => c.on_message(ctx, msg),
            Component::ControllerManager(c) => c.on_message(ctx, msg),
            Component::Kubelet(c) => c.on_message(ctx, msg),
            Component::KubeProxy(c) => c.on_message(ctx, msg),
            Component::KvClient(c) => c.on_message(ctx, msg),
            Component::CloudControllerManager(c) => c.on_message(ctx, msg),
            Component::Cloud(c) => c.on_message(ctx, msg),
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        match self {
            Component::User(c) => c.on_timer(ctx, timer),
            Component::ApiServer(c) => c.on_timer(ctx, timer),
            Component::Etcd(c) => c.on_timer(ctx, timer),
            Component::Scheduler(c) => c.on_timer(ctx, timer),
            Component::ControllerManager(c) => c.on_timer(ctx, timer),
            Component::Kubelet(c) => c.on_timer(ctx, timer),
            Component::KubeProxy(c) => c.on_timer(ctx, timer),
            Component::KvClient(c) => c.on_timer(ctx, timer),
            Component::CloudControllerManager(c) => c.on_timer(ctx, timer),
            Component::Cloud(_) => {}
        }
    }
}
