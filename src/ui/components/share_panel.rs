//! Share: a link that replays everything done so far and opens at this moment, and the
//! `<iframe>` code that embeds it in a blog post.

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

#[component]
pub fn SharePanel(engine: Shared) -> impl IntoView {
    let (url, title) = {
        let e = engine.borrow();
        let fragment = link::share(&e.session.shared(), e.session.sim.now());
        let title = e.session.scenario.lesson.as_ref().map_or("a Kubernetes cluster".to_string(), |l| l.title.clone());
        (format!("{}#{fragment}", base()), title)
    };
    let embed = format!(
        "<iframe src=\"{url}&embed\" width=\"800\" height=\"500\" loading=\"lazy\" title=\"Kube Playground: {}\"></iframe>",
        title.replace('"', "&quot;")
    );
    let chars = url.len();
    let (u1, u2, e1, e2) = (url.clone(), url, embed.clone(), embed);
    view! {
        <div class="share-panel" data-testid="share-panel">
            <h3>"Share this cluster"</h3>
            <p class="hint">{format!("The link replays everything done so far and opens at this moment ({chars} characters).")}</p>
            <div class="copy-row">
                <input readonly data-testid="share-link" aria-label="Share link" prop:value=u1 on:focus=|ev| select(&ev) />
                <button data-testid="copy-link" on:click=move |_| copy(&u2)>"Copy link"</button>
            </div>
            <h3>"Embed"</h3>
            <div class="copy-row">
                <input readonly data-testid="embed-code" aria-label="Embed code" prop:value=e1 on:focus=|ev| select(&ev) />
                <button data-testid="copy-embed" on:click=move |_| copy(&e2)>"Copy embed code"</button>
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
