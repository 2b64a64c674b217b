//! The user's kubectl, on a laptop outside the cluster: it authenticates with the admin client
//! certificate kubeadm writes to admin.conf (CN kubernetes-admin, O kubeadm:cluster-admins —
//! kubeadm's default since v1.29) and sends each request it is given over the network to kube-apiserver.
//!
//! Its connections are client-go's (see [`super::connection`]), over the HTTP version the
//! scenario sets.

use super::api::request::{ApiRequest, ApiResponse, Credential, Verb, WatchEvent};
use super::client::ApiClient;
use super::connection::Transport;
use super::event::{ComponentId, Message, MsgKind, Packet, Payload, Timer};
use super::transport::Protocol;
use super::Ctx;
use crate::sim::vecmap::VecMap;

/// The user's kubeconfig: credentials by user name, contexts (a user and a namespace), and
/// the current one. kubeadm's admin.conf starts it with `kubernetes-admin@kubernetes`.
#[derive(Clone, Debug, PartialEq)]
pub struct Kubeconfig {
    /// User name → bearer token (None: the admin client certificate).
    pub users: VecMap<String, Option<String>>,
    /// Context name → (user, namespace; empty means default).
    pub contexts: VecMap<String, (String, String)>,
    pub current: String,
}

pub const ADMIN_CONTEXT: &str = "kubernetes-admin@kubernetes";

impl Default for Kubeconfig {
    fn default() -> Self {
        let mut users = VecMap::new();
        users.insert("kubernetes-admin".to_string(), None);
        let mut contexts = VecMap::new();
        contexts.insert(ADMIN_CONTEXT.to_string(), ("kubernetes-admin".to_string(), String::new()));
        Kubeconfig { users, contexts, current: ADMIN_CONTEXT.into() }
    }
}

impl Kubeconfig {
    /// The current context's token (if its user has one) and namespace.
    pub fn current(&self) -> (Option<String>, String) {
        let Some((user, ns)) = self.contexts.get(&self.current) else { return (None, "default".into()) };
        let token = self.users.get(user).cloned().flatten();
        (token, if ns.is_empty() { "default".into() } else { ns.clone() })
    }
}

#[derive(Clone, Debug)]
pub struct UserClient {
    pub kubeconfig: Kubeconfig,
    client: ApiClient<u64>,
    outbox: Vec<(u64, ApiRequest, Option<Credential>)>,
    pub responses: VecMap<u64, ApiResponse>,
    /// Open watches (`kubectl get -w`): request id → handle, and the events not yet printed.
    watches: VecMap<u64, u64>,
    pub watch_events: VecMap<u64, Vec<WatchEvent>>,
    /// Watches to close, by handle.
    cancels: Vec<u64>,
    /// `curl` to a node's address from the laptop: connections to send (each to the node's
    /// kube-proxy, which stands for its netfilter), and their answers by handle.
    packets: Vec<(ComponentId, Packet)>,
    pub packet_replies: VecMap<u64, Result<(u16, String), String>>,
}

/// The laptop's address as the cluster's nodes see it: outside the cluster's networks.
pub const LAPTOP_IP: &str = "192.168.1.50";

impl UserClient {
    pub fn new(apiserver: ComponentId) -> Self {
        let cred = Credential::ClientCert {
            common_name: "kubernetes-admin".into(),
            organizations: vec!["kubeadm:cluster-admins".into()],
        };
        UserClient {
            kubeconfig: Kubeconfig::default(),
            client: ApiClient::new(apiserver, cred),
            outbox: Vec::new(),
            responses: VecMap::new(),
            watches: VecMap::new(),
            watch_events: VecMap::new(),
            cancels: Vec::new(),
            packets: Vec::new(),
            packet_replies: VecMap::new(),
        }
    }

    /// Who this client authenticates as and how it connects, for the views.
    pub fn identity(&self) -> String {
        let who = match &self.client.cred {
            Credential::ClientCert { common_name, .. } => format!("CN={common_name}"),
            Credential::Bearer(_) => "bearer token".into(),
            Credential::FrontProxy { user, .. } => format!("proxied {user}"),
            Credential::None => "anonymous".into(),
        };
        format!("{} · {who}", self.client.transport.summary())
    }

    /// kubectl's connections to kube-apiserver.
    pub fn transport(&self) -> &Transport {
        &self.client.transport
    }

    pub fn apiserver(&self) -> ComponentId {
        self.client.apiserver
    }

    pub fn set_backends(&mut self, backends: &[ComponentId]) {
        self.client.backends = backends.to_vec();
    }

    pub fn set_http(&mut self, http: Protocol) {
        self.client.transport = Transport::new(http);
    }

    pub(crate) fn queue(&mut self, handle: u64, req: ApiRequest, cred: Option<Credential>) {
        self.outbox.push((handle, req, cred));
    }

    /// A connection to `dst` (`ip:port`) on a node, whose rules are `proxy`'s; `handle` names it.
    pub(crate) fn queue_packet(&mut self, handle: u64, proxy: ComponentId, dst: &str, path: &str) {
        let packet = Packet {
            id: handle,
            client: super::cluster::USER,
            src: LAPTOP_IP.into(),
            dst: dst.into(),
            to: dst.into(),
            path: path.into(),
            dns: None,
        };
        self.packets.push((proxy, packet));
    }

    pub(crate) fn cancel(&mut self, handle: u64) {
        self.cancels.push(handle);
        self.watch_events.remove(&handle);
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        if timer == Timer::Work {
            for (handle, req, cred) in std::mem::take(&mut self.outbox) {
                let watch = req.verb == Verb::Watch;
                let req_id = match cred {
                    Some(cred) => self.client.send_as(ctx, req, handle, cred),
                    None => self.client.send(ctx, 0, req, handle),
                };
                if watch {
                    self.watches.insert(req_id, handle);
                }
            }
            for (proxy, packet) in std::mem::take(&mut self.packets) {
                let label = format!("GET {} (from outside)", packet.path);
                ctx.send(proxy, MsgKind::Traffic, label, Payload::Packet(Box::new(packet)));
            }
            for handle in std::mem::take(&mut self.cancels) {
                let req_id = self.watches.iter().find(|(_, h)| **h == handle).map(|(r, _)| *r);
                if let Some(req_id) = req_id {
                    self.watches.remove(&req_id);
                    self.client.close_watch(ctx, req_id);
                }
            }
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: Message) {
        if self.client.on_transport(ctx, &msg.payload) {
            return;
        }
        match msg.payload {
            Payload::ApiResp { req_id, resp } => {
                if let Some(handle) = self.client.complete(ctx, req_id, &resp) {
                    self.responses.insert(handle, *resp);
                }
            }
            Payload::Watch(ev) => {
                if let Some(handle) = self.watches.get(&ev.watch_id).copied() {
                    self.watch_events.entry(handle).or_default().push(*ev);
                }
            }
            Payload::PacketReply(reply) => {
                self.packet_replies.insert(reply.id, reply.result);
            }
            _ => {}
        }
    }
}
