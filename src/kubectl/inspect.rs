//! The page's inspector: what you see when you click a pod, a node or a component. Pods and
//! nodes read as `kubectl describe` prints them, but straight from kube-apiserver's watch
//! cache — the playground sees everything without sending a request, so inspecting never
//! changes the cluster. Components show their live state and their latest trace phases; an
//! etcd member its key space and latest writes.

use super::describe;
use crate::sim::api::resource::ResourceInfo;
use crate::sim::api::{Event, Object};
use crate::sim::event::ComponentId;
use crate::sim::trace::TraceRecord;
use crate::sim::Simulation;

/// What was clicked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Pod {
        namespace: String,
        name: String,
    },
    Node(String),
    Component(ComponentId),
    /// A message on the canvas, by its trace id.
    Message(u64),
}

/// How many of a component's latest phases the inspector lists.
const RECENT_PHASES: usize = 16;

/// The inspector's title and text for `target` now.
pub fn inspect(sim: &Simulation, target: &Target) -> (String, String) {
    match target {
        Target::Pod { namespace, name } => (format!("pod {namespace}/{name}"), pod(sim, namespace, name)),
        Target::Node(name) => (format!("node {name}"), node(sim, name)),
        Target::Component(id) => component(sim, *id),
        Target::Message(id) => (format!("message {id}"), message(sim, *id)),
    }
}

/// A message: what it carries, between whom, when it left and arrives, and what its receiver
/// did on arrival.
fn message(sim: &Simulation, id: u64) -> String {
    let found = sim.trace.recent().rev().find_map(|r| match r {
        TraceRecord::Message { id: i, kind, from, to, sent, arrives, label } if *i == id => {
            Some((*kind, *from, *to, *sent, *arrives, label.clone()))
        }
        _ => None,
    });
    let Some((kind, from, to, sent, arrives, label)) = found else {
        return "This message is no longer in the trace's window.".into();
    };
    let name = |c: ComponentId| sim.infos.get(c as usize).map_or("?", |i| i.name.as_str());
    let mut out = format!(
        "Message:  {label}\nKind:     {}\nFrom:     {}\nTo:       {}\nSent:     t = {sent}\n",
        kind.label(),
        name(from),
        name(to)
    );
    match arrives {
        Some(at) => {
            out.push_str(&format!("Arrives:  t = {at} (after {} µs on the network)\n", at.since(sent)));
            let then: Vec<String> = sim
                .trace
                .recent()
                .filter_map(|r| match r {
                    TraceRecord::Phase { at: t, component, phase, detail } if *component == to && *t >= at => {
                        Some(format!("  {t:>10}  {phase}: {detail}"))
                    }
                    _ => None,
                })
                .take(4)
                .collect();
            if !then.is_empty() {
                out.push_str(&format!("\nThen, at {}:\n{}\n", name(to), then.join("\n")));
            }
        }
        None => out.push_str("Arrives:  never (lost, or cut by a partition)\n"),
    }
    out
}

/// The cached objects of a resource in a namespace ("" for all or cluster-scoped).
fn cached<'a>(sim: &'a Simulation, plural: &str, namespace: &str) -> Vec<&'a Object> {
    let (Some(api), Some(r)) = (sim.apiserver(), ResourceInfo::by_plural(plural)) else { return vec![] };
    api.cached_under(r.list_prefix(namespace)).collect()
}

/// The events about one object, oldest first.
fn events_about<'a>(sim: &'a Simulation, namespace: &str, kind: &str, name: &str) -> Vec<&'a Event> {
    cached(sim, "events", namespace)
        .into_iter()
        .filter_map(|o| match o {
            Object::Event(e) if e.involved_object.kind == kind && e.involved_object.name == name => Some(e),
            _ => None,
        })
        .collect()
}

fn pod(sim: &Simulation, namespace: &str, name: &str) -> String {
    let found = cached(sim, "pods", namespace).into_iter().find_map(|o| o.as_pod().filter(|p| p.metadata.name == name));
    match found {
        Some(p) => describe::pod(p, &events_about(sim, namespace, "Pod", name), sim.now()),
        None => format!("Error from server (NotFound): pods \"{name}\" not found"),
    }
}

fn node(sim: &Simulation, name: &str) -> String {
    let Some(n) = cached(sim, "nodes", "").into_iter().find_map(|o| o.as_node().filter(|n| n.metadata.name == name))
    else {
        return format!("Error from server (NotFound): nodes \"{name}\" not found");
    };
    let pods: Vec<_> =
        cached(sim, "pods", "").into_iter().filter_map(|o| o.as_pod()).filter(|p| p.spec.node_name == name).collect();
    let lease = cached(sim, "leases", "kube-node-lease").into_iter().find_map(|o| match o {
        Object::Lease(l) if l.metadata.name == name => Some(l),
        _ => None,
    });
    describe::node(n, &pods, lease, &events_about(sim, "", "Node", name), sim.now())
}

fn component(sim: &Simulation, id: ComponentId) -> (String, String) {
    let Some(info) = sim.infos.get(id as usize) else { return (String::new(), String::new()) };
    let view = sim.view();
    let status = view.components.iter().find(|c| c.id == id).map(|c| c.status.clone()).unwrap_or_default();
    let mut out = format!("Name:    {}\nRole:    {:?}\n", info.name, info.role);
    if !info.node.is_empty() {
        out.push_str(&format!("Node:    {}\n", info.node));
    }
    out.push_str(&format!("Status:  {status}\n"));
    let c = sim.components.get(id as usize);
    if let Some(t) = c.and_then(|c| c.transport()) {
        // To kube-apiserver.
        out.push_str(&format!("Connections: {} ({} opened)\n", t.summary(), t.opened));
    }
    match c {
        Some(crate::sim::component::Component::Kubelet(k)) => out.push_str(&node_internals(k, sim.now())),
        Some(crate::sim::component::Component::Etcd(m)) => out.push_str(&key_space(&m.mvcc)),
        _ => {}
    }
    out.push_str("\nLatest activity:\n");
    let recent: Vec<String> = sim
        .trace
        .recent()
        .rev()
        .filter_map(|r| match r {
            TraceRecord::Phase { at, component, phase, detail } if *component == id => {
                Some(format!("  {at:>10}  {phase}: {detail}"))
            }
            _ => None,
        })
        .take(RECENT_PHASES)
        .collect();
    if recent.is_empty() {
        out.push_str("  <none>\n");
    }
    for line in recent.iter().rev() {
        out.push_str(line);
        out.push('\n');
    }
    (info.name.clone(), out)
}

/// Keys shown by an etcd member's inspector.
const LATEST_KEYS: usize = 12;

/// An etcd member's key space: its size, the keys written last with their revisions and
/// sizes, and the newest value's first bytes as etcdctl would print them (`k8s\0` and the
/// protobuf, or `k8s:enc:aescbc:v1:key1:` and ciphertext for an encrypted Secret).
fn key_space(store: &crate::sim::etcd::mvcc::Mvcc) -> String {
    let mut out = format!(
        "\nKey space: {} keys · revision {} · compacted at {} · db {} bytes{}\n",
        store.keys(),
        store.revision(),
        store.compacted(),
        store.db_size(),
        if store.nospace { " · alarm:NOSPACE" } else { "" }
    );
    out.push_str("Latest writes (mod revision, version, bytes, key):\n");
    let latest = store.latest(LATEST_KEYS);
    for kv in &latest {
        out.push_str(&format!("  {:>7} {:>4} {:>6}  {}\n", kv.mod_revision, kv.version, kv.value.len(), kv.key));
    }
    if let Some(kv) = latest.first() {
        let shown: String = kv
            .value
            .iter()
            .take(64)
            .map(|b| if b.is_ascii_graphic() || *b == b' ' { *b as char } else { '.' })
            .collect();
        out.push_str(&format!("Newest value ({}):\n  {shown}…\n", kv.key));
    }
    out
}

/// A kubelet's inside: its pod workers (the CRI/CNI step each is at, the pod IP) and the
/// running containers' cgroups (CPU against the limit, throttling, memory).
fn node_internals(k: &crate::sim::kubelet::Kubelet, now: crate::sim::time::SimTime) -> String {
    let mut out = String::from("\nPod workers:\n");
    if k.workers.is_empty() {
        out.push_str("  <none>\n");
    }
    for w in k.workers.values() {
        let ip = if w.ip.is_empty() { "no IP yet" } else { w.ip.as_str() };
        out.push_str(&format!("  {}\n    {:?} · {ip}\n", w.key, w.step));
    }
    let cgroups = k.cpu(now);
    if !cgroups.is_empty() {
        out.push_str("\nContainers (cgroups):\n");
    }
    for c in cgroups {
        let limit = c.limit.map_or("no limit".to_string(), |l| format!("limit {:.0}m", l * 1000.0));
        let throttled = if c.throttled() { ", throttled" } else { "" };
        out.push_str(&format!(
            "  {}/{}: {}\n    cpu {:.0}m ({limit}{throttled}) · memory {}\n",
            c.namespace,
            c.pod,
            c.container,
            c.usage * 1000.0,
            crate::sim::api::quantity::format_bytes_ki(c.working_set as i64)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::time::SimTime;

    #[test]
    fn pods_nodes_and_components_read_without_a_request() {
        let mut sim = crate::scenario::Scenario::default().build().unwrap();
        crate::kubectl::run(&mut sim, "kubectl run web --image=nginx", 30_000_000);
        sim.run_until(SimTime::from_secs(8));
        let requests = sim.apiserver().unwrap().requests_total;
        let pod = Target::Pod { namespace: "default".into(), name: "web".into() };
        let (title, text) = inspect(&sim, &pod);
        assert_eq!(title, "pod default/web");
        assert!(text.starts_with("Name:             web") && text.contains("Started container web"), "{text}");
        let node = sim.view().nodes.iter().find(|n| n.pods.iter().any(|p| p.name() == "web")).unwrap().name.clone();
        let (_, text) = inspect(&sim, &Target::Node(node.clone()));
        assert!(text.contains(&format!("Name:               {node}")) && text.contains("default  "), "{text}");
        let (title, text) = inspect(&sim, &Target::Component(crate::sim::cluster::APISERVER));
        assert_eq!(title, "kube-apiserver");
        assert!(text.contains("Latest activity:") && text.lines().count() > 5, "{text}");
        // A kubelet shows its pod workers and the containers' cgroups.
        let kubelet = sim.component_by_name(&format!("kubelet/{node}")).unwrap();
        let (_, text) = inspect(&sim, &Target::Component(kubelet));
        assert!(text.contains("Connections: HTTP/2 · 1 conn (1 opened)"), "{text}");
        assert!(text.contains("  default/web\n    Running · 10.244."), "{text}");
        assert!(text.contains("default/web: web") && text.contains("cpu 1m (no limit)"), "{text}");
        assert_eq!(sim.apiserver().unwrap().requests_total, requests, "inspecting sends nothing");
        let gone = Target::Pod { namespace: "default".into(), name: "nope".into() };
        assert_eq!(inspect(&sim, &gone).1, "Error from server (NotFound): pods \"nope\" not found");
    }
}
