//! Small pieces every page uses: badges, times, form fields, message text, toasts, charts, the
//! clipboard, the confirm-your-email banner, the AI's pieces of the ticket (category field,
//! where a draft came from), and how a macro reads (its actions as chips, its excerpt).

pub mod ai;
pub mod attachments;
pub mod badges;
pub mod bell;
pub mod charts;
pub mod clipboard;
pub mod confirm;
pub mod form;
pub mod icons;
pub mod macros;
pub mod markdown;
pub mod shortcuts;
pub mod time;
pub mod toast;
