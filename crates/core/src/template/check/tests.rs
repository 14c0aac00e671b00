//! `check`'s promises for a user template, each with a template that breaks it.

use super::*;
use crate::config::load::parse;
use crate::site::RETRY_SCRIPT;

const EXAMPLE_HTML: &str = include_str!("../../../../../pages/examples/custom-page.html");
const BUNDLED_HTML: &str = include_str!("../../../../../pages/examples/bundled-page.html");
const BUNDLED_TEXT: &str = include_str!("../../../../../pages/examples/bundled-page.txt");

fn site(extra: &str) -> Site {
    let config = parse(
        &format!(
            "[brand]\nname = \"Fixture <Foods>\"\nsupport_url = \"https://fixture.example/help\"\n[locales]\ndefault = \"en\"\navailable = [\"en\", \"ar\"]\n[pages]\ntemplate = \"brand/page.html\"\n{extra}"
        ),
        "site.toml",
    )
    .unwrap();
    Site::new(config, None).unwrap()
}

fn html(text: &str) -> TemplateSource {
    TemplateSource { path: "brand/page.html".into(), text: text.into() }
}

fn problems(text: &str) -> Vec<String> {
    problems_with(text, "")
}

fn problems_with(text: &str, extra: &str) -> Vec<String> {
    match prepare(site(extra), Some(html(text)), None) {
        Ok(_) => Vec::new(),
        Err(problems) => problems.iter().map(ToString::to_string).collect(),
    }
}

/// The line of the example's `<h1>`, which the tests change.
fn h1_line() -> usize {
    EXAMPLE_HTML.lines().position(|l| l.contains("<h1>{{ title }}</h1>")).unwrap() + 1
}

/// The example with one line changed.
fn example_with(from: &str, to: &str) -> String {
    assert!(EXAMPLE_HTML.contains(from), "{from} is not in the example");
    EXAMPLE_HTML.replacen(from, to, 1)
}

#[test]
fn the_shipped_examples_pass() {
    assert_eq!(problems(EXAMPLE_HTML), Vec::<String>::new());
    assert_eq!(problems(BUNDLED_HTML), Vec::<String>::new());
    let text = Some(TemplateSource { path: "brand/page.txt".into(), text: BUNDLED_TEXT.into() });
    let text_only = prepare(site(""), None, text).unwrap();
    assert_eq!(text_only.csp(), site("").csp(), "the bundled HTML page keeps its CSP");
}

#[test]
fn the_csp_is_computed_from_the_rendered_pages() {
    let prepared = prepare(site(""), Some(html(EXAMPLE_HTML)), None).unwrap();
    let csp = prepared.csp();
    assert!(csp.contains(&sha256_source(RETRY_SCRIPT)), "{csp}");
    assert!(
        !csp.contains(&sha256_source(&prepared.style)),
        "the example has its own style, not the bundled one: {csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    // Two styles: the example's own, whose colours are the brand's.
    let style_src = csp.split("; ").find(|d| d.starts_with("style-src")).unwrap();
    assert_eq!(style_src.matches("'sha256-").count(), 1, "{csp}");

    let none = prepare(site("in_page_retry = false\n"), Some(html("<p>{{ title }}</p>")), None).unwrap();
    assert!(none.csp().contains("style-src 'none'; script-src 'none'"), "{}", none.csp());
}

#[test]
fn safe_and_autoescape_are_refused_with_their_place() {
    let p = problems(&example_with("<h1>{{ title }}</h1>", "<h1>{{ path|safe }}</h1>"));
    assert_eq!(p.len(), 1, "{p:?}");
    let line = h1_line();
    assert!(p[0].starts_with(&format!("brand/page.html:{line}:13: the `safe` filter is not available")), "{p:?}");

    let p = problems(&example_with(
        "<h1>{{ title }}</h1>",
        "{% autoescape false %}<h1>{{ title }}</h1>{% endautoescape %}",
    ));
    assert!(p[0].contains(&format!("brand/page.html:{line}:4: `autoescape` cannot be changed")), "{p:?}");
    let p = problems(&example_with("<h1>{{ title }}</h1>", "{% filter safe %}<h1>{{ title }}</h1>{% endfilter %}"));
    assert!(p[0].contains("the `safe` filter is not available"), "{p:?}");
}

#[test]
fn a_misspelt_variable_is_named_with_the_list() {
    let p = problems(&example_with("<h1>{{ title }}</h1>", "<h1>{{ titel }}</h1>"));
    assert!(
        p[0].starts_with(&format!(
            "brand/page.html:{}:8: `titel` is not a template variable; the variables are: status, kind,",
            h1_line()
        )),
        "{p:?}"
    );
}

#[test]
fn a_value_a_page_may_not_have_must_be_guarded() {
    let p = problems(&example_with("<h1>{{ title }}</h1>", "<h1>{{ title }} {{ request_id }}</h1>"));
    assert!(
        p.iter().any(|p| p.contains("undefined value") && p.contains("(rendering the 500 page (500) in en, static render)")),
        "{p:?}"
    );
}

#[test]
fn a_runtime_error_names_its_line() {
    let p = problems(&example_with("<h1>{{ title }}</h1>", "<h1>{{ title + 1 }}</h1>"));
    assert!(p[0].starts_with(&format!("brand/page.html:{}:8: ", h1_line())), "{p:?}");
    assert!(p[0].contains("invalid operation"), "{p:?}");
}

#[test]
fn nothing_may_be_loaded_from_outside_the_page() {
    for (markup, says) in [
        ("<link rel=\"stylesheet\" href=\"https://cdn.example/x.css\">", "<link> is not allowed"),
        ("<script src=\"https://cdn.example/x.js\"></script>", "loads something"),
        ("<img src=\"https://cdn.example/x.png\" alt=\"\">", "loads something"),
        ("<base href=\"https://elsewhere.example/\">", "<base> is not allowed"),
        ("<meta http-equiv=\"refresh\" content=\"0;url=https://elsewhere.example/\">", "meta refresh"),
        ("<iframe title=\"x\"></iframe>", "<iframe> is not allowed"),
        ("<svg><use href=\"https://x.example/s.svg#a\"/></svg>", "point only inside the page"),
        ("<a href=\"javascript:alert(1)\">x</a>", "is not allowed"),
        ("<p style=\"color:red\">x</p>", "a style attribute is not allowed"),
        ("<p onclick=\"x()\">x</p>", "the onclick attribute is not allowed"),
        ("<style>@import url(https://x.example/y.css);</style>", "a <style> loads something"),
        ("<style>body{background:url( 'https://x.example/y.png' )}</style>", "a <style> loads something"),
        ("<svg><rect fill=\"url(https://x.example/#g)\"/></svg>", "uses url() outside the page"),
    ] {
        let p = problems(&example_with("<h1>{{ title }}</h1>", &format!("<h1>{{{{ title }}}}</h1>{markup}")));
        assert!(p.iter().any(|p| p.contains(says)), "{markup}: {p:?}");
        let at = format!("brand/page.html:{}:", h1_line());
        assert!(p.iter().all(|p| p.starts_with(&at)), "{markup}: {p:?}");
    }
    // What is allowed: an inline image, a link to elsewhere, a fragment.
    let ok = example_with(
        "<h1>{{ title }}</h1>",
        "<h1>{{ title }}</h1><img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"\"><a href=\"https://help.example/\">help</a><svg><use href=\"#a\"/></svg>",
    );
    assert_eq!(problems(&ok), Vec::<String>::new());
}

#[test]
fn a_request_value_outside_quotes_or_in_a_script_is_refused() {
    let p = problems(&example_with("<h1>{{ title }}</h1>", "<h1 data-path={{ path|default('-') }}>{{ title }}</h1>"));
    assert!(p.iter().any(|p| p.contains("a request value changes the 500 page in en's markup")), "{p:?}");
    let p = problems(&example_with(
        "<h1>{{ title }}</h1>",
        "<h1>{{ title }}</h1><script>var wait = {{ retry_after }};</script>",
    ));
    assert!(p.iter().any(|p| p.contains("changes with the request, the Retry-After or the maintenance end")), "{p:?}");
    // The status page's text is a request's value too: it changes with what the team writes.
    let p = problems(&example_with(
        "<h1>{{ title }}</h1>",
        "<h1>{{ title }}</h1>{% if live_status %}<p title={{ live_status.title }}>!</p>{% endif %}",
    ));
    assert!(p.iter().any(|p| p.contains("a request value changes the 500 page in en's markup")), "{p:?}");
    let p = problems(&example_with(
        "<h1>{{ title }}</h1>",
        "<h1>{{ title }}</h1>{% if live_status %}<style>p::after{content:'{{ live_status.update }}'}</style>{% endif %}",
    ));
    assert!(p.iter().any(|p| p.contains("changes with the request, the Retry-After or the maintenance end")), "{p:?}");
    // The same values in quoted attributes are fine.
    let ok = example_with("<h1>{{ title }}</h1>", "<h1 data-path=\"{{ path|default('-') }}\">{{ title }}</h1>");
    assert_eq!(problems(&ok), Vec::<String>::new());
}

#[test]
fn the_retry_hook_is_asked_for_unless_left_out_knowingly() {
    let without = example_with("<script>{{ retry_script }}</script>", "");
    let p = problems(&without);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].starts_with("brand/page.html: the in-page retry's hook is missing: <script>{{ retry_script }}</script>"),
        "{p:?}"
    );
    assert!(p[0].contains("in_page_retry = false"), "{p:?}");
    let p = problems(&example_with(" data-still-down=\"{{ strings.still_down }}\"", ""));
    assert!(p[0].contains("missing: #ep-retry[data-still-down]"), "{p:?}");
    assert_eq!(problems_with(&without, "in_page_retry = false\n"), Vec::<String>::new());
}

#[test]
fn a_syntax_error_is_the_only_problem_reported() {
    let p = problems("<p>\n{% if title %}<b>{{ title }}</b>\n");
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0], "brand/page.html:2:29: syntax error: unexpected end of input, expected end of block");
}

#[test]
fn the_bundled_page_as_a_user_template_renders_byte_for_byte_as_the_bundled_one() {
    let bundled = site("");
    let mut config = bundled.config.clone();
    config.pages = None;
    let bundled = Site::new(config, Some(LOGO)).unwrap();
    let user = prepare(
        Site::new(bundled.config.clone(), Some(LOGO)).unwrap(),
        Some(html(BUNDLED_HTML)),
        Some(TemplateSource { path: "brand/page.txt".into(), text: BUNDLED_TEXT.into() }),
    )
    .unwrap();
    assert_eq!(user.csp(), bundled.csp(), "the same script and style give the same CSP");
    for (locale, kind, status) in pages_of(&bundled) {
        for variation in variations() {
            let mut page = static_page(kind, locale, &bundled.config);
            page.status = status;
            page.maintenance_end = variation.maintenance_end.filter(|_| kind == PageKind::Maintenance);
            for format in [Format::Html, Format::Plain, Format::Problem] {
                page.format = format;
                let a = render(&page, &bundled, &variation.context).unwrap();
                let b = render(&page, &user, &variation.context).unwrap();
                assert_eq!(a, b, "{kind:?} {} {format:?} {}", locale.tag, variation.name);
            }
        }
    }
}

const LOGO: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\"><title>F</title><rect width=\"10\" height=\"10\" fill=\"#1f5fbf\"/></svg>";

#[test]
fn filters_and_tests_outside_the_short_list_are_named_with_it() {
    let p = problems(&example_with(
        "<h1>{{ title }}</h1>",
        "<h1>{{ title|wordcount }}{% if status is divisibleby(3) %}!{% endif %}</h1>",
    ));
    assert!(p[0].contains(":14: there is no `wordcount` filter here; the filters are: default, d, replace"), "{p:?}");
    assert!(p[1].contains(": there is no `divisibleby` test here; the tests are: defined, undefined"), "{p:?}");
    let fine = "<h1>{{ title|replace('a', 'b') }}{% if request_id is not defined %}-{% endif %}</h1>";
    assert_eq!(problems(&example_with("<h1>{{ title }}</h1>", fine)), Vec::<String>::new());
}

/// The edge runs the build's compiled instructions on minijinja's VM, without the source: the
/// same instructions give the same pages as the CLI's compiled template, on every page.
#[test]
fn the_edges_precompiled_instructions_render_what_the_compiled_template_does() {
    let compiled = prepare(site(""), Some(html(EXAMPLE_HTML)), None).unwrap();
    // The instructions, as the baked source rebuilds them (the source leaked, as baked source is
    // 'static).
    let mut env = minijinja::Environment::new();
    env.add_template("page.html", Box::leak(EXAMPLE_HTML.to_owned().into_boxed_str())).unwrap();
    let env: &'static minijinja::Environment<'static> = Box::leak(Box::new(env));
    let template = env.get_template("page.html").unwrap();
    let instructions = &minijinja::machinery::get_compiled_template(&template).instructions;
    let mut copied = Vec::new();
    let mut index = 0;
    while let Some(instruction) = instructions.get(index) {
        copied.push(instruction.clone());
        index += 1;
    }
    let program = crate::template::program(Slot::Html, copied);
    let edge = compiled.clone().with_templates(
        UserTemplates::precompiled(Some(("brand/page.html", program)), None),
        compiled.csp().to_owned(),
    );
    for (locale, kind, status) in pages_of(&compiled) {
        for variation in variations() {
            let mut page = static_page(kind, locale, &compiled.config);
            page.status = status;
            page.maintenance_end = variation.maintenance_end.filter(|_| kind == PageKind::Maintenance);
            let a = render(&page, &compiled, &variation.context).unwrap();
            let b = render(&page, &edge, &variation.context).unwrap();
            assert_eq!(a, b, "{kind:?} {} {}", locale.tag, variation.name);
        }
    }
}

#[test]
fn what_the_edge_cannot_run_is_refused_with_its_line() {
    let p = problems(&example_with("<h1>{{ title }}</h1>", "{% set x %}{{ title }}{% endset %}<h1>{{ x }}</h1>"));
    assert_eq!(
        p,
        [format!(
            "brand/page.html:{}: `{{% set %}}` and `{{% filter %}}` blocks are not available at the edge; use `{{% set x = … %}}` or a filter on a value",
            h1_line()
        )]
    );
    let p = problems(&example_with("<h1>{{ title }}</h1>", "<h1>{% if 1 < status < 600 %}{{ title }}{% endif %}</h1>"));
    assert!(p[0].contains("a chained comparison"), "{p:?}");
}
