//! The page: the only code that touches Leptos, web-sys and plotters-canvas. It owns
//! presentation state; the simulation lives in [`engine::Engine`] outside the reactive graph.

pub mod app;
pub mod canvas;
pub mod chart;
pub mod components;
pub mod engine;
pub mod markdown;
pub mod run_loop;

use wasm_bindgen::JsCast;

/// Shows a panic in the page's overlay instead of leaving a blank page, then mounts the app.
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        let text = format!("Kube Playground stopped: {info}");
        web_sys::console::error_1(&text.clone().into());
        if let Some(el) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("panic")) {
            el.set_text_content(Some(&text));
            if let Ok(html) = el.dyn_into::<web_sys::HtmlElement>() {
                let _ = html.style().set_property("display", "block");
            }
        }
    }));
    leptos::mount::mount_to_body(app::App);
}
