//! The running session and the presentation state around it (play/pause, speed, camera,
//! metric history). Shared by the run loop and the controls.

use crate::scenario::action::Do;
use crate::scenario::session::Session;
use crate::scenario::timeline::Timeline;
use crate::scenario::Scenario;
use crate::sim::time::SimTime;
use std::cell::RefCell;
use std::rc::Rc;

/// The farthest the camera zooms out: a 7,500-node grid still fits a laptop screen.
pub const MIN_ZOOM: f64 = 0.02;
/// The nearest: one pod fills the canvas' width, its containers legible.
pub const MAX_ZOOM: f64 = 10.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Camera {
    /// World coordinate at the canvas' top-left corner.
    pub x: f64,
    pub y: f64,
    pub zoom: f64,
}

/// One point of the metric charts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub t: f64,
    pub running_pods: usize,
    /// apiserver requests so far, and per second since the previous sample.
    pub api_requests: u64,
    pub api_rps: f64,
    pub gauges: crate::sim::view::Gauges,
}

pub struct Engine {
    /// Replaced only through `replace_session`, which counts it.
    pub session: Session,
    /// How many times the session was replaced (reset, replay, scrub): a picture of the
    /// cluster from another session is not reused.
    pub sessions: u64,
    /// Snapshots, marks and the horizon of this branch of history (the scrubber's).
    pub timeline: Timeline,
    /// A moment the scrubber asked for, handled by the next frame.
    pub scrub_to: Option<SimTime>,
    /// Pause when this happens (the network and requests panels' "follow the next one").
    pub follow: Option<Follow>,
    /// What Reset goes back to: the scenario as opened (a restored autosave without its actions).
    pub fresh: Scenario,
    /// The side panel covers the canvas' right part (not when embedded or presenting).
    pub side_panel: bool,
    /// On a narrow screen, the panel below the canvas is folded away.
    pub panel_collapsed: bool,
    /// A lesson's narration card covers the canvas' left part (embedded or presenting).
    pub card: Card,
    pub playing: bool,
    /// Simulated seconds per wall second.
    pub speed: f64,
    /// Where the simulation clock should be, in µs; the loop catches up in bounded slices.
    pub target_us: f64,
    /// Catching up to a moment (a link's `&t=`, a lesson's previous step) as fast as frames
    /// allow; `playing` is set to the second value on arrival.
    pub seek: Option<(SimTime, bool)>,
    pub camera: Option<Camera>,
    /// Fixed once per cluster and view, so nothing moves when objects come and go.
    pub layout: Option<crate::ui::canvas::layout::Layout>,
    /// The links the last frame drew, for the links' context menu.
    pub links: Vec<(u32, u32)>,
    pub mode: crate::ui::canvas::layout::ViewMode,
    /// A lesson step's focus: the camera zooms to this component on the next frame.
    pub focus: Option<u32>,
    /// Components a lesson step points at, drawn with a ring.
    pub highlight: Vec<u32>,
    /// What the inspector shows (outlined on the canvas).
    pub selected: Option<crate::kubectl::inspect::Target>,
    /// Where the last frame drew each pod, for clicks.
    pub pod_hits: crate::ui::canvas::draw::PodHits,
    pub history: Vec<Sample>,
    last_sample: (f64, u64),
    /// The SLIs' counters read every 10 s of simulated time, for their 5-minute window.
    sli_marks: std::collections::VecDeque<(u64, crate::sim::slo::SliCounters)>,
    /// Wall-clock ms of the last animation frame.
    pub last_frame: Option<f64>,
    pub drag: Option<(f64, f64)>,
    /// The fingers on the canvas (CSS px in it), for touch pan and pinch.
    pub touches: Vec<(f64, f64)>,
    /// Where the left button went down: a click ends near it, a pan far from it.
    pub press: Option<(f64, f64)>,
}

pub type Shared = Rc<RefCell<Engine>>;

/// "Follow the next one": play until the next connection is routed or the next request
/// reaches kube-apiserver, then pause on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Follow {
    /// Connections the nodes had routed when asked.
    Packet(u64),
    /// Requests kube-apiserver had accepted when asked.
    Request(u64),
}

impl Follow {
    /// The next connection a node routes.
    pub fn next_packet(sim: &crate::sim::Simulation) -> Follow {
        Follow::Packet(sim.packets_routed())
    }

    /// The next request kube-apiserver accepts.
    pub fn next_request(sim: &crate::sim::Simulation) -> Follow {
        Follow::Request(sim.apiserver().map_or(0, |a| a.requests_total))
    }

    pub fn arrived(self, sim: &crate::sim::Simulation) -> bool {
        match self {
            Follow::Packet(n) => sim.packets_routed() > n,
            Follow::Request(n) => sim.apiserver().is_some_and(|a| a.requests_total > n),
        }
    }
}

/// The lesson card's place over the canvas, as the stylesheet sets it. (On the full page it
/// sits in the side panel instead.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Card {
    None,
    /// 300 px wide at the lower left of an embed.
    Embedded,
    /// 36 % of the width in presenter mode.
    Present,
}

impl Card {
    /// CSS pixels the camera leaves free on the left.
    pub fn reserve(self, css_w: f64) -> f64 {
        match self {
            Card::None => 0.0,
            Card::Embedded => 324.0_f64.min(css_w * 0.6 + 12.0),
            Card::Present => css_w * 0.36 + 24.0,
        }
    }
}

/// Samples kept for the charts.
const HISTORY: usize = 600;
/// Simulated seconds between chart samples.
const SAMPLE_EVERY_S: f64 = 0.5;
/// How often the SLIs' counters are read (µs of simulated time).
const SLI_MARK_US: u64 = 10_000_000;

impl Engine {
    pub fn new(scenario: Scenario) -> Result<Self, String> {
        let session = Session::new(scenario.clone())?;
        Ok(Engine {
            timeline: Timeline::new(&session),
            scrub_to: None,
            follow: None,
            session,
            sessions: 0,
            fresh: scenario,
            side_panel: true,
            panel_collapsed: false,
            card: Card::None,
            playing: true,
            speed: 1.0,
            target_us: 0.0,
            seek: None,
            camera: None,
            layout: None,
            links: Vec::new(),
            mode: Default::default(),
            focus: None,
            highlight: Vec::new(),
            pod_hits: Vec::new(),
            selected: None,
            history: Vec::new(),
            last_sample: (0.0, 0),
            sli_marks: Default::default(),
            last_frame: None,
            drag: None,
            touches: Vec::new(),
            press: None,
        })
    }

    /// Switches the picture; layout and camera are recomputed for it.
    pub fn set_mode(&mut self, mode: crate::ui::canvas::layout::ViewMode) {
        self.mode = mode;
        self.layout = None;
        self.camera = None;
    }

    /// The component whose box is under a point of the canvas (CSS pixels).
    pub fn hit(&self, x: f64, y: f64) -> Option<crate::sim::event::ComponentId> {
        let (cam, layout) = (self.camera?, self.layout.as_ref()?);
        let (wx, wy) = (cam.x + x / cam.zoom, cam.y + y / cam.zoom);
        layout
            .boxes
            .iter()
            .position(|b| b.is_some_and(|r| wx >= r.x && wx <= r.x + r.w && wy >= r.y && wy <= r.y + r.h))
            .map(|i| i as u32)
    }

    /// The link (two components' ids) drawn under a point of the canvas (CSS pixels), within
    /// 6 px, outside the boxes.
    pub fn link_at(&self, x: f64, y: f64) -> Option<(u32, u32)> {
        let (cam, layout) = (self.camera?, self.layout.as_ref()?);
        if self.hit(x, y).is_some() {
            return None;
        }
        let (px, py) = (cam.x + x / cam.zoom, cam.y + y / cam.zoom);
        let center = |id: u32| layout.boxes.get(id as usize).copied().flatten().map(|r| r.center());
        let distance = |(a, b): (u32, u32)| {
            let ((ax, ay), (bx, by)) = (center(a)?, center(b)?);
            let (dx, dy) = (bx - ax, by - ay);
            let t = (((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy).max(1e-9)).clamp(0.0, 1.0);
            Some(((ax + t * dx - px).powi(2) + (ay + t * dy - py).powi(2)).sqrt() * cam.zoom)
        };
        self.links
            .iter()
            .filter_map(|l| Some((*l, distance(*l)?)))
            .filter(|(_, d)| *d <= 6.0)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(l, _)| l)
    }

    /// What a click at a point of the canvas (CSS pixels) picks: a pod, a component, or a
    /// worker node's area.
    pub fn pick(&self, x: f64, y: f64) -> Option<crate::kubectl::inspect::Target> {
        use crate::kubectl::inspect::Target;
        let cam = self.camera?;
        let (wx, wy) = (cam.x + x / cam.zoom, cam.y + y / cam.zoom);
        let inside = |r: &crate::ui::canvas::layout::Rect| wx >= r.x && wx <= r.x + r.w && wy >= r.y && wy <= r.y + r.h;
        // A message dot under the pointer (8 px of slack), the newest first.
        if let Some(layout) = self.layout.as_ref() {
            let sim = &self.session.sim;
            let near = |(x, y): (f64, f64)| ((x - wx).powi(2) + (y - wy).powi(2)).sqrt() * cam.zoom <= 8.0;
            let dots = crate::ui::canvas::draw::dots(&sim.trace, layout, sim.now(), self.speed);
            if let Some(d) = dots.iter().find(|d| near(d.at())) {
                return Some(Target::Message(d.id));
            }
        }
        if let Some((_, ns, name)) = self.pod_hits.iter().find(|(r, _, _)| inside(r)) {
            return Some(Target::Pod { namespace: ns.clone(), name: name.clone() });
        }
        let layout = self.layout.as_ref()?;
        let node = || layout.node_rects.iter().find(|(_, r)| inside(r)).map(|(name, _)| Target::Node(name.clone()));
        // A tile is its node (its kubelet and kube-proxy share the tile).
        if layout.tiles() {
            if let Some(n) = node() {
                return Some(n);
            }
        }
        if let Some(id) = self.hit(x, y) {
            return Some(Target::Component(id));
        }
        node()
    }

    fn replace_session(&mut self, session: Session) {
        self.session = session;
        self.sessions += 1;
    }

    /// Back to t = 0 of the scenario as opened; the user's own actions are dropped.
    pub fn reset(&mut self) {
        // The scenario built once already, so it builds again.
        if let Ok(s) = Session::new(self.fresh.clone()) {
            self.replace_session(s);
        }
        self.restart_clock();
        self.timeline = Timeline::new(&self.session);
    }

    /// Rebuilds the session with `scenario` and catches up to `at`, then pauses or plays.
    pub fn replay(&mut self, scenario: Scenario, at: SimTime, play: bool) -> Result<(), String> {
        self.replace_session(Session::new(scenario)?);
        self.restart_clock();
        self.timeline = Timeline::new(&self.session);
        self.seek = Some((at, play));
        Ok(())
    }

    /// The fingers moved to `points`: one finger pans, two pinch-zoom around their midpoint.
    /// (Fingers put down or lifted only replace the points.)
    pub fn touch(&mut self, points: Vec<(f64, f64)>, moved: bool) {
        if let (true, Some(cam)) = (moved, self.camera.as_mut()) {
            match (self.touches.as_slice(), points.as_slice()) {
                ([a], [b]) => {
                    cam.x -= (b.0 - a.0) / cam.zoom;
                    cam.y -= (b.1 - a.1) / cam.zoom;
                }
                ([a1, a2], [b1, b2]) => {
                    let apart = |p: &(f64, f64), q: &(f64, f64)| (p.0 - q.0).hypot(p.1 - q.1).max(1.0);
                    let mid = |p: &(f64, f64), q: &(f64, f64)| ((p.0 + q.0) / 2.0, (p.1 + q.1) / 2.0);
                    let (was, now) = (mid(a1, a2), mid(b1, b2));
                    let (wx, wy) = (cam.x + was.0 / cam.zoom, cam.y + was.1 / cam.zoom);
                    cam.zoom = (cam.zoom * apart(b1, b2) / apart(a1, a2)).clamp(MIN_ZOOM, MAX_ZOOM);
                    cam.x = wx - now.0 / cam.zoom;
                    cam.y = wy - now.1 / cam.zoom;
                }
                _ => {}
            }
        }
        self.touches = points;
    }

    /// Plays until the next one of `what` happens, then pauses on it.
    pub fn follow_next(&mut self, what: fn(&crate::sim::Simulation) -> Follow) {
        self.follow = Some(what(&self.session.sim));
        self.playing = true;
    }

    /// Does what the user did, now; acting in the past forks the history (what came after
    /// on this branch is dropped). False when it was refused.
    pub fn act(&mut self, what: Do) -> bool {
        let ok = self.session.act(what);
        if ok && self.session.sim.now() < self.timeline.horizon() {
            let at = self.session.sim.now();
            self.timeline.fork(&mut self.session);
            self.session.say(
                crate::scenario::session::Said::Info,
                format!("(history forked at t = {at}: what came after on the timeline is gone)"),
            );
        }
        ok
    }

    /// Goes to moment `t` of this branch: from the nearest snapshot before it, replaying
    /// forward (deterministic, so the state is the one `t` had). Charts lose what is after `t`.
    pub fn scrub(&mut self, t: SimTime) {
        let t = t.min(self.timeline.horizon());
        match self.timeline.rewind(&self.session, t) {
            Ok(Some(back)) => self.replace_session(back),
            Ok(None) => {}
            Err(_) => return,
        }
        let secs = t.as_secs_f64();
        self.history.retain(|s| s.t <= secs);
        self.last_sample = self.history.last().map_or((0.0, 0), |s| (s.t, s.api_requests));
        self.sli_marks.retain(|(at, _)| *at <= t.0);
        self.seek = Some((t, self.playing));
    }

    fn restart_clock(&mut self) {
        self.target_us = 0.0;
        self.seek = None;
        self.history.clear();
        self.last_sample = (0.0, 0);
        self.sli_marks.clear();
    }

    /// Goes back to the beginning of lesson step `n`: the session replays up to it.
    pub fn back_to_step(&mut self, n: usize) -> Result<(), String> {
        let mut shared = self.session.shared();
        let Some(i) = shared.actions.iter().position(|a| a.what == Do::Lesson(n)) else {
            return Ok(());
        };
        shared.actions.truncate(i + 1);
        let at = SimTime(shared.actions[i].at);
        self.replay(shared, at, self.playing)
    }

    /// The SLIs over their 5-minute window (over the run while it is shorter).
    pub fn slis(&self) -> Vec<crate::sim::slo::Sli> {
        let now = self.session.sim.now().0;
        let base = self.sli_marks.iter().rev().find(|(at, _)| at + crate::sim::slo::WINDOW_US <= now);
        match base {
            Some((_, counters)) => self.session.sim.slis_since(counters),
            None => self.session.sim.slis(),
        }
    }

    /// Records a chart sample from this frame's view when enough simulated time has passed.
    pub fn sample(&mut self, view: &crate::sim::view::ClusterView) {
        let t = self.session.sim.now().as_secs_f64();
        if t - self.last_sample.0 < SAMPLE_EVERY_S && !self.history.is_empty() {
            return;
        }
        let dt = (t - self.last_sample.0).max(1e-9);
        let api_rps = view.api_requests.saturating_sub(self.last_sample.1) as f64 / dt;
        self.last_sample = (t, view.api_requests);
        if self.history.len() == HISTORY {
            self.history.remove(0);
        }
        let gauges = self.session.sim.gauges();
        let now = self.session.sim.now().0;
        if self.sli_marks.back().is_none_or(|(at, _)| now >= at + SLI_MARK_US) {
            self.sli_marks.push_back((now, self.session.sim.sli_counters()));
            // One reading older than the window is all the window needs.
            while self.sli_marks.get(1).is_some_and(|(at, _)| *at + crate::sim::slo::WINDOW_US <= now) {
                self.sli_marks.pop_front();
            }
        }
        self.history.push(Sample {
            t,
            running_pods: view.running_pods,
            api_requests: view.api_requests,
            api_rps,
            gauges,
        });
    }
}
