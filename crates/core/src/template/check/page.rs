//! Reads one rendered page with html5ever (through `scraper`): what it loads from outside, what
//! its CSP would block, its inline scripts and styles, its shape (for comparing renders), and
//! whether it has the retry script's hook.

use std::collections::BTreeSet;

use scraper::node::Element;
use scraper::{ElementRef, Html};

use super::Problems;
use crate::site::RETRY_SCRIPT;
use crate::template::TemplateSource;

/// Attributes whose value the browser fetches (`href` is handled by element).
const FETCHED: [&str; 10] =
    ["src", "srcset", "data", "poster", "background", "action", "formaction", "manifest", "ping", "codebase"];

/// Elements that embed or load another document or resource.
const EMBEDDING: [&str; 9] = ["iframe", "frame", "frameset", "object", "embed", "applet", "portal", "link", "base"];

/// The elements and data attributes the retry script (`pages/templates/retry.js`) looks for.
pub(super) const RETRY_HOOK_IDS: [&str; 4] = ["ep-retry", "ep-now", "ep-count", "ep-live"];
pub(super) const RETRY_DATA: [&str; 6] =
    ["data-retry-after", "data-method", "data-retry-in", "data-still-down", "data-checking", "data-recovered"];

/// The page's elements, each as `<name attr attr…>` with its attribute names sorted.
pub(super) type Skeleton = Vec<String>;

/// A page's inline scripts and styles, in order: (element name, text).
pub(super) type Inline = Vec<(&'static str, String)>;

pub(super) struct ReadPage {
    pub(super) skeleton: Skeleton,
    /// Every inline script's and style's text, in order, by element name.
    pub(super) inline: Inline,
}

/// Parses one rendered HTML page and reports what it loads from outside, what the CSP would
/// block, and (with `want_hook`) a missing retry hook.
pub(super) fn read_page(
    body: &str,
    source: &TemplateSource,
    what: &str,
    want_hook: bool,
    out: &mut Problems,
) -> ReadPage {
    let document = Html::parse_document(body);
    let mut page = ReadPage { skeleton: Vec::new(), inline: Vec::new() };
    let mut hook = Hook::default();
    let mut problem = |(literal, message): (String, String)| {
        out.add_on(source, source.text.find(&literal), message, Some(what));
    };

    for node in document.tree.nodes() {
        let Some(element) = ElementRef::wrap(node) else { continue };
        let el = element.value();
        let name = el.name();
        let mut attrs: Vec<&str> = el.attrs().map(|(n, _)| n).collect();
        attrs.sort_unstable();
        page.skeleton.push(format!("<{name} {}>", attrs.join(" ")));

        if let Some(found) = element_problem(el) {
            problem(found);
        }
        for (attr, value) in el.attrs() {
            if let Some(found) = attribute_problem(name, attr, value) {
                problem(found);
            }
        }
        hook.note(el);
        if matches!(name, "script" | "style") {
            let text: String = element.text().collect();
            if name == "style" && loads_from_outside(&text.to_ascii_lowercase()) {
                problem((
                    "url(".to_owned(),
                    "a <style> loads something (@import or url()): pages load nothing".to_owned(),
                ));
            }
            hook.has_script |= name == "script" && text == RETRY_SCRIPT;
            page.inline.push((if name == "script" { "script" } else { "style" }, text));
        }
    }

    let missing = hook.missing();
    if want_hook && !missing.is_empty() {
        out.add_on(
            source,
            None,
            format!(
                "the in-page retry's hook is missing: {}; add it as in pages/examples/custom-page.html, or set \
                 [pages] in_page_retry = false to leave the retry out knowingly",
                missing.join(", ")
            ),
            Some(what),
        );
    }
    page
}

/// What an element is, when it is not allowed: (the text to look for in the template, why).
fn element_problem(el: &Element) -> Option<(String, String)> {
    let name = el.name();
    if EMBEDDING.contains(&name) {
        return Some((
            format!("<{name}"),
            format!("<{name}> is not allowed: the page must be self-contained and load nothing (the CSP blocks it)"),
        ));
    }
    let refresh = el.attr("http-equiv").is_some_and(|v| v.eq_ignore_ascii_case("refresh"));
    if name == "meta" && refresh && el.attr("content").is_some_and(|c| c.to_ascii_lowercase().contains("url")) {
        return Some((
            "refresh".to_owned(),
            "a meta refresh to another address is not allowed: the in-page retry reloads when the site is back"
                .to_owned(),
        ));
    }
    None
}

/// What an attribute does, when it is not allowed: (the text to look for in the template, why).
fn attribute_problem(name: &str, attr: &str, value: &str) -> Option<(String, String)> {
    let lower = attr.to_ascii_lowercase();
    let value_lower = value.trim().to_ascii_lowercase();
    let problem = |literal: &str, why: String| Some((literal.to_owned(), why));
    if lower.starts_with("on") {
        problem(
            attr,
            format!(
                "the {attr} attribute is not allowed: the CSP blocks inline event handlers; the page's scripts go in <script>"
            ),
        )
    } else if lower == "style" {
        problem(
            "style=",
            "a style attribute is not allowed: the CSP allows the page's <style> elements only, by hash".to_owned(),
        )
    } else if FETCHED.contains(&lower.as_str()) {
        let image_data = name == "img" && lower == "src" && value_lower.starts_with("data:");
        if image_data {
            None
        } else {
            problem(
                value,
                format!("<{name} {attr}=\"{value}\"> loads something: pages load nothing (images only as data: URLs)"),
            )
        }
    } else if (lower == "href" || lower == "xlink:href") && !EMBEDDING.contains(&name) {
        let link = matches!(name, "a" | "area");
        let scheme_bad = ["javascript:", "data:", "vbscript:"].iter().any(|s| value_lower.starts_with(s));
        if (link && scheme_bad) || (!link && !value.starts_with('#')) {
            problem(
                value,
                format!(
                    "<{name} {attr}=\"{value}\"> is not allowed: links may go to http(s) and mailto: addresses, and anything else may point only inside the page (#id)"
                ),
            )
        } else {
            None
        }
    } else if loads_from_outside(&value_lower) {
        problem("url(", format!("<{name} {attr}> uses url() outside the page: only url(#id) is allowed"))
    } else {
        None
    }
}

/// CSS (lower-cased) that fetches something: `@import`, or a `url()` that is not `url(#id)`.
fn loads_from_outside(css: &str) -> bool {
    css.contains("@import")
        || css.match_indices("url(").any(|(at, _)| {
            let target = css[at + 4..].trim_start_matches(|c: char| c.is_whitespace() || c == '"' || c == '\'');
            !target.starts_with('#')
        })
}

/// What the page has of the retry script's hook.
#[derive(Default)]
struct Hook {
    ids: BTreeSet<String>,
    data: BTreeSet<String>,
    has_script: bool,
}

impl Hook {
    fn note(&mut self, el: &Element) {
        if let Some(id) = el.attr("id") {
            self.ids.insert(id.to_owned());
            if id == "ep-retry" {
                self.data.extend(el.attrs().map(|(n, _)| n.to_ascii_lowercase()).filter(|n| n.starts_with("data-")));
            }
        }
    }

    /// What is missing, each as the template would write it.
    fn missing(&self) -> Vec<String> {
        RETRY_HOOK_IDS
            .iter()
            .filter(|id| !self.ids.contains(**id))
            .map(|id| format!("#{id}"))
            .chain(RETRY_DATA.iter().filter(|d| !self.data.contains(**d)).map(|d| format!("#ep-retry[{d}]")))
            .chain((!self.has_script).then(|| "<script>{{ retry_script }}</script>".to_owned()))
            .collect()
    }
}
