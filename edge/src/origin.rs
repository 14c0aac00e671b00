//! Talking to the origin: the edits a forwarded request gets, sending it through the worker's
//! transport (`edge/transport.mjs`, which the JS fast path uses too) within its bounds, and
//! classifying what came back. Bodies are never read here: a healthy response is handed on as a
//! stream, an intercepted one is cancelled unread.

use edgepages_core::client::ClientIp;
use edgepages_core::forward::{self, HeaderEdit, Public};
use edgepages_core::{FailureKind, OriginOutcome, target};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{Request, Url};

#[wasm_bindgen(module = "/transport.mjs")]
extern "C" {
    /// `send` in `edge/transport.mjs`: resolves to `{ response }` or
    /// `{ error, aborted, awaitingClient }`.
    #[wasm_bindgen(js_name = send)]
    fn transport_send(
        request: &web_sys::Request,
        target: &str,
        edits: &js_sys::Array,
        from: u32,
        deadline_ms: u32,
        upload_ms: u32,
        without_body: bool,
    ) -> js_sys::Promise;
}

/// The edits to a request for `url` before it goes on: core's rules, which the JS fast path
/// receives from `route` and carries out through the same transport.
pub fn header_edits(url: &Url, cookie: Option<&str>, client: Option<ClientIp>) -> Vec<HeaderEdit> {
    let (host, proto) = target::public_side(url);
    forward::header_edits(cookie, &Public { host, proto, client })
}

/// `edits` as the transport takes them: name, value pairs, a null value deleting.
pub fn edits_array(edits: &[HeaderEdit]) -> js_sys::Array {
    let array = js_sys::Array::new_with_length(u32::try_from(2 * edits.len()).unwrap_or(0));
    for (i, edit) in (0u32..).zip(edits) {
        array.set(2 * i, edit.name().into());
        array.set(2 * i + 1, edit.value().map_or(JsValue::NULL, JsValue::from));
    }
    array
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
    /// What one send came to: the transport's answer (`{ response }`, or `{ error, aborted,
    /// awaitingClient }`). A bound that cut the request while its body was still awaited from
    /// the client is the client's own slowness; any other, the origin's deadline.
    pub fn of(sent: &JsValue, deadline_ms: u32) -> Attempt {
        let field = |name: &str| js_sys::Reflect::get(sent, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
        let response = field("response");
        let (result, detail) = if response.is_object() {
            (Ok(response.unchecked_into::<web_sys::Response>()), None)
        } else if field("aborted").is_truthy() && field("awaitingClient").is_truthy() {
            (Err(FailureKind::SlowUpload), Some("the request's body did not arrive within the upload bound".to_owned()))
        } else if field("aborted").is_truthy() {
            (Err(FailureKind::Timeout), Some(format!("no response headers within {deadline_ms} ms of the request")))
        } else {
            let message = error_message(&field("error"));
            (Err(FailureKind::from_runtime_message(&message)), Some(message))
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

/// Sends `req` to `target` through the transport: the response headers awaited at most
/// `deadline_ms` once the body is sent, the body itself at most `upload_ms` from the start. A retry
/// goes `without_body`: only a request with no body (or an empty one, already read by the first
/// attempt) is ever retried.
pub async fn send(
    req: &Request,
    target: &Url,
    edits: &[HeaderEdit],
    deadline_ms: u32,
    upload_ms: u32,
    without_body: bool,
) -> worker::Result<Attempt> {
    let sending =
        transport_send(req.inner(), target.as_str(), &edits_array(edits), 0, deadline_ms, upload_ms, without_body);
    let sent = JsFuture::from(sending).await?;
    Ok(Attempt::of(&sent, deadline_ms))
}

fn error_message(err: &JsValue) -> String {
    err.dyn_ref::<js_sys::Error>()
        .map(|e| format!("{}: {}", String::from(e.name()), String::from(e.message())))
        .or_else(|| err.as_string())
        .unwrap_or_else(|| "unknown error".to_owned())
}
