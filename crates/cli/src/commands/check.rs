//! `edgepages check`: validates the config, the logo and the `[pages]` templates (held to the
//! bundled page's promises by core's `template::check`), renders every page in every locale and
//! format, and holds each HTML page, static and with a request's values on it, to the weight
//! budget.

use std::process::ExitCode;

use anyhow::{Context as _, Result};
use edgepages_core::config::Problem;
use edgepages_core::render::{RenderContext, render};
use edgepages_core::status::StatusNote;
use edgepages_core::{Format, Site, StaticPage, static_pages};

use crate::cli::Global;
use crate::output::Output;
use crate::site_files::load_site_and_logo;
use crate::weight::{BUDGET_GZIP_BYTES, gzip_len, logo_share};

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: &Args, global: &Global, out: &Output) -> Result<ExitCode> {
    let (site, logo) = load_site_and_logo(&global.config)?;
    let what = if site.config.pages.as_ref().is_some_and(|p| p.template.is_some() || p.text_template.is_some()) {
        "config, logo and page templates are valid"
    } else {
        "config and logo are valid"
    };
    out.progress(&format!("{}: {what}", global.config.display()));
    // What cleaning the logo changed, said once, so that nothing is lost in silence.
    if let Some(logo) = &logo
        && !out.json
    {
        out.result(&format!("brand.logo {}: {}", logo.path.display(), logo.cleaned.report));
    }
    let logo_svg = logo.as_ref().map_or("", |l| l.cleaned.svg.as_str());
    let warnings = warn(&site, out);
    let pages = static_pages(&site).context("rendering the HTML pages")?;
    let (other_formats, with_request) = render_other_formats(&site)?;

    // With [alb], the ALB's own maintenance page must fit its fixed-response limit in every
    // locale, even though it serves the default one: a locale can become the default.
    let alb_over = if site.config.alb.is_some() {
        edgepages_core::compact::over_limit(&site).context("rendering the ALB's maintenance page")?
    } else {
        Vec::new()
    };

    let weighed = Weighed::of(&pages, &with_request, logo_svg);
    let (largest_key, largest, over) = (weighed.largest_key, weighed.largest, &weighed.over);
    if out.json {
        out.json(&serde_json::json!({
            "ok": over.is_empty(),
            "config": global.config,
            "html_pages": pages.len(),
            "other_formats_rendered": other_formats,
            "budget_gzip_bytes": BUDGET_GZIP_BYTES,
            "largest": { "key": largest_key, "gzip_bytes": largest },
            "over_budget": over.iter().map(|(k, gz, share)| serde_json::json!({ "key": k, "gzip_bytes": gz, "logo_gzip_bytes": share })).collect::<Vec<_>>(),
            "logo": logo.as_ref().map(|l| serde_json::json!({ "path": l.path, "report": l.cleaned.report, "summary": l.cleaned.report.to_string() })),
            "warnings": warnings.iter().map(|w| serde_json::json!({ "key": w.key.to_string(), "message": w.message })).collect::<Vec<_>>(),
            "alb_page_over_limit": alb_over.iter().map(|(tag, chars)| serde_json::json!({ "locale": tag, "chars": chars })).collect::<Vec<_>>(),
        }))?;
    }
    refuse_what_is_over(&alb_over, over)?;
    if !out.json {
        let from = site
            .config
            .pages
            .as_ref()
            .and_then(|p| p.template.as_deref())
            .map_or_else(String::new, |t| format!(" from {t}"));
        out.good(
            "ok",
            &format!(
                "{}: {} HTML pages{from} and {other_formats} JSON/text answers render; largest {largest_key} is {largest} bytes gzipped (budget {BUDGET_GZIP_BYTES})",
                global.config.display(),
                pages.len(),
            ),
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The HTML pages' weights, static and with a request's values on them.
struct Weighed<'a> {
    /// The heaviest page's key and its gzipped bytes.
    largest_key: &'a str,
    largest: usize,
    /// The pages over the budget: key, gzipped bytes, the logo's share of them.
    over: Vec<(&'a str, usize, usize)>,
}

impl<'a> Weighed<'a> {
    fn of(pages: &'a [StaticPage], with_request: &'a [(String, usize)], logo_svg: &str) -> Self {
        let mut weights: Vec<_> = pages
            .iter()
            .map(|p| (p.key.as_str(), gzip_len(p.body.as_bytes())))
            .chain(with_request.iter().map(|(label, gz)| (label.as_str(), *gz)))
            .collect();
        weights.sort_by_key(|(key, gz)| (std::cmp::Reverse(*gz), *key));
        let over: Vec<_> = weights
            .iter()
            .filter(|(_, gz)| *gz > BUDGET_GZIP_BYTES)
            .map(|(key, gz)| {
                let body = pages.iter().find(|p| p.key == *key).map_or("", |p| p.body.as_str());
                (*key, *gz, logo_share(body, logo_svg))
            })
            .collect();
        let (largest_key, largest) = weights.first().copied().unwrap_or(("", 0));
        Weighed { largest_key, largest, over }
    }
}

/// Refuses an ALB maintenance page over the fixed response's limit, then pages over the budget.
fn refuse_what_is_over(alb_over: &[(String, usize)], over: &[(&str, usize, usize)]) -> Result<()> {
    if !alb_over.is_empty() {
        let list: Vec<_> = alb_over.iter().map(|(tag, chars)| format!("{tag} is {chars} characters")).collect();
        anyhow::bail!(
            "the ALB's maintenance page (a fixed response, at most {} characters) is too long: {}; shorten \
             [brand] name or that locale's [copy.<locale>.maintenance] text",
            edgepages_core::compact::ALB_BODY_LIMIT,
            list.join("; ")
        );
    }
    if !over.is_empty() {
        let list: Vec<_> = over
            .iter()
            .map(|(k, gz, share)| match share {
                0 => format!("{k} is {gz} bytes gzipped"),
                share => format!("{k} is {gz} bytes gzipped, {share} of them the logo"),
            })
            .collect();
        anyhow::bail!(
            "{} page(s) exceed the {BUDGET_GZIP_BYTES}-byte gzip budget: {} (a smaller logo helps most)",
            over.len(),
            list.join("; ")
        );
    }
    Ok(())
}

/// Renders the problem+json and text answers of every page in every locale, with a sample
/// request, so that a template error shows up here rather than at the edge; and the HTML pages
/// with the longest values a request can put on them, weighed (by `<locale>/<stem> with a request`).
fn render_other_formats(site: &Site) -> Result<(usize, Vec<(String, usize)>)> {
    let config = &site.config;
    let sample = RenderContext {
        method: Some("GET"),
        request_id: Some("0123456789abcdef-LHR"),
        path: Some("/checkout?step=2".to_owned()),
        now_unix_s: Some(1_795_543_200),
        status: None,
    };
    // With `[status]`, the longest incident text its status page can put on the page.
    let heaviest_status = StatusNote::heaviest(1_795_543_200);
    let longest = RenderContext {
        method: Some("POST"),
        request_id: Some(LONGEST_REQUEST_ID),
        path: Some(format!("/{}…", "<&\"'".repeat(40))),
        now_unix_s: Some(1_795_543_200),
        status: config.status.is_some().then_some(&heaviest_status),
    };
    let mut count = 0;
    let mut weights = Vec::new();
    for tag in &config.locales.available {
        let locale = edgepages_core::locale::find(tag).context("a checked config names bundled locales")?;
        for kind in edgepages_core::PageKind::ALL {
            let mut decision = edgepages_core::static_page(kind, locale, config);
            decision.maintenance_end = Some(1_795_546_800);
            let html = render(&decision, site, &longest)
                .with_context(|| format!("rendering {} {tag} as HTML with a request", kind.as_str()))?;
            weights.push((format!("{tag}/{} with a request", kind.file_stem()), gzip_len(html.body.as_bytes())));
            for format in [Format::Problem, Format::Plain] {
                let mut decision = edgepages_core::static_page(kind, locale, config);
                decision.format = format;
                render(&decision, site, &sample)
                    .with_context(|| format!("rendering {} {tag} as {format:?}", kind.as_str()))?;
                count += 1;
            }
        }
    }
    Ok((count, weights))
}

/// The longest request ID a page can show (128 visible ASCII characters).
const LONGEST_REQUEST_ID: &str = "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ";

/// Says what in the config is valid but cannot do what it seems to; returns core's warnings for
/// `--json`.
fn warn(site: &Site, out: &Output) -> Vec<Problem> {
    let warnings = site.config.warnings();
    for warning in &warnings {
        out.warn(&format!("{}: {}", warning.key, warning.message));
    }
    if let Some(host) = site.config.alb.as_ref().and_then(|a| a.canonical_host.as_deref())
        && site.config.cloudfront.is_none()
        && site.config.s3.is_some()
    {
        out.warn(&format!(
            "[alb] canonical_host = {host:?} has no effect with [s3] but no [cloudfront]: `edgepages publish` needs \
             both for a site behind CloudFront, or neither for an ALB-only site"
        ));
    }
    warnings
}
