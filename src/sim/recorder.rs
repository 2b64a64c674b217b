//! The event recorder every component shares (client-go tools/record): it reports what
//! happened to an object as a core/v1 Event written through the apiserver, like any other
//! request. As upstream's EventCorrelator, a repeat of the same event (same object, type,
//! reason and message) patches `count` and `lastTimestamp` of the Event already written
//! instead of creating another; the correlator remembers the last 4096 keys. A repeat whose
//! Event is gone (its `--event-ttl` ran out) is created again, as recordToSink falls back on
//! NotFound.
//! Not modelled: the spam filter (a burst of 25 per object, then one per 5 minutes) and the
//! "(combined from similar events)" aggregation.

use super::api::meta::Time;
use super::api::request::{ApiRequest, Verb};
use super::api::resource::ResourceInfo;
use super::api::{Event, EventSource, Object, ObjectMeta, ObjectReference};
use super::time::{unix_nanos, SimTime};
use std::collections::{BTreeMap, VecDeque};

/// Upstream maxLruCacheEntries.
const CACHE_ENTRIES: usize = 4096;

pub const NORMAL: &str = "Normal";
pub const WARNING: &str = "Warning";

#[derive(Clone, Debug)]
struct Seen {
    name: String,
    namespace: String,
    count: i32,
    first: SimTime,
}

/// What the recorder asks the event sink to write.
#[derive(Clone, Debug)]
pub struct EventWrite {
    /// A create for a new event, a patch raising the count for a repeat.
    pub req: ApiRequest,
    /// For a repeat: the create to send if the patch finds no Event.
    pub recreate: Option<ApiRequest>,
}

#[derive(Clone, Debug)]
pub struct Recorder {
    source: EventSource,
    seen: BTreeMap<String, Seen>,
    order: VecDeque<String>,
    seq: u64,
}

/// The reference an event carries for an object (`fieldPath` empty: the whole object).
pub fn reference(kind: &str, m: &ObjectMeta) -> ObjectReference {
    let api_version = ResourceInfo::by_kind(kind).map(|r| r.api_version()).unwrap_or_default();
    ObjectReference {
        kind: kind.into(),
        namespace: m.namespace.clone(),
        name: m.name.clone(),
        uid: m.uid.clone(),
        api_version,
        field_path: String::new(),
    }
}

impl Recorder {
    /// `component` is what `kubectl describe` prints under From (`default-scheduler`,
    /// `kubelet`); `host` is the node name for node agents.
    pub fn new(component: &str, host: &str) -> Self {
        Recorder {
            source: EventSource { component: component.into(), host: host.into() },
            seen: BTreeMap::new(),
            order: VecDeque::new(),
            seq: 0,
        }
    }

    /// The write that records `reason` about `on` at `now`.
    pub fn event(
        &mut self,
        now: SimTime,
        on: ObjectReference,
        type_: &str,
        reason: &str,
        message: String,
    ) -> EventWrite {
        let res = ResourceInfo::of("events");
        let key =
            format!("{}/{}/{}/{}\x00{type_}\x00{reason}\x00{message}", on.kind, on.namespace, on.name, on.field_path);
        if let Some(seen) = self.seen.get_mut(&key) {
            seen.count += 1;
            let mut req = ApiRequest::new(Verb::Patch, res, &seen.namespace, &seen.name);
            req.patch = Some(serde_json::json!({ "count": seen.count, "lastTimestamp": Some(Time::at(now)) }));
            let mut again =
                new_event(&self.source, &seen.namespace, &seen.name, on, type_, reason, message, seen.first, now);
            again.count = seen.count;
            let recreate = ApiRequest::new(Verb::Create, res, &seen.namespace, "").with_body(Object::Event(again));
            return EventWrite { req, recreate: Some(recreate) };
        }
        // Cluster-scoped objects (nodes) report into the default namespace, as upstream.
        let namespace = if on.namespace.is_empty() { "default".to_string() } else { on.namespace.clone() };
        // `<object>.<unix nanos in hex>`; the sequence keeps two events of one microsecond apart.
        self.seq += 1;
        let name = format!("{}.{:x}", on.name, unix_nanos(now) + self.seq % 1000);
        let event = new_event(&self.source, &namespace, &name, on, type_, reason, message, now, now);
        self.seen.insert(key.clone(), Seen { name, namespace: namespace.clone(), count: 1, first: now });
        self.order.push_back(key);
        if self.order.len() > CACHE_ENTRIES {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        EventWrite {
            req: ApiRequest::new(Verb::Create, res, &namespace, "").with_body(Object::Event(event)),
            recreate: None,
        }
    }
}

/// The Event `source` reports, counted once.
#[allow(clippy::too_many_arguments)]
fn new_event(
    source: &EventSource,
    namespace: &str,
    name: &str,
    on: ObjectReference,
    type_: &str,
    reason: &str,
    message: String,
    first: SimTime,
    last: SimTime,
) -> Event {
    Event {
        metadata: ObjectMeta::named(namespace, name),
        involved_object: on,
        reason: reason.into(),
        message,
        source: source.clone(),
        first_timestamp: Some(Time::at(first)),
        last_timestamp: Some(Time::at(last)),
        count: 1,
        type_: type_.into(),
        reporting_component: source.component.clone(),
        reporting_instance: source.host.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::time::SECONDS;

    fn pod_ref() -> ObjectReference {
        ObjectReference { kind: "Pod".into(), namespace: "default".into(), name: "web".into(), ..Default::default() }
    }

    #[test]
    fn repeats_patch_the_count_instead_of_creating() {
        let mut r = Recorder::new("default-scheduler", "");
        let first = r.event(SimTime(SECONDS), pod_ref(), WARNING, "FailedScheduling", "0/3 nodes".into()).req;
        assert_eq!(first.verb, Verb::Create);
        let Some(Object::Event(e)) = first.body.as_deref() else { panic!("create carries the event") };
        assert!(e.metadata.name.starts_with("web."), "{}", e.metadata.name);
        assert_eq!((e.count, e.type_.as_str(), e.source.component.as_str()), (1, "Warning", "default-scheduler"));
        let EventWrite { req: again, recreate } =
            r.event(SimTime(5 * SECONDS), pod_ref(), WARNING, "FailedScheduling", "0/3 nodes".into());
        assert_eq!((again.verb, again.name.as_str()), (Verb::Patch, e.metadata.name.as_str()));
        assert_eq!(again.patch.as_ref().and_then(|p| p["count"].as_i64()), Some(2));
        // Should the Event be gone, the same Event is created again with the count so far.
        let Some(Object::Event(re)) = recreate.as_ref().and_then(|c| c.body.as_deref()) else { panic!("a fallback") };
        assert_eq!((re.metadata.name.as_str(), re.count), (e.metadata.name.as_str(), 2));
        assert_eq!((re.first_timestamp, re.last_timestamp), (e.first_timestamp, Some(Time::at(SimTime(5 * SECONDS)))));
        let other = r.event(SimTime(5 * SECONDS), pod_ref(), NORMAL, "Scheduled", "assigned".into());
        assert_eq!((other.req.verb, other.recreate.is_none()), (Verb::Create, true));
    }
}
