//! The page: toolbar on top, the cluster canvas filling the window, a side panel (metrics
//! chart, scheduler, requests, apply, lessons or share) above the kubectl console, a lesson's
//! narration card over the canvas. `&embed` keeps only the canvas and a play bar; presenter
//! mode keeps the canvas and a large narration card.
//!
//! The URL fragment says what to open (see [`crate::scenario::link`]); without one, the last
//! session comes back from localStorage.

use super::chart;
use super::components::apply_panel::ApplyPanel;
use super::components::console::{Console, ConsoleLine, LineKind};
use super::components::edit_panel::{self, EditPanel};
use super::components::fault_menu::{FaultMenu, MenuAt};
use super::components::inspect_panel::InspectPanel;
use super::components::legend::Legend;
use super::components::lesson_panel::{self, LessonAt, LessonPanel};
use super::components::lesson_picker::LessonPicker;
use super::components::metrics_panel::{self, MetricsPanel};
use super::components::network_panel::{self, NetworkPanel};
use super::components::requests_panel::{self, RequestsPanel};
use super::components::scheduler_panel::{self, PanelData, SchedulerPanel};
use super::components::share_panel::SharePanel;
use super::components::timeline_bar::TimelineBar;
use super::components::toolbar::{step, toggle_play, EmbedBar, Toolbar};
use super::components::transport_panel::{self, TransportPanel};
use super::components::Side;
use super::engine::{Card, Engine, Shared, MAX_ZOOM};
use super::run_loop::{self, UiSignals};
use crate::scenario::lesson::Step;
use crate::scenario::link::{self, Opened};
use crate::scenario::Scenario;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

const WELCOME: &str = "A Kubernetes cluster is starting in your browser: etcd elects a leader, \
kubelets register their nodes. Try:\n  kubectl create deployment web --image=nginx --replicas=3\n  kubectl get pods -o wide\nClick a pod, node or component to inspect it. Type help for more, or open Lessons.";

/// Where the session is saved between visits.
const SAVE_KEY: &str = "kube-playground:session";
/// Save every this many ticks of the quarter-second timer.
const SAVE_EVERY_TICKS: u32 = 8;

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

/// Where the chosen theme is kept.
const THEME_KEY: &str = "kube-playground:theme";

/// The theme to open with: the one chosen before, else the system's preference.
fn initial_light() -> bool {
    match storage().and_then(|s| s.get_item(THEME_KEY).ok().flatten()).as_deref() {
        Some("light") => true,
        Some(_) => false,
        None => window().match_media("(prefers-color-scheme: light)").ok().flatten().is_some_and(|m| m.matches()),
    }
}

/// Switches the theme: the canvas palette, the stylesheet's `light` class, and the choice kept.
pub fn set_theme(light: bool, remember: bool) {
    super::canvas::palette::set_light(light);
    if let Some(root) = document().document_element() {
        let _ = if light { root.class_list().add_1("light") } else { root.class_list().remove_1("light") };
    }
    if let (true, Some(s)) = (remember, storage()) {
        let _ = s.set_item(THEME_KEY, if light { "light" } else { "dark" });
    }
}

/// Reset starts clean: the saved session goes too.
pub fn forget_saved() {
    if let Some(s) = storage() {
        let _ = s.remove_item(SAVE_KEY);
    }
}

/// What to open: the link, or without one the saved session. Returns it, an error to show,
/// and whether it was restored.
fn open_page(hash: &str) -> (Opened, Option<String>, bool) {
    let saved = if hash.trim_start_matches('#').is_empty() {
        storage().and_then(|s| s.get_item(SAVE_KEY).ok().flatten())
    } else {
        None
    };
    match link::open(saved.as_deref().unwrap_or(hash)) {
        Ok(o) => (o, None, saved.is_some()),
        Err(e) => {
            if saved.is_some() {
                // A saved session this build cannot read: start clean rather than fail again.
                forget_saved();
            }
            (Opened::default(), Some(e), false)
        }
    }
}

#[component]
pub fn App() -> impl IntoView {
    let hash = window().location().hash().unwrap_or_default();
    let (opened, link_error, restored) = open_page(&hash);
    let show = opened.show.clone();
    // A link's theme (an embed matching its page) is shown, not remembered.
    set_theme(show.light.unwrap_or_else(initial_light), false);
    let mut engine = match Engine::new(opened.scenario.clone()) {
        Ok(e) => e,
        Err(err) => return view! { <p class="fatal" role="alert">{format!("error: {err}")}</p> }.into_any(),
    };
    if restored {
        // Reset starts clean, not from the saved actions.
        engine.fresh = Scenario { actions: vec![], ..opened.scenario.clone() };
    }
    if let Some(s) = show.speed {
        engine.speed = s;
    }
    if show.view.as_deref() == Some("raft") {
        engine.set_mode(super::canvas::layout::ViewMode::Raft);
    }
    let present = RwSignal::new(show.present);
    engine.side_panel = !show.embed && !show.present;
    if engine.session.scenario.lesson.is_some() {
        engine.card = match (show.embed, show.present) {
            (true, _) => Card::Embedded,
            (false, true) => Card::Present,
            (false, false) => Card::None,
        };
    }
    let view_mode = RwSignal::new(engine.mode);
    // A link's moment opens paused (look first), an embed waits for a click: unless &autoplay.
    let play = if show.embed || opened.at.is_some() { show.autoplay } else { true };
    engine.playing = play && opened.at.is_none();
    if let Some(at) = opened.at {
        engine.seek = Some((at, play));
    }
    let lesson = engine.session.scenario.lesson.clone();
    let engine: Shared = Rc::new(RefCell::new(engine));
    if let Some(el) = document().get_element_by_id("loading") {
        el.remove();
    }
    let playing = RwSignal::new(engine.borrow().playing);
    let menu = RwSignal::new(None::<MenuAt>);
    let legend = RwSignal::new(false);
    let side = RwSignal::new(match show.view.as_deref() {
        Some("scheduler") => Side::Scheduler,
        Some("requests") => Side::Requests,
        Some("network") => Side::Network,
        Some("transports") => Side::Transports,
        // The chart, the SLIs and the Prometheus tab.
        _ => Side::Chart,
    });
    let sched_data = RwSignal::new(PanelData::default());
    let requests_html = RwSignal::new(String::new());
    let network_html = RwSignal::new(String::new());
    let connections_html = RwSignal::new(String::new());
    // Under the chart: the SLIs and the Prometheus tab.
    let slis_html = RwSignal::new(String::new());
    let chart_series = RwSignal::new(0usize);
    let scrape_targets = RwSignal::new(metrics_panel::Targets::default());
    let scrape_target = RwSignal::new("kube-apiserver".to_string());
    let exposition = RwSignal::new(String::new());
    let sched_pick = RwSignal::new(None::<String>);
    let lesson_at = RwSignal::new(LessonAt::default());
    // The inspector: what was clicked, and its text as of the last refresh.
    let inspected = RwSignal::new(None::<crate::kubectl::inspect::Target>);
    let inspect_title = RwSignal::new(String::new());
    let inspect_text = RwSignal::new(String::new());
    let error = RwSignal::new(link_error.clone());
    let mut greeting = vec![ConsoleLine::new(LineKind::Info, WELCOME)];
    greeting.extend(link_error.map(|e| ConsoleLine::new(LineKind::Error, &e)));
    if restored {
        greeting.push(ConsoleLine::new(
            LineKind::Info,
            "Your last session is back: its commands and faults replay up to where you left. ↺ Reset starts clean.",
        ));
    }
    let ui = UiSignals {
        clock: RwSignal::new("t = 0.000s".to_string()),
        census: RwSignal::new(None),
        console: RwSignal::new(greeting),
        frames: RwSignal::new(0),
        playing,
        position: RwSignal::new(Default::default()),
        marks: RwSignal::new(String::new()),
    };
    let collapsed = RwSignal::new(false);
    let editing = RwSignal::new(None);
    edit_panel::follow_console(ui.console, editing, side);
    let canvas_ref = NodeRef::<leptos::html::Canvas>::new();
    let chart_ref = NodeRef::<leptos::html::Canvas>::new();
    let loop_engine = engine.clone();
    Effect::new(move |started: Option<bool>| {
        if started == Some(true) {
            return true;
        }
        match canvas_ref.get() {
            Some(canvas) => {
                run_loop::start(loop_engine.clone(), canvas, ui);
                true
            }
            None => false,
        }
    });
    let tick_engine = engine.clone();
    let mut ticks = 0u32;
    let mut shown_step = None::<usize>;
    // How many components the Prometheus tab's target list was made for.
    let mut scrape_targets_of = 0usize;
    let autosave = !show.embed;
    // Four times a second (the charts' limit), for the life of the page: the chart and side
    // panels — the requests in flight keep in step with the animation — the lesson's state,
    // and now and then the autosave.
    gloo_timers::callback::Interval::new(250, move || {
        ticks = ticks.wrapping_add(1);
        let mut e = tick_engine.borrow_mut();
        if let Some(c) = chart_ref.get_untracked() {
            chart::draw(c, &e.history, chart_series.get_untracked());
        }
        match side.get_untracked() {
            Side::Chart => {
                let html = metrics_panel::slis_html(e.slis());
                let sim = &e.session.sim;
                if html != slis_html.get_untracked() {
                    slis_html.set(html);
                }
                // The targets change only with the cluster (a reset or another preset).
                if scrape_targets_of != sim.infos.len() {
                    scrape_targets_of = sim.infos.len();
                    scrape_targets.set(metrics_panel::Targets::of(sim));
                }
                let text = scrape_target.with_untracked(|t| metrics_panel::exposition(sim, t));
                if text != exposition.get_untracked() {
                    exposition.set(text);
                }
            }
            Side::Scheduler => {
                let d = scheduler_panel::snapshot(&e.session.sim, sched_pick.get_untracked().as_deref());
                if d != sched_data.get_untracked() {
                    sched_data.set(d);
                }
            }
            Side::Requests => {
                let html = requests_panel::snapshot(&e.session.sim);
                if html != requests_html.get_untracked() {
                    requests_html.set(html);
                }
            }
            Side::Network => {
                let html = network_panel::snapshot(&e.session.sim);
                if html != network_html.get_untracked() {
                    network_html.set(html);
                }
            }
            Side::Transports => {
                let html = transport_panel::cluster_html(&e.session.sim);
                if html != connections_html.get_untracked() {
                    connections_html.set(html);
                }
            }
            Side::Inspect => {
                if let Some(target) = inspected.get_untracked() {
                    let (title, text) = crate::kubectl::inspect::inspect(&e.session.sim, &target);
                    if text != inspect_text.get_untracked() {
                        inspect_title.set(title);
                        inspect_text.set(text);
                    }
                }
            }
            _ => {}
        }
        if side.get_untracked() != Side::Inspect {
            e.selected = None;
        }
        if e.session.scenario.lesson.is_some() {
            let step = e.session.lesson_step().map(|(n, s)| (n, s.clone()));
            let at = LessonAt {
                step: step.as_ref().map(|s| s.0),
                done: e.session.step_done(),
                busy: e.seek.is_some(),
                can_start: step.is_none() && e.session.can_start(),
            };
            if at != lesson_at.get_untracked() {
                lesson_at.set(at);
            }
            if let Some((n, s)) = step.filter(|(n, _)| Some(*n) != shown_step) {
                shown_step = Some(n);
                show_step(&mut e, &s, side);
                view_mode.set(e.mode);
            }
        }
        if autosave && ticks.is_multiple_of(SAVE_EVERY_TICKS) && e.seek.is_none() {
            if let Some(s) = storage() {
                let _ = s.set_item(SAVE_KEY, &link::share(&e.session.shared(), e.session.sim.now()));
            }
        }
    })
    .forget();
    let steps = lesson.as_ref().map_or(0, |l| l.steps.len());
    let key_engine = engine.clone();
    // Another link pasted into this tab changes only the fragment: open it as a new page.
    let _links = window_event_listener(leptos::ev::hashchange, |_| {
        let _ = window().location().reload();
    });
    let _keys = window_event_listener(leptos::ev::keydown, move |ev| {
        let in_field = ev
            .target()
            .and_then(|t| leptos::wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(t).ok())
            .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"));
        if in_field {
            return;
        }
        let lessons_keys = steps > 0 && (present.get_untracked() || ev.key().starts_with("Page"));
        match ev.key().as_str() {
            " " => {
                ev.prevent_default();
                toggle_play(&key_engine, playing);
            }
            "ArrowRight" | "PageDown" if lessons_keys => {
                ev.prevent_default();
                lesson_panel::next(&key_engine, steps);
            }
            "ArrowLeft" | "PageUp" if lessons_keys => {
                ev.prevent_default();
                lesson_panel::back(&key_engine, ui.console);
            }
            "ArrowRight" => step(&key_engine, playing),
            "Escape" if present.get_untracked() => set_present(&key_engine, present, false),
            "f" if present.get_untracked() => {
                if let Some(root) = document().document_element() {
                    let _ = root.request_fullscreen();
                }
            }
            _ => {}
        }
    });
    let (pan_down, pan_move, zoom_engine) = (engine.clone(), engine.clone(), engine.clone());
    let (touch_start, touch_move, touch_end) = (engine.clone(), engine.clone(), engine.clone());
    let (pan_up, pan_leave) = (engine.clone(), engine.clone());
    let (menu_engine, hit_engine, click_engine) = (engine.clone(), engine.clone(), engine.clone());
    // Panels that come and go find the engine in the (thread-local) arena.
    let stored = StoredValue::new_local(engine.clone());
    let full_link = full_playground_link(&hash);
    // The narration: in the side panel on the full page, over the canvas when embedded or
    // presenting (the stylesheet places it). Both follow the same state.
    let lesson_data = StoredValue::new(lesson.clone());
    let card = move || {
        lesson_data
            .get_value()
            .map(|l| view! { <LessonPanel engine=stored.get_value() lesson=l at=lesson_at console=ui.console /> })
    };
    let top = if show.embed {
        view! { <EmbedBar engine=engine playing=playing clock=ui.clock full_link=full_link /> }.into_any()
    } else {
        view! {
            <Toolbar engine=engine playing=playing clock=ui.clock census=ui.census legend=legend side=side menu=menu present=present
                has_lesson=lesson.is_some() view_mode=view_mode />
        }
        .into_any()
    };
    view! {
        {top}
        <main class="stage" class:embed=show.embed class:present=move || present.get()>
            <canvas
                class="cluster"
                data-testid="cluster-canvas"
                node_ref=canvas_ref
                on:mousedown=move |ev: web_sys::MouseEvent| {
                    if ev.button() == 0 {
                        menu.set(None);
                        let at = (f64::from(ev.client_x()), f64::from(ev.client_y()));
                        let mut e = pan_down.borrow_mut();
                        e.drag = Some(at);
                        e.press = Some(at);
                    }
                }
                on:click=move |ev: web_sys::MouseEvent| {
                    // A click, not the end of a pan: inspect what is under the pointer.
                    let mut e = click_engine.borrow_mut();
                    let moved = e.press.take().is_some_and(|(x, y)| {
                        (f64::from(ev.client_x()) - x).abs() + (f64::from(ev.client_y()) - y).abs() > 4.0
                    });
                    if moved {
                        return;
                    }
                    if let Some(target) = e.pick(f64::from(ev.offset_x()), f64::from(ev.offset_y())) {
                        let (title, text) = crate::kubectl::inspect::inspect(&e.session.sim, &target);
                        inspect_title.set(title);
                        inspect_text.set(text);
                        e.selected = Some(target.clone());
                        inspected.set(Some(target));
                        side.set(Side::Inspect);
                    }
                }
                on:contextmenu=move |ev: web_sys::MouseEvent| {
                    ev.prevent_default();
                    let (x, y) = (f64::from(ev.offset_x()), f64::from(ev.offset_y()));
                    let e = hit_engine.borrow();
                    let on_box = e.hit(x, y).map(|id| MenuAt { x, y, id, peer: None });
                    let on_link = || e.link_at(x, y).map(|(id, peer)| MenuAt { x, y, id, peer: Some(peer) });
                    menu.set(on_box.or_else(on_link));
                }
                on:mousemove=move |ev: web_sys::MouseEvent| {
                    let mut e = pan_move.borrow_mut();
                    if let (Some((x, y)), Some(cam)) = (e.drag, e.camera.as_mut()) {
                        let (nx, ny) = (f64::from(ev.client_x()), f64::from(ev.client_y()));
                        cam.x -= (nx - x) / cam.zoom;
                        cam.y -= (ny - y) / cam.zoom;
                        e.drag = Some((nx, ny));
                    }
                }
                on:touchstart=move |ev: web_sys::TouchEvent| touch_start.borrow_mut().touch(touch_points(&ev), false)
                on:touchmove=move |ev: web_sys::TouchEvent| {
                    ev.prevent_default();
                    touch_move.borrow_mut().touch(touch_points(&ev), true);
                }
                on:touchend=move |ev: web_sys::TouchEvent| touch_end.borrow_mut().touch(touch_points(&ev), false)
                on:mouseup=move |_| pan_up.borrow_mut().drag = None
                on:mouseleave=move |_| pan_leave.borrow_mut().drag = None
                on:wheel=move |ev: web_sys::WheelEvent| {
                    ev.prevent_default();
                    let mut e = zoom_engine.borrow_mut();
                    if let Some(cam) = e.camera.as_mut() {
                        let (mx, my) = (f64::from(ev.offset_x()), f64::from(ev.offset_y()));
                        let (wx, wy) = (cam.x + mx / cam.zoom, cam.y + my / cam.zoom);
                        cam.zoom = (cam.zoom * (-ev.delta_y() * 0.0015).exp()).clamp(crate::ui::engine::MIN_ZOOM, MAX_ZOOM);
                        cam.x = wx - mx / cam.zoom;
                        cam.y = wy - my / cam.zoom;
                    }
                }
            ></canvas>
            <Show when=move || !show.embed && !present.get()>
                <button class="panel-toggle" data-testid="panel-toggle" aria-expanded=move || (!collapsed.get()).to_string()
                    title="Show or fold away the panel (narrow screens)"
                    on:click=move |_| {
                        let now = !collapsed.get_untracked();
                        collapsed.set(now);
                        stored.with_value(|e| {
                            let mut e = e.borrow_mut();
                            e.panel_collapsed = now;
                            // Refit the picture to the space it has now.
                            e.camera = None;
                        });
                    }>{move || if collapsed.get() { "▴ Console" } else { "▾ Hide" }}</button>
                <aside class="panel" class:collapsed=move || collapsed.get()>
                    {card}
                    <div class="chart-box" style:display=move || if side.get() == Side::Chart { "" } else { "none" }>
                        <div class="chart-title"><span class="k-pods">"● running pods"</span>" "<span class="k-rps">"● "</span>
                            <select class="series-pick" data-testid="chart-series" aria-label="second chart line"
                                on:change=move |ev| chart_series.set(event_target_value(&ev).parse().unwrap_or(0))>
                                {chart::SERIES.iter().enumerate().map(|(i, (name, _))| view! { <option value=i.to_string()>{*name}</option> }).collect::<Vec<_>>()}
                            </select>
                        </div>
                        <canvas class="chart" node_ref=chart_ref></canvas>
                        <MetricsPanel slis=slis_html targets=scrape_targets target=scrape_target text=exposition />
                    </div>
                    <Show when=move || side.get() == Side::Scheduler>
                        <SchedulerPanel data=sched_data pick=sched_pick />
                    </Show>
                    <Show when=move || side.get() == Side::Requests>
                        <RequestsPanel engine=stored.get_value() html=requests_html playing=playing />
                    </Show>
                    <Show when=move || side.get() == Side::Network>
                        <NetworkPanel engine=stored.get_value() html=network_html playing=playing />
                    </Show>
                    <Show when=move || side.get() == Side::Transports>
                        <TransportPanel cluster=connections_html />
                    </Show>
                    <Show when=move || side.get() == Side::Apply>
                        <ApplyPanel engine=stored.get_value() console=ui.console />
                    </Show>
                    <Show when=move || side.get() == Side::Edit>
                        <EditPanel engine=stored.get_value() editing=editing side=side console=ui.console />
                    </Show>
                    <Show when=move || side.get() == Side::Lessons>
                        <LessonPicker />
                    </Show>
                    <Show when=move || side.get() == Side::Inspect>
                        <InspectPanel title=inspect_title text=inspect_text side=side />
                    </Show>
                    <Show when=move || side.get() == Side::Share>
                        <SharePanel engine=stored.get_value() />
                    </Show>
                    <Console engine=stored.get_value() console=ui.console />
                </aside>
            </Show>
            <Show when=move || show.embed || present.get()>
                {card}
            </Show>
            <Show when=move || !show.embed>
                <TimelineBar engine=stored.get_value() position=ui.position marks=ui.marks playing=playing />
            </Show>
            <FaultMenu engine=menu_engine menu=menu />
            <Show when=move || legend.get()>
                <Legend />
            </Show>
            {move || error.get().map(|e| view! {
                <div class="link-error" role="alert" data-testid="link-error">
                    <h2>"This link could not be opened"</h2>
                    <p>{e}</p>
                    <p class="hint">"Below is an empty playground with the default cluster."</p>
                    <button on:click=move |_| error.set(None)>"Open the empty playground"</button>
                </div>
            })}
        </main>
    }
    .into_any()
}

/// Applies a lesson step's picture: its view, the camera's focus, the highlighted components.
fn show_step(e: &mut Engine, step: &Step, side: RwSignal<Side>) {
    use super::canvas::layout::ViewMode;
    let mode = if step.view.as_deref() == Some("raft") { ViewMode::Raft } else { ViewMode::Cluster };
    if mode != e.mode {
        e.set_mode(mode);
    }
    match step.view.as_deref() {
        Some("scheduler") => side.set(Side::Scheduler),
        Some("requests") => side.set(Side::Requests),
        Some("network") => side.set(Side::Network),
        Some("transports") => side.set(Side::Transports),
        _ => {}
    }
    let sim = &e.session.sim;
    e.focus = step.focus.as_deref().and_then(|n| sim.component_by_name(n));
    e.highlight = step.highlight.iter().filter_map(|n| sim.component_by_name(n)).collect();
}

/// Presenter mode: the canvas and a large narration card; the console steps aside.
pub fn set_present(engine: &Shared, present: RwSignal<bool>, on: bool) {
    let mut e = engine.borrow_mut();
    e.side_panel = !on;
    if e.session.scenario.lesson.is_some() {
        e.card = if on { Card::Present } else { Card::None };
    }
    e.camera = None;
    drop(e);
    present.set(on);
    if !on && document().fullscreen_element().is_some() {
        document().exit_fullscreen();
    }
}

/// The embed's "open in the full playground" link: the same fragment without the embed keys.
fn full_playground_link(hash: &str) -> String {
    let kept: Vec<&str> = hash
        .trim_start_matches('#')
        .split('&')
        .filter(|p| !p.is_empty() && !matches!(p.split('=').next(), Some("embed" | "autoplay")))
        .collect();
    let base = window().location().href().unwrap_or_default();
    format!("{}#{}", base.split('#').next().unwrap_or_default(), kept.join("&"))
}

/// The fingers on the canvas, in CSS px from its corner.
fn touch_points(ev: &web_sys::TouchEvent) -> Vec<(f64, f64)> {
    use leptos::wasm_bindgen::JsCast;
    let origin = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .map(|el| el.get_bounding_client_rect())
        .map_or((0.0, 0.0), |r| (r.left(), r.top()));
    let list = ev.touches();
    (0..list.length())
        .filter_map(|i| list.get(i))
        .map(|t| (f64::from(t.client_x()) - origin.0, f64::from(t.client_y()) - origin.1))
        .collect()
}
