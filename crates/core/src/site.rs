//! A [`Site`]: a checked config plus the brand assets it names, with everything that does not
//! change per request (the stylesheet and the CSP hashes) computed once.

use askama::Template;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::config::{Config, Palette};
pub use crate::logo::LogoError;

/// The retry script, verbatim from `pages/templates/retry.js`; its hash goes into the CSP.
pub(crate) const RETRY_SCRIPT: &str = include_str!("../../../pages/templates/retry.js");

#[derive(Template)]
#[template(path = "style.css", escape = "none")]
struct Style<'a> {
    light: &'a Palette,
    dark: &'a Palette,
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
    /// The site's own templates (`[pages]`), when it has them.
    #[cfg(feature = "user-template")]
    pub(crate) templates: Option<crate::template::UserTemplates>,
}

impl Site {
    /// `logo_svg` is the text of the file `config.brand.logo` names; the caller reads it.
    pub fn new(config: Config, logo_svg: Option<&str>) -> Result<Self, SiteError> {
        #[cfg(feature = "logo")]
        let logo_svg = logo_svg.map(crate::logo::prepare).transpose()?;
        #[cfg(not(feature = "logo"))]
        let logo_svg: Option<String> = match logo_svg {
            Some(_) => return Err(LogoError::NotBuilt.into()),
            None => None,
        };
        let style = Style { light: &config.brand.light, dark: &config.brand.dark }.render()?;
        let csp = format!(
            "default-src 'none'; style-src '{}'; script-src '{}'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'",
            sha256_source(&style),
            sha256_source(RETRY_SCRIPT)
        );
        Ok(Site::from_prepared_parts(config, logo_svg, style, csp))
    }

    /// Reassembles a site from the parts [`Site::new`] prepared, as baked source does. No checks
    /// are made: the parts must come from a `Site` built with [`Site::new`].
    pub fn from_prepared_parts(config: Config, logo_svg: Option<String>, style: String, csp: String) -> Self {
        Site {
            config,
            logo_svg,
            style,
            csp,
            #[cfg(feature = "user-template")]
            templates: None,
        }
    }

    /// The site with its own templates, and the CSP computed from the pages they render
    /// ([`crate::template::check::prepare`] makes both; baked source passes them back in).
    #[cfg(feature = "user-template")]
    #[must_use]
    pub fn with_templates(self, templates: crate::template::UserTemplates, csp: String) -> Self {
        Site { templates: Some(templates), csp, ..self }
    }

    /// The site's own templates, if it has them.
    #[cfg(feature = "user-template")]
    pub fn templates(&self) -> Option<&crate::template::UserTemplates> {
        self.templates.as_ref()
    }

    /// The page's content security policy, as put in its `<meta>` tag.
    pub fn csp(&self) -> &str {
        &self.csp
    }
}

/// `sha256-…` for a CSP source list.
pub(crate) fn sha256_source(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csp_hashes_the_exact_inline_style_and_script() {
        let config = crate::config::load::parse("[brand]\nname = \"X\"\n", "t.toml").unwrap();
        let site = Site::new(config, None).unwrap();
        assert!(site.csp.contains(&sha256_source(&site.style)));
        assert!(site.csp.contains(&sha256_source(RETRY_SCRIPT)));
        assert!(!site.csp.contains("unsafe-inline"));
    }
}
