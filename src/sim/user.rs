//! The user's kubectl, on a laptop outside the cluster: it authenticates with the admin client
//! certificate kubeadm writes to admin.conf (CN kubernetes-admin, O kubeadm:cluster-admins —
//! kubeadm's default since v1.29) and sends each request it is given over the network to kube-apiserver.
//!
//! Its connections are Go net/http's: over HTTP/2 (the default) every request is a stream on
//! one connection; over HTTP/1.1 a request takes an idle connection or opens another (a
//! watch holds its connection for its life); over HTTP/1.0 each request opens its own. A new
//! connection costs TCP's handshake and TLS 1.3's, two round trips, drawn as messages.
//! Simplified: after kube-apiserver restarts, a connection is only known dead when a
//! request on it is refused.

use super::api::request::{ApiRequest, ApiResponse, Credential, Status, Verb, WatchEvent};
use super::client::ApiClient;
use super::event::{ComponentId, Message, MsgKind, Payload, Timer};
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

/// kubectl's HTTP version towards kube-apiserver, from the scenario: "2" (the default),
/// "1.1" or "1.0" (client-go speaks no HTTP/3).
pub fn http_version(text: &str) -> Result<Protocol, String> {
    match text {
        "" | "2" | "h2" => Ok(Protocol::Http2),
        "1.1" | "http/1.1" => Ok(Protocol::Http11),
        "1.0" | "http/1.0" => Ok(Protocol::Http10),
        "3" | "h3" => Err("kubectl and kube-apiserver do not speak HTTP/3 (client-go has no QUIC)".into()),
        other => Err(format!("unknown HTTP version \"{other}\" for kubectl (2, 1.1 or 1.0)")),
    }
}

/// A request waiting for its connection: handle, request, credential.
type Queued = (u64, ApiRequest, Option<Credential>);

#[derive(Clone, Debug)]
struct Connection {
    id: u64,
    ready: bool,
    /// Requests in flight on it (a watch stays until closed).
    busy: Vec<u64>,
    waiting: Vec<Queued>,
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
    pub http: Protocol,
    conns: Vec<Connection>,
    /// Connections opened so far.
    pub opened: u64,
}

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
            http: Protocol::Http2,
            conns: Vec::new(),
            opened: 0,
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
        let open = self.conns.len();
        format!("{} · {open} conn{} · {who}", self.http.name(), if open == 1 { "" } else { "s" })
    }

    pub(crate) fn queue(&mut self, handle: u64, req: ApiRequest, cred: Option<Credential>) {
        self.outbox.push((handle, req, cred));
    }

    pub(crate) fn cancel(&mut self, handle: u64) {
        self.cancels.push(handle);
        self.watch_events.remove(&handle);
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        if timer == Timer::Work {
            for queued in std::mem::take(&mut self.outbox) {
                self.dispatch(ctx, queued);
            }
            for handle in std::mem::take(&mut self.cancels) {
                let req_id = self.watches.iter().find(|(_, h)| **h == handle).map(|(r, _)| *r);
                if let Some(req_id) = req_id {
                    self.watches.remove(&req_id);
                    let payload = Payload::WatchCancel { watch_id: req_id };
                    ctx.send(self.client.apiserver, MsgKind::ApiRequest, "close watch", payload);
                    self.done(req_id);
                }
            }
        }
    }

    /// Sends on a ready connection, waits on one being opened, or opens one.
    fn dispatch(&mut self, ctx: &mut Ctx, queued: Queued) {
        let reuse = match self.http {
            Protocol::Http2 | Protocol::Http3 => self.conns.first_mut(),
            Protocol::Http11 => self.conns.iter_mut().find(|c| c.ready && c.busy.is_empty()),
            Protocol::Http10 => None,
        };
        match reuse {
            Some(conn) if conn.ready => {
                let id = conn.id;
                self.transmit(ctx, id, queued);
            }
            Some(conn) => conn.waiting.push(queued),
            None => {
                self.opened += 1;
                let id = self.opened;
                self.conns.push(Connection { id, ready: false, busy: Vec::new(), waiting: vec![queued] });
                ctx.phase("connect", format!("new connection #{id} to 10.0.0.10:6443 ({})", self.http.name()));
                ctx.send(
                    self.client.apiserver,
                    MsgKind::ApiRequest,
                    "TCP SYN",
                    Payload::Handshake { conn: id, step: 1 },
                );
            }
        }
    }

    fn transmit(&mut self, ctx: &mut Ctx, conn: u64, (handle, req, cred): Queued) {
        let watch = req.verb == Verb::Watch;
        let req_id = match cred {
            Some(cred) => self.client.send_as(ctx, req, handle, cred),
            None => self.client.send(ctx, 0, req, handle),
        };
        if watch {
            self.watches.insert(req_id, handle);
        }
        if let Some(c) = self.conns.iter_mut().find(|c| c.id == conn) {
            c.busy.push(req_id);
        }
    }

    /// A request's exchange ended: its connection is free again (HTTP/1.0 closes it).
    fn done(&mut self, req_id: u64) {
        let Some(i) = self.conns.iter().position(|c| c.busy.contains(&req_id)) else { return };
        self.conns[i].busy.retain(|r| *r != req_id);
        if self.http == Protocol::Http10 {
            self.conns.remove(i);
        }
    }

    fn on_handshake(&mut self, ctx: &mut Ctx, conn: u64, step: u8) {
        let Some(i) = self.conns.iter().position(|c| c.id == conn) else { return };
        match step {
            2 => {
                let payload = Payload::Handshake { conn, step: 3 };
                ctx.send(self.client.apiserver, MsgKind::ApiRequest, "TLS ClientHello", payload);
            }
            4 => {
                self.conns[i].ready = true;
                for queued in std::mem::take(&mut self.conns[i].waiting) {
                    self.transmit(ctx, conn, queued);
                }
            }
            // Reset: nothing listens on 6443.
            _ => {
                let refused = self.conns.remove(i);
                for (handle, ..) in refused.waiting {
                    self.responses.insert(handle, Err(Status::connection_refused()));
                }
            }
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: Message) {
        match msg.payload {
            Payload::ApiResp { req_id, resp } => {
                // A refusal means the server's end is gone: so are the connections.
                if matches!(&*resp, Err(s) if *s == Status::connection_refused()) {
                    self.conns.clear();
                }
                if let Some(handle) = self.client.complete(ctx, req_id, &resp) {
                    if !self.watches.contains_key(&req_id) {
                        self.done(req_id);
                    }
                    self.responses.insert(handle, *resp);
                }
            }
            Payload::Handshake { conn, step } => self.on_handshake(ctx, conn, step),
            Payload::Watch(ev) => {
                if let Some(handle) = self.watches.get(&ev.watch_id).copied() {
                    self.watch_events.entry(handle).or_default().push(*ev);
                }
            }
            _ => {}
        }
    }
}
