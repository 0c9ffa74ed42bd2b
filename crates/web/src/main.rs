//! The Ferrodesk web app: a Leptos client-side app that speaks only `ferrodesk_shared` types.

mod api;
mod app;
mod components;
mod live;
mod pages;
mod session;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
