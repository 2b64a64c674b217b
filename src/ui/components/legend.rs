//! The legend: what each colour means (roles and message kinds), one click away.

use crate::sim::component::Role;
use crate::sim::event::MsgKind;
use crate::ui::canvas::palette;
use leptos::prelude::*;

#[component]
pub fn Legend() -> impl IntoView {
    view! {
        <div class="legend" data-testid="legend">
            <h3>"Components"</h3>
            <ul>
                {Role::ALL.iter().map(|r| view! {
                    <li><span class="swatch box" style=format!("border-color:{}", palette::role(*r))></span>{r.label()}</li>
                }).collect_view()}
                <li><span class="swatch box" style=format!("background:{}", palette::POD)></span>"pod (R running, … starting, ↓ pulling, T terminating, ✓ completed, ! crashing)"</li>
            </ul>
            <h3>"Messages"</h3>
            <ul>
                {MsgKind::ALL.iter().map(|k| view! {
                    <li><span class="swatch dot" style=format!("background:{}", palette::message(*k))></span>{k.label()}</li>
                }).collect_view()}
            </ul>
            <p class="note">"Dots take at least 0.45 s to cross, so sub-millisecond hops stay visible."</p>
        </div>
    }
}
