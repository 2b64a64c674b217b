//! The page: toolbar on top, the cluster canvas filling the window, the metrics chart (or the
//! scheduler panel) and the kubectl console in a side panel, the legend one click away.

use super::chart;
use super::components::apply_panel::ApplyPanel;
use super::components::console::{Console, ConsoleLine, LineKind};
use super::components::fault_menu::{FaultMenu, MenuAt};
use super::components::legend::Legend;
use super::components::requests_panel::{self, RequestsPanel};
use super::components::scheduler_panel::{self, PanelData, SchedulerPanel};
use super::components::toolbar::{step, toggle_play, Toolbar};
use super::components::Side;
use super::engine::{Engine, Shared};
use super::run_loop::{self, UiSignals};
use crate::scenario::Scenario;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

const WELCOME: &str = "A Kubernetes cluster is starting in your browser: etcd elects a leader, \
kubelets register their nodes. Try:\n  kubectl create deployment web --image=nginx --replicas=3\n  kubectl get pods -o wide\nType help for more.";

#[component]
pub fn App() -> impl IntoView {
    let hash = window().location().hash().unwrap_or_default();
    let (scenario, link_error) = match crate::scenario::fragment::apply(&hash, Scenario::default()) {
        Ok(s) => (s, None),
        Err(e) => (Scenario::default(), Some(e)),
    };
    let engine: Shared = match Engine::new(scenario) {
        Ok(mut e) => {
            // `&view=raft` opens the Raft view (the rest of the fragment is the scenario).
            if hash.split(['#', '&']).any(|p| p == "view=raft") {
                e.set_mode(super::canvas::layout::ViewMode::Raft);
            }
            Rc::new(RefCell::new(e))
        }
        Err(err) => return view! { <p class="fatal">{format!("error: {err}")}</p> }.into_any(),
    };
    if let Some(el) = document().get_element_by_id("loading") {
        el.remove();
    }
    let playing = RwSignal::new(true);
    let menu = RwSignal::new(None::<MenuAt>);
    let legend = RwSignal::new(false);
    // `&view=scheduler` and `&view=requests` open those panels.
    let view_is = |v: &str| hash.split(['#', '&']).any(|p| p.strip_prefix("view=") == Some(v));
    let side = RwSignal::new(if view_is("scheduler") {
        Side::Scheduler
    } else if view_is("requests") {
        Side::Requests
    } else {
        Side::Chart
    });
    let sched_data = RwSignal::new(PanelData::default());
    let requests_html = RwSignal::new(String::new());
    let sched_pick = RwSignal::new(None::<String>);
    let ui = UiSignals {
        clock: RwSignal::new("t = 0.000s".to_string()),
        console: RwSignal::new(
            std::iter::once(ConsoleLine::new(LineKind::Info, WELCOME))
                .chain(link_error.map(|e| ConsoleLine::new(LineKind::Error, &e)))
                .collect(),
        ),
        frames: RwSignal::new(0),
    };
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
    let chart_engine = engine.clone();
    // The chart and the scheduler or requests panel refresh twice a second, for the life of
    // the page.
    gloo_timers::callback::Interval::new(500, move || {
        let e = chart_engine.borrow();
        if let Some(c) = chart_ref.get_untracked() {
            chart::draw(c, &e.history);
        }
        match side.get_untracked() {
            Side::Scheduler => {
                let d = scheduler_panel::snapshot(&e.sim, sched_pick.get_untracked().as_deref());
                if d != sched_data.get_untracked() {
                    sched_data.set(d);
                }
            }
            Side::Requests => {
                let html = requests_panel::snapshot(&e.sim);
                if html != requests_html.get_untracked() {
                    requests_html.set(html);
                }
            }
            Side::Chart | Side::Apply => {}
        }
    })
    .forget();
    let key_engine = engine.clone();
    let _keys = window_event_listener(leptos::ev::keydown, move |ev| {
        let in_field = ev
            .target()
            .and_then(|t| leptos::wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(t).ok())
            .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"));
        if in_field {
            return;
        }
        match ev.key().as_str() {
            " " => {
                ev.prevent_default();
                toggle_play(&key_engine, playing);
            }
            "ArrowRight" => step(&key_engine, playing),
            _ => {}
        }
    });
    let (pan_down, pan_move, zoom_engine) = (engine.clone(), engine.clone(), engine.clone());
    let (pan_up, pan_leave, console_engine) = (engine.clone(), engine.clone(), engine.clone());
    let (menu_engine, hit_engine) = (engine.clone(), engine.clone());
    // The apply panel comes and goes; the engine waits for it in the (thread-local) arena.
    let apply_engine = StoredValue::new_local(engine.clone());
    view! {
        <Toolbar engine=engine playing=playing clock=ui.clock legend=legend side=side menu=menu />
        <main class="stage">
            <canvas
                class="cluster"
                data-testid="cluster-canvas"
                node_ref=canvas_ref
                on:mousedown=move |ev: web_sys::MouseEvent| {
                    if ev.button() == 0 {
                        menu.set(None);
                        pan_down.borrow_mut().drag = Some((f64::from(ev.client_x()), f64::from(ev.client_y())));
                    }
                }
                on:contextmenu=move |ev: web_sys::MouseEvent| {
                    ev.prevent_default();
                    let (x, y) = (f64::from(ev.offset_x()), f64::from(ev.offset_y()));
                    let hit = hit_engine.borrow().hit(x, y);
                    menu.set(hit.map(|id| MenuAt { x, y, id }));
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
                on:mouseup=move |_| pan_up.borrow_mut().drag = None
                on:mouseleave=move |_| pan_leave.borrow_mut().drag = None
                on:wheel=move |ev: web_sys::WheelEvent| {
                    ev.prevent_default();
                    let mut e = zoom_engine.borrow_mut();
                    if let Some(cam) = e.camera.as_mut() {
                        let (mx, my) = (f64::from(ev.offset_x()), f64::from(ev.offset_y()));
                        let (wx, wy) = (cam.x + mx / cam.zoom, cam.y + my / cam.zoom);
                        cam.zoom = (cam.zoom * (-ev.delta_y() * 0.0015).exp()).clamp(0.15, 6.0);
                        cam.x = wx - mx / cam.zoom;
                        cam.y = wy - my / cam.zoom;
                    }
                }
            ></canvas>
            <aside class="panel">
                <div class="chart-box" style:display=move || if side.get() == Side::Chart { "" } else { "none" }>
                    <div class="chart-title"><span class="k-pods">"● running pods"</span>" "<span class="k-rps">"● API requests/s"</span></div>
                    <canvas class="chart" node_ref=chart_ref></canvas>
                </div>
                <Show when=move || side.get() == Side::Scheduler>
                    <SchedulerPanel data=sched_data pick=sched_pick />
                </Show>
                <Show when=move || side.get() == Side::Requests>
                    <RequestsPanel html=requests_html />
                </Show>
                <Show when=move || side.get() == Side::Apply>
                    <ApplyPanel engine=apply_engine.get_value() console=ui.console />
                </Show>
                <Console engine=console_engine console=ui.console />
            </aside>
            <FaultMenu engine=menu_engine menu=menu />
            <Show when=move || legend.get()>
                <Legend />
            </Show>

        </main>
    }
    .into_any()
}
