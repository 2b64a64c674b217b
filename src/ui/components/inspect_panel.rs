//! The inspector: click a pod, a node or a component on the canvas to read it as `kubectl
//! describe` would (or, for a component, its live state and latest activity). Refreshed
//! four times a second while it is open.

use super::Side;
use leptos::prelude::*;

#[component]
pub fn InspectPanel(title: RwSignal<String>, text: RwSignal<String>, side: RwSignal<Side>) -> impl IntoView {
    view! {
        <div class="inspect-panel" data-testid="inspect-panel">
            <h3>
                {move || title.get()}
                <button class="close" title="Close the inspector" aria-label="Close"
                    on:click=move |_| side.set(Side::Chart)>"×"</button>
            </h3>
            <pre data-testid="inspect-text">{move || text.get()}</pre>
        </div>
    }
}
