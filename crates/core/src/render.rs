//! Turns a [`PageDecision`] into a response: status, headers and a body in the negotiated
//! format and language. Every request-derived value is escaped by askama (HTML) or serde (JSON).

use askama::Template;
use serde::Serialize;

use crate::config::{CopyOverride, rfc3339};
use crate::decide::PageDecision;
use crate::locale::{Common, Locale, PageCopy};
use crate::negotiate::Format;
use crate::page::reason_phrase;
use crate::request::RequestFacts;
use crate::site::{RETRY_SCRIPT, Site};
use crate::status::{IncidentNote, StatusNote};

/// The request-specific facts a page may show. All optional: static pages have none.
#[derive(Debug, Clone, Default)]
pub struct RenderContext<'a> {
    /// The method of the request that failed; decides how the page reloads itself.
    pub method: Option<&'a str>,
    pub request_id: Option<&'a str>,
    /// Path and query, already cut for display.
    pub path: Option<String>,
    pub now_unix_s: Option<u64>,
    /// What the site's status page says now (`[status]`), as the edge last read it.
    pub status: Option<&'a StatusNote>,
}

impl<'a> RenderContext<'a> {
    pub fn for_request(req: &RequestFacts<'a>, now_unix_s: u64) -> Self {
        RenderContext {
            method: Some(req.method),
            request_id: req.request_id,
            path: Some(req.shown_path()),
            now_unix_s: Some(now_unix_s),
            status: None,
        }
    }

    /// This context, showing what the status page says (`None`: nothing, as without `[status]`).
    #[must_use]
    pub fn with_status(self, status: Option<&'a StatusNote>) -> Self {
        RenderContext { status, ..self }
    }
}

/// A rendered answer. Header names are lower-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Rendered {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// One page's sentences, after the config's overrides.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Copy<'a> {
    pub(crate) title: &'a str,
    pub(crate) message: &'a str,
    pub(crate) advice: &'a str,
}

#[derive(Template)]
#[template(path = "page.html")]
struct HtmlPage<'a> {
    lang: &'a str,
    dir: &'a str,
    csp: &'a str,
    style: &'a str,
    script: &'a str,
    brand_name: &'a str,
    logo: Option<&'a str>,
    code_label: String,
    copy: Copy<'a>,
    /// (text before the time, ISO time, shown time, text after).
    until: Option<(&'a str, String, String, &'a str)>,
    incident: Option<ShownIncident<'a>>,
    common: &'a Common,
    retry_after: u32,
    method: &'a str,
    support_url: Option<&'a str>,
    status_url: Option<&'a str>,
    reference: Option<&'a str>,
    time: Option<(String, String)>,
    path: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "page.txt", escape = "none")]
struct TextPage<'a> {
    /// The site's name: a plain-text answer says whose it is, as the HTML page's logo does.
    brand_name: &'a str,
    code_label: String,
    copy: Copy<'a>,
    until: Option<String>,
    incident: Option<ShownIncident<'a>>,
    common: &'a Common,
    retry_after: u32,
    reference: Option<&'a str>,
    support_url: Option<&'a str>,
    status_url: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "stale-banner.html")]
struct StaleBanner<'a> {
    lang: &'a str,
    dir: &'a str,
    notice: String,
    background: String,
    text: String,
    accent: String,
}

/// RFC 9457 problem details, with `about:blank` as the type so that `title` is the status phrase.
#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    type_: &'static str,
    title: &'static str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance: Option<&'a str>,
    kind: &'static str,
    retry_after: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    maintenance_until: Option<String>,
    /// [`crate::status::note::INCIDENT_MEMBER`]: the status page's open incident.
    #[serde(skip_serializing_if = "Option::is_none")]
    incident: Option<&'a IncidentNote>,
}

/// The status page's incident as a page shows it: third-party text, cleaned and capped when it
/// was read, escaped here like every other value, and set apart (`dir="auto"`) so that it keeps
/// its own direction on a page in another.
#[derive(Debug, Clone)]
pub(crate) struct ShownIncident<'a> {
    pub(crate) title: &'a str,
    pub(crate) update: Option<&'a str>,
    /// When the update was posted, split like the maintenance sentence: (before, ISO, shown,
    /// after).
    pub(crate) updated: Option<(&'a str, String, String, &'a str)>,
}

impl ShownIncident<'_> {
    /// The update's time as one sentence, for the text page.
    fn updated_sentence(&self) -> Option<String> {
        self.updated.as_ref().map(|(before, _, shown, after)| format!("{before}{shown}{after}"))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("rendering the {format:?} page failed: {source}")]
pub struct RenderError {
    format: Format,
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl RenderError {
    pub(crate) fn html(source: Box<dyn std::error::Error + Send + Sync>) -> Self {
        RenderError { format: Format::Html, source }
    }
}

/// The headers of the static fallback page, rendered when an adapter is built with `csp` as its
/// policy: every adapter answers with it when rendering at request time fails or its code traps.
pub fn fallback_headers(csp: &str) -> [(&'static str, &str); 8] {
    [
        ("content-type", "text/html; charset=utf-8"),
        ("cache-control", "no-store"),
        ("x-robots-tag", "noindex"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("content-security-policy", csp),
        ("retry-after", "10"),
        ("x-edgepages", "error; kind=fallback; cause=internal"),
    ]
}

/// Everything one page shows, worked out once for whichever template renders it: the bundled
/// one (askama) or the site's own ([`crate::template`]).
#[derive(Debug)]
pub(crate) struct PageView<'a> {
    // Read by the user template's variables only; askama's page takes its status in `code_label`.
    #[cfg_attr(not(feature = "user-template"), allow(dead_code))]
    pub(crate) status: u16,
    #[cfg_attr(not(feature = "user-template"), allow(dead_code))]
    pub(crate) kind: crate::page::PageKind,
    pub(crate) locale: &'a Locale,
    pub(crate) code_label: String,
    pub(crate) copy: Copy<'a>,
    /// The maintenance's end: the one in force, else the status page's maintenance in progress.
    pub(crate) maintenance_end: Option<u64>,
    pub(crate) incident: Option<&'a IncidentNote>,
    pub(crate) retry_after: u32,
    pub(crate) method: &'a str,
    pub(crate) request_id: Option<&'a str>,
    pub(crate) now_unix_s: Option<u64>,
    pub(crate) path: Option<&'a str>,
}

impl<'a> PageView<'a> {
    pub(crate) fn new(page: &PageDecision, site: &'a Site, ctx: &'a RenderContext<'a>) -> Self {
        let locale = page.locale;
        let copy = page_copy(locale.page(page.kind), site.config.copy.get(locale.tag).and_then(|p| p.get(&page.kind)));
        PageView {
            status: page.status,
            kind: page.kind,
            locale,
            code_label: locale.common.error_code.replace("{status}", &page.status.to_string()),
            copy,
            maintenance_end: page.maintenance_end.or_else(|| ctx.status.and_then(|s| s.maintenance_end)),
            incident: ctx.status.and_then(|s| s.incident.as_ref()),
            retry_after: page.retry_after_s,
            method: ctx.method.unwrap_or("GET"),
            request_id: ctx.request_id,
            now_unix_s: ctx.now_unix_s,
            path: ctx.path.as_deref(),
        }
    }

    /// The maintenance sentence split around its time: (before, ISO time, shown time, after).
    pub(crate) fn until_parts(&self) -> Option<(&'a str, String, String, &'a str)> {
        let until = self.locale.common.until;
        self.maintenance_end.map(|end| {
            let (before, after) = until.split_once("{time}").unwrap_or((until, ""));
            (before, rfc3339(end), shown_time(end), after)
        })
    }

    /// The status page's incident, ready to show.
    pub(crate) fn shown_incident(&self) -> Option<ShownIncident<'a>> {
        let updated = self.locale.common.updated;
        self.incident.map(|incident| ShownIncident {
            title: &incident.title,
            update: incident.update.as_deref(),
            updated: incident.updated_unix_s.map(|at| {
                let (before, after) = updated.split_once("{time}").unwrap_or((updated, ""));
                (before, rfc3339(at), shown_time(at), after)
            }),
        })
    }
}

/// Renders the answer for `page`.
pub fn render(page: &PageDecision, site: &Site, ctx: &RenderContext<'_>) -> Result<Rendered, RenderError> {
    let view = PageView::new(page, site, ctx);
    let brand = &site.config.brand;
    let fail = |format, e: Box<dyn std::error::Error + Send + Sync>| RenderError { format, source: e };

    let body = match (user_page(page.format, &view, site), page.format) {
        (Some(rendered), _) => rendered?,
        (None, Format::Html) => bundled_html(&view, site).map_err(|e| fail(Format::Html, e.into()))?,
        (None, Format::Plain) => TextPage {
            brand_name: &brand.name,
            code_label: view.code_label.clone(),
            copy: view.copy,
            until: view.maintenance_end.map(|end| view.locale.common.until.replace("{time}", &shown_time(end))),
            incident: view.shown_incident(),
            common: &view.locale.common,
            retry_after: view.retry_after,
            reference: view.request_id,
            support_url: brand.support_url.as_deref(),
            status_url: brand.status_url.as_deref(),
        }
        .render()
        .map_err(|e| fail(Format::Plain, e.into()))?,
        (None, Format::Problem) => serde_json::to_string(&Problem {
            type_: "about:blank",
            title: reason_phrase(page.status),
            status: page.status,
            detail: format!("{} {}", view.copy.message, view.copy.advice),
            instance: ctx.path.as_deref(),
            kind: page.kind.as_str(),
            retry_after: page.retry_after_s,
            request_id: ctx.request_id,
            maintenance_until: view.maintenance_end.map(rfc3339),
            incident: view.incident,
        })
        .map_err(|e| fail(Format::Problem, e.into()))?,
    };

    let locale = page.locale;
    let csp = match page.format {
        Format::Html => format!("{}; frame-ancestors 'none'", site.csp),
        Format::Problem | Format::Plain => "default-src 'none'; frame-ancestors 'none'".to_owned(),
    };
    let headers = vec![
        ("content-type", page.format.content_type().to_owned()),
        ("content-language", locale.tag.to_owned()),
        ("retry-after", page.retry_after_s.to_string()),
        ("cache-control", "no-store".to_owned()),
        ("x-robots-tag", "noindex".to_owned()),
        ("x-content-type-options", "nosniff".to_owned()),
        ("referrer-policy", "no-referrer".to_owned()),
        ("content-security-policy", csp),
        ("vary", "Accept, Accept-Language".to_owned()),
        ("x-edgepages", format!("error; kind={}; cause={}", page.kind.as_str(), page.reason.cause.label())),
    ];
    Ok(Rendered { status: page.status, headers, body })
}

/// The page from the site's own template for `format`, when it has one.
#[cfg(feature = "user-template")]
fn user_page(format: Format, view: &PageView<'_>, site: &Site) -> Option<Result<String, RenderError>> {
    use crate::template::Slot;
    let slot = match format {
        Format::Html => Slot::Html,
        Format::Plain => Slot::Text,
        Format::Problem => return None,
    };
    let templates = site.templates.as_ref()?;
    let rendered = templates.render(slot, &crate::template::vars::of(view, site))?;
    Some(rendered.map_err(|e| RenderError { format, source: e.into() }))
}

#[cfg(not(feature = "user-template"))]
#[allow(clippy::unnecessary_wraps)]
fn user_page(_: Format, _: &PageView<'_>, _: &Site) -> Option<Result<String, RenderError>> {
    None
}

/// The bundled HTML page (`pages/templates/page.html`).
fn bundled_html(view: &PageView<'_>, site: &Site) -> Result<String, askama::Error> {
    let brand = &site.config.brand;
    HtmlPage {
        lang: view.locale.tag,
        dir: view.locale.dir.as_str(),
        csp: &site.csp,
        style: &site.style,
        script: RETRY_SCRIPT,
        brand_name: &brand.name,
        logo: site.logo_svg.as_deref(),
        code_label: view.code_label.clone(),
        copy: view.copy,
        until: view.until_parts(),
        incident: view.shown_incident(),
        common: &view.locale.common,
        retry_after: view.retry_after,
        method: view.method,
        support_url: brand.support_url.as_deref(),
        status_url: brand.status_url.as_deref(),
        reference: view.request_id,
        time: view.now_unix_s.map(|now| (rfc3339(now), shown_time(now))),
        path: view.path,
    }
    .render()
}

/// The notice put at the top of a stale copy of a page that is `age_s` seconds old.
pub fn stale_banner(site: &Site, locale: &Locale, age_s: u64) -> Result<String, RenderError> {
    let palette = &site.config.brand.light;
    let minutes = age_s.div_ceil(60).max(1);
    StaleBanner {
        lang: locale.tag,
        dir: locale.dir.as_str(),
        notice: locale.common.stale_notice.replace("{minutes}", &minutes.to_string()),
        background: palette.background.to_string(),
        text: palette.text.to_string(),
        accent: palette.accent.to_string(),
    }
    .render()
    .map_err(|e| RenderError { format: Format::Html, source: e.into() })
}

pub(crate) fn page_copy<'a>(bundled: &'a PageCopy, custom: Option<&'a CopyOverride>) -> Copy<'a> {
    let pick = |custom: Option<&'a String>, bundled: &'a str| custom.map_or(bundled, String::as_str);
    Copy {
        title: pick(custom.and_then(|c| c.title.as_ref()), bundled.title),
        message: pick(custom.and_then(|c| c.message.as_ref()), bundled.message),
        advice: pick(custom.and_then(|c| c.advice.as_ref()), bundled.advice),
    }
}

/// `2026-11-24 18:00 UTC`: unambiguous in every locale; the page's script localises it.
pub(crate) fn shown_time(unix_s: u64) -> String {
    let iso = rfc3339(unix_s);
    format!("{} {} UTC", &iso[..10], &iso[11..16])
}

#[cfg(all(test, feature = "toml"))]
mod tests {
    use super::*;

    #[test]
    fn the_stale_banner_is_localised_and_rounds_the_age_up_to_minutes() {
        let config = crate::config::load::parse("[brand]\nname = \"X\"\n", "t.toml").unwrap();
        let site = Site::from_prepared_parts(config, None, String::new(), String::new());
        let en = crate::locale::find("en").unwrap();
        let banner = stale_banner(&site, en, 61).unwrap();
        assert!(banner.starts_with("<div id=\"edgepages-stale\" role=\"status\" lang=\"en\" dir=\"ltr\""), "{banner}");
        assert!(banner.contains("saved 2 min ago"), "{banner}");
        let ar = stale_banner(&site, crate::locale::find("ar").unwrap(), 0).unwrap();
        assert!(ar.contains("dir=\"rtl\"") && ar.contains("قبل 1 دقيقة"), "{ar}");
    }
}
