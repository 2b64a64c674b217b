//! The built-in lessons, one card each with a thumbnail of its last moment; picking one
//! opens it (`#preset=NAME`).

use crate::scenario::presets;
use leptos::prelude::*;

#[component]
pub fn LessonPicker() -> impl IntoView {
    let cards = presets::lessons()
        .into_iter()
        .map(|(name, title, summary)| {
            view! {
                <li>
                    <a href=format!("#preset={name}") data-testid=format!("lesson-{name}") on:click=move |ev| {
                        ev.prevent_default();
                        // A new scenario: the page starts over with it.
                        let loc = window().location();
                        let _ = loc.set_hash(&format!("preset={name}"));
                        let _ = loc.reload();
                    }>
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
    view! {
        <div class="lesson-picker" data-testid="lesson-picker">
            <h3>"Lessons"</h3>
            <ul>{cards}</ul>
        </div>
    }
}
