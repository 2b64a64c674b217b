//! What every program running in a pod shares: an API client authenticated with the pod's
//! ServiceAccount token, request ids in a block of their own (so the kubelet can hand the
//! answers over), informers that list, watch and re-watch as reflectors do, and a work queue
//! drained one key at a time on the program's ControllerWork timer.

use super::coredns::CoreDns;
use super::csi::CsiController;
use super::operator::WebsiteOperator;
use crate::sim::api::request::{ApiRequest, Credential, WatchType};
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::Object;
use crate::sim::client::{bookmark, hang_up, rewatch_later, started, watch_failed, ApiClient, Informer};
use crate::sim::event::{ComponentId, Message, Payload, Timer};
use crate::sim::transport::Protocol;
use crate::sim::vecmap::VecSet;
use crate::sim::Ctx;
use std::sync::Arc;

/// Each program's request ids live in their own block of 2^40, above the kubelet's.
pub const ID_BLOCK_BITS: u32 = 40;
/// Time one reconcile takes, µs.
const RECONCILE_US: u64 = 500;

/// Where a program's client connects: kube-apiserver, over its node's HTTP version.
#[derive(Clone, Copy, Debug)]
pub struct Server {
    pub id: ComponentId,
    pub http: Protocol,
}

#[derive(Clone, Debug)]
pub struct Core {
    /// The pod it runs in, and the program's name for its log lines.
    pub pod_key: String,
    pub name: &'static str,
    client: ApiClient<()>,
    pub informers: Vec<Informer>,
    queue: VecSet<String>,
    busy: bool,
    /// Its slot among the node's programs: the ControllerWork timer it answers to.
    slot: u8,
    first_id: u64,
    next_token: u64,
}

/// What a message meant to the program.
pub enum Seen {
    /// An informer listed (or listed again): resync everything.
    Listed,
    /// A watched object changed; `old` is what the informer held before.
    Changed {
        type_: WatchType,
        object: Arc<Object>,
        old: Option<Arc<Object>>,
    },
    Nothing,
}

impl Core {
    /// Starts the informers over `resources` with the pod's token.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        ctx: &mut Ctx,
        name: &'static str,
        pod_key: &str,
        apiserver: Server,
        token: String,
        slot: u8,
        resources: &[&'static ResourceInfo],
    ) -> Core {
        let first_id = (u64::from(slot) + 1) << ID_BLOCK_BITS;
        let mut core = Core {
            pod_key: pod_key.to_string(),
            name,
            client: ApiClient::with_first_id(apiserver.id, Credential::Bearer(token), first_id, apiserver.http),
            informers: resources.iter().map(|r| Informer::new(r, None)).collect(),
            queue: VecSet::new(),
            busy: false,
            slot,
            first_id,
            next_token: first_id,
        };
        let plurals: Vec<&str> = resources.iter().map(|r| r.plural).collect();
        ctx.phase(name, format!("{pod_key}: starting informers on {}", plurals.join(", ")));
        for inf in &mut core.informers {
            inf.start(ctx, &mut core.client, ());
        }
        core
    }

    /// Whether an answer, watch event or timer token with this id is the program's.
    pub fn owns(&self, id: u64) -> bool {
        id >> ID_BLOCK_BITS == self.first_id >> ID_BLOCK_BITS
    }

    pub fn store(&self, plural: &str) -> Option<&Informer> {
        self.informers.iter().find(|i| i.resource.plural == plural)
    }

    /// The container stopped: its connections close.
    pub fn stop(&mut self, ctx: &mut Ctx) {
        hang_up(ctx, &mut self.client, &mut self.informers.iter_mut().collect::<Vec<_>>());
    }

    /// Handles the informers' side of a message.
    pub fn on_message(&mut self, ctx: &mut Ctx, msg: Message) -> Seen {
        if self.client.on_transport(ctx, &msg.payload) {
            return Seen::Nothing;
        }
        let mut informers: Vec<&mut Informer> = self.informers.iter_mut().collect();
        match msg.payload {
            Payload::ApiResp { req_id, resp } => {
                let watch = informers.iter().any(|i| i.watch_id == Some(req_id));
                if self.client.complete(ctx, req_id, &resp).is_none() {
                    return Seen::Nothing;
                }
                match (*resp, watch) {
                    (Ok(body), true) => {
                        if let Some(inf) = informers.into_iter().find(|i| i.watch_id == Some(req_id)) {
                            started(ctx, inf, body);
                        }
                        return Seen::Listed;
                    }
                    // A CRD not installed yet (404) or RBAC missing (403): the reflector backs off.
                    (Err(s), true) => {
                        ctx.phase(self.name, format!("{}: failed to list and watch: {}", self.pod_key, s.message));
                        watch_failed(ctx, &mut informers, req_id, &s);
                    }
                    (Err(s), false) => ctx.phase(self.name, format!("{}: {}", self.pod_key, s.message)),
                    (Ok(_), false) => {}
                }
            }
            Payload::WatchClosed { watch_id } => {
                rewatch_later(ctx, &mut informers, watch_id);
            }
            Payload::Bookmark { watch_id, revision } => bookmark(&mut informers, watch_id, revision),
            Payload::Watch(ev) => {
                if let Some(old) = informers.into_iter().find_map(|i| i.apply(&ev)) {
                    let ev = *ev;
                    return Seen::Changed { type_: ev.type_, object: ev.object, old };
                }
            }
            _ => {}
        }
        Seen::Nothing
    }

    /// Re-watches after a back-off; returns the key to work on when the queue's turn comes.
    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: &Timer) -> Option<String> {
        match timer {
            Timer::ControllerWork { controller } if *controller == self.slot => {
                self.busy = false;
                let next = self.queue.iter().next().cloned();
                if let Some(key) = &next {
                    self.queue.remove(key);
                }
                next
            }
            Timer::Rewatch { resource } => {
                let client = &mut self.client;
                if let Some(inf) =
                    self.informers.iter_mut().find(|i| i.resource.plural == *resource && i.watch_id.is_none())
                {
                    inf.start(ctx, client, ());
                }
                None
            }
            _ => None,
        }
    }

    pub fn enqueue(&mut self, ctx: &mut Ctx, key: String) {
        self.queue.insert(key);
        self.kick(ctx);
    }

    /// Schedules the next reconcile if there is work and none is scheduled.
    pub fn kick(&mut self, ctx: &mut Ctx) {
        if !self.busy && !self.queue.is_empty() {
            self.busy = true;
            ctx.timer(RECONCILE_US, Timer::ControllerWork { controller: self.slot });
        }
    }

    pub fn send(&mut self, ctx: &mut Ctx, what: &str, req: ApiRequest) {
        ctx.phase(self.name, what.to_string());
        self.client.send(ctx, 0, req, ());
    }

    /// An Event write, through the event sink's retries (client.rs `send_event`).
    pub fn send_event(&mut self, ctx: &mut Ctx, what: &str, write: crate::sim::recorder::EventWrite) {
        ctx.phase(self.name, what.to_string());
        self.client.send_event(ctx, write, ());
    }

    /// A timer token of the program's own (for waits such as a cloud API call).
    pub fn token(&mut self) -> u64 {
        self.next_token += 1;
        self.next_token
    }
}

/// The programs the playground's images run.
#[derive(Clone, Debug)]
pub enum Program {
    Website(WebsiteOperator),
    Csi(CsiController),
    Dns(CoreDns),
}

impl Program {
    /// The program an image runs, if any.
    pub fn of_image(image: &str) -> Option<&'static str> {
        match super::images::base_name(image) {
            super::operator::PROGRAM => Some(super::operator::PROGRAM),
            super::csi::PROGRAM => Some(super::csi::PROGRAM),
            super::coredns::PROGRAM => Some(super::coredns::PROGRAM),
            _ => None,
        }
    }

    pub fn start(ctx: &mut Ctx, program: &str, pod_key: &str, apiserver: Server, token: String, slot: u8) -> Program {
        if program == super::csi::PROGRAM {
            Program::Csi(CsiController::start(ctx, pod_key, apiserver, token, slot))
        } else if program == super::coredns::PROGRAM {
            Program::Dns(CoreDns::start(ctx, pod_key, apiserver, token, slot))
        } else {
            Program::Website(WebsiteOperator::start(ctx, pod_key, apiserver, token, slot))
        }
    }

    pub fn core(&self) -> &Core {
        match self {
            Program::Website(p) => &p.core,
            Program::Csi(p) => &p.core,
            Program::Dns(p) => &p.core,
        }
    }

    /// [`Timer::ResendEvent`] for one of this program's Event writes.
    pub fn resend_event(&mut self, ctx: &mut Ctx, req_id: u64) {
        let core = match self {
            Program::Website(p) => &mut p.core,
            Program::Csi(p) => &mut p.core,
            Program::Dns(p) => &mut p.core,
        };
        core.client.resend_event(ctx, req_id);
    }

    pub fn stop(&mut self, ctx: &mut Ctx) {
        match self {
            Program::Website(p) => p.core.stop(ctx),
            Program::Csi(p) => p.core.stop(ctx),
            Program::Dns(p) => p.core.stop(ctx),
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: Message) {
        match self {
            Program::Website(p) => p.on_message(ctx, msg),
            Program::Csi(p) => p.on_message(ctx, msg),
            Program::Dns(p) => p.on_message(ctx, msg),
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: &Timer) {
        match self {
            Program::Website(p) => p.on_timer(ctx, timer),
            Program::Csi(p) => p.on_timer(ctx, timer),
            Program::Dns(p) => p.on_timer(ctx, timer),
        }
    }
}
