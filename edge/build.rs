//! Bakes the site into the worker; the shared steps are in `site_build.rs`.

include!("site_build.rs");

fn main() {
    bake_site();
}
