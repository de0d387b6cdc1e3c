//! Building blocks shared by the pages.

pub mod chart;
pub mod form_post;
pub mod forms;
pub mod layout;
pub mod server_html;
pub mod ui;
