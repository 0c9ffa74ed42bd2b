//! The Ferrodesk web app: a Leptos client-side app that speaks only `ferrodesk_shared` types.

mod api;
mod app;
mod components;
mod live;
mod pages;
mod seen;
mod session;

fn main() {
    console_error_panic_hook::set_once();
    // The static shell of index.html stood in while the wasm loaded.
    if let Some(boot) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.get_element_by_id("boot"))
    {
        boot.remove();
    }
    leptos::mount::mount_to_body(app::App);
}
