//! Drawing one frame: regions, links, component boxes with their live state and current
//! phase, pods on their nodes, and every message in flight as a dot moving from cause to
//! effect. A pure function of its inputs; it never advances the simulation.

use super::layout::{pod_rect, Layout, PodSlots, Rect};
use super::palette;
use crate::sim::component::Role;
use crate::sim::time::SimTime;
use crate::sim::trace::{Trace, TraceRecord};
use crate::sim::vecmap::VecMap;
use crate::sim::view::ClusterView;
use crate::ui::engine::Camera;
use web_sys::CanvasRenderingContext2d as Ctx2d;

/// A message takes at least this much wall time to cross the screen, so sub-millisecond hops
/// stay visible; its real latency is in the trace and the inspector.
const MIN_VISIBLE_WALL_S: f64 = 0.45;
/// How long a phase stays lit after it started, in wall seconds.
const PHASE_GLOW_WALL_S: f64 = 0.8;
/// Most dots drawn per frame.
const MAX_DOTS: usize = 800;

pub struct Frame<'a> {
    pub ctx: &'a Ctx2d,
    pub view: &'a ClusterView,
    /// Which picture of the cluster `view` is: it changes whenever the view is taken again.
    pub picture: u64,
    pub layout: &'a Layout,
    pub trace: &'a Trace,
    pub now: SimTime,
    pub speed: f64,
    pub camera: Camera,
    pub css_w: f64,
    pub css_h: f64,
    pub dpr: f64,
    /// prefers-reduced-motion: messages light up their link instead of travelling along it.
    pub reduced_motion: bool,
    /// Components a lesson step points at.
    pub highlight: &'a [u32],
    /// What the inspector shows, outlined.
    pub selected: Option<&'a crate::kubectl::inspect::Target>,
    /// Who talks to whom (`links`), computed when the picture changes.
    pub links: &'a [(u32, u32)],
}

pub fn rounded(ctx: &Ctx2d, r: &Rect, radius: f64) {
    let (x, y, w, h) = (r.x, r.y, r.w, r.h);
    let rad = radius.min(w / 2.0).min(h / 2.0);
    ctx.begin_path();
    ctx.move_to(x + rad, y);
    let _ = ctx.arc_to(x + w, y, x + w, y + h, rad);
    let _ = ctx.arc_to(x + w, y + h, x, y + h, rad);
    let _ = ctx.arc_to(x, y + h, x, y, rad);
    let _ = ctx.arc_to(x, y, x + w, y, rad);
    ctx.close_path();
}

/// Text smaller than this on screen (CSS pixels) is not drawn. Zoomed out on 7,500 nodes the
/// control plane's labels are a pixel high, and drawing and measuring them took several per
/// cent of every frame.
const MIN_TEXT_PX: f64 = 4.0;

impl Frame<'_> {
    /// Whether text of this size (world pixels) can be read at the camera's zoom.
    pub fn legible(&self, font_px: f64) -> bool {
        font_px * self.camera.zoom >= MIN_TEXT_PX
    }
}

pub fn text(ctx: &Ctx2d, s: &str, x: f64, y: f64, font: &str, color: &str) {
    ctx.set_font(font);
    ctx.set_fill_style_str(color);
    let _ = ctx.fill_text(s, x, y);
}

/// Shortens text to fit `max_w` pixels, with an ellipsis.
pub fn fit(ctx: &Ctx2d, s: &str, max_w: f64) -> String {
    let width = |t: &str| ctx.measure_text(t).map(|m| m.width()).unwrap_or(0.0);
    if width(s) <= max_w {
        return s.to_string();
    }
    let mut chars: Vec<char> = s.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let t: String = chars.iter().collect::<String>() + "…";
        if width(&t) <= max_w {
            return t;
        }
    }
    String::new()
}

/// Where each pod was drawn (world coordinates), for clicks: (rect, namespace, name).
pub type PodHits = Vec<(Rect, String, String)>;

/// What drawing keeps from one frame to the next.
#[derive(Default)]
pub struct Kept {
    /// Where each pod sits on its node (small clusters).
    pub slots: PodSlots,
    /// The heat map's image (large clusters).
    pub heat: super::tiles::HeatMap,
}

/// Draws one frame; returns where the pods are.
pub fn draw(f: &Frame, kept: &mut Kept) -> PodHits {
    let ctx = f.ctx;
    let _ = ctx.set_transform(f.dpr, 0.0, 0.0, f.dpr, 0.0, 0.0);
    ctx.set_fill_style_str(palette::background());
    ctx.fill_rect(0.0, 0.0, f.css_w, f.css_h);
    let z = f.camera.zoom * f.dpr;
    let _ = ctx.set_transform(z, 0.0, 0.0, z, -f.camera.x * z, -f.camera.y * z);

    for region in &f.layout.regions {
        rounded(ctx, &region.rect, 14.0);
        ctx.set_fill_style_str(palette::region());
        ctx.fill();
        if !f.legible(15.0) {
            continue;
        }
        text(
            ctx,
            &region.label,
            region.rect.x + 14.0,
            region.rect.y + 22.0,
            "600 15px system-ui, sans-serif",
            palette::muted(),
        );
    }
    draw_links(f);
    let glow = PHASE_GLOW_WALL_S.max(super::apiserver::GLOW_WALL_S).max(super::controllers::GLOW_WALL_S);
    let phases = Phases::gather(f, glow);
    // Each Raft group's member names by Raft id: the main cluster's and the events etcd's.
    let names = |events: bool| -> Vec<String> {
        let members = f.view.components.iter().filter(|c| c.etcd.is_some() && c.in_events_etcd() == events);
        members.map(|c| c.name.clone()).collect()
    };
    let (etcd_names, events_names) = (names(false), names(true));
    for c in &f.view.components {
        let Some(Some(r)) = f.layout.boxes.get(c.id as usize) else {
            continue;
        };
        if f.layout.on_tile(c.id) {
            continue;
        }
        let phase = phases.current(c.id);
        match &c.etcd {
            Some(e) => {
                let peers = if c.in_events_etcd() { &events_names } else { &etcd_names };
                super::etcd::draw_member(f.ctx, c, e, r, phase.map(|p| p.0), peers, f.legible(12.0))
            }
            None => draw_component(f, c, r, phase.as_ref()),
        }
        if c.role == Role::ApiServer {
            super::apiserver::draw_pipeline(f, &phases, c.id, r);
        }
        if !c.queues.is_empty() {
            super::controllers::draw(f, &phases, c, r);
        }
    }
    draw_highlights(f);
    let hits = if f.layout.tiles() { super::tiles::draw(f, &mut kept.heat) } else { draw_pods(f, &mut kept.slots) };
    draw_selection(f, &hits);
    if !f.layout.tiles() {
        draw_node_health(f);
        super::scheduling::draw(f);
    }
    draw_pending(f);
    draw_messages(f);
    hits
}

/// A ring around what the lesson points at; it breathes unless motion is reduced.
fn draw_highlights(f: &Frame) {
    let pulse = if f.reduced_motion { 0.0 } else { (f.now.as_secs_f64() / f.speed.max(0.01) * 3.0).sin() * 2.0 };
    for id in f.highlight {
        if let Some(Some(r)) = f.layout.boxes.get(*id as usize) {
            let pad = 7.0 + pulse;
            let ring = Rect { x: r.x - pad, y: r.y - pad, w: r.w + 2.0 * pad, h: r.h + 2.0 * pad };
            rounded(f.ctx, &ring, 12.0);
            f.ctx.set_stroke_style_str(palette::highlight());
            f.ctx.set_line_width(3.0);
            f.ctx.stroke();
        }
    }
}

/// The inspected pod, component, node or message, outlined in the accent colour.
fn draw_selection(f: &Frame, pods: &PodHits) {
    use crate::kubectl::inspect::Target;
    let rect = match f.selected {
        Some(Target::Pod { namespace, name }) => {
            pods.iter().find(|(_, ns, n)| ns == namespace && n == name).map(|(r, _, _)| *r)
        }
        Some(Target::Component(id)) => f.layout.boxes.get(*id as usize).copied().flatten(),
        Some(Target::Node(name)) => f.layout.node_rects.get(name).copied(),
        // A message: a ring around its dot while it is on its way.
        Some(Target::Message(id)) => dots(f.trace, f.layout, f.now, f.speed)
            .iter()
            .find(|d| d.id == *id)
            .map(|d| d.at())
            .map(|(x, y)| Rect { x: x - 5.0, y: y - 5.0, w: 10.0, h: 10.0 }),
        None => None,
    };
    if let Some(r) = rect {
        let ring = Rect { x: r.x - 4.0, y: r.y - 4.0, w: r.w + 8.0, h: r.h + 8.0 };
        rounded(f.ctx, &ring, 9.0);
        f.ctx.set_stroke_style_str(palette::selected());
        f.ctx.set_line_width(2.5);
        f.ctx.stroke();
    }
}

fn center(f: &Frame, id: u32) -> Option<(f64, f64)> {
    f.layout.boxes.get(id as usize).copied().flatten().map(|r| r.center())
}

/// The links the cluster view draws (who talks to whom): kube-apiserver to each of its
/// clients and to each etcd cluster's first member, the members of a cluster to each other, the cloud-controller-manager to the
/// cloud. Nodes shown as tiles have none.
pub fn links(view: &ClusterView, layout: &Layout) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let of = |r: Role| view.components.iter().find(|c| c.role == r).map(|c| c.id);
    // The main etcd cluster and the events etcd (if any): each a mesh of its members, and
    // every apiserver linked to each cluster's first member.
    let clusters: Vec<Vec<u32>> = [false, true]
        .iter()
        .map(|events| {
            let members = view.components.iter().filter(|c| c.role == Role::Etcd && c.in_events_etcd() == *events);
            members.map(|c| c.id).collect()
        })
        .collect();
    if let Some(api) = of(Role::ApiServer) {
        let linked = |c: &&crate::sim::view::ComponentView| {
            !matches!(c.role, Role::Etcd | Role::ApiServer | Role::Cloud) && !layout.on_tile(c.id)
        };
        // Each client to the apiserver it talks to now (several sit behind a load balancer).
        out.extend(view.components.iter().filter(linked).map(|c| (c.apiserver.unwrap_or(api), c.id)));
        for first in clusters.iter().filter_map(|m| m.first()) {
            let apiservers = view.components.iter().filter(|c| c.role == Role::ApiServer);
            out.extend(apiservers.map(|a| (a.id, *first)));
        }
    }
    for etcd in &clusters {
        for (i, a) in etcd.iter().enumerate() {
            out.extend(etcd[i + 1..].iter().map(|b| (*a, *b)));
        }
    }
    if let (Some(ccm), Some(cloud)) = (of(Role::CloudControllerManager), of(Role::Cloud)) {
        out.push((ccm, cloud));
    }
    out
}

fn draw_links(f: &Frame) {
    let ctx = f.ctx;
    ctx.set_stroke_style_str(palette::link());
    ctx.set_line_width(1.5);
    for &(a, b) in f.links {
        if let (Some(p), Some(q)) = (center(f, a), center(f, b)) {
            ctx.begin_path();
            ctx.move_to(p.0, p.1);
            ctx.line_to(q.0, q.1);
            ctx.stroke();
        }
    }
}

/// The phases the drawn components went through lately, gathered in one walk of the trace
/// per frame for every box, pipeline and controller strip (at high speed the glow covers the
/// whole recent trace): per component, the newest record of each phase, newest first.
/// Components drawn only as part of a tile are left out.
pub struct Phases<'a> {
    by_component: VecMap<u32, Vec<(&'a str, &'a str, SimTime)>>,
    now: SimTime,
    speed: f64,
}

impl<'a> Phases<'a> {
    /// Gathers the phases of the last `wall_s` wall seconds: the longest glow drawn.
    fn gather(f: &Frame<'a>, wall_s: f64) -> Self {
        let since = f.now.0.saturating_sub((wall_s * f.speed * 1e6) as u64);
        let mut by_component: VecMap<u32, Vec<(&str, &str, SimTime)>> = VecMap::new();
        for rec in f.trace.recent().rev() {
            if rec.at().0 < since {
                break;
            }
            let TraceRecord::Phase { at, component, phase, detail } = rec else { continue };
            if *at > f.now
                || f.layout.on_tile(*component)
                || !matches!(f.layout.boxes.get(*component as usize), Some(Some(_)))
            {
                continue;
            }
            let seen = by_component.entry(*component).or_default();
            // Most names are the same literal: the same address, no byte compared.
            let same = |p: &str| std::ptr::eq(p, phase.as_ref()) || p == phase.as_ref();
            if !seen.iter().any(|(p, _, _)| same(p)) {
                seen.push((phase.as_ref(), detail.as_str(), *at));
            }
        }
        Phases { by_component, now: f.now, speed: f.speed }
    }

    /// Visits the phases component `id` started within the last `wall_s` wall seconds, newest
    /// first and each once (its newest), with their age as a fraction of that window.
    pub fn of(&self, id: u32, wall_s: f64, mut visit: impl FnMut(&'a str, &'a str, f64)) {
        let window = (wall_s * self.speed * 1e6) as u64;
        for (phase, detail, at) in self.by_component.get(&id).into_iter().flatten() {
            let elapsed = self.now.0 - at.0;
            if elapsed <= window {
                visit(phase, detail, elapsed as f64 / window.max(1) as f64);
            }
        }
    }

    /// Component `id`'s latest phase still inside the glow window: (phase, detail, age).
    fn current(&self, id: u32) -> Option<(&'a str, &'a str, f64)> {
        let mut latest = None;
        self.of(id, PHASE_GLOW_WALL_S, |phase, detail, age| {
            latest.get_or_insert((phase, detail, age));
        });
        latest
    }
}

fn draw_component(f: &Frame, c: &crate::sim::view::ComponentView, r: &Rect, phase: Option<&(&str, &str, f64)>) {
    let ctx = f.ctx;
    // A stopped process is drawn grey, as a stopped etcd member is.
    let color = if c.up { palette::role(c.role) } else { palette::stopped() };
    rounded(ctx, r, 8.0);
    ctx.set_fill_style_str(if c.up { palette::panel() } else { palette::stopped_fill() });
    ctx.fill();
    if let Some((_, _, age)) = phase {
        ctx.set_global_alpha(0.25 * (1.0 - age).max(0.0));
        ctx.set_fill_style_str(color);
        ctx.fill();
        ctx.set_global_alpha(1.0);
    }
    ctx.set_stroke_style_str(color);
    ctx.set_line_width(2.0);
    ctx.stroke();
    if !f.legible(13.0) {
        return;
    }
    let title = match c.role {
        Role::Kubelet => "kubelet".to_string(),
        Role::KubeProxy => "kube-proxy".to_string(),
        _ => c.name.clone(),
    };
    let small = matches!(c.role, Role::Kubelet | Role::KubeProxy);
    let font = if small { "600 13px system-ui, sans-serif" } else { "600 15px system-ui, sans-serif" };
    ctx.set_font(font);
    let t = fit(ctx, &title, r.w - 16.0);
    text(ctx, &t, r.x + 8.0, r.y + 18.0, font, palette::ink());
    let line2 = match phase {
        _ if !c.up => c.status.clone(),
        Some((name, _, _)) => format!("▶ {name}"),
        None if small => String::new(),
        None => c.status.clone(),
    };
    ctx.set_font("13px system-ui, sans-serif");
    let s = fit(ctx, &line2, r.w - 16.0);
    let line2_color = if phase.is_some() && c.up { color } else { palette::muted() };
    text(ctx, &s, r.x + 8.0, r.y + r.h - 10.0, "13px system-ui, sans-serif", line2_color);
}

fn draw_pods(f: &Frame, slots: &mut PodSlots) -> PodHits {
    let ctx = f.ctx;
    let mut hits = Vec::new();
    for node in &f.view.nodes {
        let Some(area) = f.layout.pod_areas.get(&node.name) else {
            continue;
        };
        let names: Vec<String> = node.pods.iter().map(|p| p.name().to_string()).collect();
        let idx = slots.assign(&node.name, &names);
        for (p, i) in node.pods.iter().zip(idx) {
            let r = pod_rect(area, i);
            if r.y + r.h > area.y + area.h + 1.0 {
                continue;
            }
            let (fill, cue) = palette::pod_state(p.status, p.ready);
            rounded(ctx, &r, 6.0);
            ctx.set_fill_style_str(fill);
            ctx.fill();
            ctx.set_stroke_style_str(palette::POD);
            ctx.set_line_width(1.5);
            ctx.stroke();
            if f.camera.zoom * r.w >= DETAIL_PX && !p.containers.is_empty() {
                draw_pod_detail(ctx, &r, p, cue);
            } else {
                ctx.set_font("13px system-ui, sans-serif");
                let label = fit(ctx, &format!("{cue} {}", short_pod(p.name())), r.w - 10.0);
                text(ctx, &label, r.x + 6.0, r.y + 20.0, "13px system-ui, sans-serif", palette::ON_FILL);
            }
            hits.push((r, p.namespace().to_string(), p.name().to_string()));
        }
    }
    hits
}

/// Screen width at which a pod opens up into its containers and volumes.
const DETAIL_PX: f64 = 330.0;

/// A pod zoomed in: its name and IP, a row per container (state, readiness, restarts, CPU and
/// memory against their limits as bars) and its volumes — drawn in the pod's own box with
/// small world-sized fonts, so it grows with the zoom like the rest.
fn draw_pod_detail(ctx: &Ctx2d, r: &Rect, p: &crate::sim::view::PodView, cue: &str) {
    let font = |size: f64, weight: &str| format!("{weight} {size}px system-ui, sans-serif");
    ctx.set_font(&font(5.5, "600"));
    let head = fit(ctx, &format!("{cue} {}", p.name()), r.w - 40.0);
    text(ctx, &head, r.x + 3.0, r.y + 7.0, &font(5.5, "600"), palette::ON_FILL);
    ctx.set_text_align("right");
    text(ctx, p.ip(), r.x + r.w - 3.0, r.y + 7.0, &font(4.2, "400"), palette::ON_FILL);
    ctx.set_text_align("start");
    const ROW: f64 = 5.6;
    let rows = ((r.h - 11.0 - 4.5) / ROW).floor().max(1.0) as usize;
    for (i, c) in p.containers.iter().take(rows).enumerate() {
        let y = r.y + 12.5 + i as f64 * ROW;
        let shown = i + 1 == rows && p.containers.len() > rows;
        let line = if shown {
            format!("+{} containers", p.containers.len() - i)
        } else {
            let ready = if c.ready { "ready" } else { "not ready" };
            format!("▸ {} · {} · {ready} · ↻{}", c.name, c.state, c.restarts)
        };
        ctx.set_font(&font(4.2, "400"));
        let line = fit(ctx, &line, r.w - 62.0);
        text(ctx, &line, r.x + 3.0, y, &font(4.2, "400"), palette::ON_FILL);
        if shown {
            break;
        }
        // CPU of its limit (or of one core), memory of its limit (or of 1 GiB).
        if let Some((used, limit)) = c.cpu {
            bar(ctx, r.x + r.w - 56.0, y - 3.2, used / limit.unwrap_or(1.0), limit.is_some(), "cpu");
        }
        if let Some((set, limit)) = c.memory {
            let share = set as f64 / limit.unwrap_or(1 << 30) as f64;
            bar(ctx, r.x + r.w - 28.0, y - 3.2, share, limit.is_some(), "mem");
        }
    }
    if !p.volumes.is_empty() {
        ctx.set_font(&font(3.6, "400"));
        let vols = fit(ctx, &format!("volumes: {}", p.volumes.join(", ")), r.w - 6.0);
        text(ctx, &vols, r.x + 3.0, r.y + r.h - 2.0, &font(3.6, "400"), palette::ON_FILL);
    }
}

/// A small usage bar: the share filled (red past 90 %), solid when against a limit.
fn bar(ctx: &Ctx2d, x: f64, y: f64, share: f64, limited: bool, label: &str) {
    let (w, h) = (25.0, 3.4);
    ctx.set_fill_style_str("rgba(0, 0, 0, 0.35)");
    ctx.fill_rect(x, y, w, h);
    ctx.set_fill_style_str(if share > 0.9 {
        palette::NOT_READY
    } else if limited {
        "#56B4E9"
    } else {
        "#8b98a5"
    });
    ctx.fill_rect(x, y, w * share.clamp(0.0, 1.0), h);
    text(ctx, label, x + 0.6, y + 2.8, "2.8px system-ui, sans-serif", palette::ON_FILL);
}

/// A powered-off node is greyed out; a node the control plane no longer sees Ready carries a
/// red NotReady tag.
fn draw_node_health(f: &Frame) {
    let ctx = f.ctx;
    for node in &f.view.nodes {
        let Some(r) = f.layout.node_rects.get(&node.name) else { continue };
        if !node.powered {
            rounded(ctx, r, 14.0);
            ctx.set_fill_style_str(palette::shade());
            ctx.fill();
            let (cx, _) = r.center();
            ctx.set_text_align("center");
            text(ctx, "POWERED OFF", cx, r.y + r.h - 48.0, "600 16px system-ui, sans-serif", palette::ink());
            ctx.set_text_align("start");
        }
        if node.ready != "True" {
            let tag = Rect { x: r.x + 12.0, y: r.y + r.h - 30.0, w: 82.0, h: 22.0 };
            rounded(ctx, &tag, 6.0);
            ctx.set_fill_style_str(palette::NOT_READY);
            ctx.fill();
            text(ctx, "NotReady", tag.x + 10.0, tag.y + 16.0, "600 13px system-ui, sans-serif", palette::ON_FILL);
        }
    }
}

/// `web-75c46f9c77-bsr67` → `web-…bsr67`: the deployment and the pod's own suffix.
pub fn short_pod(name: &str) -> String {
    let parts: Vec<&str> = name.split('-').collect();
    if parts.len() >= 3 {
        format!("{}-…{}", parts[0], parts[parts.len() - 1])
    } else {
        name.to_string()
    }
}

fn draw_pending(f: &Frame) {
    let ctx = f.ctx;
    let Some(a) = f.layout.pending_area else { return };
    text(ctx, "Pending (no node yet)", a.x, a.y + 12.0, "600 13px system-ui, sans-serif", palette::muted());
    for (i, key) in f.view.pending.iter().enumerate() {
        let r = Rect { x: a.x, y: a.y + 24.0 + i as f64 * 30.0, w: a.w, h: 24.0 };
        rounded(ctx, &r, 6.0);
        ctx.set_stroke_style_str(palette::POD);
        ctx.set_line_width(1.5);
        ctx.stroke();
        let name = key.rsplit('/').next().unwrap_or(key);
        ctx.set_font("13px system-ui, sans-serif");
        let label = fit(ctx, &format!("… {}", short_pod(name)), r.w - 10.0);
        text(ctx, &label, r.x + 6.0, r.y + 17.0, "13px system-ui, sans-serif", palette::ink());
    }
}

/// A message on its way, where the picture shows it: its id and kind, the two ends, and how
/// far along it is (0..1). Messages stay visible for at least `MIN_VISIBLE_WALL_S` of wall
/// time so sub-millisecond hops can be seen.
pub struct Dot {
    pub id: u64,
    pub kind: crate::sim::event::MsgKind,
    pub from: (f64, f64),
    pub to: (f64, f64),
    pub progress: f64,
}

impl Dot {
    pub fn at(&self) -> (f64, f64) {
        (
            self.from.0 + (self.to.0 - self.from.0) * self.progress,
            self.from.1 + (self.to.1 - self.from.1) * self.progress,
        )
    }
}

/// The messages in flight at `now`, newest first, at most `MAX_DOTS`.
pub fn dots(trace: &crate::sim::trace::Trace, layout: &Layout, now: SimTime, speed: f64) -> Vec<Dot> {
    let min_visible = MIN_VISIBLE_WALL_S * speed * 1e6;
    let window = min_visible.max(100_000.0) as u64;
    let since = now.0.saturating_sub(window);
    let center = |id: u32| layout.boxes.get(id as usize).copied().flatten().map(|r| r.center());
    let mut out = Vec::new();
    for rec in trace.recent().rev() {
        if rec.at().0 < since || out.len() >= MAX_DOTS {
            break;
        }
        let TraceRecord::Message { id, kind, from, to, sent, arrives: Some(arrives), .. } = rec else {
            continue;
        };
        if sent.0 > now.0 {
            continue;
        }
        let duration = ((arrives.0 - sent.0) as f64).max(min_visible);
        let progress = (now.0 - sent.0) as f64 / duration;
        if progress > 1.0 {
            continue;
        }
        if let (Some(a), Some(b)) = (center(*from), center(*to)) {
            out.push(Dot { id: *id, kind: *kind, from: a, to: b, progress });
        }
    }
    out
}

fn draw_messages(f: &Frame) {
    let ctx = f.ctx;
    let mut dots = dots(f.trace, f.layout, f.now, f.speed);
    // One colour at a time: each style set crosses into JavaScript, and at speed hundreds of
    // messages are in flight. Moving dots of one kind are then filled as one path.
    dots.sort_by_key(|d| d.kind);
    for kind in dots.chunk_by(|a, b| a.kind == b.kind) {
        let colour = palette::message(kind[0].kind);
        ctx.set_fill_style_str(colour);
        ctx.set_stroke_style_str(colour);
        if f.reduced_motion {
            ctx.set_line_width(3.0);
            for d in kind {
                ctx.set_global_alpha(1.0 - d.progress);
                ctx.begin_path();
                ctx.move_to(d.from.0, d.from.1);
                ctx.line_to(d.to.0, d.to.1);
                ctx.stroke();
            }
            ctx.set_global_alpha(1.0);
        } else {
            ctx.begin_path();
            for d in kind {
                let (x, y) = d.at();
                ctx.move_to(x + 5.0, y);
                let _ = ctx.arc(x, y, 5.0, 0.0, std::f64::consts::TAU);
            }
            ctx.fill();
        }
    }
}
