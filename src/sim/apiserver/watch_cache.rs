//! The watch cache (k8s.io/apiserver/pkg/storage/cacher): every object as etcd last said,
//! a window of recent changes for watches that resume from a resourceVersion, reads served
//! from it, and the fan-out of each change to the client watches that select it.

use super::*;

/// How many changes the watch cache keeps (upstream sizes it per resource, 100 by default).
const WATCH_HISTORY: usize = 1000;

/// One change the watch cache remembers: its revision and key, the object before, and the
/// object written (or, for a delete, the one removed).
#[derive(Clone, Debug)]
pub struct Change {
    rev: i64,
    key: Arc<str>,
    old: Option<Arc<Object>>,
    obj: Arc<Object>,
    deleted: bool,
    /// The stored encoding's size: what a watcher receives.
    bytes: usize,
}

impl ApiServer {
    /// Answers a read from the watch cache. Responses travel the same stream as the watch
    /// events before them, so the cache already holds the revision just read.
    pub(super) fn serve_read(&mut self, ctx: &mut Ctx, token: u64) {
        self.mark(token, "watch cache", ctx.now);
        let Some(f) = self.inflight.get(&token).cloned() else { return };
        ctx.phase("watch cache", f.line.to_string());
        let store = self.store_of(&f.req.resource.list_prefix(&f.req.namespace));
        let resp = self.read(ctx, store, &f);
        self.finish_after(ctx, token, CACHE_READ_US, resp);
        // A resumed watch: the changes after its revision, behind the response.
        if let (Verb::Watch, Some(rv)) = (f.req.verb, f.req.resource_version) {
            let missed: Vec<Change> = self.stores[store].history.iter().filter(|c| c.rev > rv).cloned().collect();
            if let Some(w) = self.watchers.last().cloned().filter(|w| w.watch_id == f.req_id && w.client == f.client) {
                for c in missed {
                    if notify(ctx, &w, &c, CACHE_READ_US) {
                        self.count_watch_event(&c);
                    }
                }
            }
        }
    }

    /// A read of a resource that etcd cluster `store` holds.
    fn read(&mut self, ctx: &mut Ctx, store: usize, f: &InFlight) -> ApiResponse {
        let req = &f.req;
        if let Some(fs) = &req.field_selector {
            if let Some(field) = fs.unsupported(req.resource.kind) {
                let labels = req.label_selector.as_ref().map(|l| l.to_string()).unwrap_or_default();
                let (res, group) = (req.resource, req.resource.group);
                return Err(Status::bad_request(format!(
                    "Unable to find \"{group}/{}, Resource={}\" that match label selector \"{labels}\", field selector \"{fs}\": field label not supported: {field}",
                    res.version, res.plural
                )));
            }
        }
        let revision = self.stores[store].revision;
        match req.verb {
            Verb::Get => self.current(req).map(ApiBody::Object),
            Verb::List => Ok(ApiBody::List { items: self.matching(req), resource_version: revision }),
            _ => {
                if let Some(rv) = req.resource_version.filter(|rv| *rv < revision) {
                    // The window must hold every change after rv.
                    let oldest = self.stores[store].history.front().map_or(revision, |c| c.rev - 1);
                    if rv < oldest {
                        ctx.phase("watch", format!("410 Gone: too old resource version: {rv} ({oldest})"));
                        return Err(Status::expired(rv, oldest));
                    }
                }
                let resumed = req.resource_version.is_some();
                let items = if resumed { vec![] } else { self.matching(req) };
                self.watchers.push(Watcher {
                    client: f.client,
                    watch_id: f.req_id,
                    prefix: req.resource.list_prefix(&req.namespace),
                    req: (**req).clone(),
                });
                match req.resource_version {
                    Some(rv) => ctx.phase("watch", format!("{} resumed after revision {rv}", req.line())),
                    None => ctx.phase("watch", format!("{} (+{} initial events)", req.line(), items.len())),
                }
                Ok(ApiBody::WatchStarted { items, resource_version: revision, initial: !resumed })
            }
        }
    }

    pub(super) fn matching(&self, req: &ApiRequest) -> Vec<Arc<Object>> {
        let prefix = req.resource.list_prefix(&req.namespace);
        self.cache_entries_under(prefix).filter(|(_, o)| selects(req, o)).map(|(_, o)| o.clone()).collect()
    }

    /// Merges a fresh list from etcd cluster `store` into the watch cache, turning differences
    /// into watch events. A member that is behind the cache is not trusted for deletions.
    pub(super) fn relist(&mut self, ctx: &mut Ctx, store: usize, kvs: Vec<KeyValue>, revision: i64) {
        let listed: BTreeMap<Arc<str>, KeyValue> = kvs.into_iter().map(|kv| (kv.key.clone(), kv)).collect();
        let mut events: Vec<MvccEvent> = listed
            .values()
            .filter(|kv| self.cached_at(&kv.key).is_none_or(|o| o.meta().rv() < kv.mod_revision))
            .map(|kv| MvccEvent { type_: EventType::Put, kv: kv.clone() })
            .collect();
        if revision >= self.stores[store].revision {
            for (key, obj) in &self.cache {
                if !listed.contains_key(key) && self.store_of(key) == store {
                    let kv = KeyValue {
                        key: key.clone(),
                        value: crate::sim::storage::encode(obj),
                        create_revision: 0,
                        mod_revision: revision,
                        version: 0,
                        lease: 0,
                    };
                    events.push(MvccEvent { type_: EventType::Delete, kv });
                }
            }
        }
        ctx.phase("relist", format!("{} change(s) at revision {revision}", events.len()));
        for ev in events {
            self.on_store_event(ctx, store, ev);
        }
    }

    /// A change in etcd cluster `store`: update the watch cache and send it to every matching
    /// client watch.
    pub(super) fn on_store_event(&mut self, ctx: &mut Ctx, store: usize, ev: MvccEvent) {
        // After a failover the old member may still stream events the cache already has.
        let seen = self.cached_at(&ev.kv.key).map(|o| o.meta().rv());
        if ev.type_ == EventType::Put && seen.is_some_and(|rv| rv >= ev.kv.mod_revision) {
            return;
        }
        let Some(obj) = self.decode_shared(ctx, &ev.kv) else { return };
        let b = &mut self.stores[store];
        b.revision = b.revision.max(ev.kv.mod_revision);
        let old = match ev.type_ {
            EventType::Put => self.cache.insert(ev.kv.key.clone(), obj.clone()),
            EventType::Delete => self.cache.remove(&ev.kv.key),
        };
        if matches!(*obj, Object::CustomResourceDefinition(_)) {
            self.refresh_custom();
        }
        let deleted = ev.type_ == EventType::Delete;
        let bytes = ev.kv.value.len();
        let change = Change { rev: ev.kv.mod_revision, key: ev.kv.key, old, obj, deleted, bytes };
        let mut sent = 0;
        for w in self.watchers.candidates(&change.key, change.old.as_deref(), &change.obj) {
            sent += usize::from(notify(ctx, w, &change, 0));
        }
        for _ in 0..sent {
            self.count_watch_event(&change);
        }
        let history = &mut self.stores[store].history;
        if history.len() == WATCH_HISTORY {
            history.pop_front();
        }
        history.push_back(change);
    }
}

impl ApiServer {
    fn count_watch_event(&mut self, c: &Change) {
        let (group, version) = ResourceInfo::by_kind(c.obj.kind()).map_or(("", ""), |r| (r.group, r.version));
        self.metrics.watch_event(group, c.obj.kind(), version, c.bytes);
    }
}

/// Sends a change to one watcher, as the ADDED, MODIFIED or DELETED its selectors make of it;
/// false when the watcher does not select it.
fn notify(ctx: &mut Ctx, w: &Watcher, c: &Change, delay_us: u64) -> bool {
    if !c.key.starts_with(&w.prefix) {
        return false;
    }
    let was = c.old.as_ref().is_some_and(|o| selects(&w.req, o));
    let is = !c.deleted && selects(&w.req, &c.obj);
    let type_ = match (was, is) {
        (false, true) => WatchType::Added,
        (true, true) => WatchType::Modified,
        (true, false) => WatchType::Deleted,
        (false, false) => return false,
    };
    let label =
        format!("{} {} {}", type_.as_str(), c.obj.kind(), cache_key(&c.obj.meta().namespace, &c.obj.meta().name));
    let mut object = c.obj.clone();
    // Only a custom object may be served at another version than stored: copy just those.
    if matches!(*object, Object::Custom(_)) {
        super::crd::served_as(Arc::make_mut(&mut object), w.req.resource);
    }
    let event = WatchEvent { watch_id: w.watch_id, type_, object };
    ctx.send_after(delay_us, w.client, MsgKind::WatchEvent, label, Payload::Watch(Box::new(event)));
    true
}

/// Label selectors and field selectors (`api::fields`), as the cacher's filter applies them.
fn selects(req: &ApiRequest, o: &Object) -> bool {
    req.label_selector.as_ref().is_none_or(|s| s.matches(&o.meta().labels))
        && req.field_selector.as_ref().is_none_or(|fs| fs.matches(o))
}
