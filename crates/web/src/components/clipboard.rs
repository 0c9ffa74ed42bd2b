//! Copying text for a person: a secret, a snippet.

/// Writes `text` to the clipboard through `navigator.clipboard.writeText`, looked up at run time
/// (no extra web-sys features); false when the browser offers no clipboard here.
pub fn copy_to_clipboard(text: &str) -> bool {
    use wasm_bindgen::JsCast;
    let get = |target: &wasm_bindgen::JsValue, name: &str| js_sys::Reflect::get(target, &name.into()).ok();
    let Some(window) = web_sys::window() else { return false };
    let Some(clipboard) = get(&window, "navigator").and_then(|navigator| get(&navigator, "clipboard")) else {
        return false;
    };
    let Some(write) = get(&clipboard, "writeText").and_then(|write| write.dyn_into::<js_sys::Function>().ok()) else {
        return false;
    };
    write.call1(&clipboard, &text.into()).is_ok()
}
