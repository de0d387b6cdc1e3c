//! `sqlx::migrate!` embeds the migrations at compile time; without this, adding a migration
//! file would not rebuild the crate (what `cargo sqlx migrate build-script` generates).
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
