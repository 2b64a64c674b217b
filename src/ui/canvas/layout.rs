//! Where everything sits, in world units. Fixed once per cluster so that nothing jumps when
//! objects come and go; pods keep the slot they were first given on their node.

use crate::sim::component::Role;
use crate::sim::view::ClusterView;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn center(&self) -> (f64, f64) {
        (self.x + self.w / 2.0, self.y + self.h / 2.0)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Region {
    pub label: String,
    pub rect: Rect,
}

#[derive(Clone, Debug, Default)]
pub struct Layout {
    /// Component boxes by component id.
    pub boxes: Vec<Option<Rect>>,
    pub regions: Vec<Region>,
    /// The pod area of each node.
    pub pod_areas: BTreeMap<String, Rect>,
    /// Where pods waiting for a node are shown.
    pub pending_area: Rect,
    pub world: Rect,
}

pub const BOX_W: f64 = 190.0;
pub const BOX_H: f64 = 54.0;
const SMALL_W: f64 = 118.0;
const SMALL_H: f64 = 40.0;
pub const POD_W: f64 = 112.0;
pub const POD_H: f64 = 26.0;

pub fn compute(view: &ClusterView) -> Layout {
    let workers: Vec<&str> = view.nodes.iter().filter(|n| !n.control_plane).map(|n| n.name.as_str()).collect();
    let cp_name = view.nodes.iter().find(|n| n.control_plane).map(|n| n.name.clone()).unwrap_or_default();
    let node_w = 300.0;
    let gap = 30.0;
    let world_w = (workers.len() as f64 * (node_w + gap) - gap).max(1140.0);
    let mut l = Layout { boxes: vec![None; view.components.len()], ..Default::default() };
    let cp = Rect { x: 170.0, y: 20.0, w: 760.0, h: 330.0 };
    l.regions.push(Region { label: format!("{cp_name} (control plane)"), rect: cp });
    let etcd_region = Rect { x: cp.x + cp.w + 30.0, y: 20.0, w: world_w - (cp.x + cp.w + 30.0), h: 330.0 };
    l.regions.push(Region { label: "etcd cluster (Raft)".into(), rect: etcd_region });
    let first_worker_y = 400.0;
    let mut etcd_seen = 0;
    for c in &view.components {
        let r = match c.role {
            Role::User => Some(Rect { x: 0.0, y: 60.0, w: 140.0, h: BOX_H }),
            Role::ApiServer => Some(Rect { x: cp.x + cp.w / 2.0 - BOX_W / 2.0, y: cp.y + 40.0, w: BOX_W, h: BOX_H }),
            Role::Scheduler => Some(Rect { x: cp.x + 30.0, y: cp.y + 150.0, w: BOX_W, h: BOX_H }),
            Role::ControllerManager => Some(Rect { x: cp.x + cp.w - BOX_W - 30.0, y: cp.y + 150.0, w: BOX_W, h: BOX_H }),
            Role::Etcd => {
                etcd_seen += 1;
                if c.node == cp_name && !cp_name.is_empty() {
                    // Stacked etcd: the member on the control-plane node.
                    Some(Rect { x: cp.x + cp.w / 2.0 - BOX_W / 2.0, y: cp.y + 150.0, w: BOX_W, h: BOX_H })
                } else {
                    let i = etcd_seen - 2;
                    Some(Rect { x: etcd_region.x + 20.0, y: etcd_region.y + 40.0 + i as f64 * 90.0, w: etcd_region.w - 40.0, h: BOX_H })
                }
            }
            Role::Kubelet | Role::KubeProxy => {
                let dx = if c.role == Role::Kubelet { 0.0 } else { SMALL_W + 12.0 };
                if c.node == cp_name {
                    Some(Rect { x: cp.x + 30.0 + dx, y: cp.y + cp.h - SMALL_H - 20.0, w: SMALL_W, h: SMALL_H })
                } else {
                    let idx = workers.iter().position(|w| *w == c.node).unwrap_or(0) as f64;
                    Some(Rect { x: idx * (node_w + gap) + 16.0 + dx, y: first_worker_y + 36.0, w: SMALL_W, h: SMALL_H })
                }
            }
        };
        if let Some(slot) = l.boxes.get_mut(c.id as usize) {
            *slot = r;
        }
    }
    for (i, w) in workers.iter().enumerate() {
        let x = i as f64 * (node_w + gap);
        let rect = Rect { x, y: first_worker_y, w: node_w, h: 330.0 };
        l.regions.push(Region { label: format!("{w} (worker)"), rect });
        l.pod_areas.insert(w.to_string(), Rect { x: x + 16.0, y: first_worker_y + 96.0, w: node_w - 32.0, h: 220.0 });
    }
    l.pod_areas.insert(cp_name, Rect { x: cp.x + 300.0, y: cp.y + cp.h - 60.0, w: 440.0, h: 40.0 });
    l.pending_area = Rect { x: 0.0, y: 160.0, w: 150.0, h: 190.0 };
    l.world = Rect { x: -20.0, y: 0.0, w: world_w + 40.0, h: first_worker_y + 350.0 };
    l
}

/// Remembers which slot of its node each pod occupies, so pods never move once placed.
#[derive(Clone, Debug, Default)]
pub struct PodSlots {
    slots: BTreeMap<String, BTreeMap<String, usize>>,
}

impl PodSlots {
    /// Slot indexes for the given pods of a node; forgets pods that are gone.
    pub fn assign(&mut self, node: &str, pods: &[String]) -> Vec<usize> {
        let map = self.slots.entry(node.to_string()).or_default();
        map.retain(|name, _| pods.contains(name));
        pods.iter()
            .map(|p| {
                if let Some(s) = map.get(p) {
                    return *s;
                }
                let used: Vec<usize> = map.values().copied().collect();
                let free = (0..).find(|i| !used.contains(i)).unwrap_or(0);
                map.insert(p.clone(), free);
                free
            })
            .collect()
    }
}

/// The rectangle of pod slot `i` inside a pod area.
pub fn pod_rect(area: &Rect, i: usize) -> Rect {
    let cols = ((area.w + 8.0) / (POD_W + 8.0)).floor().max(1.0) as usize;
    let (row, col) = (i / cols, i % cols);
    Rect { x: area.x + col as f64 * (POD_W + 8.0), y: area.y + row as f64 * (POD_H + 8.0), w: POD_W, h: POD_H }
}
