//! Small pieces every page uses: badges, times, form fields, message text, toasts, charts.

pub mod badges;
pub mod bell;
pub mod charts;
pub mod form;
pub mod icons;
pub mod markdown;
pub mod time;
pub mod toast;
