//! Share: a link that replays everything done so far and opens at this moment, and the
//! `<iframe>` code that embeds it in a blog post. Both are made afresh on every copy, so a
//! panel left open never hands out a stale moment.

use crate::scenario::link;
use crate::ui::engine::Shared;
use leptos::prelude::*;

/// The page's address without its fragment.
fn base() -> String {
    let href = window().location().href().unwrap_or_default();
    href.split('#').next().unwrap_or_default().to_string()
}

fn copy(text: &str) {
    // Clipboard access can be refused (permissions, insecure origin): the text stays in the field.
    let _ = window().navigator().clipboard().write_text(text);
}

/// The share link and the embed code for the session as it is now.
fn make(engine: &Shared) -> (String, String) {
    let e = engine.borrow();
    let url = format!("{}#{}", base(), link::share(&e.session.shared(), e.session.sim.now()));
    let title = e.session.scenario.lesson.as_ref().map_or("a Kubernetes cluster".to_string(), |l| l.title.clone());
    let embed = format!(
        "<iframe src=\"{url}&embed\" width=\"800\" height=\"500\" loading=\"lazy\" title=\"Kube Playground: {}\"></iframe>",
        title.replace('"', "&quot;")
    );
    (url, embed)
}

#[component]
pub fn SharePanel(engine: Shared) -> impl IntoView {
    let (url, embed) = make(&engine);
    let (url, embed) = (RwSignal::new(url), RwSignal::new(embed));
    let engine = StoredValue::new_local(engine);
    let refresh = move || {
        let (u, e) = engine.with_value(make);
        url.set(u);
        embed.set(e);
    };
    view! {
        <div class="share-panel" data-testid="share-panel">
            <h3>"Share this cluster"</h3>
            <p class="hint">
                {move || format!("The link replays everything done so far and opens at this moment ({} characters).", url.get().len())}
            </p>
            <div class="copy-row">
                <input readonly data-testid="share-link" aria-label="Share link" prop:value=move || url.get() on:focus=|ev| select(&ev) />
                <button data-testid="copy-link" on:click=move |_| {
                    refresh();
                    copy(&url.get_untracked());
                }>"Copy link"</button>
            </div>
            <h3>"Embed"</h3>
            <div class="copy-row">
                <input readonly data-testid="embed-code" aria-label="Embed code" prop:value=move || embed.get() on:focus=|ev| select(&ev) />
                <button data-testid="copy-embed" on:click=move |_| {
                    refresh();
                    copy(&embed.get_untracked());
                }>"Copy embed code"</button>
            </div>
        </div>
    }
}

fn select(ev: &leptos::ev::FocusEvent) {
    if let Some(input) =
        ev.target().and_then(|t| leptos::wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlInputElement>(t).ok())
    {
        input.select();
    }
}
