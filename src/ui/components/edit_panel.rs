//! `kubectl edit`'s editor: the object's YAML under kubectl's header in a text area. Save
//! records the edit as an action (`Do::Edit`), so a share link replays it; the apiserver's
//! refusal reopens the editor with the failures as comments, as kubectl does.

use super::console::{append, said_lines, ConsoleLine, LineKind};
use super::Side;
use crate::scenario::action::Do;
use crate::ui::engine::Shared;
use leptos::prelude::*;

/// What is being edited: the target (`TYPE/NAME -n NS`) and the editor's text.
pub type Editing = Option<(String, String)>;

/// Opens the editor on the newest editor text the console received (once per text).
pub fn follow_console(console: RwSignal<Vec<ConsoleLine>>, editing: RwSignal<Editing>, side: RwSignal<Side>) {
    Effect::new(move |seen: Option<u64>| {
        let seen = seen.unwrap_or(0);
        let latest =
            console.with(|c| c.iter().rev().find(|l| l.kind == LineKind::Editor).map(|l| (l.id, l.text.clone())));
        match latest {
            Some((id, text)) if id > seen => {
                if let Some(target) = crate::kubectl::edit::target(&text) {
                    editing.set(Some((target, text)));
                    side.set(Side::Edit);
                }
                id
            }
            _ => seen,
        }
    });
}

#[component]
pub fn EditPanel(
    engine: Shared,
    editing: RwSignal<Editing>,
    side: RwSignal<Side>,
    console: RwSignal<Vec<ConsoleLine>>,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some((_, t)) = editing.get() {
            text.set(t);
        }
    });
    let close = move || {
        editing.set(None);
        side.set(Side::Chart);
    };
    let save = move |_| {
        let Some((target, _)) = editing.get_untracked() else { return };
        let mut e = engine.borrow_mut();
        e.act(Do::Edit { target, text: text.get_untracked() });
        let out = said_lines(e.session.take_said());
        drop(e);
        append(console, out);
        close();
    };
    let cancel = move |_| {
        append(console, vec![ConsoleLine::new(LineKind::Info, "Edit cancelled, no changes made.")]);
        close();
    };
    view! {
        <div class="apply-panel edit-panel" data-testid="edit-panel">
            <h3>{move || format!("kubectl edit {}", editing.get().map(|(t, _)| t).unwrap_or_default())}</h3>
            <textarea aria-label="The object to edit (YAML)" spellcheck="false" data-testid="edit-text"
                prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            <div class="net-actions">
                <button data-testid="edit-save" on:click=save>"Save (patch it)"</button>
                <button data-testid="edit-cancel" on:click=cancel>"Cancel"</button>
            </div>
        </div>
    }
}
