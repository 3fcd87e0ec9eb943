//! The console (`console/dist`) is embedded by rust-embed in release builds:
//! rebuild when it changes.
fn main() {
    println!("cargo:rerun-if-changed=../console/dist");
}
