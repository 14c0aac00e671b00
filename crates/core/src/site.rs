//! A [`Site`]: a checked config plus the brand assets it names, with everything that does not
//! change per request (the stylesheet and the CSP hashes) computed once.

use askama::Template;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::config::{Config, Palette};

/// The retry script, verbatim from `pages/templates/retry.js`; its hash goes into the CSP.
pub(crate) const RETRY_SCRIPT: &str = include_str!("../../../pages/templates/retry.js");

/// The largest logo accepted, before it is inlined into every page.
const MAX_LOGO_BYTES: usize = 16 * 1024;

#[derive(Template)]
#[template(path = "style.css", escape = "none")]
struct Style<'a> {
    light: &'a Palette,
    dark: &'a Palette,
}

/// Why a logo cannot be inlined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogoError {
    #[error("the logo is {0} bytes; at most {MAX_LOGO_BYTES} fit in a page")]
    TooLarge(usize),
    #[error("the logo is not an SVG document (it must start with <svg and end with </svg>)")]
    NotSvg,
    #[error("the logo contains {0}, which is not allowed in an inlined logo")]
    Forbidden(&'static str),
}

#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error(transparent)]
    Logo(#[from] LogoError),
    #[error("rendering the stylesheet failed: {0}")]
    Style(#[from] askama::Error),
}

/// Everything render needs that is fixed for a deployment. The edge compiles one in (see
/// [`crate::bake`]) instead of parsing TOML and hashing CSS on every cold start.
#[derive(Debug, Clone)]
pub struct Site {
    pub config: Config,
    pub(crate) logo_svg: Option<String>,
    pub(crate) style: String,
    pub(crate) csp: String,
}

impl Site {
    /// `logo_svg` is the text of the file `config.brand.logo` names; the caller reads it.
    pub fn new(config: Config, logo_svg: Option<&str>) -> Result<Self, SiteError> {
        let logo_svg = logo_svg.map(prepare_logo).transpose()?;
        let style = Style { light: &config.brand.light, dark: &config.brand.dark }.render()?;
        let csp = format!(
            "default-src 'none'; style-src '{}'; script-src '{}'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'",
            sha256_source(&style),
            sha256_source(RETRY_SCRIPT)
        );
        Ok(Site { config, logo_svg, style, csp })
    }

    /// Reassembles a site from the parts [`Site::new`] prepared, as baked source does. No checks
    /// are made: the parts must come from a `Site` built with [`Site::new`].
    pub fn from_prepared_parts(config: Config, logo_svg: Option<String>, style: String, csp: String) -> Self {
        Site { config, logo_svg, style, csp }
    }

    /// The page's content security policy, as put in its `<meta>` tag.
    pub fn csp(&self) -> &str {
        &self.csp
    }
}

/// `sha256-…` for a CSP source list.
fn sha256_source(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(digest))
}

/// Checks a logo and strips what must not be inlined (XML prolog, doctype, leading comments).
///
/// The page's CSP would block scripts and inline styles in the logo anyway; refusing them here
/// tells the site's owner at `check` time instead of leaving a broken logo in production.
pub fn prepare_logo(svg: &str) -> Result<String, LogoError> {
    if svg.len() > MAX_LOGO_BYTES {
        return Err(LogoError::TooLarge(svg.len()));
    }
    let mut rest = svg.trim_start_matches('\u{feff}').trim();
    loop {
        let skip = if rest.starts_with("<?") {
            rest.find("?>").map(|i| i + 2)
        } else if rest.starts_with("<!--") {
            rest.find("-->").map(|i| i + 3)
        } else if rest.starts_with("<!") {
            rest.find('>').map(|i| i + 1)
        } else {
            break;
        };
        rest = rest[skip.ok_or(LogoError::NotSvg)?..].trim_start();
    }
    if !rest.starts_with("<svg") || !rest.ends_with("</svg>") {
        return Err(LogoError::NotSvg);
    }
    let lower = rest.to_ascii_lowercase();
    let forbidden: [(&str, &'static str); 8] = [
        ("<script", "a <script> element"),
        ("<foreignobject", "a <foreignObject> element"),
        ("<style", "a <style> element (use presentation attributes like fill=)"),
        (" style=", "a style= attribute (use presentation attributes like fill=)"),
        ("javascript:", "a javascript: URL"),
        ("href=\"http", "a link to an external resource"),
        ("href='http", "a link to an external resource"),
        ("<!entity", "an XML entity declaration"),
    ];
    for (needle, what) in forbidden {
        if lower.contains(needle) {
            return Err(LogoError::Forbidden(what));
        }
    }
    if has_event_handler(&lower) {
        return Err(LogoError::Forbidden("an on…= event handler attribute"));
    }
    Ok(rest.to_owned())
}

/// Finds attributes such as `onload=` preceded by whitespace.
fn has_event_handler(lower: &str) -> bool {
    let bytes = lower.as_bytes();
    lower.match_indices("on").any(|(i, _)| {
        let preceded = i > 0 && bytes[i - 1].is_ascii_whitespace();
        let name_len = bytes[i + 2..].iter().take_while(|b| b.is_ascii_alphabetic()).count();
        let after = i + 2 + name_len;
        let followed = bytes[after..].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'=');
        preceded && name_len > 0 && followed
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGO: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#123"/></svg>"##;

    #[test]
    fn logo_prolog_and_comments_are_stripped() {
        let with_prolog = format!("<?xml version=\"1.0\"?>\n<!-- made by hand -->\n<!DOCTYPE svg>\n{LOGO}\n");
        assert_eq!(prepare_logo(&with_prolog).unwrap(), LOGO);
    }

    #[test]
    fn unsafe_logos_are_refused_with_a_reason() {
        let cases = [
            ("<svg><script>alert(1)</script></svg>", "<script>"),
            ("<svg onload=\"alert(1)\"></svg>", "event handler"),
            ("<svg><rect\n  onclick = 'x'/></svg>", "event handler"),
            ("<svg><image href=\"https://evil.example/x.png\"/></svg>", "external"),
            ("<svg><a href=\"javascript:alert(1)\"/></svg>", "javascript:"),
            ("<svg><rect style=\"fill:red\"/></svg>", "style="),
            ("<svg><foreignObject/></svg>", "foreignObject"),
        ];
        for (svg, why) in cases {
            let err = prepare_logo(svg).unwrap_err().to_string();
            assert!(err.contains(why), "{svg}: {err}");
        }
        assert_eq!(prepare_logo("<png/>"), Err(LogoError::NotSvg));
        assert_eq!(prepare_logo("<?xml"), Err(LogoError::NotSvg));
        assert!(matches!(prepare_logo(&"x".repeat(MAX_LOGO_BYTES + 1)), Err(LogoError::TooLarge(_))));
    }

    #[test]
    fn words_containing_on_are_not_handlers() {
        assert!(prepare_logo(r#"<svg><text font-family="monospace" data-x="one">Acme</text></svg>"#).is_ok());
    }

    #[test]
    fn csp_hashes_the_exact_inline_style_and_script() {
        let config = crate::config::load::parse("[brand]\nname = \"X\"\n", "t.toml").unwrap();
        let site = Site::new(config, None).unwrap();
        assert!(site.csp.contains(&sha256_source(&site.style)));
        assert!(site.csp.contains(&sha256_source(RETRY_SCRIPT)));
        assert!(!site.csp.contains("unsafe-inline"));
    }
}
