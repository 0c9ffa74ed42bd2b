//! Files on messages: the "Attach" control and its chips (each file uploads as soon as it is
//! chosen, so sending only names them), and a message's files in the thread (images as thumbnails,
//! the rest as downloads). Both the agent's reply box and the customer's use them.

use ferrodesk_shared::AttachmentId;
use ferrodesk_shared::attachments::{Attachment, MAX_PER_MESSAGE};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::api::{Api, ApiError, use_api};

/// "12 KB": a size as people read it.
pub fn human_size(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * KB;
    match bytes {
        0..KB => format!("{bytes} B"),
        KB..MB => format!("{} KB", bytes.div_ceil(KB)),
        _ => format!("{:.1} MB", bytes as f64 / MB as f64),
    }
}

/// What a refused upload says, in words (a 413 can come before the server writes a body).
fn upload_error(error: &ApiError) -> String {
    let said = error.body.as_ref().map(|body| body.message.clone());
    match error.status {
        413 => "This file is larger than 10 MB, the most one file can be.".to_owned(),
        415 => said.unwrap_or_else(|| {
            "This type of file is not accepted: send images (PNG, JPEG, GIF, WebP), PDF, zip or plain text.".to_owned()
        }),
        429 => "Too many uploads just now. Wait a minute, then try again.".to_owned(),
        _ => error.message(),
    }
}

/// The server's terse reason ("must be files you uploaded…") with a full stop.
fn ended(said: &str) -> String {
    let said = said.trim();
    if said.ends_with(['.', '!', '?']) {
        said.to_owned()
    } else {
        format!("{said}.")
    }
}

/// As `ended`, and capitalised: a sentence of its own.
pub fn sentence(said: &str) -> String {
    let said = ended(said);
    let mut chars = said.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => said,
    }
}

/// Why the server refused a message (a 4xx): its own words, and what it said about the text or
/// the files, which a retry alone would not change. `None` for anything else (no connection, our
/// side failing), where trying again is the advice.
pub fn message_refusal(error: &ApiError) -> Option<String> {
    let body = error.body.as_ref().filter(|_| (400..500).contains(&error.status))?;
    let mut words = vec![sentence(&error.message())];
    for (field, said) in &body.fields {
        let label = match field.as_str() {
            "body" => "Text",
            "attachment_ids" => "Files",
            "macro_id" => "Macro",
            other => other,
        };
        words.push(format!("{label}: {}", ended(&said.join("; "))));
    }
    Some(words.join(" "))
}

#[derive(Clone, Debug, PartialEq)]
enum Upload {
    Uploading,
    Done(Attachment),
    Refused(String),
}

#[derive(Clone, Debug, PartialEq)]
struct Chip {
    key: u32,
    name: String,
    size: u64,
    upload: Upload,
}

/// The files chosen for the message being written.
#[derive(Clone, Copy)]
pub struct AttachmentDraft {
    chips: RwSignal<Vec<Chip>>,
    next_key: StoredValue<u32>,
}

impl AttachmentDraft {
    pub fn new() -> Self {
        AttachmentDraft {
            chips: RwSignal::new(Vec::new()),
            next_key: StoredValue::new(0),
        }
    }

    /// Uploads each file at once; past the most one message carries, a file is refused here.
    /// Files dropped on a box: attached, not opened by the browser in place of the app.
    pub fn dropped(&self, api: Api, event: &leptos::ev::DragEvent) {
        event.prevent_default();
        self.add(api, files_of(event.data_transfer().and_then(|data| data.files())));
    }

    /// Files pasted into a text box are attached; pasted text is left to the box.
    pub fn pasted(&self, api: Api, event: &leptos::ev::ClipboardEvent) {
        let pasted = files_of(event.clipboard_data().and_then(|data| data.files()));
        if !pasted.is_empty() {
            event.prevent_default();
            self.add(api, pasted);
        }
    }

    pub fn add(&self, api: Api, files: Vec<web_sys::File>) {
        for file in files {
            let key = self.next_key.get_value();
            self.next_key.set_value(key + 1);
            let full = self.counted() >= MAX_PER_MESSAGE;
            let upload = if full {
                Upload::Refused(format!("A message can carry at most {MAX_PER_MESSAGE} files."))
            } else {
                Upload::Uploading
            };
            self.chips.update(|chips| {
                chips.push(Chip {
                    key,
                    name: file.name(),
                    size: file.size() as u64,
                    upload,
                })
            });
            if full {
                continue;
            }
            let chips = self.chips;
            spawn_local(async move {
                let upload = match api.attachments().upload(file).await {
                    Ok(attachment) => Upload::Done(attachment),
                    Err(error) => Upload::Refused(upload_error(&error)),
                };
                // Removed meanwhile (or the box is gone): nothing to update.
                let _ = chips.try_update(|chips| {
                    if let Some(chip) = chips.iter_mut().find(|chip| chip.key == key) {
                        chip.upload = upload;
                    }
                });
            });
        }
    }

    /// Files that are, or will be, on the message.
    fn counted(&self) -> usize {
        self.chips.with_untracked(|chips| {
            chips
                .iter()
                .filter(|chip| !matches!(chip.upload, Upload::Refused(_)))
                .count()
        })
    }

    pub fn full(&self) -> bool {
        self.chips.with(|chips| {
            chips
                .iter()
                .filter(|chip| !matches!(chip.upload, Upload::Refused(_)))
                .count()
                >= MAX_PER_MESSAGE
        })
    }

    /// A file still on its way: sending waits for it.
    pub fn uploading(&self) -> bool {
        self.chips
            .with(|chips| chips.iter().any(|chip| chip.upload == Upload::Uploading))
    }

    /// As `uploading`, from an event handler (nothing to track there).
    pub fn uploading_untracked(&self) -> bool {
        self.chips
            .with_untracked(|chips| chips.iter().any(|chip| chip.upload == Upload::Uploading))
    }

    /// The uploaded files, to send with the message (refused ones stay behind).
    pub fn uploaded(&self) -> Vec<Attachment> {
        self.chips.with_untracked(|chips| {
            chips
                .iter()
                .filter_map(|chip| match &chip.upload {
                    Upload::Done(attachment) => Some(attachment.clone()),
                    _ => None,
                })
                .collect()
        })
    }

    pub fn clear(&self) {
        self.chips.set(Vec::new());
    }

    fn remove(&self, key: u32) {
        self.chips.update(|chips| chips.retain(|chip| chip.key != key));
    }
}

impl Default for AttachmentDraft {
    fn default() -> Self {
        Self::new()
    }
}

pub fn ids(attachments: &[Attachment]) -> Vec<AttachmentId> {
    attachments.iter().map(|attachment| attachment.id).collect()
}

/// The files of a drop or a paste, or of the picker.
pub fn files_of(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length()).filter_map(|at| list.item(at)).collect()
}

#[component]
pub fn PaperclipIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" width="14" height="14" aria-hidden="true" fill="none"
            stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
            <path d="M21.4 11.1l-9.2 9.2a6 6 0 0 1-8.5-8.5l9.2-9.2a4 4 0 0 1 5.7 5.7l-9.2 9.2a2 2 0 0 1-2.8-2.8l8.5-8.5" />
        </svg>
    }
}

/// "Attach": a file picker (several at once), disabled with the reason once the message is full.
#[component]
pub fn AttachButton(draft: AttachmentDraft) -> impl IntoView {
    let api = use_api();
    let input = NodeRef::<leptos::html::Input>::new();
    view! {
        <input type="file" multiple class="sr-only" tabindex="-1" aria-hidden="true" data-testid="attach-input"
            node_ref=input
            on:change=move |_| {
                if let Some(input) = input.get_untracked() {
                    draft.add(api, files_of(input.files()));
                    // The same file can be chosen again after removing it.
                    input.set_value("");
                }
            } />
        <button type="button" class="button small attach" data-testid="attach"
            disabled=move || draft.full()
            title=move || if draft.full() {
                format!("A message can carry at most {MAX_PER_MESSAGE} files")
            } else {
                "Attach files (you can also drop or paste them into the box)".to_owned()
            }
            on:click=move |_| {
                if let Some(input) = input.get_untracked() {
                    input.click();
                }
            }>
            <PaperclipIcon /> " Attach"
        </button>
    }
}

/// The chosen files: name, size, a spinner while uploading, the refusal in words, and × to remove.
#[component]
pub fn AttachmentChips(draft: AttachmentDraft) -> impl IntoView {
    move || {
        let chips = draft.chips.get();
        (!chips.is_empty()).then(|| {
            view! {
                <ul class="attach-chips" data-testid="attach-chips">
                    {chips.into_iter().map(|chip| {
                        let key = chip.key;
                        let label = format!("Remove {}", chip.name);
                        let (state, note) = match chip.upload {
                            Upload::Uploading => ("uploading", None),
                            Upload::Done(_) => ("ready", None),
                            Upload::Refused(message) => ("refused", Some(message)),
                        };
                        view! {
                            <li class=format!("attach-chip {state}") data-testid="attach-chip" data-state=state>
                                {(state == "uploading").then(|| view! { <span class="attach-spinner" role="status" aria-label="Uploading"></span> })}
                                <span class="attach-name">{chip.name}</span>
                                <span class="attach-size">{human_size(chip.size)}</span>
                                {note.map(|note| view! { <span class="attach-error" role="alert">{note}</span> })}
                                <button type="button" class="attach-remove" aria-label=label title="Remove"
                                    on:click=move |_| draft.remove(key)>"×"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                {draft.full().then(|| view! {
                    <p class="small muted attach-full">{format!("{MAX_PER_MESSAGE} files is the most one message can carry.")}</p>
                })}
            }
        })
    }
}

/// A message's files: images as thumbnails, the rest as downloads.
#[component]
pub fn MessageAttachments(attachments: Vec<Attachment>) -> impl IntoView {
    (!attachments.is_empty()).then(|| {
        view! {
            <div class="attachments" data-testid="attachments">
                {attachments.into_iter().map(|attachment| if attachment.inline {
                    view! { <Thumbnail attachment=attachment /> }.into_any()
                } else {
                    view! { <FileDownload attachment=attachment /> }.into_any()
                }).collect_view()}
            </div>
        }
    })
}

/// An object URL for a fetched blob, let go of when the view goes away.
fn blob_url(blob: &web_sys::Blob) -> Option<String> {
    web_sys::Url::create_object_url_with_blob(blob).ok()
}

/// A `data:` URL of an image's bytes: what the page may show in an `<img>`.
fn data_url(content_type: &str, bytes: &[u8]) -> Option<String> {
    // btoa takes a string whose characters are the bytes.
    let binary: String = bytes.iter().map(|&byte| char::from(byte)).collect();
    let encoded = web_sys::window()?.btoa(&binary).ok()?;
    Some(format!("data:{content_type};base64,{encoded}"))
}

fn blob_of(content_type: &str, bytes: &[u8]) -> Option<web_sys::Blob> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(content_type);
    web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()
}

/// A thumbnail (the `data:` URL) that opens full size in a new tab (a blob URL, as a new tab
/// cannot be sent to a `data:` URL), let go of when the view goes away.
#[component]
fn Thumbnail(attachment: Attachment) -> impl IntoView {
    let api = use_api();
    let urls = RwSignal::new(None::<(String, String)>);
    let failed = RwSignal::new(false);
    let id = attachment.id;
    spawn_local(async move {
        let made = api
            .attachments()
            .fetch_bytes(id)
            .await
            .ok()
            .and_then(|(content_type, bytes)| {
                let image = data_url(&content_type, &bytes)?;
                let full = blob_url(&blob_of(&content_type, &bytes)?)?;
                Some((image, full))
            });
        match made {
            Some(made) => {
                // The view went away while loading: nobody will revoke it later.
                if let Some((_, full)) = urls.try_set(Some(made)).flatten() {
                    web_sys::Url::revoke_object_url(&full).ok();
                }
            }
            None => {
                let _ = failed.try_set(true);
            }
        }
    });
    on_cleanup(move || {
        if let Some((_, full)) = urls.try_get_untracked().flatten() {
            web_sys::Url::revoke_object_url(&full).ok();
        }
    });
    let name = attachment.filename.clone();
    let title = format!(
        "{} · {} · opens full size",
        attachment.filename,
        human_size(attachment.size_bytes)
    );
    move || match urls.get() {
        Some((image, full)) => view! {
            <a class="attachment-thumb" href=full target="_blank" rel="noopener noreferrer" title=title.clone()
                data-testid="attachment-image">
                <img src=image alt=name.clone() />
            </a>
        }
        .into_any(),
        // Not shown as an image after all: still downloadable.
        None if failed.get() => view! { <FileDownload attachment=attachment.clone() /> }.into_any(),
        None => {
            view! { <span class="attachment-thumb loading" aria-label=format!("Loading {name}")></span> }.into_any()
        }
    }
}

#[component]
fn FileDownload(attachment: Attachment) -> impl IntoView {
    let api = use_api();
    let busy = RwSignal::new(false);
    let failed = RwSignal::new(false);
    let id = attachment.id;
    let name = attachment.filename.clone();
    let download = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        failed.set(false);
        let name = name.clone();
        spawn_local(async move {
            let saved = match api.attachments().fetch_blob(id).await {
                Ok(blob) => save_as(&blob, &name),
                Err(_) => false,
            };
            let _ = busy.try_set(false);
            let _ = failed.try_set(!saved);
        });
    };
    view! {
        <span class="attachment-file-wrap">
            <button type="button" class="attachment-file" data-testid="attachment-file" on:click=download
                aria-busy=move || busy.get().to_string()
                title=format!("Download {}", attachment.filename)>
                <PaperclipIcon />
                <span class="attach-name">{attachment.filename.clone()}</span>
                <span class="attach-size">{human_size(attachment.size_bytes)}</span>
            </button>
            {move || failed.get().then(|| view! { <span class="attach-error" role="alert">"The download failed. Try again."</span> })}
        </span>
    }
}

/// Saves a blob under `name` the way a browser saves a link with `download`.
fn save_as(blob: &web_sys::Blob, name: &str) -> bool {
    let Some(href) = blob_url(blob) else { return false };
    let Some(document) = web_sys::window().and_then(|window| window.document()) else {
        return false;
    };
    let Some(link) = document
        .create_element("a")
        .ok()
        .and_then(|element| element.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    else {
        return false;
    };
    link.set_href(&href);
    link.set_download(name);
    link.set_class_name("sr-only");
    let body = document.body();
    if let Some(body) = &body {
        let _ = body.append_child(&link);
    }
    link.click();
    link.remove();
    // The save has started by now; the URL is only let go of a little later, to be safe.
    gloo_timers::callback::Timeout::new(30_000, move || {
        web_sys::Url::revoke_object_url(&href).ok();
    })
    .forget();
    true
}

#[cfg(test)]
mod tests {
    use super::{human_size, message_refusal};
    use crate::api::ApiError;
    use ferrodesk_shared::{ErrorBody, ErrorCode};

    #[test]
    fn a_refused_message_says_why_in_the_servers_words() {
        let refused = |status, code, message: &str, fields: &[(&str, &str)]| ApiError {
            status,
            body: Some(ErrorBody {
                code,
                message: message.to_owned(),
                fields: fields
                    .iter()
                    .map(|(field, said)| ((*field).to_owned(), vec![(*said).to_owned()]))
                    .collect(),
                limit: None,
            }),
        };
        let files = refused(
            422,
            ErrorCode::ValidationFailed,
            "some fields are not valid",
            &[("attachment_ids", "must be files you uploaded")],
        );
        assert_eq!(
            message_refusal(&files).as_deref(),
            Some("Some fields need another look. Files: must be files you uploaded.")
        );
        let closed = refused(409, ErrorCode::Conflict, "this ticket is closed", &[]);
        assert_eq!(message_refusal(&closed).as_deref(), Some("This ticket is closed."));
        // Our side failing, or no answer at all: "Retry" is the advice, not a reason.
        let ours = refused(500, ErrorCode::Internal, "Something went wrong", &[]);
        assert_eq!(message_refusal(&ours), None);
        assert_eq!(message_refusal(&ApiError { status: 0, body: None }), None);
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(1024), "1 KB");
        assert_eq!(human_size(1500), "2 KB");
        assert_eq!(human_size(10 * 1024 * 1024), "10.0 MB");
    }
}
