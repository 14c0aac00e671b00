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
        let url = parse_url(raw).map_err(|e| match e {
            UrlError::NonAsciiHost => format!(
                "{shown:?} has characters outside ASCII in its host; write an international domain name in its ASCII \
                 form (xn--…)"
            ),
            UrlError::Invalid(e) => format!("{shown:?} is not a URL ({e})"),
        })?;
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

/// Why [`parse_url`] refused a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlError {
    /// The host holds a character outside ASCII, literally or %-escaped.
    NonAsciiHost,
    Invalid(url::ParseError),
}

/// Stands in for each character outside ASCII in the copy [`parse_url`] parses first: lower-case
/// ASCII letters, which url keeps as they are in a host and in a path.
/// Begins with a letter that is not a hex digit, so that a `%` before it stays a lone `%` in the
/// probe as it is in the original, never becoming a %-escape of its own.
const NON_ASCII_MARK: &str = "zzedgepagesnonasciizz";

/// `Url::parse`, but a host that holds a character outside ASCII is refused before url's IDNA
/// step sees it, in every build. The workspace pins url's IDNA back end to idna_adapter 1.0
/// (ASCII only, see the workspace's Cargo.toml), whose `map_normalize` asserts, in debug builds
/// only, that no upper-case ASCII letter follows a non-ASCII character in a label: the config
/// fuzzer's first crash was an origin `https://UUUU\u{feff}UUUU`. So where `raw` holds such a
/// character (or a %-escape of a byte above 0x7F, which url decodes in a host), a copy with each
/// one replaced by [`NON_ASCII_MARK`] is parsed first: the structure is the same, as every
/// delimiter is ASCII, and a host holding the mark is refused.
///
/// url first removes every ASCII tab and newline from its input (WHATWG URL's basic URL parser,
/// <https://url.spec.whatwg.org/#concept-basic-url-parser>), which can join `%` and two hex
/// digits into a %-escape the text did not show; the probe is made from the same stripped text.
pub fn parse_url(raw: &str) -> Result<Url, UrlError> {
    let stripped: String = raw.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
    let probe = ascii_probe(&stripped);
    if probe != stripped {
        let parsed = Url::parse(&probe).map_err(UrlError::Invalid)?;
        if parsed.host_str().is_some_and(|host| host.contains(NON_ASCII_MARK)) {
            return Err(UrlError::NonAsciiHost);
        }
    }
    Url::parse(raw).map_err(UrlError::Invalid)
}

/// `raw` with each character outside ASCII, and each %-escape of a byte above 0x7F, replaced by
/// [`NON_ASCII_MARK`].
fn ascii_probe(raw: &str) -> String {
    let mut probe = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        let high_escape = rest.as_bytes().get(..3).is_some_and(|b| {
            b[0] == b'%' && matches!(b[1], b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F') && b[2].is_ascii_hexdigit()
        });
        if high_escape {
            probe.push_str(NON_ASCII_MARK);
            rest = &rest[3..];
        } else {
            if c.is_ascii() {
                probe.push(c);
            } else {
                probe.push_str(NON_ASCII_MARK);
            }
            rest = &rest[c.len_utf8()..];
        }
    }
    probe
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

    /// The config fuzzer's first crash (`fuzz/corpus/config/crash-idna-bom-upper-case`): in a
    /// debug build, url's IDNA step asserted on this host and the whole process panicked.
    #[test]
    fn a_host_outside_ascii_is_refused_in_every_build_never_a_panic() {
        for raw in [
            "https://UUUU\u{feff}UUUU",
            "https://a\u{feff}B.example/",
            "https://UU%EF%BB%BFUU/",
            "https://%EF%BB%BF%55/",
            "https:UU\u{feff}UU",
            "https:\\\\UU\u{feff}UU\\x",
            "https://user:pw@\u{e9}X.example",
            "http://ÉXAMPLE.com",
        ] {
            let err = Origin::parse(raw).unwrap_err();
            assert!(err.contains("characters outside ASCII in its host") && err.contains("xn--"), "{raw}: {err}");
        }
        // A `%` before the character: the probe must not turn it into a %-escape of its own (the
        // fuzzer's second crash: the mark began with `ed`, a hex byte).
        for raw in
            ["https:/.Um..UUU%\u{feff}UUU]U]UUUUUU>UUUU]UUUUUUUUUUU", "https://UU%\u{feff}UU", "https://UU%\u{e9}X"]
        {
            assert!(Origin::parse(raw).is_err(), "{raw}");
        }
        // url removes every tab and newline before it parses (WHATWG URL: "remove all ASCII tab
        // or newline from input"), so `%\t88` is a %-escape of a high byte to url: the probe must
        // see the string url sees (the fuzzer's third crash).
        for raw in ["https:-.@@@Um..UUU%\t\t88\t88UU", "https://UU%\n8\r8UU/", "https://U%E\tF%BB%BFUU"] {
            assert!(Origin::parse(raw).is_err(), "{raw:?}");
        }
        // Outside the host, such characters are url's to escape, as before.
        let path = Origin::parse("https://app.internal/caf\u{e9}/").unwrap();
        assert_eq!(path.path_prefix(), Some("/caf%C3%A9"));
        assert_eq!(Origin::parse("https://app.internal/caf%C3%A9").unwrap().path_prefix(), Some("/caf%C3%A9"));
        assert!(Origin::parse("https://xn--caf-dma.example").is_ok(), "the ASCII form of an international name");
        assert!(Origin::parse("https://XN--CAF-DMA.example").is_ok());
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
