//! The client watches the watch cache serves, indexed as the cacher indexes them: by the key
//! prefix they watch and, for the field selectors the cacher has trigger functions for
//! (`spec.nodeName` of pods — every kubelet's watch — and `metadata.name`), by the selected
//! value. A change is offered to the watches that can select it, not to every watch: with
//! thousands of kubelets, a pod's change reaches its node's kubelet and the cluster-wide
//! watches only.

use super::Watcher;
use crate::sim::api::{fields, Object};
use crate::sim::vecmap::VecMap;
use std::collections::BTreeMap;

/// The watches under one key prefix.
#[derive(Clone, Debug, Default)]
struct Group {
    /// Watches without an indexed field selector.
    any: Vec<u64>,
    /// Watches by the field and the value of their field selector (a node's name: thousands).
    by_field: VecMap<String, BTreeMap<String, Vec<u64>>>,
}

#[derive(Clone, Debug, Default)]
pub(super) struct Watchers {
    next: u64,
    /// Every watch by the order it started in (notifications go out in this order). Tens of
    /// thousands at scale (every kubelet's and kube-proxy's), so not a sorted Vec.
    by_seq: BTreeMap<u64, Watcher>,
    /// By watched key prefix: a few dozen.
    groups: VecMap<String, Group>,
}

/// The fields the index covers.
const INDEXED: [&str; 2] = ["spec.nodeName", "metadata.name"];

impl Watchers {
    pub fn len(&self) -> usize {
        self.by_seq.len()
    }

    pub fn push(&mut self, w: Watcher) {
        let seq = self.next;
        self.next += 1;
        let group = self.groups.entry(w.prefix.clone()).or_default();
        match w.req.field_selector.as_ref().and_then(|fs| fs.indexed(&INDEXED)) {
            Some(t) => group.by_field.entry(t.field.clone()).or_default().entry(t.value.clone()).or_default().push(seq),
            None => group.any.push(seq),
        }
        self.by_seq.insert(seq, w);
    }

    /// The newest watch.
    pub fn last(&self) -> Option<&Watcher> {
        self.by_seq.values().next_back()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Watcher> {
        self.by_seq.values()
    }

    /// Ends the watches `gone` picks.
    pub fn remove_where(&mut self, gone: impl Fn(&Watcher) -> bool) {
        let seqs: Vec<u64> = self.by_seq.iter().filter(|(_, w)| gone(w)).map(|(s, _)| *s).collect();
        for seq in seqs {
            let Some(w) = self.by_seq.remove(&seq) else { continue };
            let Some(group) = self.groups.get_mut(&w.prefix) else { continue };
            group.any.retain(|s| *s != seq);
            for values in group.by_field.values_mut() {
                for list in values.values_mut() {
                    list.retain(|s| *s != seq);
                }
                values.retain(|_, list| !list.is_empty());
            }
            group.by_field.retain(|_, values| !values.is_empty());
            if group.any.is_empty() && group.by_field.is_empty() {
                self.groups.remove(&w.prefix);
            }
        }
    }

    pub fn take_all(&mut self) -> Vec<Watcher> {
        self.groups.clear();
        std::mem::take(&mut self.by_seq).into_values().collect()
    }

    /// The watches that may select a change of `key` from `old` to `new`, in start order.
    pub fn candidates(&self, key: &str, old: Option<&Object>, new: &Object) -> Vec<&Watcher> {
        let mut seqs: Vec<u64> = Vec::new();
        for (prefix, group) in self.groups.iter() {
            if !key.starts_with(prefix.as_str()) {
                continue;
            }
            seqs.extend(&group.any);
            for (field, values) in group.by_field.iter() {
                let selected = [old.and_then(|o| fields::value(o, field)), fields::value(new, field)];
                for list in selected.into_iter().flatten().filter_map(|v| values.get(v.as_ref())) {
                    seqs.extend(list);
                }
            }
        }
        crate::sim::sort::sort(&mut seqs);
        seqs.dedup();
        seqs.iter().filter_map(|s| self.by_seq.get(s)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::api::request::{ApiRequest, FieldSelector, Verb};
    use crate::sim::api::resource::ResourceInfo;
    use crate::sim::api::Pod;

    fn watch(client: u32, plural: &str, node: Option<&str>) -> Watcher {
        let mut req = ApiRequest::new(Verb::Watch, ResourceInfo::of(plural), "", "");
        req.field_selector = node.map(|n| FieldSelector::equals("spec.nodeName", n));
        Watcher { client, watch_id: 1, prefix: req.resource.list_prefix(""), req }
    }

    fn pod_on(node: &str) -> Object {
        let mut p = Pod::default();
        p.metadata.namespace = "default".into();
        p.metadata.name = "web".into();
        p.spec.node_name = node.into();
        Object::Pod(Box::new(p))
    }

    #[test]
    fn a_pod_change_is_offered_to_its_nodes_and_the_cluster_wide_watches_only() {
        let mut w = Watchers::default();
        w.push(watch(1, "pods", None)); // the scheduler
        w.push(watch(2, "pods", Some("worker-1")));
        w.push(watch(3, "pods", Some("worker-2")));
        w.push(watch(4, "nodes", None));
        let clients = |w: &Watchers, old: Option<&Object>, new: &Object| -> Vec<u32> {
            w.candidates("/registry/pods/default/web", old, new).iter().map(|w| w.client).collect()
        };
        let (pending, bound) = (pod_on(""), pod_on("worker-2"));
        assert_eq!(clients(&w, None, &pending), vec![1]);
        // Bound: the new node's kubelet learns of it; a move would tell the old one too.
        assert_eq!(clients(&w, Some(&pending), &bound), vec![1, 3]);
        assert_eq!(clients(&w, Some(&pod_on("worker-1")), &bound), vec![1, 2, 3]);
        w.remove_where(|x| x.client == 3);
        assert_eq!((clients(&w, Some(&pending), &bound), w.len()), (vec![1], 3));
    }
}
