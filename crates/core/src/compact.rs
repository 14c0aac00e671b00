//! The compact maintenance page an ALB serves itself from a fixed-response rule: at most
//! [`ALB_BODY_LIMIT`] characters, self-contained (no script, image, font or request of any
//! kind), in one language, with the brand's name and colours and the expected end.

use askama::Template;

use crate::config::rfc3339;
use crate::locale::{self, Locale};
use crate::page::PageKind;
use crate::render::{RenderError, page_copy, shown_time};
use crate::site::Site;

/// The most characters an ALB fixed response's body may have.
pub const ALB_BODY_LIMIT: usize = 1024;

/// The content type the page is served with; the ALB allows `text/html`.
pub const CONTENT_TYPE: &str = "text/html";

#[derive(Template)]
#[template(path = "compact.html")]
struct CompactPage<'a> {
    lang: &'a str,
    dir: &'a str,
    brand_name: &'a str,
    copy: crate::render::Copy<'a>,
    /// (text before the time, ISO time, shown time, text after).
    until: Option<(&'a str, String, String, &'a str)>,
    /// (background, text) for each colour scheme.
    light: (String, String),
    dark: (String, String),
}

/// The page in `locale`, saying the site is expected back at `until` (Unix seconds) if given.
pub fn render(site: &Site, locale: &Locale, until: Option<u64>) -> Result<String, RenderError> {
    let brand = &site.config.brand;
    let custom = site.config.copy.get(locale.tag).and_then(|p| p.get(&PageKind::Maintenance));
    CompactPage {
        lang: locale.tag,
        dir: locale.dir.as_str(),
        brand_name: &brand.name,
        copy: page_copy(locale.page(PageKind::Maintenance), custom),
        until: until.map(|end| {
            let (before, after) = locale.common.until.split_once("{time}").unwrap_or((locale.common.until, ""));
            (before, rfc3339(end), shown_time(end), after)
        }),
        light: (brand.light.background.to_string(), brand.light.text.to_string()),
        dark: (brand.dark.background.to_string(), brand.dark.text.to_string()),
    }
    .render()
    .map_err(|e| RenderError::html(e.into()))
}

/// Each of the site's locales whose page, in its longest form (with an end time), is over
/// [`ALB_BODY_LIMIT`]: its tag and its length in characters.
pub fn over_limit(site: &Site) -> Result<Vec<(String, usize)>, RenderError> {
    let mut over = Vec::new();
    // Any end time renders to the same length.
    let longest_until = Some(4_102_444_800);
    for tag in &site.config.locales.available {
        let Some(locale) = locale::find(tag) else { continue };
        let chars = render(site, locale, longest_until)?.chars().count();
        if chars > ALB_BODY_LIMIT {
            over.push((locale.tag.to_owned(), chars));
        }
    }
    Ok(over)
}

#[cfg(all(test, feature = "toml"))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn site(extra: &str) -> Site {
        named("Shop", extra)
    }

    fn named(name: &str, extra: &str) -> Site {
        let text = format!(
            "[brand]\nname = {name:?}\n[locales]\ndefault = \"en\"\navailable = [\"en\", \"fr\", \"de\", \"cy\", \"ar\"]\n{extra}"
        );
        let config: Config = toml::from_str(&text).unwrap();
        Site::new(config, None).unwrap()
    }

    #[test]
    fn every_bundled_locale_fits_the_alb_limit_with_an_end_time() {
        let site = site("");
        assert_eq!(over_limit(&site).unwrap(), []);
        for tag in ["en", "fr", "de", "cy", "ar"] {
            let page = render(&site, locale::find(tag).unwrap(), Some(1_800_000_000)).unwrap();
            assert!(page.chars().count() <= ALB_BODY_LIMIT, "{tag}: {}", page.chars().count());
            assert!(page.contains(&format!("<html lang=\"{tag}\"")), "{page}");
            assert!(page.contains("<time datetime=\"2027-01-15T08:00:00Z\">2027-01-15 08:00 UTC</time>"), "{page}");
            for external in ["<script", "<img", "<link", "url(", "@import", "src="] {
                assert!(!page.contains(external), "{tag} has {external}");
            }
        }
        let ar = render(&site, locale::find("ar").unwrap(), None).unwrap();
        assert!(ar.contains("dir=\"rtl\"") && !ar.contains("<time"), "{ar}");
    }

    #[test]
    fn long_copy_is_caught_and_named_by_locale() {
        let long = "x".repeat(900);
        let site = site(&format!("[copy.fr.maintenance]\nmessage = \"{long}\"\n"));
        let over = over_limit(&site).unwrap();
        assert_eq!(over.len(), 1, "{over:?}");
        assert_eq!(over[0].0, "fr");
        assert!(over[0].1 > ALB_BODY_LIMIT);
    }

    #[test]
    fn the_brand_name_is_escaped() {
        let site = named("<b>Shop & Co</b>", "");
        let page = render(&site, locale::find("en").unwrap(), None).unwrap();
        assert!(
            page.contains("&#60;b&#62;Shop &#38; Co&#60;/b&#62;") || page.contains("&lt;b&gt;Shop &amp; Co"),
            "{page}"
        );
        assert!(!page.contains("<b>"), "{page}");
    }
}
