//! `sqlx::migrate!` embeds the migration files at compile time; without this, adding a migration would leave a
//! stale copy of the list compiled in until something else in the crate changed.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
