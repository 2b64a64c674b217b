//! The event recorder every component shares (client-go tools/record): it reports what
//! happened to an object as a core/v1 Event written through the apiserver, like any other
//! request. As upstream's EventCorrelator, a repeat of the same event (same object, type,
//! reason and message) patches `count` and `lastTimestamp` of the Event already written
//! instead of creating another; the correlator remembers the last 4096 keys.
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

    /// The request that records `reason` about `on` at `now`: a create for a new event, a
    /// patch raising the count for a repeat.
    pub fn event(
        &mut self,
        now: SimTime,
        on: ObjectReference,
        type_: &str,
        reason: &str,
        message: String,
    ) -> ApiRequest {
        let res = ResourceInfo::of("events");
        let key =
            format!("{}/{}/{}/{}\x00{type_}\x00{reason}\x00{message}", on.kind, on.namespace, on.name, on.field_path);
        let at = Some(Time::at(now));
        if let Some(seen) = self.seen.get_mut(&key) {
            seen.count += 1;
            let mut req = ApiRequest::new(Verb::Patch, res, &seen.namespace, &seen.name);
            req.patch = Some(serde_json::json!({ "count": seen.count, "lastTimestamp": at }));
            return req;
        }
        // Cluster-scoped objects (nodes) report into the default namespace, as upstream.
        let namespace = if on.namespace.is_empty() { "default".to_string() } else { on.namespace.clone() };
        // `<object>.<unix nanos in hex>`; the sequence keeps two events of one microsecond apart.
        self.seq += 1;
        let name = format!("{}.{:x}", on.name, unix_nanos(now) + self.seq % 1000);
        let event = Event {
            metadata: ObjectMeta::named(&namespace, &name),
            involved_object: on,
            reason: reason.into(),
            message,
            source: self.source.clone(),
            first_timestamp: at,
            last_timestamp: at,
            count: 1,
            type_: type_.into(),
            reporting_component: self.source.component.clone(),
            reporting_instance: self.source.host.clone(),
        };
        self.seen.insert(key.clone(), Seen { name, namespace: namespace.clone(), count: 1 });
        self.order.push_back(key);
        if self.order.len() > CACHE_ENTRIES {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        ApiRequest::new(Verb::Create, res, &namespace, "").with_body(Object::Event(event))
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
        let first = r.event(SimTime(SECONDS), pod_ref(), WARNING, "FailedScheduling", "0/3 nodes".into());
        assert_eq!(first.verb, Verb::Create);
        let Some(Object::Event(e)) = first.body.as_deref() else { panic!("create carries the event") };
        assert!(e.metadata.name.starts_with("web."), "{}", e.metadata.name);
        assert_eq!((e.count, e.type_.as_str(), e.source.component.as_str()), (1, "Warning", "default-scheduler"));
        let again = r.event(SimTime(5 * SECONDS), pod_ref(), WARNING, "FailedScheduling", "0/3 nodes".into());
        assert_eq!((again.verb, again.name.as_str()), (Verb::Patch, e.metadata.name.as_str()));
        assert_eq!(again.patch.as_ref().and_then(|p| p["count"].as_i64()), Some(2));
        let other = r.event(SimTime(5 * SECONDS), pod_ref(), NORMAL, "Scheduled", "assigned".into());
        assert_eq!(other.verb, Verb::Create);
    }
}
