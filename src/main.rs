//! The wasm entry point: install the panic overlay and mount the app. Nothing else.

#[cfg(target_arch = "wasm32")]
fn main() {
    kube_playground::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("kube-playground is the web page (run `make serve`); the native command line is `kubesim`.");
}
