//! The variables a user template sees: the documented set (docs/src/templates.md),
//! made from the same [`PageView`] the bundled page renders from. A value the page does not have
//! (no request ID on a static page, no end time outside maintenance) is left out, not `none`:
//! printing it fails `check`, and `{% if request_id %}` is false.

use minijinja::Value;

use super::Map;
use crate::config::{Palette, rfc3339};
use crate::render::{PageView, shown_time};
use crate::site::{RETRY_SCRIPT, Site};

/// Every top-level name, in the order the guide lists them. `live_status` is the status page's
/// open incident (`[status]`), present only while there is one.
pub const NAMES: &[&str] = &[
    "status",
    "kind",
    "code_label",
    "title",
    "message",
    "advice",
    "retry_after",
    "maintenance_until",
    "request_id",
    "path",
    "time",
    "method",
    "locale",
    "strings",
    "brand",
    "logo",
    "style",
    "retry_script",
    "csp",
    "live_status",
];

/// The variables for `view` on `site`.
pub(crate) fn of(view: &PageView<'_>, site: &Site) -> Value {
    let common = &view.locale.common;
    let mut vars = vec![
        ("status", Value::from(view.status)),
        ("kind", Value::from(view.kind.as_str())),
        ("code_label", Value::from(view.code_label.as_str())),
        ("title", Value::from(view.copy.title)),
        ("message", Value::from(view.copy.message)),
        ("advice", Value::from(view.copy.advice)),
        ("retry_after", Value::from(view.retry_after)),
        ("method", Value::from(view.method)),
        (
            "locale",
            Map::value(vec![
                ("tag", Value::from(view.locale.tag)),
                ("dir", Value::from(view.locale.dir.as_str())),
                ("name", Value::from(view.locale.name)),
            ]),
        ),
        (
            "strings",
            Map::value(vec![
                ("try_now", Value::from(common.try_now)),
                ("retry_in", Value::from(common.retry_in)),
                ("checking", Value::from(common.checking)),
                ("still_down", Value::from(common.still_down)),
                ("recovered", Value::from(common.recovered)),
                ("no_script", Value::from(common.no_script)),
                ("until", Value::from(common.until)),
                ("reference", Value::from(common.reference)),
                ("time", Value::from(common.time)),
                ("page", Value::from(common.page)),
                ("support", Value::from(common.support)),
                ("status_page", Value::from(common.status_page)),
                ("incident", Value::from(common.incident)),
                ("updated", Value::from(common.updated)),
            ]),
        ),
        ("brand", brand_value(site)),
        // Made by core: the stylesheet from the brand's checked colours, the retry script verbatim.
        ("style", Value::from_safe_string(site.style.clone())),
        ("retry_script", Value::from_safe_string(RETRY_SCRIPT.to_owned())),
        ("csp", Value::from(site.csp.as_str())),
    ];
    if let Some(parts) = view.until_parts() {
        vars.push(("maintenance_until", timed_sentence(parts)));
    }
    if let (Some(incident), Some(shown)) = (view.incident, view.shown_incident()) {
        let mut fields = vec![("title", Value::from(shown.title)), ("impact", Value::from(incident.impact.as_str()))];
        if let Some(update) = shown.update {
            fields.push(("update", Value::from(update)));
        }
        if let Some(parts) = shown.updated {
            fields.push(("updated", timed_sentence(parts)));
        }
        vars.push(("live_status", Map::value(fields)));
    }
    if let Some(id) = view.request_id {
        vars.push(("request_id", Value::from(id)));
    }
    if let Some(path) = view.path {
        vars.push(("path", Value::from(path)));
    }
    if let Some(now) = view.now_unix_s {
        vars.push((
            "time",
            Map::value(vec![("iso", Value::from(rfc3339(now))), ("shown", Value::from(shown_time(now)))]),
        ));
    }
    if let Some(svg) = &site.logo_svg {
        // Parsed and allow-listed by `crate::logo` before it got here.
        vars.push(("logo", Value::from_safe_string(svg.clone())));
    }
    Map::value(vars)
}

/// A sentence around a time, split as the page shows it (text before, ISO time, shown time, text
/// after): `.iso`, `.shown`, `.before`, `.after` and the whole `.sentence`.
fn timed_sentence((before, iso, shown, after): (&str, String, String, &str)) -> Value {
    let sentence = format!("{before}{shown}{after}");
    Map::value(vec![
        ("iso", Value::from(iso)),
        ("shown", Value::from(shown)),
        ("before", Value::from(before)),
        ("after", Value::from(after)),
        ("sentence", Value::from(sentence)),
    ])
}

fn brand_value(site: &Site) -> Value {
    let brand = &site.config.brand;
    let palette = |p: &Palette| {
        Map::value(vec![
            ("accent", Value::from(p.accent.to_string())),
            ("background", Value::from(p.background.to_string())),
            ("text", Value::from(p.text.to_string())),
        ])
    };
    let mut entries = vec![
        ("name", Value::from(brand.name.as_str())),
        ("light", palette(&brand.light)),
        ("dark", palette(&brand.dark)),
    ];
    // Checked links (https:, http: or mailto:, no quotes or spaces), still escaped when printed.
    if let Some(url) = &brand.support_url {
        entries.push(("support_url", Value::from(url.as_str())));
    }
    if let Some(url) = &brand.status_url {
        entries.push(("status_url", Value::from(url.as_str())));
    }
    Map::value(entries)
}
