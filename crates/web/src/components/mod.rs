//! Small pieces every page uses: badges, times, form fields, message text, toasts, charts, the
//! clipboard, the confirm-your-email banner, and the AI's pieces of the ticket (category field,
//! where a draft came from).

pub mod ai;
pub mod badges;
pub mod bell;
pub mod charts;
pub mod clipboard;
pub mod confirm;
pub mod form;
pub mod icons;
pub mod markdown;
pub mod time;
pub mod toast;
