//! The set of static pages for CloudFront and S3: every page kind in the default locale at
//! `<prefix>/<stem>.html`, and in every available locale at `<prefix>/<locale>/<stem>.html`.

use crate::decide::static_page;
use crate::locale;
use crate::page::PageKind;
use crate::render::{RenderContext, RenderError, render};
use crate::site::Site;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticPage {
    /// The object key, such as `edgepages/503.html` or `edgepages/fr/503.html`.
    pub key: String,
    pub kind: PageKind,
    pub locale: &'static str,
    pub content_type: &'static str,
    pub body: String,
}

/// Renders every static page, in a fixed order (default locale first, then by locale tag).
pub fn static_pages(site: &Site) -> Result<Vec<StaticPage>, RenderError> {
    let config = &site.config;
    let prefix = config.pages_prefix();
    let default = locale::find(&config.locales.default).expect("a checked config names a bundled default locale");
    let mut locales: Vec<_> = config.locales.available.iter().filter_map(|tag| locale::find(tag)).collect();
    locales.sort_by_key(|l| l.tag);

    let mut pages = Vec::new();
    let targets =
        std::iter::once((default, String::new())).chain(locales.into_iter().map(|l| (l, format!("{}/", l.tag))));
    for (locale, folder) in targets {
        for kind in PageKind::ALL {
            let decision = static_page(kind, locale, config);
            let rendered = render(&decision, site, &RenderContext::default())?;
            pages.push(StaticPage {
                key: format!("{prefix}/{folder}{}.html", kind.file_stem()),
                kind,
                locale: locale.tag,
                content_type: decision.format.content_type(),
                body: rendered.body,
            });
        }
    }
    Ok(pages)
}
