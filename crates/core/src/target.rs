//! Where the edge sends a request: the request's own URL (on a Cloudflare route), or with the
//! scheme, host and port of a configured origin (`ORIGIN_URL`, or an `[[edge.paths]]` origin),
//! whose path, if it has one, goes before the request's. Origins are checked once, when the
//! config is checked or the worker starts, never per request.

use url::{Position, Url};

/// A checked origin: where requests are sent instead of their own host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    url: Url,
}

impl Origin {
    /// Parses and checks an origin URL: `http` or `https`, a host, and at most a path (no user,
    /// password, query or fragment, which would be silently dropped or sent where they do not
    /// belong).
    pub fn parse(raw: &str) -> Result<Origin, String> {
        // Errors are logged by the worker: they show the value without any credential in it.
        let shown = without_userinfo(raw.trim());
        let raw = raw.trim();
        let url = Url::parse(raw).map_err(|e| format!("{shown:?} is not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{shown:?} must be an http:// or https:// URL"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("{shown:?} has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!("{shown:?} must not carry a user name or password"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!("{shown:?} must not have a query or a fragment"));
        }
        Ok(Origin { url })
    }

    /// The path put before each request's path, without its trailing slash; `None` for none.
    pub fn path_prefix(&self) -> Option<&str> {
        let path = self.url.path().trim_end_matches('/');
        (!path.is_empty()).then_some(path)
    }

    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }
}

/// `raw` with whatever stands before an `@` in its authority (a user name, a password) replaced
/// by `…`, so that it can be shown and logged.
fn without_userinfo(raw: &str) -> String {
    let (scheme, rest) = raw.split_once("://").unwrap_or(("", raw));
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) if scheme.is_empty() => format!("…{}", &rest[at..]),
        Some(at) => format!("{scheme}://…{}", &rest[at..]),
        None => raw.to_owned(),
    }
}

/// `url` sent to `origin`: its scheme, host and port (and path prefix) replaced by the origin's;
/// `url` itself when there is no origin.
pub fn target_url(url: &Url, origin: Option<&Origin>) -> Url {
    let Some(origin) = origin else { return url.clone() };
    let base = &origin.url[..Position::BeforePath];
    let prefix = origin.path_prefix().unwrap_or_default();
    let rest = &url[Position::BeforePath..];
    // Both halves come from parsed URLs, so their concatenation parses; the fallback is only for
    // the type system.
    Url::parse(&format!("{base}{prefix}{rest}")).unwrap_or_else(|_| url.clone())
}

/// The host (with a port other than the scheme's default) and scheme the visitor asked for, as
/// the edge names them to the origin in every mode.
pub fn public_side(url: &Url) -> (&str, &str) {
    (&url[Position::BeforeHost..Position::AfterPort], url.scheme())
}

/// Scheme, host and port: one breaker per origin.
pub fn breaker_key(target: &Url) -> &str {
    &target[..Position::BeforePath]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn origins_are_checked_once_with_a_reason() {
        assert!(Origin::parse("https://app.internal:8443").is_ok());
        assert!(Origin::parse(" http://127.0.0.1:9101/ ").is_ok());
        for (raw, why) in [
            ("app.internal", "is not a URL"),
            ("ftp://app.internal", "must be an http:// or https:// URL"),
            ("https://exa mple.com", "is not a URL"),
            ("https://:80", "is not a URL"),
            ("https://user:pw@app.internal", "user name or password"),
            ("https://app.internal/?x=1", "query or a fragment"),
            ("https://app.internal/#top", "query or a fragment"),
        ] {
            let err = Origin::parse(raw).unwrap_err();
            assert!(err.contains(why), "{raw}: {err}");
        }
    }

    #[test]
    fn a_refused_origin_never_echoes_its_password() {
        // The worker logs these refusals: a credential in the value must not reach the log.
        for raw in [
            "https://user:s3cret@app.internal",
            "https://user:s3cret@exa mple.com",
            "ftp://user:s3cret@app.internal",
            "https://user:s3cret@app.internal/?q=1",
        ] {
            let err = Origin::parse(raw).unwrap_err();
            assert!(!err.contains("s3cret"), "{raw}: {err}");
            assert!(err.contains("app.internal") || err.contains("exa mple.com"), "{raw}: the host still helps: {err}");
        }
    }

    #[test]
    fn requests_keep_their_path_and_query_and_take_the_origins_host_and_path() {
        let req = url("https://shop.example/cart/items?page=2&x=%20");
        assert_eq!(target_url(&req, None), req);
        let plain = Origin::parse("http://127.0.0.1:9101").unwrap();
        assert_eq!(target_url(&req, Some(&plain)).as_str(), "http://127.0.0.1:9101/cart/items?page=2&x=%20");
        let prefixed = Origin::parse("https://app.internal/v2/").unwrap();
        assert_eq!(prefixed.path_prefix(), Some("/v2"));
        assert_eq!(target_url(&req, Some(&prefixed)).as_str(), "https://app.internal/v2/cart/items?page=2&x=%20");
        assert_eq!(target_url(&url("https://shop.example/"), Some(&prefixed)).as_str(), "https://app.internal/v2/");
        assert_eq!(plain.path_prefix(), None);
    }

    #[test]
    fn the_public_side_is_what_the_visitor_asked_for() {
        let req = url("https://shop.example:8443/a?b");
        let target = target_url(&req, Some(&Origin::parse("http://10.0.0.1").unwrap()));
        assert_eq!(public_side(&req), ("shop.example:8443", "https"));
        assert_eq!(public_side(&url("https://shop.example:443/a")), ("shop.example", "https"), "the default port goes");
        assert_eq!(breaker_key(&target), "http://10.0.0.1");
    }
}
