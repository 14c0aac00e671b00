//! Snapshot tests of every page kind in every format, and of every locale (mdBook style): a
//! change to a template or a string shows up as a reviewable diff.

#![allow(clippy::unwrap_used)]

mod common;

use std::fmt::Write as _;

use common::{between, clock, fixture_site, locale};
use edgepages_core::render::Rendered;
use edgepages_core::{Format, PageKind, RenderContext, RequestFacts, render, static_page};

fn context() -> RenderContext<'static> {
    let req = RequestFacts {
        method: "GET",
        path: "/basket?step=2",
        request_id: Some("8f1a2b3c4d5e6f70-LHR"),
        ..RequestFacts::default()
    };
    RenderContext::for_request(&req, common::NOW)
}

/// Status and headers, one per line; the CSP's hashes are checked in escaping.rs instead, so
/// that a change to the stylesheet does not touch every HTML snapshot twice.
fn head(r: &Rendered, redact_csp: bool) -> String {
    let mut out = String::new();
    writeln!(out, "status: {}", r.status).unwrap();
    for (name, value) in &r.headers {
        let value = if redact_csp && *name == "content-security-policy" { "(checked in escaping.rs)" } else { value };
        writeln!(out, "{name}: {value}").unwrap();
    }
    out
}

/// Head and body; the inline style and script are elided (they have their own snapshots) so
/// that each page's snapshot shows its own content.
fn show(r: &Rendered) -> String {
    let body = r.body.replace(between(&r.body, "<style>", "</style>"), "…").replacen(
        &between(&r.body, "<script>", "</script>").to_owned(),
        "…",
        1,
    );
    let body = body.replace(between(&body, "content=\"default-src", "\">"), " …");
    format!("{}\n{body}", head(r, true))
}

fn show_plain(r: &Rendered) -> String {
    format!("{}\n{}", head(r, false), r.body)
}

#[test]
fn every_page_kind_in_every_format() {
    let site = fixture_site();
    for kind in PageKind::ALL {
        for format in [Format::Html, Format::Problem, Format::Plain] {
            let mut page = static_page(kind, locale("en"), &site.config);
            page.format = format;
            let rendered = render(&page, &site, &context()).unwrap();
            let shown = if format == Format::Html { show(&rendered) } else { show_plain(&rendered) };
            insta::assert_snapshot!(format!("{}_{format:?}", kind.file_stem()).to_lowercase(), shown);
        }
    }
}

#[test]
fn every_locale_of_the_503_page() {
    let site = fixture_site();
    for tag in ["en", "cy", "fr", "de", "ar"] {
        let page = static_page(PageKind::Unavailable, locale(tag), &site.config);
        let rendered = render(&page, &site, &context()).unwrap();
        insta::assert_snapshot!(format!("locale_{tag}_503"), show(&rendered));
    }
}

#[test]
fn maintenance_with_an_end_time() {
    let mut site = fixture_site();
    site.config.edge.maintenance = edgepages_core::config::Maintenance::Until(common::NOW + 3600);
    let req = RequestFacts {
        method: "GET",
        path: "/",
        accept: Some("text/html"),
        accept_language: Some("fr-FR"),
        ..RequestFacts::default()
    };
    let edgepages_core::Gate::Answer(page) = edgepages_core::gate(&req, &site.config, clock()) else {
        panic!("maintenance should answer")
    };
    insta::assert_snapshot!(
        "maintenance_until_fr",
        show(&render(&page, &site, &RenderContext::for_request(&req, common::NOW)).unwrap())
    );
    let mut plain = page.clone();
    plain.format = Format::Plain;
    insta::assert_snapshot!(
        "maintenance_until_fr_plain",
        show_plain(&render(&plain, &site, &RenderContext::default()).unwrap())
    );
}

#[test]
fn the_shared_style_and_script() {
    let site = fixture_site();
    let page = static_page(PageKind::GatewayTimeout, locale("en"), &site.config);
    let body = render(&page, &site, &RenderContext::default()).unwrap().body;
    insta::assert_snapshot!("style_css", between(&body, "<style>", "</style>"));
    insta::assert_snapshot!("retry_js", between(&body, "<script>", "</script>"));
}

/// The shipped example template (`pages/examples/custom-page.html`), whole, as the worker, the
/// Lambda@Edge function and `render` give it, with its own inline style elided like the bundled
/// one's; and its text page.
#[cfg(feature = "template-check")]
#[test]
fn a_user_template_page() {
    let site = common::fixture_site_with_template();
    let mut page = static_page(PageKind::Maintenance, locale("ar"), &site.config);
    page.maintenance_end = Some(common::NOW + 3600);
    let rendered = render(&page, &site, &context()).unwrap();
    insta::assert_snapshot!("user_template_maintenance_ar_html", show(&rendered));
    page.format = Format::Plain;
    insta::assert_snapshot!(
        "user_template_maintenance_ar_plain",
        show_plain(&render(&page, &site, &context()).unwrap())
    );
    let page = static_page(PageKind::GatewayTimeout, locale("en"), &site.config);
    insta::assert_snapshot!(
        "user_template_504_en_static",
        show(&render(&page, &site, &RenderContext::default()).unwrap())
    );
}

/// The status page's words on a page (`[status]`): Statuspage's documented summary, read as the
/// edge reads it, on a 502 in every format; and a maintenance the status page switched on, with
/// the hostile sample's incident, on the Arabic page.
#[test]
fn a_status_page_incident_in_every_format() {
    use edgepages_core::config::{Maintenance, Provider};
    use edgepages_core::status::{StatusNote, parse};
    let fixture = |path: &str| std::fs::read(format!("{}/tests/status/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();

    let site = fixture_site();
    let summary = parse(Provider::Statuspage, &fixture("statuspage/summary-documented.json"), &[]).unwrap();
    let note = StatusNote::at(&summary, common::NOW);
    let req = RequestFacts {
        method: "GET",
        path: "/basket",
        request_id: Some("8f1a2b3c4d5e6f70-LHR"),
        ..RequestFacts::default()
    };
    for format in [Format::Html, Format::Problem, Format::Plain] {
        let mut page = static_page(PageKind::BadGateway, locale("en"), &site.config);
        page.format = format;
        let rendered =
            render(&page, &site, &RenderContext::for_request(&req, common::NOW).with_status(Some(&note))).unwrap();
        if format == Format::Problem {
            // The members are the ones `StatusNote::problem_members` names.
            let body: serde_json::Value = serde_json::from_str(&rendered.body).unwrap();
            for (name, value) in note.problem_members() {
                assert_eq!(body[&name], value, "{name}");
            }
        }
        let shown = if format == Format::Html { show(&rendered) } else { show_plain(&rendered) };
        insta::assert_snapshot!(format!("status_incident_502_{format:?}").to_lowercase(), shown);
    }

    let summary = parse(Provider::Statuspage, &fixture("hostile/statuspage-markup.json"), &[]).unwrap();
    let end = common::NOW + 5400;
    let mut site = fixture_site();
    site.config.edge.maintenance = Maintenance::Until(end);
    let note = StatusNote { maintenance_end: Some(end), ..StatusNote::at(&summary, common::NOW) };
    let req = RequestFacts { accept_language: Some("ar"), accept: Some("text/html"), ..req };
    let edgepages_core::Gate::Answer(page) = edgepages_core::gate(&req, &site.config, clock()) else {
        panic!("maintenance should answer")
    };
    let rendered =
        render(&page, &site, &RenderContext::for_request(&req, common::NOW).with_status(Some(&note))).unwrap();
    insta::assert_snapshot!("status_maintenance_ar_html", show(&rendered));
}
