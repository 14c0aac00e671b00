// The worker's transport, written once for both of its paths: the JS entry's fast path imports it,
// and so does the Rust worker (edge/src/origin.rs, edge/src/stale.rs), so that a request to the
// origin is built and timed, and a kept copy is read, in one place. It only moves bytes and keeps
// time: what to send where, within which bounds, and what an outcome means are Rust's to say.

// Sends `request` to `target`: same method, headers (with the edits in `edits` from index `from`
// on, as name, value pairs, null deleting: core's forward rules) and streamed body, redirects
// handed back. The deadline for the response headers, `deadlineMs`, starts once the body has been
// handed over to the origin's connection; until then the upload has its own bound, `uploadMs` from
// the start, so that a client trickling its body is not taken for a slow origin, and cannot hold
// the origin's connection for ever. The timer is cleared once the headers have come, so a long
// response body is never cut. `withoutBody` sends none (a retry: only a bodiless request is
// retried).
//
// Resolves to { response }, or { error, aborted, awaitingClient }: `aborted` when a bound cut it,
// `awaitingClient` when the body was still awaited from the client at that moment.
export async function send(request, target, edits, from, deadlineMs, uploadMs, withoutBody) {
  const controller = new AbortController();
  const upload = withoutBody || request.body === null ? undefined : track(request);
  const outbound = new Request(target, {
    method: request.method,
    headers: request.headers,
    body: upload === undefined ? undefined : upload.body,
    redirect: "manual",
    signal: controller.signal,
  });
  for (let i = from; i < edits.length; i += 2) {
    if (edits[i + 1] === null) outbound.headers.delete(edits[i]);
    else outbound.headers.set(edits[i], edits[i + 1]);
  }
  const abort = () => controller.abort();
  let timer = setTimeout(abort, upload === undefined ? deadlineMs : uploadMs);
  let answered = false;
  if (upload !== undefined) {
    upload.sent.then(
      () => {
        if (answered) return;
        clearTimeout(timer);
        timer = setTimeout(abort, deadlineMs);
      },
      () => {},
    );
  }
  try {
    return { response: await fetch(outbound) };
  } catch (error) {
    return { error, aborted: controller.signal.aborted, awaitingClient: upload !== undefined && upload.awaitingClient() };
  } finally {
    answered = true;
    clearTimeout(timer);
  }
}

// The request's body, passed on through a stream of the same length, and `sent`, which settles
// once the origin's side has taken all of it. `awaitingClient()` says whether the body is waiting
// on the client right now, rather than on the origin to take what the client sent.
function track(request) {
  const { readable, writable } = passThrough(request.headers.get("content-length"), false);
  const source = request.body.getReader();
  let awaitingClient = false;
  const sent = (async () => {
    const sink = writable.getWriter();
    try {
      for (;;) {
        awaitingClient = true;
        const { done, value } = await source.read();
        awaitingClient = false;
        if (done) break;
        // Resolves once the origin's side has read the chunk: nothing is read ahead of it.
        await sink.write(value);
      }
      await sink.close();
    } catch (error) {
      source.cancel(error).catch(() => {});
      sink.abort(error).catch(() => {});
      throw error;
    }
  })();
  sent.catch(() => {});
  return { body: readable, sent, awaitingClient: () => awaitingClient };
}

// A pass-through stream for a body: of the declared length when there is one that counts these
// bytes (a body the runtime decoded no longer has its coded length), so that it still goes out
// with Content-Length.
function passThrough(contentLength, decoded) {
  const length = contentLength === null || decoded ? NaN : Number(contentLength);
  return Number.isSafeInteger(length) && length >= 0 ? new FixedLengthStream(length) : new IdentityTransformStream();
}

// `response` as the visitor gets it, and a copy of its body read at the visitor's own pace: each
// chunk goes on to the visitor as it is read, and is kept for the copy while the body stays
// within `limit` bytes. Nothing is read ahead of the visitor, so a slow visitor holds no more
// than the copy. `copy` resolves to the chunks once the visitor has taken the whole body, or to
// null: past `limit`, once `boundMs` has passed (a visitor that stops reading holds no copy for
// ever), or when the visitor goes. A body given up streams on whole, piped by the runtime.
export function relay(response, limit, boundMs) {
  if (response.body === null) return { response, copy: Promise.resolve(null) };
  const decoded = response.headers.has("content-encoding");
  const { readable, writable } = passThrough(response.headers.get("content-length"), decoded);
  const headers = new Headers(response.headers);
  if (decoded) headers.delete("content-length");
  let chunks = [];
  let timer;
  const bound = new Promise((resolve) => {
    timer = setTimeout(() => {
      chunks = null;
      resolve(null);
    }, boundMs);
  });
  const copied = (async () => {
    const source = response.body.getReader();
    const sink = writable.getWriter();
    let size = 0;
    try {
      for (;;) {
        const { done, value } = await source.read();
        if (done) {
          await sink.close();
          return chunks;
        }
        size += value.byteLength;
        const keeping = chunks !== null && size <= limit;
        if (keeping) chunks.push(value);
        await sink.write(value);
        if (!keeping) {
          chunks = null;
          sink.releaseLock();
          source.releaseLock();
          response.body.pipeTo(writable).catch(() => {});
          return null;
        }
      }
    } catch (error) {
      source.cancel(error).catch(() => {});
      sink.abort(error).catch(() => {});
      return null;
    }
  })();
  const copy = Promise.race([copied, bound]).finally(() => clearTimeout(timer));
  return { response: new Response(readable, { status: response.status, statusText: response.statusText, headers }), copy };
}
