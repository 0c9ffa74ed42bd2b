//! Workspaces: one company's helpdesk, made at sign-up together with its owner.

pub mod domain;
pub mod repo;
