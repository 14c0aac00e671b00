//! Prepares a site's own templates and holds them to the bundled page's promises: escaping on,
//! nothing but documented variables, every page × locale × format rendering (an undefined
//! value or a runtime error shows here, not at the edge), nothing loaded from outside the page,
//! and the retry script's hook present (unless `[pages] in_page_retry = false`).
//!
//! The pages are read with html5ever (through `scraper`), the parser browsers' own algorithm is
//! written to, not with patterns: what counts as a script, a style or an attribute is what a
//! browser would see. The CSP is computed from what it finds: the hash of every inline script
//! and style any page can have. A script or style whose text changes with the request (or the
//! Retry-After, or the maintenance end) could not be hashed ahead of time, and is refused.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use minijinja::machinery::{Token, tokenize};
use minijinja::syntax::SyntaxConfig;

use super::vars::NAMES;
use super::{FILTERS, Slot, TEMPLATE_TESTS as TESTS, TemplateError, TemplateSource, UserTemplates, column_of};
use crate::config::rfc3339;
use crate::decide::static_page;
use crate::locale::{self, Locale};
use crate::negotiate::Format;
use crate::page::PageKind;
use crate::render::{RenderContext, render};
use crate::site::{Site, sha256_source};
use crate::status::{Impact, IncidentNote, StatusNote};

/// Compiles `html` and `text`, checks them, and returns the site that renders with them, its
/// CSP computed from the rendered pages. Every problem found is returned, each naming its file
/// (and line and column, where the template has a place for it).
pub fn prepare(
    site: Site,
    html: Option<TemplateSource>,
    text: Option<TemplateSource>,
) -> Result<Site, Vec<TemplateError>> {
    let templates = UserTemplates::compile(html, text).map_err(|e| vec![e])?;
    let mut problems = Problems::default();
    for slot in [Slot::Html, Slot::Text] {
        if let Some(source) = templates.source(slot) {
            scan_tokens(source, &mut problems);
        }
    }
    // What the edge, which runs the compiled instructions without a parser, cannot be given.
    if let Err(found) = templates.bake() {
        for problem in found {
            problems.push(problem, None);
        }
    }
    if !problems.0.is_empty() {
        return Err(problems.into_vec());
    }

    // First pass: render everything under the bundled CSP, to learn the scripts and styles.
    let first = site.clone().with_templates(templates.clone(), site.csp.clone());
    let inventory = render_all(&first, &mut problems);
    if !problems.0.is_empty() {
        return Err(problems.into_vec());
    }
    // A text template alone leaves the bundled HTML page, and its CSP, as they are.
    let csp = if templates.source(Slot::Html).is_some() {
        csp_for(&inventory.scripts, &inventory.styles)
    } else {
        site.csp.clone()
    };
    let prepared = site.with_templates(templates, csp);

    // Second pass: with the real CSP in `{{ csp }}`, nothing hashed may change.
    let again = render_all(&prepared, &mut problems);
    if again.scripts != inventory.scripts || again.styles != inventory.styles {
        problems.add(
            prepared_source(&prepared),
            None,
            "a <script> or <style> changes with {{ csp }}; keep the CSP out of them",
        );
    }
    if problems.0.is_empty() { Ok(prepared) } else { Err(problems.into_vec()) }
}

fn prepared_source(site: &Site) -> &TemplateSource {
    site.templates()
        .and_then(|t| t.source(Slot::Html).or_else(|| t.source(Slot::Text)))
        .expect("a prepared site has a template")
}

/// The CSP for pages whose inline scripts and styles are exactly these texts.
fn csp_for(scripts: &BTreeSet<String>, styles: &BTreeSet<String>) -> String {
    let sources = |texts: &BTreeSet<String>| {
        if texts.is_empty() {
            "'none'".to_owned()
        } else {
            let hashes: BTreeSet<String> = texts.iter().map(|t| format!("'{}'", sha256_source(t))).collect();
            hashes.into_iter().collect::<Vec<_>>().join(" ")
        }
    };
    format!(
        "default-src 'none'; style-src {}; script-src {}; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'",
        sources(styles),
        sources(scripts)
    )
}

/// Problems, each once (the first page it was seen on names it), in the order found.
#[derive(Default)]
pub(super) struct Problems(BTreeMap<String, (usize, TemplateError)>);

impl Problems {
    fn add(&mut self, source: &TemplateSource, at: Option<usize>, message: impl Into<String>) {
        self.add_on(source, at, message, None);
    }

    /// A problem seen while rendering `page`.
    pub(super) fn add_on(
        &mut self,
        source: &TemplateSource,
        at: Option<usize>,
        message: impl Into<String>,
        page: Option<&str>,
    ) {
        let (line, column) = match at {
            Some(offset) => (Some(line_of(&source.text, offset)), Some(column_of(&source.text, offset))),
            None => (None, None),
        };
        self.push(TemplateError { file: source.path.clone(), line, column, message: message.into() }, page);
    }

    fn push(&mut self, mut error: TemplateError, page: Option<&str>) {
        let order = self.0.len();
        let key = error.to_string();
        if let Some(page) = page {
            error.message = format!("{} ({page})", error.message);
        }
        self.0.entry(key).or_insert((order, error));
    }

    fn into_vec(self) -> Vec<TemplateError> {
        let mut all: Vec<_> = self.0.into_values().collect();
        all.sort_by_key(|(order, _)| *order);
        all.into_iter().map(|(_, e)| e).collect()
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).unwrap_or(text).matches('\n').count() + 1
}

/// What autoescaping forbids, and names that are not variables, found in the template's tokens.
fn scan_tokens(source: &TemplateSource, out: &mut Problems) {
    let mut previous: Option<Token<'_>> = None;
    let mut before_previous: Option<Token<'_>> = None;
    let mut names_used = BTreeMap::new();
    for token in tokenize(&source.text, false, SyntaxConfig::default()) {
        let Ok((token, span)) = token else { break };
        let at = Some(span.start_offset as usize);
        match (&previous, &token) {
            (Some(Token::Pipe | Token::Ident("filter")), Token::Ident("safe")) => out.add(
                source,
                at,
                "the `safe` filter is not available: every value is escaped, and the values that are markup \
                 (logo, style, retry_script) are marked so already",
            ),
            (Some(Token::BlockStart), Token::Ident("autoescape")) => {
                out.add(
                    source,
                    at,
                    "`autoescape` cannot be changed: every value printed into the HTML page is escaped",
                );
            }
            (Some(Token::Pipe | Token::Ident("filter")), Token::Ident(name)) if !FILTERS.contains(name) => out.add(
                source,
                at,
                format!("there is no `{name}` filter here; the filters are: {}", FILTERS.join(", ")),
            ),
            (Some(Token::Ident("is" | "not")), Token::Ident(name))
                if !TESTS.contains(name)
                    && *name != "not"
                    && previous_was_is(previous.as_ref(), before_previous.as_ref()) =>
            {
                out.add(source, at, format!("there is no `{name}` test here; the tests are: {}", TESTS.join(", ")));
            }
            _ => {}
        }
        if let Token::Ident(name) = token {
            names_used.entry(name.to_owned()).or_insert(span.start_offset as usize);
        }
        before_previous = previous.take();
        previous = Some(token);
    }

    // The names the template reads but never sets; each must be a documented variable.
    let env = super::environment();
    if let Ok(template) = env.template_from_str(&source.text) {
        let mut unknown: Vec<_> =
            template.undeclared_variables(false).into_iter().filter(|name| !NAMES.contains(&name.as_str())).collect();
        unknown.sort();
        for name in unknown {
            out.add(
                source,
                names_used.get(&name).copied(),
                format!("`{name}` is not a template variable; the variables are: {}", NAMES.join(", ")),
            );
        }
    }
}

/// `is` (or `is not`) came just before the name a test is named by.
fn previous_was_is(previous: Option<&Token<'_>>, before_previous: Option<&Token<'_>>) -> bool {
    matches!(previous, Some(Token::Ident("is")))
        || matches!((previous, before_previous), (Some(Token::Ident("not")), Some(Token::Ident("is"))))
}

/// The inline scripts and styles of every page.
#[derive(Debug, Default, PartialEq, Eq)]
struct Inventory {
    scripts: BTreeSet<String>,
    styles: BTreeSet<String>,
}

/// One way a page can be rendered: the request and the values that change at the edge.
struct Variation {
    name: &'static str,
    context: RenderContext<'static>,
    retry_after_extra: u32,
    maintenance_end: Option<u64>,
}

/// What a status page (`[status]`) adds to a request's page: an incident with an update, and a
/// maintenance's end. The hostile one carries every character escaping must deal with.
fn status_note(hostile: bool) -> &'static StatusNote {
    static PLAIN: LazyLock<StatusNote> =
        LazyLock::new(|| note("Checkout errors", "We are rolling back the deploy.", 0));
    static HOSTILE: LazyLock<StatusNote> = LazyLock::new(|| {
        note("\"' onmouseover=alert(1) x=\"><x-injected>&amp;", "</style></script><!-- \u{202E}a < b && c", 100_000_000)
    });
    fn note(title: &str, update: &str, later: u64) -> StatusNote {
        let at = 1_795_543_000 + later;
        StatusNote {
            incident: Some(IncidentNote {
                title: title.to_owned(),
                impact: Impact::Major,
                update: Some(update.to_owned()),
                updated_at: Some(rfc3339(at)),
                updated_unix_s: Some(at),
            }),
            maintenance_end: Some(at + 3600),
        }
    }
    if hostile { &HOSTILE } else { &PLAIN }
}

fn variations() -> [Variation; 3] {
    [
        // As `render` writes it for CloudFront: no request at all.
        Variation { name: "static", context: RenderContext::default(), retry_after_extra: 0, maintenance_end: None },
        Variation {
            name: "request",
            context: RenderContext {
                method: Some("GET"),
                request_id: Some("0123456789abcdef-LHR"),
                path: Some("/checkout?step=2".to_owned()),
                now_unix_s: Some(1_795_543_200),
                status: Some(status_note(false)),
            },
            retry_after_extra: 7,
            maintenance_end: Some(1_795_546_800),
        },
        // Every character escaping must deal with, in every request value, and a space for an
        // unquoted attribute.
        Variation {
            name: "hostile",
            context: RenderContext {
                method: Some("POST"),
                request_id: Some("\"'><x-injected>&amp;<!--"),
                path: Some("/\"' onmouseover=alert(1) x=\"><x-injected a='b'>&amp;</script></style><!--".to_owned()),
                now_unix_s: Some(1_895_543_259),
                status: Some(status_note(true)),
            },
            retry_after_extra: 1234,
            maintenance_end: Some(1_895_546_859),
        },
    ]
}

/// Renders every page × locale × format × variation; runtime errors and what the HTML pages
/// break go to `out`.
fn render_all(site: &Site, out: &mut Problems) -> Inventory {
    let mut inventory = Inventory::default();
    let Some(templates) = site.templates() else { return inventory };
    let in_page_retry = site.config.pages.as_ref().is_none_or(|p| p.in_page_retry);
    for (locale, kind, status) in pages_of(site) {
        let mut per_variation: Vec<(&str, Skeleton, Inline)> = Vec::new();
        for variation in variations() {
            let mut page = static_page(kind, locale, &site.config);
            page.status = status;
            page.retry_after_s += variation.retry_after_extra;
            if kind == PageKind::Maintenance && variation.maintenance_end.is_some() {
                page.maintenance_end = variation.maintenance_end;
            }
            let what = format!("the {} page ({status}) in {}, {} render", kind.file_stem(), locale.tag, variation.name);
            for (format, slot) in [(Format::Html, Slot::Html), (Format::Plain, Slot::Text)] {
                let Some(source) = templates.source(slot) else { continue };
                page.format = format;
                match render(&page, site, &variation.context) {
                    Ok(rendered) if format == Format::Html => {
                        let read =
                            read_page(&rendered.body, source, &what, in_page_retry && variation.name == "static", out);
                        for (tag, text) in &read.inline {
                            let set = if *tag == "script" { &mut inventory.scripts } else { &mut inventory.styles };
                            set.insert(text.clone());
                        }
                        per_variation.push((variation.name, read.skeleton, read.inline));
                    }
                    Ok(_) => {}
                    Err(e) => out.push(rendering_error(source, &e), Some(&format!("rendering {what}"))),
                }
            }
        }
        compare_variations(&per_variation, templates.source(Slot::Html), locale, kind, out);
    }
    inventory
}

/// A render error as the template error it wraps.
fn rendering_error(source: &TemplateSource, error: &crate::render::RenderError) -> TemplateError {
    match std::error::Error::source(error).and_then(|e| e.downcast_ref::<TemplateError>()) {
        Some(e) => e.clone(),
        None => TemplateError { file: source.path.clone(), line: None, column: None, message: error.to_string() },
    }
}

/// The same page must have the same markup and the same scripts and styles whatever the request:
/// otherwise a request value got out of its escaping (an unquoted attribute), or a script's
/// hash cannot be known ahead of time.
fn compare_variations(
    rendered: &[(&str, Skeleton, Inline)],
    source: Option<&TemplateSource>,
    locale: &Locale,
    kind: PageKind,
    out: &mut Problems,
) {
    let (Some(source), Some((_, request_skeleton, request_inline)), Some((_, hostile_skeleton, hostile_inline))) = (
        source,
        rendered.iter().find(|(name, ..)| *name == "request"),
        rendered.iter().find(|(name, ..)| *name == "hostile"),
    ) else {
        return;
    };
    let page = format!("the {} page in {}", kind.file_stem(), locale.tag);
    if request_skeleton != hostile_skeleton {
        let extra = hostile_skeleton.iter().find(|e| !request_skeleton.contains(e)).cloned().unwrap_or_default();
        out.add(
            source,
            None,
            format!(
                "a request value changes {page}'s markup (it made {extra}): put every value in text or in a \
                 quoted attribute, never in a tag, an unquoted attribute, a comment or a <script>"
            ),
        );
    }
    if request_inline != hostile_inline {
        out.add(
            source,
            None,
            format!(
                "a <script> or <style> on {page} changes with the request, the Retry-After or the maintenance \
                 end: its hash cannot go in the CSP ahead of time; keep such values in data- attributes"
            ),
        );
    }
}

/// Each page the site can answer with: every locale × kind, and a fallback for each 5xx the
/// site intercepts that has no page of its own.
fn pages_of(site: &Site) -> Vec<(&'static Locale, PageKind, u16)> {
    let config = &site.config;
    let mut statuses: BTreeSet<u16> = config.edge.intercept.iter().copied().collect();
    if let Some(cf) = &config.cloudfront {
        statuses.extend(cf.error_codes.iter().copied().filter(|s| *s >= 500));
    }
    let fallback_statuses: Vec<u16> = std::iter::once(PageKind::Fallback.default_status())
        .chain(statuses.into_iter().filter(|s| PageKind::for_status(*s) == PageKind::Fallback))
        .collect();
    let mut pages = Vec::new();
    for tag in &config.locales.available {
        let Some(locale) = locale::find(tag) else { continue };
        for kind in PageKind::ALL {
            if kind == PageKind::Fallback {
                pages.extend(fallback_statuses.iter().map(|s| (locale, kind, *s)));
            } else {
                pages.push((locale, kind, kind.default_status()));
            }
        }
    }
    pages
}

mod page;
#[cfg(test)]
mod tests;

use page::{Inline, Skeleton, read_page};
