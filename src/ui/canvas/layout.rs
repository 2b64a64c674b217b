//! Where everything sits, in world units. Fixed once per cluster so that nothing jumps when
//! objects come and go; pods keep the slot they were first given on their node.

use crate::sim::component::Role;
use crate::sim::vecmap::VecMap;
use crate::sim::view::ClusterView;

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
    pub pod_areas: VecMap<String, Rect>,
    /// The whole region of each worker node.
    pub node_rects: VecMap<String, Rect>,
    /// Where pods waiting for a node are shown (None in views without pods).
    pub pending_area: Option<Rect>,
    pub world: Rect,
    /// Too many workers to draw each whole: they are tiles of a heat map (pods per node) in
    /// this grid, worker i in cell i, row by row. Their kubelet and kube-proxy are not drawn
    /// (messages still fly to the tile), and pods show only when zoomed in.
    pub grid: Option<TileGrid>,
    /// By component id: a worker's kubelet or kube-proxy that is part of its node's tile and
    /// not drawn alone.
    pub on_tile: Vec<bool>,
}

impl Layout {
    /// Whether the workers are tiles of a heat map.
    pub fn tiles(&self) -> bool {
        self.grid.is_some()
    }

    /// Whether component `id` is drawn only as part of its node's tile.
    pub fn on_tile(&self, id: u32) -> bool {
        self.on_tile.get(id as usize).copied().unwrap_or(false)
    }
}

/// Where the tiles of a large cluster sit: `cols` to a row, `rows` rows, one every `pitch`
/// world units from (x, y).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TileGrid {
    pub x: f64,
    pub y: f64,
    pub cols: usize,
    pub rows: usize,
    pub pitch: f64,
}

impl TileGrid {
    /// The cell a tile's rectangle occupies, row by row.
    pub fn cell(&self, r: &Rect) -> usize {
        let col = ((r.x - self.x) / self.pitch).round().max(0.0) as usize;
        let row = ((r.y - self.y) / self.pitch).round().max(0.0) as usize;
        row * self.cols + col.min(self.cols.saturating_sub(1))
    }
}

pub const BOX_W: f64 = 210.0;
pub const BOX_H: f64 = 54.0;
/// etcd members are taller: they show their log.
pub const ETCD_H: f64 = 92.0;
const SMALL_W: f64 = 124.0;
const SMALL_H: f64 = 44.0;
pub const POD_W: f64 = 128.0;
pub const POD_H: f64 = 30.0;
/// Up to this many workers each is drawn whole, `NODES_PER_ROW` to a row…
const DETAILED_NODES: usize = 12;
const NODES_PER_ROW: usize = 6;
/// …beyond it each is a tile this size.
pub const TILE: f64 = 40.0;
const TILE_GAP: f64 = 6.0;

pub fn compute(view: &ClusterView) -> Layout {
    let workers: Vec<&str> = view.nodes.iter().filter(|n| !n.control_plane).map(|n| n.name.as_str()).collect();
    let cp_name = view.nodes.iter().find(|n| n.control_plane).map(|n| n.name.clone()).unwrap_or_default();
    let tiles = workers.len() > DETAILED_NODES;
    // Detailed: whole nodes in rows. Tiles: a grid about three times wider than tall.
    let (node_w, node_h, gap, per_row) = if tiles {
        (TILE, TILE, TILE_GAP, ((3.0 * workers.len() as f64).sqrt().ceil() as usize).max(1))
    } else {
        (300.0, 330.0, 30.0, NODES_PER_ROW)
    };
    let cols = workers.len().min(per_row);
    let rows = workers.len().div_ceil(per_row.max(1));
    let cp = Rect { x: 170.0, y: 20.0, w: 700.0, h: 330.0 };
    let remote_count =
        view.components.iter().filter(|c| c.role == Role::Etcd && c.node != cp_name && !c.in_events_etcd()).count();
    let events_count = view.components.iter().filter(|c| c.in_events_etcd()).count();
    // The etcd region grows with the members so that each shows its whole log strip.
    let etcd_h = (44.0 + remote_count as f64 * (ETCD_H + 12.0)).max(cp.h);
    let etcd_region = Rect { x: cp.x + cp.w + 30.0, y: cp.y, w: 270.0, h: etcd_h };
    // A separate events etcd: its own region under the main cluster's.
    let events_region = Rect {
        x: etcd_region.x,
        y: cp.y + etcd_h + 12.0,
        w: etcd_region.w,
        h: 44.0 + events_count as f64 * (ETCD_H + 12.0),
    };
    let etcd_h = if events_count > 0 { events_region.y + events_region.h - cp.y } else { etcd_h };
    // An HA control plane's other machines — more kube-apiservers, and standby replicas of
    // kube-scheduler and kube-controller-manager — are a band under the control-plane node.
    let standby = |c: &crate::sim::view::ComponentView| {
        matches!(c.role, Role::ApiServer | Role::Scheduler | Role::ControllerManager) && c.node != cp_name
    };
    // One column per machine (`kube-apiserver-2`, `kube-scheduler-2`… run on control-plane-2):
    // its apiserver on top, with its pipeline strip under it, then its scheduler and
    // controller-manager side by side.
    let machine = |c: &crate::sim::view::ComponentView| c.name.rsplit('-').next().and_then(|n| n.parse::<usize>().ok());
    let machines: crate::sim::vecmap::VecSet<usize> =
        view.components.iter().filter(|c| standby(c)).filter_map(machine).collect();
    let ha_apiservers = view.components.iter().any(|c| c.role == Role::ApiServer && standby(c));
    let ha_replicas = view.components.iter().any(|c| c.role != Role::ApiServer && standby(c));
    let second_row = if ha_apiservers { SMALL_H + 30.0 } else { 0.0 };
    let ha_h = 24.0 + if ha_apiservers { SMALL_H + 18.0 } else { 0.0 } + if ha_replicas { SMALL_H + 12.0 } else { 0.0 };
    let ha = Rect { x: cp.x, y: cp.y + cp.h + 12.0, w: cp.w, h: ha_h.max(74.0) };
    let column_w = (ha.w - 24.0) / machines.len().max(1) as f64 - 12.0;
    let top_h = if !machines.is_empty() { etcd_h.max(ha.y + ha.h - cp.y) } else { etcd_h };
    // The cloud provider's API, outside the cluster, right of etcd.
    let has_cloud = view.components.iter().any(|c| c.role == Role::Cloud);
    let cloud = Rect { x: etcd_region.x + etcd_region.w + 30.0, y: cp.y, w: 250.0, h: 120.0 };
    let right = if has_cloud { cloud.x + cloud.w } else { etcd_region.x + etcd_region.w };
    let workers_w = cols as f64 * (node_w + gap) - gap;
    let world_w = right.max(workers_w);
    let workers_x = (world_w - workers_w).max(0.0) / 2.0;
    let worker_y = cp.y + top_h + if tiles { 70.0 } else { 40.0 };
    let node_rect = |i: usize| Rect {
        x: workers_x + (i % per_row) as f64 * (node_w + gap),
        y: worker_y + (i / per_row) as f64 * (node_h + gap),
        w: node_w,
        h: node_h,
    };
    let index: VecMap<&str, usize> = workers.iter().enumerate().map(|(i, w)| (*w, i)).collect();
    let mut l = Layout {
        boxes: vec![None; view.components.len()],
        on_tile: vec![false; view.components.len()],
        ..Default::default()
    };
    l.regions.push(Region { label: format!("{cp_name} — control-plane node"), rect: cp });
    l.regions.push(Region { label: "etcd cluster (Raft)".into(), rect: etcd_region });
    if events_count > 0 {
        l.regions.push(Region { label: "etcd for Events (Raft)".into(), rect: events_region });
    }
    if has_cloud {
        l.regions.push(Region { label: "cloud (simulated provider)".into(), rect: cloud });
    }
    if !machines.is_empty() {
        let label = "other control-plane hosts".into();
        l.regions.push(Region { label, rect: ha });
    }
    // Row 1: the apiserver in the middle, the stacked etcd member to its right (towards its
    // peers); row 2: scheduler left, controller-manager right, so that links to the workers
    // pass between them.
    let row1 = cp.y + 44.0;
    let row2 = cp.y + 160.0;
    let (mut remote_etcd, mut events_etcd) = (0, 0);
    for c in &view.components {
        let r = match c.role {
            Role::User => Rect { x: 0.0, y: row1, w: 140.0, h: BOX_H },
            Role::ApiServer | Role::Scheduler | Role::ControllerManager if standby(c) => {
                let col = machine(c).and_then(|m| machines.iter().position(|x| *x == m)).unwrap_or(0);
                let x = ha.x + 18.0 + col as f64 * (column_w + 12.0);
                let half = (column_w - 8.0) / 2.0;
                match c.role {
                    Role::ApiServer => Rect { x, y: ha.y + 24.0, w: column_w, h: SMALL_H },
                    Role::Scheduler => Rect { x, y: ha.y + 24.0 + second_row, w: half, h: SMALL_H },
                    _ => Rect { x: x + half + 8.0, y: ha.y + 24.0 + second_row, w: half, h: SMALL_H },
                }
            }
            Role::ApiServer => Rect { x: cp.x + cp.w / 2.0 - BOX_W / 2.0 - 40.0, y: row1, w: BOX_W, h: BOX_H },
            Role::Scheduler => Rect { x: cp.x + 24.0, y: row2, w: BOX_W, h: BOX_H },
            Role::CloudControllerManager => Rect { x: cp.x + 24.0 + BOX_W + 14.0, y: row2, w: 190.0, h: BOX_H },
            Role::Cloud => Rect { x: cloud.x + 16.0, y: cloud.y + 44.0, w: cloud.w - 32.0, h: BOX_H },
            Role::ControllerManager => Rect { x: cp.x + cp.w - BOX_W - 24.0, y: row2, w: BOX_W, h: BOX_H },
            Role::Etcd if c.in_events_etcd() => {
                events_etcd += 1;
                let y = events_region.y + 40.0 + (events_etcd - 1) as f64 * (ETCD_H + 12.0);
                Rect { x: events_region.x + 16.0, y, w: events_region.w - 32.0, h: ETCD_H }
            }
            Role::Etcd if c.node == cp_name && !cp_name.is_empty() => {
                Rect { x: cp.x + cp.w - BOX_W - 24.0, y: row1, w: BOX_W, h: ETCD_H }
            }
            Role::Etcd => {
                remote_etcd += 1;
                let step = ((etcd_region.h - 54.0) / remote_count.max(1) as f64).min(ETCD_H + 12.0);
                let y = etcd_region.y + 40.0 + (remote_etcd - 1) as f64 * step;
                Rect { x: etcd_region.x + 16.0, y, w: etcd_region.w - 32.0, h: (step - 10.0).min(ETCD_H) }
            }
            Role::Kubelet | Role::KubeProxy => {
                let dx = if c.role == Role::Kubelet { 0.0 } else { SMALL_W + 12.0 };
                let node = index.get(c.node.as_str()).map(|i| node_rect(*i));
                match node {
                    None => Rect { x: cp.x + 24.0 + dx, y: cp.y + cp.h - SMALL_H - 24.0, w: SMALL_W, h: SMALL_H },
                    Some(tile) if tiles => {
                        if let Some(slot) = l.on_tile.get_mut(c.id as usize) {
                            *slot = true;
                        }
                        tile
                    }
                    Some(n) => Rect { x: n.x + 16.0 + dx, y: n.y + 36.0, w: SMALL_W, h: SMALL_H },
                }
            }
        };
        if let Some(slot) = l.boxes.get_mut(c.id as usize) {
            *slot = Some(r);
        }
    }
    if tiles {
        l.grid = Some(TileGrid { x: workers_x, y: worker_y, cols: per_row, rows, pitch: node_w + gap });
        let grid = Rect {
            x: workers_x - 14.0,
            y: worker_y - 44.0,
            w: workers_w + 28.0,
            h: rows as f64 * (node_h + gap) + 50.0,
        };
        let label =
            format!("{} worker nodes — colour: pods per node · red: not Ready · zoom in for pods", workers.len());
        l.regions.push(Region { label, rect: grid });
    } else {
        for (i, w) in workers.iter().enumerate() {
            l.regions.push(Region { label: format!("{w} — worker node"), rect: node_rect(i) });
        }
    }
    l.node_rects = workers.iter().enumerate().map(|(i, w)| (w.to_string(), node_rect(i))).collect();
    let pod_area = |r: Rect| match tiles {
        true => Rect { x: r.x + 3.0, y: r.y + 3.0, w: r.w - 6.0, h: r.h - 6.0 },
        false => Rect { x: r.x + 16.0, y: r.y + 96.0, w: r.w - 32.0, h: 220.0 },
    };
    l.pod_areas = workers.iter().enumerate().map(|(i, w)| (w.to_string(), pod_area(node_rect(i)))).collect();
    l.pod_areas.insert(cp_name, Rect { x: cp.x + 300.0, y: cp.y + cp.h - 60.0, w: cp.w - 324.0, h: 40.0 });
    l.pending_area = Some(Rect { x: 0.0, y: row2, w: 150.0, h: 190.0 });
    let bottom = worker_y + rows as f64 * (node_h + gap) + 20.0;
    l.world = Rect { x: -20.0, y: 0.0, w: world_w + 40.0, h: bottom };
    l
}

/// Which picture the canvas shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ViewMode {
    /// The whole cluster: control plane, etcd and the nodes with their pods.
    #[default]
    Cluster,
    /// The etcd members alone on a ring, as RaftScope draws a Raft cluster, with room for
    /// their logs, so that votes and appends between members are easy to follow.
    Raft,
}

pub fn compute_for(mode: ViewMode, view: &ClusterView) -> Layout {
    match mode {
        ViewMode::Cluster => compute(view),
        ViewMode::Raft => raft_ring(view),
    }
}

/// One ring per Raft group, side by side: the main cluster's, then a separate events etcd's.
fn raft_ring(view: &ClusterView) -> Layout {
    let mut l = Layout { boxes: vec![None; view.components.len()], ..Default::default() };
    let groups = [(false, "etcd cluster — Raft (right-click a member for faults)"), (true, "etcd for Events — Raft")];
    let mut x0 = 0.0;
    for (events, label) in groups {
        let members: Vec<u32> = view
            .components
            .iter()
            .filter(|c| c.role == Role::Etcd && c.in_events_etcd() == events)
            .map(|c| c.id)
            .collect();
        if members.is_empty() && events {
            continue;
        }
        let region = ring(&mut l, &members, x0);
        l.regions.push(Region { label: label.into(), rect: region });
        l.world = Rect { x: 0.0, y: 0.0, w: region.x + region.w, h: l.world.h.max(region.h) };
        x0 += region.w + 40.0;
    }
    l
}

/// Places `members` on a ring whose region starts at `x0`; returns the region.
fn ring(l: &mut Layout, members: &[u32], x0: f64) -> Rect {
    let n = members.len().max(1) as f64;
    let (w, h) = (250.0, ETCD_H + 8.0);
    let radius = if members.len() <= 1 { 0.0 } else { (w * 0.75 / (std::f64::consts::PI / n).sin()).max(240.0) };
    let (cx, cy) = (x0 + radius + w / 2.0 + 20.0, radius + h / 2.0 + 50.0);
    for (i, id) in members.iter().enumerate() {
        let angle = -std::f64::consts::FRAC_PI_2 + i as f64 * std::f64::consts::TAU / n;
        let (x, y) = (cx + radius * angle.cos(), cy + radius * angle.sin());
        if let Some(slot) = l.boxes.get_mut(*id as usize) {
            *slot = Some(Rect { x: x - w / 2.0, y: y - h / 2.0, w, h });
        }
    }
    let size = 2.0 * (radius + w / 2.0 + 20.0);
    Rect { x: x0, y: 0.0, w: size, h: 2.0 * (radius + h / 2.0) + 80.0 }
}

/// Remembers which slot of its node each pod occupies, so pods never move once placed.
#[derive(Clone, Debug, Default)]
pub struct PodSlots {
    slots: VecMap<String, VecMap<String, usize>>,
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
