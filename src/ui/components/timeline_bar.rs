//! The scrubber under the canvas: simulated time from 0 to the farthest moment reached on
//! this branch of history, with markers (leader changes, faults, pod failures, nodes going
//! NotReady). Dragging or clicking a marker goes to that moment (`Engine::scrub`); acting
//! there forks the history. The markers are one HTML string (bundle size).

use super::scheduler_panel::esc;
use crate::sim::marks::MarkKind;
use crate::sim::time::SimTime;
use crate::ui::engine::{Engine, Shared};
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

/// What the bar shows besides the markers: now and the horizon (µs), and the trace hash at
/// now (the end-to-end test compares states by it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    pub now: u64,
    pub horizon: u64,
    pub hash: u64,
}

impl Position {
    pub fn of(e: &Engine) -> Position {
        Position { now: e.session.sim.now().0, horizon: e.timeline.horizon().0, hash: e.session.sim.trace.hash() }
    }
}

/// The markers as HTML, placed by their share of the horizon.
pub fn marks_html(e: &Engine) -> String {
    let horizon = e.timeline.horizon().0.max(1) as f64;
    let mut out = String::new();
    for m in e.timeline.marks() {
        let who = e.session.sim.infos.get(m.component as usize).map_or("?", |i| i.name.as_str());
        let class = match m.kind {
            MarkKind::Leader => "leader",
            MarkKind::Fault => "fault",
            MarkKind::PodFailure => "pod",
            MarkKind::NodeNotReady => "node",
        };
        out.push_str(&format!(
            "<span class=\"mk mk-{class}\" style=\"left:{:.2}%\" data-at=\"{}\" title=\"t = {} · {}: {} {}\"></span>",
            m.at.0 as f64 / horizon * 100.0,
            m.at.0,
            m.at,
            m.kind.name(),
            esc(who),
            esc(&m.detail),
        ));
    }
    out
}

#[component]
pub fn TimelineBar(
    engine: Shared,
    position: RwSignal<Position>,
    marks: RwSignal<String>,
    playing: RwSignal<bool>,
) -> impl IntoView {
    let go = move |engine: &Shared, at: SimTime| {
        let mut e = engine.borrow_mut();
        e.playing = false;
        e.scrub_to = Some(at);
        drop(e);
        playing.set(false);
    };
    let (e1, e2, e3) = (engine.clone(), engine.clone(), engine);
    let on_input = move |ev: leptos::ev::Event| {
        if let Ok(ms) = event_target_value(&ev).parse::<f64>() {
            go(&e1, SimTime((ms.max(0.0) * 1000.0) as u64));
        }
    };
    let on_mark = move |ev: leptos::ev::MouseEvent| {
        let at = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.get_attribute("data-at"))
            .and_then(|a| a.parse::<u64>().ok());
        if let Some(at) = at {
            go(&e2, SimTime(at));
        }
    };
    let behind = move || {
        let p = position.get();
        p.now < p.horizon
    };
    view! {
        <div class="timeline" data-testid="timeline" data-hash=move || format!("{:016x}", position.get().hash)
            data-now=move || position.get().now.to_string() data-horizon=move || position.get().horizon.to_string()>
            <span class="tl-end">"0 s"</span>
            <div class="tl-track">
                <div class="tl-marks" data-testid="timeline-marks" inner_html=move || marks.get() on:click=on_mark
                    title="Markers: leader (green), fault (red), pod failure (orange), node NotReady (purple)"></div>
                <input type="range" data-testid="scrubber" aria-label="Simulated time (ms): drag back to replay an earlier moment"
                    min="0" step="100"
                    prop:max=move || (position.get().horizon / 1000).to_string()
                    prop:value=move || (position.get().now / 1000).to_string()
                    on:input=on_input />
            </div>
            <span class="tl-end" title="The farthest moment this history has reached">{move || format!("{}", SimTime(position.get().horizon))}</span>
            <button data-testid="live" title="Back to the farthest moment reached" disabled=move || !behind()
                on:click=move |_| go(&e3, SimTime(position.get_untracked().horizon))>"Latest ▸▸"</button>
        </div>
    }
}
