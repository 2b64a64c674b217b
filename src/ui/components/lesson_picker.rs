//! The built-in lessons, one card each with a thumbnail of its last moment, and the scale
//! presets; picking one opens it (`#preset=NAME`).

use crate::scenario::{presets, scale};
use leptos::prelude::*;

/// A new scenario: the page starts over with it.
fn open(ev: leptos::ev::MouseEvent, name: &str) {
    ev.prevent_default();
    let loc = window().location();
    let _ = loc.set_hash(&format!("preset={name}"));
    let _ = loc.reload();
}

#[component]
pub fn LessonPicker() -> impl IntoView {
    let cards = presets::lessons()
        .into_iter()
        .map(|(name, title, summary)| {
            view! {
                <li>
                    <a href=format!("#preset={name}") data-testid=format!("lesson-{name}") on:click=move |ev| open(ev, name)>
                        // Rendered by `make thumbnails`: the lesson's last moment.
                        <img src=format!("public/lessons/{name}.jpg") alt="" width="120" height="84" loading="lazy" />
                        <div>
                            <strong>{title}</strong>
                            <span>{summary}</span>
                        </div>
                    </a>
                </li>
            }
        })
        .collect_view();
    let large = scale::SHAPES
        .iter()
        .map(|s| {
            let name = s.name;
            view! {
                <li>
                    <a href=format!("#preset={name}") data-testid=format!("scale-{name}") on:click=move |ev| open(ev, name)>
                        <div>
                            <strong>{name}</strong>
                            <span>{s.summary}</span>
                        </div>
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="lesson-picker" data-testid="lesson-picker">
            <h3>"Lessons"</h3>
            <ul>{cards}</ul>
            <h3>"Large clusters"</h3>
            <p>"Every node, pod and request is simulated: at these sizes the cluster runs slower than real time, and the nodes are a heat map you can zoom into."</p>
            <ul>{large}</ul>
        </div>
    }
}
