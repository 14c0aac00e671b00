//! Talking to the origin: where a request goes, sending it with a deadline on the response
//! headers, and classifying what came back. Bodies are never read here: a healthy response is
//! handed on as a stream, an intercepted one is cancelled unread.

use edgepages_core::forward::{self, HeaderEdit};
use edgepages_core::{FailureKind, OriginOutcome, target};
use wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{Request, Url};

/// The edits to a request for `url`, sent to `target`, before it goes on: core's rules, which the
/// JS fast path receives from `route` and carries out the same way.
pub fn header_edits(url: &Url, target: &Url, cookie: Option<&str>) -> Vec<HeaderEdit> {
    forward::header_edits(cookie, target::rewritten(url, target))
}

/// One request to the origin and what came of it.
#[derive(Debug)]
pub struct Attempt {
    result: Result<web_sys::Response, FailureKind>,
    /// The runtime's own words for a failure, for the log.
    pub detail: Option<String>,
    content_type: Option<String>,
    retry_after: Option<String>,
}

impl Attempt {
    /// What one fetch came to: its response, or its error, `aborted` when the deadline cut it.
    /// The JS entry sends healthy-path requests itself and hands a failure over through this.
    pub fn of(fetched: Result<web_sys::Response, JsValue>, aborted: bool, deadline_ms: u32) -> Attempt {
        let (result, detail) = match fetched {
            Ok(resp) => (Ok(resp), None),
            Err(_) if aborted => {
                (Err(FailureKind::Timeout), Some(format!("no response headers within {deadline_ms} ms")))
            }
            Err(err) => {
                let message = error_message(&err);
                (Err(FailureKind::from_runtime_message(&message)), Some(message))
            }
        };
        // Only an error answer's headers matter to the decision; a healthy one is handed on unread.
        let error_header = |name: &str| {
            result.as_ref().ok().filter(|r| r.status() >= 500).and_then(|r| r.headers().get(name).ok().flatten())
        };
        Attempt { content_type: error_header("content-type"), retry_after: error_header("retry-after"), result, detail }
    }

    pub fn outcome(&self) -> OriginOutcome<'_> {
        match &self.result {
            Ok(resp) => OriginOutcome::Response {
                status: resp.status(),
                content_type: self.content_type.as_deref(),
                retry_after: self.retry_after.as_deref(),
            },
            Err(kind) => OriginOutcome::Failure(*kind),
        }
    }

    /// A response below 500: it can only pass through.
    pub fn is_healthy(&self) -> bool {
        self.result.as_ref().is_ok_and(|r| r.status() < 500)
    }

    /// `status_200`, `timeout`, …, for the log line.
    pub fn label(&self) -> String {
        match &self.result {
            Ok(resp) => format!("status_{}", resp.status()),
            Err(kind) => kind.as_str().to_owned(),
        }
    }

    /// The origin's response, untouched, for streaming through.
    pub fn into_inner(self) -> Option<web_sys::Response> {
        self.result.ok()
    }

    /// Cancels an unwanted body unread: the origin's error page never reaches the visitor.
    pub fn discard_body(&self) {
        if let Ok(resp) = &self.result
            && let Some(body) = resp.body()
        {
            let _ = body.cancel();
        }
    }
}

/// Sends `req` to `target`, waiting at most `deadline_ms` for the response headers; on the
/// deadline the subrequest is aborted. A retry goes `without_body`: only a request with no body
/// (or an empty one, already read by the first attempt) is ever retried.
///
/// The timer calls the controller's own `abort`, bound in JS, rather than a Rust closure: no
/// callback crosses into wasm, and the timer is cleared as soon as the headers arrive, so a body
/// that streams for longer than the deadline is never cut.
pub async fn send(
    req: &Request,
    target: &Url,
    edits: &[HeaderEdit],
    deadline_ms: u32,
    without_body: bool,
) -> worker::Result<Attempt> {
    let controller = web_sys::AbortController::new().map_err(worker::Error::from)?;
    let outbound = outbound_request(req, target, edits, without_body, &controller.signal())?;

    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let abort: js_sys::Function = js_sys::Reflect::get(&controller, &JsValue::from_str("abort"))?.unchecked_into();
    let timer = global
        .set_timeout_with_callback_and_timeout_and_arguments_0(
            &abort.bind0(&controller),
            i32::try_from(deadline_ms).unwrap_or(i32::MAX),
        )
        .map_err(worker::Error::from)?;
    let fetched = JsFuture::from(global.fetch_with_request(&outbound)).await;
    global.clear_timeout_with_handle(timer);
    let fetched = fetched.map(JsCast::unchecked_into::<web_sys::Response>);
    Ok(Attempt::of(fetched, controller.signal().aborted(), deadline_ms))
}

/// A copy of `req` addressed to `target`: same method, headers (with `edits` made: never the
/// bypass secret) and streamed body, redirects handed back to the client rather than followed.
/// The fast path's `send` in `edge/entry.mjs` builds the same request in JS from the same edits.
fn outbound_request(
    req: &Request,
    target: &Url,
    edits: &[HeaderEdit],
    without_body: bool,
    signal: &web_sys::AbortSignal,
) -> worker::Result<web_sys::Request> {
    let inner = req.inner();
    let init = web_sys::RequestInit::new();
    init.set_method(&inner.method());
    // The new request copies these headers; the incoming request's stay as they are.
    init.set_headers(&inner.headers());
    init.set_redirect(web_sys::RequestRedirect::Manual);
    init.set_signal(Some(signal));
    if let Some(body) = inner.body().filter(|_| !without_body) {
        init.set_body(&body);
    }
    let outbound = web_sys::Request::new_with_str_and_init(target.as_str(), &init).map_err(worker::Error::from)?;
    let headers = outbound.headers();
    for edit in edits {
        match edit.value() {
            Some(value) => headers.set(edit.name(), value),
            None => headers.delete(edit.name()),
        }
        .map_err(worker::Error::from)?;
    }
    Ok(outbound)
}

fn error_message(err: &JsValue) -> String {
    err.dyn_ref::<js_sys::Error>()
        .map(|e| format!("{}: {}", String::from(e.name()), String::from(e.message())))
        .or_else(|| err.as_string())
        .unwrap_or_else(|| "unknown error".to_owned())
}
