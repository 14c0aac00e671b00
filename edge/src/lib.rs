//! The edgepages Cloudflare Worker. Filled in by the edge issue; native builds see an empty crate.
#![cfg(target_arch = "wasm32")]
