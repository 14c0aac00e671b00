//! Bakes the site into the function, exactly as for the worker (`../edge/site_build.rs`).

include!("../edge/site_build.rs");

fn main() {
    bake_site();
}
