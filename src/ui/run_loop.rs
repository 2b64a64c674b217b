//! The one requestAnimationFrame loop: accumulate wall time × speed, advance the simulation
//! in bounded slices, collect command answers, then draw once. Drawing never advances time.

use super::canvas::draw::{draw, Frame, Kept};
use super::canvas::layout::{self, Layout};
use super::components::console::{append, said_lines, ConsoleLine, LineKind};
use super::components::timeline_bar::{marks_html, Position};
use super::engine::{Camera, Follow, Shared, MIN_ZOOM};
use crate::sim::time::SimTime;
use crate::sim::view::ClusterView;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// Wall time a frame's own work may take in all (simulating, taking the picture, drawing),
/// leaving the rest of the 16.7 ms to the browser. The simulation gets what the rest of the
/// frame leaves (`Pacer`), reading the clock after every event until that is spent.
const FRAME_WORK_MS: f64 = 13.0;
/// The simulation's budget stays within these.
const SIM_BUDGET_MIN_MS: f64 = 3.0;
const SIM_BUDGET_MAX_MS: f64 = 10.0;
/// While catching up to a link's moment the user waits for it: bigger slices, still under the
/// 50 ms that makes a long task.
const SEEK_BUDGET_MS: f64 = 35.0;
/// Events a frame handles where the browser has no clock to pace them (no Performance API).
const EVENTS_WITHOUT_CLOCK: u64 = 25;
/// Longest wall-time step taken after a stall (tab in background, debugger).
const MAX_FRAME_MS: f64 = 250.0;
/// Space kept free on the right for the console panel on wide screens.
pub const PANEL_WIDTH: f64 = 440.0;
/// Narrower than this (the stylesheet's breakpoint), the panel sits below the canvas.
const NARROW_PX: f64 = 1000.0;
/// The timeline's strip at the bottom of the canvas.
const TIMELINE_PX: f64 = 52.0;

/// The rAF closure, shared with itself so that each frame can schedule the next.
type FrameCallback = Rc<RefCell<Option<Closure<dyn FnMut(f64)>>>>;

#[derive(Clone, Copy)]
pub struct UiSignals {
    pub clock: RwSignal<String>,
    /// Large clusters: nodes and pods in numbers, as the picture cannot show them one by one.
    pub census: RwSignal<Option<Census>>,
    pub console: RwSignal<Vec<ConsoleLine>>,
    pub frames: RwSignal<u64>,
    pub playing: RwSignal<bool>,
    pub position: RwSignal<Position>,
    /// The timeline's markers as HTML.
    pub marks: RwSignal<String>,
}

pub fn start(engine: Shared, canvas: HtmlCanvasElement, ui: UiSignals) {
    let Some(ctx) = canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        ui.console.update(|c| c.push(ConsoleLine::new(LineKind::Error, "This browser has no 2D canvas.")));
        return;
    };
    let reduced_motion = web_sys::window()
        .and_then(|w| w.match_media("(prefers-reduced-motion: reduce)").ok().flatten())
        .is_some_and(|m| m.matches());
    // The canvas' size is read again only after the window was resized (reading it forces
    // the page's layout, a few per cent of the frame time at 7,500 nodes).
    let resized = Rc::new(std::cell::Cell::new(true));
    let on_resize = resized.clone();
    let listener = Closure::<dyn FnMut()>::new(move || on_resize.set(true));
    if let Some(w) = web_sys::window() {
        let _ = w.add_event_listener_with_callback("resize", listener.as_ref().unchecked_ref());
    }
    // The listener lives as long as the page.
    listener.forget();
    let mut screen = Screen {
        pacer: Pacer { rest_ms: [3.0, 3.0], picture: false, simulated_at: None },
        canvas,
        ctx,
        size: (0.0, 0.0),
        resized,
        kept: Kept::default(),
        reduced_motion,
        view: None,
        pictures: 0,
        view_ms: 0.0,
        marks_at: (f64::NEG_INFINITY, 0),
    };
    let callback: FrameCallback = Rc::new(RefCell::new(None));
    let again = callback.clone();
    *callback.borrow_mut() = Some(Closure::new(move |ts: f64| {
        frame(&engine, &mut screen, ui, ts);
        screen.pacer.finished();
        if let (Some(w), Some(cb)) = (web_sys::window(), again.borrow().as_ref()) {
            let _ = w.request_animation_frame(cb.as_ref().unchecked_ref());
        }
    }));
    if let (Some(w), Some(cb)) = (web_sys::window(), callback.borrow().as_ref()) {
        let _ = w.request_animation_frame(cb.as_ref().unchecked_ref());
    }
    // The closure lives as long as the page.
    std::mem::forget(callback);
}

/// A large cluster in numbers: worker nodes, pods, and how many pods are Running.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Census {
    pub nodes: usize,
    pub pods: usize,
    pub running: usize,
}

impl Census {
    fn of(view: &crate::sim::view::ClusterView) -> Census {
        let pods = view.nodes.iter().map(|n| n.pods.len()).sum::<usize>() + view.pending_total;
        Census { nodes: view.nodes.iter().filter(|n| !n.control_plane).count(), pods, running: view.running_pods }
    }
}

/// The simulation's share of each frame: what the frame's other work (the picture, the
/// drawing) left, as it took in recent frames of the same kind. A frame that takes the
/// cluster's picture again (at 7,500 nodes, several times the drawing) simulates less, so
/// that it is not the frame that misses the display's refresh.
struct Pacer {
    /// The other work's wall time, ms: in ordinary frames and in frames taking a picture.
    rest_ms: [f64; 2],
    /// This frame: whether it takes a picture, and when its simulation ended.
    picture: bool,
    simulated_at: Option<f64>,
}

impl Pacer {
    fn budget_ms(&self, picture: bool) -> f64 {
        (FRAME_WORK_MS - self.rest_ms[usize::from(picture)]).clamp(SIM_BUDGET_MIN_MS, SIM_BUDGET_MAX_MS)
    }

    /// The frame's simulation is done; the rest of it is measured from now.
    fn simulated(&mut self, picture: bool) {
        self.picture = picture;
        self.simulated_at = wall_ms();
    }

    /// The frame is done.
    fn finished(&mut self) {
        if let Some(took) = wall_ms().zip(self.simulated_at.take()).map(|(end, start)| end - start) {
            let rest = &mut self.rest_ms[usize::from(self.picture)];
            // Pictures are a few a second: their last one counts more.
            let keep = if self.picture { 0.5 } else { 0.9 };
            *rest = *rest * keep + took * (1.0 - keep);
        }
    }
}

/// What the loop draws on, and the drawing state that outlives one frame.
struct Screen {
    pacer: Pacer,
    canvas: HtmlCanvasElement,
    ctx: CanvasRenderingContext2d,
    /// The canvas' CSS size, and whether the window was resized since it was read.
    size: (f64, f64),
    resized: Rc<std::cell::Cell<bool>>,
    kept: Kept,
    reduced_motion: bool,
    /// The last picture of the cluster, the frame time it was taken, and the session it is of.
    view: Option<(ClusterView, f64, u64)>,
    /// How many pictures have been taken.
    pictures: u64,
    /// How long the last picture took to take, ms.
    view_ms: f64,
    /// When the timeline's markers were last written, and the horizon then.
    marks_at: (f64, u64),
}

/// The timeline's markers move with its horizon; they are rewritten at most this often.
const MARKS_MS: f64 = 250.0;

/// A large cluster's picture (thousands of nodes and pods) is taken again at most this often;
/// messages still move every frame.
const LARGE_VIEW_MS: f64 = 250.0;
/// …and, however large, it takes at most a tenth of the page's time: it is taken again no
/// sooner than this many times its own cost.
const VIEW_SHARE: f64 = 10.0;

fn frame(engine: &Shared, screen: &mut Screen, ui: UiSignals, ts: f64) {
    let Screen { pacer, canvas, ctx, size, resized, kept, reduced_motion, view: cached, pictures, view_ms, marks_at } =
        screen;
    let reduced_motion = *reduced_motion;
    let mut e = engine.borrow_mut();
    let dt = e.last_frame.map_or(0.0, |last| (ts - last).clamp(0.0, MAX_FRAME_MS));
    e.last_frame = Some(ts);
    if let Some(t) = e.scrub_to.take() {
        e.scrub(t);
    }
    let large = e.layout.as_ref().is_some_and(|l| l.tiles());
    let picture_due = match cached {
        Some((_, at, _)) => !large || ts - *at >= LARGE_VIEW_MS.max(VIEW_SHARE * *view_ms),
        None => true,
    };
    if let Some((at, play)) = e.seek {
        // Catching up to a link's moment: as many events as a frame allows.
        if advance_within(&mut e.session, at, SEEK_BUDGET_MS, None) == Advanced::Reached {
            e.seek = None;
            e.playing = play;
            e.target_us = at.0 as f64;
            ui.playing.set(play);
        }
    } else if e.playing {
        e.target_us += dt / 1000.0 * e.speed * 1e6;
        let target = SimTime(e.target_us as u64);
        let follow = e.follow;
        match advance_within(&mut e.session, target, pacer.budget_ms(picture_due), follow) {
            Advanced::Reached => {}
            // Fall behind by at most one simulated second of the chosen speed.
            Advanced::Budget => e.target_us = e.target_us.min(e.session.sim.now().0 as f64 + e.speed * 1e6),
            Advanced::Followed => {
                e.follow = None;
                e.playing = false;
                e.target_us = e.session.sim.now().0 as f64;
                ui.playing.set(false);
            }
        }
    } else {
        e.target_us = e.session.sim.now().0 as f64;
    }
    let said = e.session.take_said();
    // Behind the horizon the console already holds what a replay says again.
    if !said.is_empty() && e.session.sim.now() >= e.timeline.horizon() {
        append(ui.console, said_lines(said));
    }
    let eng = &mut *e;
    eng.timeline.observe(&mut eng.session, ts);
    let position = Position::of(eng);
    if ts - marks_at.0 >= MARKS_MS && marks_at.1 != position.horizon {
        *marks_at = (ts, position.horizon);
        ui.marks.set(marks_html(eng));
    }
    pacer.simulated(picture_due);
    let steps = e.session.sim.steps();
    let fresh = match cached {
        Some((view, _, session)) => !picture_due && steps >= view.steps && *session == e.sessions,
        None => false,
    };
    if !fresh {
        let started = wall_ms();
        let old = cached.take().filter(|(_, _, session)| *session == e.sessions).map(|(view, _, _)| view);
        *cached = Some((e.session.sim.view_after(old), ts, e.sessions));
        *pictures += 1;
        *view_ms = wall_ms().zip(started).map_or(0.0, |(end, start)| end - start);
    }
    let Some((view, _, _)) = cached.as_ref() else { return };
    e.sample(view);
    let new_layout = e.layout.is_none();
    if new_layout {
        e.layout = Some(layout::compute_for(e.mode, view));
    }
    let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    // Until the first layout the canvas has no size: read again until it has.
    if resized.replace(false) || size.0 == 0.0 {
        *size = (f64::from(canvas.client_width()), f64::from(canvas.client_height()));
    }
    let (css_w, css_h) = *size;
    let (px_w, px_h) = ((css_w * dpr) as u32, (css_h * dpr) as u32);
    if canvas.width() != px_w || canvas.height() != px_h {
        canvas.set_width(px_w);
        canvas.set_height(px_h);
    }
    let eng = &mut *e;
    let Some(l) = eng.layout.as_ref() else { return };
    // The links change only with the picture: drawn from this list and hit by the links' menu.
    if !fresh || new_layout {
        eng.links = super::canvas::draw::links(view, l);
    }
    let wide = css_w > NARROW_PX;
    let right = if eng.side_panel && wide { PANEL_WIDTH } else { 0.0 };
    // Narrow (a phone): the panel takes the lower 45 % unless collapsed; the timeline sits
    // above it.
    let below = match eng.side_panel && !wide && !eng.panel_collapsed {
        true => css_h * 0.45 + 66.0,
        false => TIMELINE_PX,
    };
    let left = eng.card.reserve(css_w);
    let usable_w = (css_w - right - left).max(css_w * 0.3);
    let fitted = *eng.camera.get_or_insert_with(|| {
        let mut c = fit(l, usable_w, css_h - below);
        c.x -= left / c.zoom;
        c
    });
    let mut camera = fitted;
    // A lesson step's focus: zoom to that component in the free part of the canvas.
    if let Some(Some(r)) = eng.focus.take().and_then(|id| l.boxes.get(id as usize)) {
        let zoom = (usable_w / (r.w * 3.0)).min(css_h / (r.h * 4.0)).clamp(0.5, 2.5);
        camera = Camera {
            x: r.x + r.w / 2.0 - (left + usable_w / 2.0) / zoom,
            y: r.y + r.h / 2.0 - css_h / 2.0 / zoom,
            zoom,
        };
        eng.camera = Some(camera);
    }
    let f = Frame {
        ctx,
        view,
        picture: *pictures,
        layout: l,
        trace: &eng.session.sim.trace,
        now: eng.session.sim.now(),
        speed: eng.speed,
        camera,
        css_w,
        css_h,
        dpr,
        reduced_motion,
        highlight: &eng.highlight,
        selected: eng.selected.as_ref(),
        links: &eng.links,
    };
    let hits = draw(&f, kept);
    eng.pod_hits = hits;
    // Paused, the clock shows microseconds: single steps are often that close together.
    let now = eng.session.sim.now();
    let clock = match eng.playing {
        true => format!("t = {now}"),
        false => format!("t = {}.{:06}s", now.0 / 1_000_000, now.0 % 1_000_000),
    };
    let census = l.tiles().then(|| Census::of(view));
    drop(e);
    if ui.clock.get_untracked() != clock {
        ui.clock.set(clock);
    }
    if ui.census.get_untracked() != census {
        ui.census.set(census);
    }
    if ui.position.get_untracked() != position {
        ui.position.set(position);
    }
    if ui.frames.get_untracked() == 0 {
        // Lets the end-to-end test measure navigation → first frame.
        if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
            let _ = perf.mark("kube-playground:first-frame");
        }
    }
    ui.frames.update(|n| *n += 1);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Advanced {
    Reached,
    /// The frame's budget ran out first.
    Budget,
    /// What was followed happened: stop there.
    Followed,
}

/// The page's clock, ms (None without the Performance API).
fn wall_ms() -> Option<f64> {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now())
}

/// Advances towards `target` for at most `budget_ms` of wall time, or until `follow`'s event
/// (then one event at a time, to stop right on it).
fn advance_within(
    session: &mut crate::scenario::session::Session,
    target: SimTime,
    budget_ms: f64,
    follow: Option<Follow>,
) -> Advanced {
    // The clock is read after every event: one call, about 0.1 µs against the 10 µs an event
    // takes at scale, and a frame overruns its budget by at most one event. (Slices of 25
    // events let a run of heavy events — a list handed to the controllers in batches — make a
    // 70 ms task.)
    let clock = web_sys::window().and_then(|w| w.performance()).map(|p| (p.now(), p));
    let slice = if clock.is_some() || follow.is_some() { 1 } else { EVENTS_WITHOUT_CLOCK };
    loop {
        let reached = session.advance(target, slice);
        if follow.is_some_and(|f| f.arrived(&session.sim)) {
            return Advanced::Followed;
        }
        if reached {
            return Advanced::Reached;
        }
        match &clock {
            Some((start, clock)) if clock.now() - start < budget_ms => {}
            _ => return Advanced::Budget,
        }
    }
}

/// A camera that shows the whole cluster in the canvas' free width.
pub fn fit(l: &Layout, usable_w: f64, visible_h: f64) -> Camera {
    // The toolbar's shadow above.
    let usable_h = visible_h - 56.0;
    let zoom = (usable_w / l.world.w).min(usable_h / l.world.h).clamp(MIN_ZOOM * 2.0, 3.0) * 0.96;
    Camera {
        x: l.world.x - (usable_w / zoom - l.world.w) / 2.0,
        y: l.world.y - 56.0 / zoom - (usable_h / zoom - l.world.h) / 2.0,
        zoom,
    }
}
