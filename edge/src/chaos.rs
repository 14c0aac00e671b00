//! Test-only fault injection (the `chaos` feature, never in a release build), so that the e2e
//! suite can prove that even a panic ends in the branded fallback page, and that a stray error
//! elsewhere in the isolate fails no request in flight.
//!
//! - a query with `chaos=panic` panics in the fast path's synchronous route;
//! - a query with `chaos=reject` leaves a promise rejected with nobody to handle it (an
//!   `unhandledrejection` that is not a wasm trap), then routes the request as usual;
//! - the header `x-edgepages-chaos: panic` panics in the async handler;
//! - the header `x-edgepages-chaos: sleep` holds the async handler for a second first, so that
//!   requests are in flight in wasm while something else goes wrong.

use std::time::Duration;

use worker::{Delay, Request};

pub fn on_route(url: &str) {
    assert!(!url.contains("chaos=panic"), "chaos: a panic on the fast path, requested by the test suite");
    if url.contains("chaos=reject") {
        // Dropped unhandled on purpose: the isolate sees an unhandled rejection.
        let _ = js_sys::Promise::reject(&"chaos: a stray rejection, requested by the test suite".into());
    }
}

pub async fn on_handle(req: &Request) -> worker::Result<()> {
    match req.headers().get("x-edgepages-chaos")?.as_deref() {
        Some("panic") => panic!("chaos: a panic in the async handler, requested by the test suite"),
        Some("sleep") => Delay::from(Duration::from_secs(1)).await,
        _ => {}
    }
    Ok(())
}
