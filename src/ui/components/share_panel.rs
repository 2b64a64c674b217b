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
    // The embed keeps the theme it was made in (a light blog gets a light playground).
    let theme = if crate::ui::canvas::palette::is_light() { "&theme=light" } else { "" };
    let embed = format!(
        "<iframe src=\"{url}&embed{theme}\" width=\"800\" height=\"500\" loading=\"lazy\" title=\"Kube Playground: {}\"></iframe>",
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
            <CopyRow text=url label="Share link" testid="share-link" button="Copy link" button_testid="copy-link" refresh=refresh />
            <h3>"Embed"</h3>
            <CopyRow text=embed label="Embed code" testid="embed-code" button="Copy embed code" button_testid="copy-embed"
                refresh=refresh />
        </div>
    }
}

/// A read-only field and its copy button; the button makes the text afresh, then copies it.
#[component]
fn CopyRow(
    text: RwSignal<String>,
    label: &'static str,
    testid: &'static str,
    button: &'static str,
    button_testid: &'static str,
    refresh: impl Fn() + Copy + Send + 'static,
) -> impl IntoView {
    view! {
        <div class="copy-row">
            <input readonly data-testid=testid aria-label=label prop:value=move || text.get() on:focus=|ev| select(&ev) />
            <button data-testid=button_testid on:click=move |_| {
                refresh();
                copy(&text.get_untracked());
            }>{button}</button>
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
