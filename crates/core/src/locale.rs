//! The bundled translations (compiled from `pages/locales/*.toml`) and lookups into them.

use crate::page::PageKind;

/// Writing direction of a locale, set as `<html dir>` on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextDirection {
    Ltr,
    Rtl,
}

impl TextDirection {
    pub fn as_str(self) -> &'static str {
        match self {
            TextDirection::Ltr => "ltr",
            TextDirection::Rtl => "rtl",
        }
    }
}

/// Strings shared by every page of a locale.
#[derive(Debug)]
pub struct Common {
    pub error_code: &'static str,
    pub try_now: &'static str,
    pub retry_in: &'static str,
    pub checking: &'static str,
    pub still_down: &'static str,
    pub recovered: &'static str,
    pub no_script: &'static str,
    pub until: &'static str,
    pub reference: &'static str,
    pub time: &'static str,
    pub page: &'static str,
    pub support: &'static str,
    pub status_page: &'static str,
    /// Above the status page's incident: where the words below it come from.
    pub incident: &'static str,
    /// When the status page's latest update was posted, around `{time}`.
    pub updated: &'static str,
    /// Above a stale copy of a page, when the config asks for it.
    pub stale_notice: &'static str,
}

/// The three sentences of one page: what it is, what happened, what to do.
#[derive(Debug, Clone, Copy)]
pub struct PageCopy {
    pub title: &'static str,
    pub message: &'static str,
    pub advice: &'static str,
}

/// Copy for every page kind.
#[derive(Debug)]
pub struct Pages {
    pub internal_error: PageCopy,
    pub bad_gateway: PageCopy,
    pub unavailable: PageCopy,
    pub gateway_timeout: PageCopy,
    pub maintenance: PageCopy,
    pub fallback: PageCopy,
}

/// One bundled locale.
#[derive(Debug)]
pub struct Locale {
    /// BCP 47 tag, for example `en` or `cy`.
    pub tag: &'static str,
    /// The language's own name for itself.
    pub name: &'static str,
    pub dir: TextDirection,
    pub common: Common,
    pub pages: Pages,
}

/// Locales are static and unique by tag.
impl PartialEq for Locale {
    fn eq(&self, other: &Self) -> bool {
        self.tag == other.tag
    }
}

impl Eq for Locale {}

impl Locale {
    pub fn page(&self, kind: PageKind) -> &PageCopy {
        match kind {
            PageKind::InternalError => &self.pages.internal_error,
            PageKind::BadGateway => &self.pages.bad_gateway,
            PageKind::Unavailable => &self.pages.unavailable,
            PageKind::GatewayTimeout => &self.pages.gateway_timeout,
            PageKind::Maintenance => &self.pages.maintenance,
            PageKind::Fallback => &self.pages.fallback,
        }
    }
}

include!(concat!(env!("OUT_DIR"), "/locales.rs"));

/// The bundled locale with this tag (exact, case-insensitive), if any.
pub fn find(tag: &str) -> Option<&'static Locale> {
    LOCALES.iter().find(|l| l.tag.eq_ignore_ascii_case(tag))
}

/// Every bundled tag, for error messages.
pub fn bundled_tags() -> Vec<&'static str> {
    LOCALES.iter().map(|l| l.tag).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_and_at_least_three_translations_are_bundled() {
        for tag in ["en", "cy", "fr", "de", "ar"] {
            assert!(find(tag).is_some(), "{tag} missing");
        }
        assert_eq!(find("AR").map(|l| l.dir), Some(TextDirection::Rtl));
        assert_eq!(find("fr").map(|l| l.dir), Some(TextDirection::Ltr));
        assert!(find("xx").is_none());
    }

    #[test]
    fn translations_differ_from_english() {
        let en = find("en").unwrap();
        for locale in LOCALES.iter().filter(|l| l.tag != "en") {
            for kind in PageKind::ALL {
                assert_ne!(locale.page(kind).title, en.page(kind).title, "{} {kind:?}", locale.tag);
            }
        }
    }
}
