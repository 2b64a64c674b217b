//! Play/pause, single step, speed, reset, the simulated clock, the side panels' toggles and
//! presenter mode; and the small play bar of an embedded playground.

use super::fault_menu::{FaultPicker, MenuAt};
use super::{thousands, Side};
use crate::ui::canvas::layout::ViewMode;
use crate::ui::engine::Shared;
use leptos::prelude::*;

pub const SPEEDS: [(f64, &str); 9] = [
    (0.01, "1/100×"),
    (0.1, "1/10×"),
    (0.25, "1/4×"),
    (0.5, "1/2×"),
    (1.0, "1×"),
    (2.0, "2×"),
    (5.0, "5×"),
    (10.0, "10×"),
    (100.0, "100×"),
];

/// Space toggles play, → steps one event: shared by the buttons and the keyboard.
pub fn toggle_play(engine: &Shared, playing: RwSignal<bool>) {
    let now = {
        let mut e = engine.borrow_mut();
        e.playing = !e.playing;
        e.playing
    };
    playing.set(now);
}

pub fn step(engine: &Shared, playing: RwSignal<bool>) {
    let mut e = engine.borrow_mut();
    e.playing = false;
    if let Some(t) = e.session.sim.next_event_time() {
        e.session.advance(t, 1);
    }
    e.target_us = e.session.sim.now().0 as f64;
    drop(e);
    playing.set(false);
}

#[component]
pub fn Toolbar(
    engine: Shared,
    playing: RwSignal<bool>,
    clock: RwSignal<String>,
    census: RwSignal<Option<crate::ui::run_loop::Census>>,
    legend: RwSignal<bool>,
    side: RwSignal<super::Side>,
    menu: RwSignal<Option<MenuAt>>,
    present: RwSignal<bool>,
    has_lesson: bool,
    view_mode: RwSignal<ViewMode>,
) -> impl IntoView {
    let initial_speed = engine.borrow().speed;
    let (e1, e2, e3, e5, e6) = (engine.clone(), engine.clone(), engine.clone(), engine.clone(), engine.clone());
    let e7 = StoredValue::new_local(engine.clone());
    let e4 = engine;
    let on_speed = move |ev: leptos::ev::Event| {
        if let Ok(s) = event_target_value(&ev).parse::<f64>() {
            e3.borrow_mut().speed = s;
        }
    };
    view! {
        <header class="toolbar">
            <strong class="brand">"Kube Playground"</strong>
            <button data-testid="play" title="Play / pause (space)" on:click=move |_| toggle_play(&e1, playing)>
                {move || if playing.get() { "❚❚ Pause" } else { "▶ Play" }}
            </button>
            <button data-testid="step" title="Step one event (→)" on:click=move |_| step(&e2, playing)>"Step ▸"</button>
            <label class="speed">"Speed "
                <select data-testid="speed" on:change=on_speed>
                    {SPEEDS.iter().map(|(v, label)| (*v, label.to_string()))
                        // A link's own speed (`&speed=3`) gets its option.
                        .chain(SPEEDS.iter().all(|(v, _)| *v != initial_speed).then(|| (initial_speed, format!("{initial_speed}×"))))
                        .map(|(v, label)| view! { <option value=v.to_string() selected=v == initial_speed>{label}</option> })
                        .collect_view()}
                </select>
            </label>
            <button data-testid="reset" title="Back to t = 0, without your commands and faults" on:click=move |_| {
                crate::ui::app::forget_saved();
                e4.borrow_mut().reset();
            }>"↺ Reset"</button>
            <select data-testid="view" aria-label="View" title="What the canvas shows" on:change=move |ev| {
                let mode = if event_target_value(&ev) == "raft" { ViewMode::Raft } else { ViewMode::Cluster };
                e6.borrow_mut().set_mode(mode);
                view_mode.set(mode);
            }>
                <option value="cluster" selected=move || view_mode.get() == ViewMode::Cluster>"Cluster view"</option>
                <option value="raft" selected=move || view_mode.get() == ViewMode::Raft>"Raft view"</option>
            </select>
            <span class="clock" data-testid="clock">{move || clock.get()}</span>
            {move || census.get().map(|c| view! {
                <span class="census" data-testid="census" data-running=c.running data-pods=c.pods
                    title="Worker nodes, pods, and pods Running">
                    <span>{format!("{} nodes", thousands(c.nodes))}</span>
                    <span>{format!("{}/{} pods Running", thousands(c.running), thousands(c.pods))}</span>
                </span>
            })}
            <FaultPicker engine=e5 menu=menu />
            {[
                (Side::Scheduler, "sched-toggle", "scheduler-toggle", "The scheduling queue and each attempt's Filter and Score results", "Scheduler"),
                (Side::Requests, "req-toggle", "requests-toggle", "kube-apiserver's last requests: who, what, the code, and the time in each stage", "Requests"),
                (Side::Network, "net-toggle", "network-toggle", "One connection's walk through a node's kube-proxy rules (iptables or IPVS), the matched rules highlighted", "Network"),
                (Side::Transports, "tr-toggle", "transports-toggle", "HTTP/1.0, 1.1, 2 and 3 loading the same responses over one link, side by side", "Transports"),
                (Side::Apply, "apply-toggle", "apply-toggle", "Apply manifests (JSON) as kubectl apply -f does", "Apply…"),
                (Side::Lessons, "lessons-toggle", "lessons-toggle", "Narrated lessons, one per topic", "Lessons"),
                (Side::Share, "share-toggle", "share-toggle", "A link that replays this session, and the code to embed it", "Share"),
            ]
                .into_iter()
                .map(|(panel, class, testid, title, label)| view! {
                    <button class=class data-testid=testid title=title aria-pressed=move || (side.get() == panel).to_string()
                        on:click=move |_| side.update(|s| *s = if *s == panel { Side::Chart } else { panel })>{label}</button>
                })
                .collect_view()}
            <button class="legend-toggle" data-testid="legend-toggle" on:click=move |_| legend.update(|l| *l = !*l)>"Legend"</button>
            <ThemeToggle />
            <Show when=move || has_lesson>
                <button data-testid="present" title="Presenter mode: large narration, ←/→ or a clicker for the steps, F for fullscreen, Esc to leave"
                    aria-pressed=move || present.get().to_string()
                    on:click=move |_| e7.with_value(|e| crate::ui::app::set_present(e, present, !present.get_untracked()))>"Present"</button>
            </Show>
        </header>
    }
}

/// Light or dark: the page's stylesheet and the canvas palette switch together.
#[component]
fn ThemeToggle() -> impl IntoView {
    let light = RwSignal::new(crate::ui::canvas::palette::is_light());
    view! {
        <button data-testid="theme-toggle" title="Light or dark theme" aria-pressed=move || light.get().to_string()
            on:click=move |_| {
                let now = !light.get_untracked();
                crate::ui::app::set_theme(now, true);
                light.set(now);
            }>{move || if light.get() { "◐ Dark" } else { "◐ Light" }}</button>
    }
}

/// An embedded playground's only controls: play/pause, the clock, and the way out to the
/// full page.
#[component]
pub fn EmbedBar(engine: Shared, playing: RwSignal<bool>, clock: RwSignal<String>, full_link: String) -> impl IntoView {
    view! {
        <footer class="embed-bar" data-testid="embed-bar">
            <button data-testid="play" title="Play / pause (space)" on:click=move |_| toggle_play(&engine, playing)>
                {move || if playing.get() { "❚❚" } else { "▶" }}
            </button>
            <span class="clock" data-testid="clock">{move || clock.get()}</span>
            <a href=full_link target="_blank" rel="noopener" data-testid="open-full">"Open in the full playground ↗"</a>
        </footer>
    }
}
