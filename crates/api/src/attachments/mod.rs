//! Attachments (issue 15, under way): files on replies, notes and customers' messages. So far the
//! rule that decides what a file is from its bytes; storage, upload and serving come next.

pub mod domain;
