//! The client side of the API shared by every component (client-go's role): a request/response
//! correlator and informers that keep a local cache from a watch.

use super::api::request::{
    ApiBody, ApiRequest, ApiResponse, Credential, FieldSelector, Status, Verb, WatchEvent, WatchType,
};
use super::api::resource::ResourceInfo;
use super::api::{Object, Pod};
use super::connection::{Handshaken, Transport};
use super::event::{ComponentId, MsgKind, Payload, Timer};
use super::recorder::EventWrite;
use super::time::{MILLIS, SECONDS};
use super::transport::Protocol;
use super::Ctx;
use std::collections::BTreeMap;
use std::sync::Arc;

/// client-go's rest client retries a 429 this many times, waiting for Retry-After each time.
pub const MAX_RETRIES: u32 = 10;
/// The Retry-After kube-apiserver sends with a 429 (API Priority and Fairness, max-inflight).
const RETRY_AFTER_US: u64 = SECONDS;

/// client-go's event sink tries a write this many times when the apiserver cannot be reached
/// (tools/record maxTriesPerEvent)…
const EVENT_TRIES: u32 = 12;
/// …sleeping this long between tries (the first sleep a random part of it, so that clients
/// refused together do not come back together).
const EVENT_SLEEP_US: u64 = 10 * SECONDS;

/// A request on its way: what it is for, and what is needed to send it again after a 429 or,
/// for an Event, after a refused connection.
#[derive(Clone, Debug)]
struct InFlight<T> {
    tag: T,
    req: Box<ApiRequest>,
    cred: Credential,
    retries: u32,
    /// Written by the event recorder: the event sink's tries so far (None: not an Event).
    event_tries: Option<u32>,
    /// The recorder's create for a repeat whose Event may be gone (a patch answered 404).
    recreate: Option<Box<ApiRequest>>,
}

/// Sends requests to kube-apiserver and remembers what each was for.
#[derive(Clone, Debug)]
pub struct ApiClient<T> {
    pub apiserver: ComponentId,
    /// The apiservers behind the control-plane load balancer the client dials (empty: it
    /// talks to `apiserver` directly). A refused connection is a backend the load balancer's
    /// health check takes out: the next dial lands on the next one.
    pub backends: Vec<ComponentId>,
    pub cred: Credential,
    next_id: u64,
    /// By request id. A BTreeMap: a busy client (the controller-manager at scale) has thousands
    /// in flight, answered oldest first, and a sorted Vec would shift them all on each answer.
    pending: BTreeMap<u64, InFlight<T>>,
    pub transport: Transport,
}

impl<T> ApiClient<T> {
    /// A client speaking HTTP/2, client-go's default.
    pub fn new(apiserver: ComponentId, cred: Credential) -> Self {
        Self::with_first_id(apiserver, cred, 1, Protocol::Http2)
    }

    /// A client whose request ids start at `first_id` (a program in a pod, sharing its node's
    /// connection endpoint with the kubelet, keeps its answers apart so).
    pub fn with_first_id(apiserver: ComponentId, cred: Credential, first_id: u64, http: Protocol) -> Self {
        ApiClient {
            apiserver,
            backends: vec![],
            cred,
            next_id: first_id,
            pending: BTreeMap::new(),
            transport: Transport::new(http),
        }
    }

    /// The client of a restarted process: nothing in flight, no connections, and request ids
    /// that never reuse the dead process's (answers to those may still arrive).
    pub fn restarted<U>(&self) -> ApiClient<U> {
        ApiClient {
            apiserver: self.apiserver,
            backends: self.backends.clone(),
            cred: self.cred.clone(),
            next_id: self.next_id,
            pending: BTreeMap::new(),
            transport: self.transport.restarted(),
        }
    }

    /// Sends `req` (after `delay_us` of local work); `tag` comes back with the response.
    pub fn send(&mut self, ctx: &mut Ctx, delay_us: u64, req: ApiRequest, tag: T) -> u64 {
        let cred = self.cred.clone();
        self.send_with(ctx, delay_us, req, tag, cred)
    }

    /// Sends an Event write from the event recorder. As client-go's event sink, a write that
    /// cannot reach the apiserver is tried again ([`EVENT_TRIES`] tries, [`EVENT_SLEEP_US`]
    /// apart, the owner handing back [`Timer::ResendEvent`]); the server's refusal is final.
    pub fn send_event(&mut self, ctx: &mut Ctx, write: EventWrite, tag: T) -> u64 {
        let req_id = self.send(ctx, 0, write.req, tag);
        if let Some(f) = self.pending.get_mut(&req_id) {
            f.event_tries = Some(1);
            f.recreate = write.recreate.map(Box::new);
        }
        req_id
    }

    /// [`Timer::ResendEvent`]: the Event write `req_id` goes again, to the apiserver the client
    /// dials now.
    pub fn resend_event(&mut self, ctx: &mut Ctx, req_id: u64) {
        let Some(f) = self.pending.get(&req_id) else { return };
        if self.transport.route(ctx, self.apiserver, req_id, 0) {
            Self::transmit(ctx, self.apiserver, 0, req_id, &f.req, &f.cred);
        }
    }

    /// Sends `req` with another credential than the client's own (`kubectl --token`).
    pub fn send_as(&mut self, ctx: &mut Ctx, req: ApiRequest, tag: T, cred: Credential) -> u64 {
        self.send_with(ctx, 0, req, tag, cred)
    }

    fn send_with(&mut self, ctx: &mut Ctx, delay_us: u64, req: ApiRequest, tag: T, cred: Credential) -> u64 {
        let req_id = self.next_id;
        self.next_id += 1;
        let req = Box::new(req);
        if self.transport.route(ctx, self.apiserver, req_id, delay_us) {
            Self::transmit(ctx, self.apiserver, delay_us, req_id, &req, &cred);
        }
        self.pending.insert(req_id, InFlight { tag, req, cred, retries: 0, event_tries: None, recreate: None });
        req_id
    }

    /// Handles the messages about connections: a handshake step (true: nothing more to do
    /// with it), or a watch closed by the server's death (its connections died with it).
    pub fn on_transport(&mut self, ctx: &mut Ctx, payload: &Payload) -> bool {
        match payload {
            Payload::Handshake { conn, step } => {
                match self.transport.on_handshake(ctx, self.apiserver, *conn, *step) {
                    Handshaken::Continue => {}
                    Handshaken::Ready(ids) => {
                        for id in ids {
                            if let Some(f) = self.pending.get(&id) {
                                Self::transmit(ctx, self.apiserver, 0, id, &f.req, &f.cred);
                            }
                        }
                    }
                    Handshaken::Refused(ids) => {
                        // The dial failed: each waiting request fails here, as client-go's does.
                        for req_id in ids {
                            let resp = Box::new(Err(Status::connection_refused()));
                            let payload = Payload::ApiResp { req_id, resp };
                            ctx.send(ctx.me, MsgKind::ApiResponse, "connection refused", payload);
                        }
                    }
                }
                true
            }
            Payload::WatchClosed { .. } => {
                self.transport.reset();
                false
            }
            _ => false,
        }
    }

    /// Closes watch `watch_id` (its request's id): kube-apiserver stops sending, and over
    /// HTTP/1.x its connection is free.
    pub fn close_watch(&mut self, ctx: &mut Ctx, watch_id: u64) {
        ctx.send(self.apiserver, MsgKind::ApiRequest, "close watch", Payload::WatchCancel { watch_id });
        self.transport.release(watch_id);
    }

    fn transmit(ctx: &mut Ctx, to: ComponentId, delay_us: u64, req_id: u64, req: &ApiRequest, cred: &Credential) {
        let payload = Payload::Api { req_id, cred: cred.clone(), req: Box::new(req.clone()) };
        ctx.send_after(delay_us, to, MsgKind::ApiRequest, req.line(), payload);
    }

    /// The tag of a finished request, or None for an unknown id — and None for a 429 that is
    /// being retried: the same request goes again after Retry-After, up to [`MAX_RETRIES`]
    /// times, under the same id (client-go's rest client).
    pub fn complete(&mut self, ctx: &mut Ctx, req_id: u64, resp: &ApiResponse) -> Option<T> {
        // Only a 429 with Retry-After (priority and fairness, max-inflight) is retried; the
        // Eviction API's budget refusal carries details and none, as upstream.
        if matches!(resp, Err(s) if s.code == 429 && s.causes.is_empty()) {
            if let Some(f) = self.pending.get_mut(&req_id).filter(|f| f.retries < MAX_RETRIES) {
                f.retries += 1;
                ctx.phase("client", format!("429 for {}: retrying in 1s (attempt {})", f.req.line(), f.retries + 1));
                Self::transmit(ctx, self.apiserver, RETRY_AFTER_US, req_id, &f.req, &f.cred);
                return None;
            }
        }
        // The repeat's Event is gone (expired): the sink creates it again, as recordToSink does.
        if matches!(resp, Err(s) if s.code == 404) {
            if let Some((f, create)) = self.pending.get_mut(&req_id).and_then(|f| f.recreate.take().map(|c| (f, c))) {
                f.req = create;
                self.transport.release(req_id);
                if self.transport.route(ctx, self.apiserver, req_id, 0) {
                    Self::transmit(ctx, self.apiserver, 0, req_id, &f.req, &f.cred);
                }
                return None;
            }
        }
        if let Some(s) = resp.as_ref().err().filter(|s| s.is_connection_error()) {
            self.transport.reset();
            if let Some(i) = self.backends.iter().position(|b| *b == self.apiserver) {
                self.apiserver = self.backends[(i + 1) % self.backends.len()];
            }
            if let Some(f) = self.pending.get_mut(&req_id) {
                match f.event_tries.as_mut() {
                    Some(tries) if *tries < EVENT_TRIES => {
                        let line = f.req.line();
                        let why =
                            format!("Unable to write event: '{line}': '{}' (may retry after sleeping)", s.message);
                        ctx.phase("event", why);
                        let sleep = if *tries == 1 { first_sleep(ctx.me, req_id) } else { EVENT_SLEEP_US };
                        *tries += 1;
                        ctx.timer(sleep, Timer::ResendEvent { req_id });
                        return None;
                    }
                    Some(_) => {
                        let line = f.req.line();
                        ctx.phase("event", format!("Unable to write event '{line}' (retry limit exceeded!)"));
                    }
                    None => {}
                }
            }
        }
        let f = self.pending.remove(&req_id)?;
        // A watch that started keeps its connection until it is closed.
        if f.req.verb != Verb::Watch || resp.is_err() {
            self.transport.release(req_id);
        }
        Some(f.tag)
    }
}

/// The event sink's first sleep: a part of [`EVENT_SLEEP_US`] drawn from the client and
/// request (deterministic, unlike upstream's `rand.Float64()`, and as spread).
fn first_sleep(me: ComponentId, req_id: u64) -> u64 {
    let mut seed = [0u8; 12];
    seed[..4].copy_from_slice(&me.to_le_bytes());
    seed[4..].copy_from_slice(&req_id.to_le_bytes());
    super::rng::fnv1a64(&seed) % EVENT_SLEEP_US
}

/// The process died: its connections close, and with them every watch it had open.
pub fn hang_up<T>(ctx: &mut Ctx, client: &mut ApiClient<T>, informers: &mut [&mut Informer]) {
    for inf in informers.iter_mut() {
        if let Some(watch_id) = inf.watch_id.take() {
            client.close_watch(ctx, watch_id);
        }
    }
}

/// A reflector plus store: one watch (with initial events) keeping a local copy of a resource.
#[derive(Clone, Debug)]
pub struct Informer {
    pub resource: &'static ResourceInfo,
    pub field_selector: Option<FieldSelector>,
    pub watch_id: Option<u64>,
    pub synced: bool,
    /// Objects by `namespace/name` (changed only by the informer itself, which keeps the
    /// indexes in step).
    pub store: BTreeMap<String, Arc<Object>>,
    /// By their controller's uid — client-go's indexer on ownerReferences, so a controller
    /// finds its pods without scanning every pod of the cluster.
    by_owner: Index,
    /// Pods by `spec.nodeName` (the indexer controllers add for per-node work).
    by_node: Index,
    /// Opt-in (`index_owned_by_node`): by controller uid, each controller's pods in the order
    /// of the node they are on or pinned to — the DaemonSet controller finds one node's daemon
    /// pods without looking at the others.
    by_owner_node: Option<Index>,
    /// The reflector's current back-off after a lost watch, µs (0 while watching).
    pub backoff_us: u64,
    /// The last resourceVersion seen (list, events, bookmarks): where a new watch resumes.
    pub last_rv: i64,
    /// Periodic-list mode instead of watching: list again this often (µs; 0 = watch).
    pub list_period_us: u64,
}

impl Informer {
    pub fn new(resource: &'static ResourceInfo, field_selector: Option<FieldSelector>) -> Self {
        Informer {
            resource,
            field_selector,
            watch_id: None,
            synced: false,
            store: BTreeMap::new(),
            by_owner: Index::new(owner_uid),
            by_node: Index::new(node_name),
            by_owner_node: None,
            backoff_us: 0,
            last_rv: 0,
            list_period_us: 0,
        }
    }

    /// A watch with the current state first, or — once synced — resuming where it left off.
    pub fn watch_request(&self) -> ApiRequest {
        let verb = if self.list_period_us > 0 { Verb::List } else { Verb::Watch };
        let mut req = ApiRequest::new(verb, self.resource, "", "");
        req.field_selector = self.field_selector.clone();
        if self.synced && self.last_rv > 0 && verb == Verb::Watch {
            req.resource_version = Some(self.last_rv);
        }
        req
    }

    /// Starts the watch through `client`.
    pub fn start<T>(&mut self, ctx: &mut Ctx, client: &mut ApiClient<T>, tag: T) {
        self.watch_id = Some(client.send(ctx, 0, self.watch_request(), tag));
    }

    /// Takes the initial list from the watch response. After a relist, returns what vanished
    /// while the watch was down (DeltaFIFO's Replace turns those into deletions). A resumed
    /// watch keeps the store.
    pub fn on_started(&mut self, body: ApiBody) -> Vec<Arc<Object>> {
        let (items, resource_version, initial) = match body {
            ApiBody::WatchStarted { items, resource_version, initial } => (items, resource_version, initial),
            // Periodic-list mode: every list is a fresh initial state.
            ApiBody::List { items, resource_version } => (items, resource_version, true),
            _ => return vec![],
        };
        self.backoff_us = 0;
        if !initial {
            // Resumed: the missed events follow, and move last_rv as they arrive.
            return vec![];
        }
        self.last_rv = resource_version;
        let fresh: BTreeMap<String, Arc<Object>> = items.into_iter().map(|o| (key_of(&o), o)).collect();
        let old = std::mem::replace(&mut self.store, fresh);
        for index in
            [Some(&mut self.by_owner), Some(&mut self.by_node), self.by_owner_node.as_mut()].into_iter().flatten()
        {
            index.rebuild(&self.store);
        }
        self.synced = true;
        old.into_iter().filter(|(k, _)| !self.store.contains_key(k)).map(|(_, o)| o).collect()
    }

    /// The watch ended or could not start: how long to wait before listing again (client-go's
    /// reflector backs off from 800 ms, doubling to 30 s).
    pub fn closed(&mut self) -> u64 {
        self.watch_id = None;
        self.backoff_us = if self.backoff_us == 0 { 800 * MILLIS } else { (self.backoff_us * 2).min(30 * SECONDS) };
        self.backoff_us
    }

    /// Applies a watch event if it belongs to this informer; returns the previous object and
    /// whether the event was ours.
    pub fn apply(&mut self, ev: &WatchEvent) -> Option<Option<Arc<Object>>> {
        if Some(ev.watch_id) != self.watch_id {
            return None;
        }
        let key = key_of(&ev.object);
        self.last_rv = self.last_rv.max(ev.object.meta().rv());
        let new = (ev.type_ != WatchType::Deleted).then(|| ev.object.clone());
        let old = match &new {
            Some(o) => self.store.insert(key.clone(), o.clone()),
            None => self.store.remove(&key),
        };
        for index in
            [Some(&mut self.by_owner), Some(&mut self.by_node), self.by_owner_node.as_mut()].into_iter().flatten()
        {
            index.update(&key, old.as_deref(), new.as_ref());
        }
        Some(old)
    }

    pub fn objects(&self) -> impl Iterator<Item = &Object> {
        self.store.values().map(|o| &**o)
    }

    /// The objects themselves, to keep without copying.
    pub fn shared(&self) -> impl Iterator<Item = &Arc<Object>> {
        self.store.values()
    }

    /// The object at `namespace/name` (or `name`), if the informer has it.
    pub fn get(&self, key: &str) -> Option<&Object> {
        self.store.get(key).map(|o| &**o)
    }

    /// The objects whose controller (ownerReference with controller: true) has `uid`.
    pub fn owned_by<'a>(&'a self, uid: &str) -> impl Iterator<Item = &'a Object> {
        self.by_owner.get(uid)
    }

    /// The pods bound to `node`.
    pub fn on_node<'a>(&'a self, node: &str) -> impl Iterator<Item = &'a Object> {
        self.by_node.get(node)
    }

    /// Keeps the index behind `owned_by_node` from now on.
    pub fn index_owned_by_node(&mut self) {
        let mut index = Index { within: Some(target_node), ..Index::new(owner_uid) };
        index.rebuild(&self.store);
        self.by_owner_node = Some(index);
    }

    /// The pods of `owned_by(uid)` on or pinned to `node`, in key order; empty unless
    /// `index_owned_by_node` was called.
    pub fn owned_on_node<'a>(&'a self, uid: &str, node: &'a str) -> impl Iterator<Item = &'a Pod> {
        let found = self.by_owner_node.as_ref().and_then(|i| i.by.get(uid));
        let from = (node.to_string(), String::new());
        found
            .into_iter()
            .flat_map(move |m| m.range(from.clone()..))
            .take_while(move |((on, _), _)| on == node)
            .filter_map(|(_, o)| o.as_pod())
    }
}

/// A watch (or, in periodic-list mode, a list) answered: the informer takes it, and a
/// listing informer schedules its next list. Returns what vanished.
pub fn started(ctx: &mut Ctx, inf: &mut Informer, body: ApiBody) -> Vec<Arc<Object>> {
    let gone = inf.on_started(body);
    if inf.list_period_us > 0 {
        inf.watch_id = None;
        ctx.timer(inf.list_period_us, super::event::Timer::Rewatch { resource: inf.resource.plural });
    }
    gone
}

/// A bookmark for one of `informers`: its resourceVersion moves on.
pub fn bookmark(informers: &mut [&mut Informer], watch_id: u64, revision: i64) {
    if let Some(inf) = informers.iter_mut().find(|i| i.watch_id == Some(watch_id)) {
        inf.last_rv = inf.last_rv.max(revision);
    }
}

/// A watch request failed: after `410 Gone` (too old a resourceVersion) the reflector lists
/// again at once; after anything else it backs off.
pub fn watch_failed(ctx: &mut Ctx, informers: &mut [&mut Informer], watch_id: u64, status: &Status) {
    if status.code == 410 {
        if let Some(inf) = informers.iter_mut().find(|i| i.watch_id == Some(watch_id)) {
            inf.synced = false;
            inf.last_rv = 0;
            inf.watch_id = None;
            let resource = inf.resource.plural;
            ctx.phase("reflector", format!("watch of {resource}: {}; listing again", status.message));
            ctx.timer(0, super::event::Timer::Rewatch { resource });
        }
        return;
    }
    rewatch_later(ctx, informers, watch_id);
}

/// A lost watch or a failed watch request on one of `informers`: schedule its relist.
pub fn rewatch_later(ctx: &mut Ctx, informers: &mut [&mut Informer], watch_id: u64) -> bool {
    let Some(inf) = informers.iter_mut().find(|i| i.watch_id == Some(watch_id)) else { return false };
    let delay = inf.closed();
    let resource = inf.resource.plural;
    ctx.phase("reflector", format!("watch of {resource} lost: listing again in {}", super::time::go_duration(delay)));
    ctx.timer(delay, super::event::Timer::Rewatch { resource });
    true
}

fn owner_uid(o: &Object) -> Option<&str> {
    o.meta().controller_ref().map(|r| r.uid.as_str())
}

fn node_name(o: &Object) -> Option<&str> {
    o.as_pod().map(|p| p.spec.node_name.as_str()).filter(|n| !n.is_empty())
}

/// The node a pod is on or pinned to ("" for none).
fn target_node(o: &Object) -> &str {
    o.as_pod().and_then(|p| p.target_node()).unwrap_or_default()
}

/// A secondary index of an informer's store (client-go's Indexer): the objects whose
/// index value (`of`) is v, ordered by `within` (if given) and then by key. The objects are
/// the store's own `Arc`s, so a lookup walks them directly.
#[derive(Clone, Debug)]
struct Index {
    of: fn(&Object) -> Option<&str>,
    within: Option<fn(&Object) -> &str>,
    by: BTreeMap<String, BTreeMap<(String, String), Arc<Object>>>,
}

impl Index {
    fn new(of: fn(&Object) -> Option<&str>) -> Self {
        Index { of, within: None, by: BTreeMap::new() }
    }

    fn get<'a>(&'a self, value: &str) -> impl Iterator<Item = &'a Object> {
        self.by.get(value).into_iter().flat_map(|m| m.values()).map(|o| &**o)
    }

    fn rebuild(&mut self, store: &BTreeMap<String, Arc<Object>>) {
        self.by.clear();
        for (key, o) in store {
            self.update(key, None, Some(o));
        }
    }

    /// Where an object sorts among those of its index value.
    fn place(&self, key: &str, o: &Object) -> (String, String) {
        (self.within.map_or_else(String::new, |w| w(o).to_string()), key.to_string())
    }

    /// The object at `key` changed from `old` to `new` (None: absent).
    fn update(&mut self, key: &str, old: Option<&Object>, new: Option<&Arc<Object>>) {
        if let Some((was, o)) = old.and_then(|o| Some(((self.of)(o)?, o))) {
            let place = self.place(key, o);
            if let Some(m) = self.by.get_mut(was) {
                m.remove(&place);
                if m.is_empty() {
                    self.by.remove(was);
                }
            }
        }
        if let Some(o) = new {
            if let Some(is) = (self.of)(o) {
                let place = self.place(key, o);
                self.by.entry(is.to_string()).or_default().insert(place, o.clone());
            }
        }
    }
}

pub fn key_of(o: &Object) -> String {
    super::api::meta::cache_key(&o.meta().namespace, &o.meta().name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::time::SimTime;

    #[test]
    fn a_429_is_sent_again_after_retry_after_then_given_up_on() {
        let mut effects = Vec::new();
        let mut decoded = Default::default();
        let mut ctx = Ctx { now: SimTime::ZERO, me: 5, effects: &mut effects, decoded: &mut decoded };
        let mut client = ApiClient::new(1, Credential::None);
        let id = client.send(&mut ctx, 0, ApiRequest::new(Verb::List, ResourceInfo::of("pods"), "default", ""), "list");
        let throttled: ApiResponse = Err(Status::too_many_requests());
        for _ in 0..MAX_RETRIES {
            assert_eq!(client.complete(&mut ctx, id, &throttled), None, "retried under the same id");
        }
        assert_eq!(client.complete(&mut ctx, id, &throttled), Some("list"), "the 11th 429 reaches the caller");
        let sends = ctx
            .effects
            .iter()
            .filter(|e| matches!(e, crate::sim::Effect::Send { delay_us, .. } if *delay_us == SECONDS))
            .count();
        assert_eq!(sends, MAX_RETRIES as usize);
        assert_eq!(
            client.complete(&mut ctx, id, &Ok(ApiBody::List { items: vec![], resource_version: 1 })),
            None,
            "finished"
        );
    }

    #[test]
    fn an_event_write_that_cannot_reach_the_apiserver_is_tried_twelve_times_then_dropped() {
        let mut effects = Vec::new();
        let mut decoded = Default::default();
        let mut ctx = Ctx { now: SimTime::ZERO, me: 5, effects: &mut effects, decoded: &mut decoded };
        let mut client = ApiClient::new(1, Credential::None);
        client.backends = vec![1, 2];
        let event = ApiRequest::new(Verb::Create, ResourceInfo::of("events"), "default", "");
        let id = client.send_event(&mut ctx, EventWrite { req: event, recreate: None }, "event");
        let list = client.send(&mut ctx, 0, ApiRequest::new(Verb::List, ResourceInfo::of("pods"), "", ""), "list");
        // Any other request fails at once; the Event sleeps and goes again, to the next backend.
        assert_eq!(client.complete(&mut ctx, list, &Err(Status::connection_reset())), Some("list"));
        assert_eq!(client.apiserver, 2, "the next dial goes to the other apiserver");
        let refused: ApiResponse = Err(Status::connection_refused());
        for _ in 1..EVENT_TRIES {
            assert_eq!(client.complete(&mut ctx, id, &refused), None, "slept on, not given up");
            client.resend_event(&mut ctx, id);
        }
        assert_eq!(client.complete(&mut ctx, id, &refused), Some("event"), "dropped after the 12th try");
        let sleeps: Vec<u64> = ctx
            .effects
            .iter()
            .filter_map(|e| match e {
                crate::sim::Effect::Timer { after_us, timer: Timer::ResendEvent { req_id } } if *req_id == id => {
                    Some(*after_us)
                }
                _ => None,
            })
            .collect();
        assert_eq!(sleeps.len(), EVENT_TRIES as usize - 1);
        assert!(sleeps[0] < EVENT_SLEEP_US && sleeps[1..].iter().all(|s| *s == EVENT_SLEEP_US), "{sleeps:?}");
    }

    #[test]
    fn the_indexes_follow_a_pod_as_it_is_bound_moved_and_deleted() {
        let mut inf = Informer::new(ResourceInfo::of("pods"), None);
        inf.watch_id = Some(7);
        let pod = |node: &str, owner: &str| {
            let mut p = crate::sim::api::Pod::default();
            p.metadata.namespace = "default".into();
            p.metadata.name = "web".into();
            p.spec.node_name = node.into();
            p.metadata.owner_references =
                vec![crate::sim::api::OwnerReference { uid: owner.into(), controller: true, ..Default::default() }];
            Arc::new(Object::Pod(Box::new(p)))
        };
        let mut event = |type_, object| inf.apply(&WatchEvent { watch_id: 7, type_, object });
        event(WatchType::Added, pod("", "rs-1"));
        event(WatchType::Modified, pod("worker-1", "rs-1"));
        event(WatchType::Modified, pod("worker-2", "rs-2"));
        let names = |it: &mut dyn Iterator<Item = &Object>| it.map(|o| o.meta().name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&mut inf.on_node("worker-1")), Vec::<String>::new());
        assert_eq!(names(&mut inf.on_node("worker-2")), ["web"]);
        assert_eq!((names(&mut inf.owned_by("rs-1")), names(&mut inf.owned_by("rs-2"))), (vec![], vec!["web".into()]));
        let bound = inf.on_node("worker-2").next().and_then(|o| o.as_pod()).map(|p| p.spec.node_name.clone());
        assert_eq!(bound.as_deref(), Some("worker-2"), "the index holds the latest object");
        inf.apply(&WatchEvent { watch_id: 7, type_: WatchType::Deleted, object: pod("worker-2", "rs-2") });
        assert_eq!((inf.on_node("worker-2").count(), inf.owned_by("rs-2").count()), (0, 0));
    }

    /// `owned_on_node` finds a controller's pods on one node (the pinned one before binding)
    /// in key order, and follows a pod whose node changes.
    #[test]
    fn pods_owned_on_a_node_are_found_by_node() {
        let mut inf = Informer::new(ResourceInfo::of("pods"), None);
        inf.index_owned_by_node();
        inf.watch_id = Some(7);
        let pod = |name: &str, node: &str| {
            let mut p = crate::sim::api::Pod::default();
            p.metadata.namespace = "kube-system".into();
            p.metadata.name = name.into();
            p.spec.node_name = node.into();
            p.metadata.owner_references =
                vec![crate::sim::api::OwnerReference { uid: "ds-1".into(), controller: true, ..Default::default() }];
            Arc::new(Object::Pod(Box::new(p)))
        };
        for (name, node) in [("a", "worker-10"), ("b", "worker-1"), ("c", "worker-2"), ("d", "worker-1")] {
            inf.apply(&WatchEvent { watch_id: 7, type_: WatchType::Added, object: pod(name, node) });
        }
        let on = |inf: &Informer, node: &str| {
            inf.owned_on_node("ds-1", node).map(|p| p.metadata.name.clone()).collect::<Vec<_>>()
        };
        assert_eq!(on(&inf, "worker-1"), ["b", "d"]);
        assert_eq!((on(&inf, "worker-10"), on(&inf, "worker-2")), (vec!["a".to_string()], vec!["c".to_string()]));
        inf.apply(&WatchEvent { watch_id: 7, type_: WatchType::Modified, object: pod("c", "worker-0") });
        assert_eq!((on(&inf, "worker-0"), on(&inf, "worker-2").len()), (vec!["c".to_string()], 0));
        assert!(inf.owned_on_node("ds-2", "worker-1").next().is_none());
        assert_eq!(Informer::new(ResourceInfo::of("pods"), None).owned_on_node("ds-1", "worker-1").count(), 0);
    }
}
