//! The site's own page templates (`[pages] template` and `text_template`): compiled with
//! minijinja and rendered with the documented variable set ([`vars`]), HTML escaping forced on.
//!
//! Escaping is the formatter's, not the template's: every value printed into the HTML page is
//! escaped unless core made it safe itself (the logo after [`crate::logo`], the stylesheet, the
//! retry script), whatever `{% autoescape %}` says, and the `safe` filter does not exist here.
//! `check` also refuses both in the source ([`check`]), so nobody is surprised. Every render has a
//! fuel budget, so a template's loop cannot hold the edge's CPU; an error of any kind ends in the
//! caller's fallback page.

#[cfg(feature = "template-check")]
pub mod check;
#[cfg(feature = "template-check")]
pub(crate) mod program;
pub mod vars;

use std::fmt;
use std::sync::Arc;

pub use minijinja::Value;
pub use minijinja::machinery::Instruction;
use minijinja::machinery::Instructions;
pub use minijinja::value::Kwargs;
use minijinja::value::{Enumerator, Object};
use minijinja::{AutoEscape, Environment, UndefinedBehavior};

/// The work one render may do (minijinja's fuel: about one per instruction, and one per 64 bytes
/// made). The bundled page, written as a user template, uses a small share of it; `check` renders
/// every page with the same budget, so a template that runs out does so there, not at the edge.
pub const FUEL: u64 = 200_000;

#[cfg(feature = "template-check")]
impl UserTemplates {
    /// The Rust source of `slot`'s compiled instructions, for the edge; or what in the template
    /// cannot be written so.
    pub(crate) fn baked_program(&self, slot: Slot) -> Option<Result<String, Vec<program::Unbakeable>>> {
        self.source(slot)?;
        let template = self.env.get_template(slot.name()).ok()?;
        Some(program::bake(&minijinja::machinery::get_compiled_template(&template).instructions))
    }

    /// The Rust expression that rebuilds these templates at the edge, from their instructions.
    pub fn bake(&self) -> Result<String, Vec<TemplateError>> {
        let mut problems = Vec::new();
        let mut parts = Vec::new();
        for slot in [Slot::Html, Slot::Text] {
            let Some(source) = self.source(slot) else {
                parts.push("::std::option::Option::None".to_owned());
                continue;
            };
            match self.baked_program(slot) {
                Some(Ok(program)) => parts.push(format!(
                    "::std::option::Option::Some(({:?}, ::edgepages_core::template::program(::edgepages_core::template::Slot::{slot:?}, {program})))",
                    source.path
                )),
                Some(Err(found)) => problems.extend(found.into_iter().map(|u| TemplateError {
                    file: source.path.clone(),
                    line: u.line,
                    column: None,
                    message: u.what.to_owned(),
                })),
                None => problems.push(TemplateError {
                    file: source.path.clone(),
                    line: None,
                    column: None,
                    message: "was not compiled here".to_owned(),
                }),
            }
        }
        if problems.is_empty() {
            Ok(format!("::edgepages_core::template::UserTemplates::precompiled({}, {})", parts[0], parts[1]))
        } else {
            Err(problems)
        }
    }
}

/// The names the templates are compiled under; errors name the user's files instead.
const HTML_NAME: &str = "page.html";
const TEXT_NAME: &str = "page.txt";

/// One template file: the path the config names (for errors) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSource {
    pub path: String,
    pub text: String,
}

/// Which of the two templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Html,
    Text,
}

impl Slot {
    fn name(self) -> &'static str {
        match self {
            Slot::Html => HTML_NAME,
            Slot::Text => TEXT_NAME,
        }
    }
}

/// A template problem, at a place in the user's file: `brand/page.html:12:5: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct TemplateError {
    /// The path as the config names it.
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// The site's compiled templates, ready to render: compiled from their source by the CLI and the
/// build scripts, or, at the edge, their instructions as the build compiled them ([`program`]).
#[derive(Debug, Clone)]
pub struct UserTemplates {
    html: Option<TemplateSource>,
    text: Option<TemplateSource>,
    env: Arc<Environment<'static>>,
    /// The instructions baked in at build time, by slot (HTML, text); `None` when compiled here.
    programs: Option<Arc<[Option<Instructions<'static>>; 2]>>,
}

/// One template's instructions, as baked source rebuilds them (see `program::bake`).
pub fn program(slot: Slot, instructions: Vec<Instruction<'static>>) -> Instructions<'static> {
    let mut program = Instructions::new(slot.name(), "");
    for instruction in instructions {
        program.add(instruction);
    }
    program
}

impl UserTemplates {
    /// Compiles the templates; a syntax error names the file, line and column. Native only (the
    /// edge gets [`UserTemplates::precompiled`]), so no template parser ships to the edge.
    #[cfg(feature = "template-check")]
    pub fn compile(html: Option<TemplateSource>, text: Option<TemplateSource>) -> Result<Self, TemplateError> {
        let mut env = environment();
        for (slot, source) in [(Slot::Html, &html), (Slot::Text, &text)] {
            if let Some(source) = source {
                env.add_template_owned(slot.name(), source.text.clone())
                    .map_err(|e| located(source, &e, &describe(&e)))?;
            }
        }
        Ok(UserTemplates { html, text, env: Arc::new(env), programs: None })
    }

    /// The templates as the build compiled them, by path and [`program`]. Their source is not
    /// kept: the edge has no use for it, nor for a parser.
    pub fn precompiled(
        html: Option<(&str, Instructions<'static>)>,
        text: Option<(&str, Instructions<'static>)>,
    ) -> Self {
        let source = |path: &str| TemplateSource { path: path.to_owned(), text: String::new() };
        UserTemplates {
            html: html.as_ref().map(|(path, _)| source(path)),
            text: text.as_ref().map(|(path, _)| source(path)),
            env: Arc::new(environment()),
            programs: Some(Arc::new([html.map(|(_, p)| p), text.map(|(_, p)| p)])),
        }
    }

    pub fn source(&self, slot: Slot) -> Option<&TemplateSource> {
        match slot {
            Slot::Html => self.html.as_ref(),
            Slot::Text => self.text.as_ref(),
        }
    }

    /// Renders `slot`'s template with `vars`; `None` when the site has no such template.
    pub(crate) fn render(&self, slot: Slot, vars: &Value) -> Option<Result<String, TemplateError>> {
        let source = self.source(slot)?;
        let rendered = match &self.programs {
            Some(programs) => {
                let index = usize::from(slot == Slot::Text);
                let program = programs[index].as_ref()?;
                let escape = if slot == Slot::Text { AutoEscape::None } else { AutoEscape::Html };
                let mut body = String::new();
                let done = {
                    let mut out = minijinja::machinery::make_string_output(&mut body);
                    let blocks = std::collections::BTreeMap::new();
                    minijinja::machinery::eval(&self.env, program, vars.clone(), &blocks, &mut out, escape).map(|_| ())
                };
                done.map(|()| body)
            }
            // Looking a template up may compile it (minijinja's loader path): native only.
            #[cfg(feature = "template-check")]
            None => self.env.get_template(slot.name()).and_then(|template| template.render(vars)),
            #[cfg(not(feature = "template-check"))]
            None => return None,
        };
        Some(rendered.map_err(|e| located(source, &e, &describe(&e))))
    }
}

/// The filters a template may use: a short list of minijinja's builtins, since each one is code
/// the edge carries (all of them together weigh more than the rest of the worker), and never
/// `safe`.
pub const FILTERS: &[&str] = &["default", "d", "replace", "string", "length", "join"];

/// The tests a template may use after `is`.
pub const TEMPLATE_TESTS: &[&str] = &["defined", "undefined", "none", "eq", "ne"];

/// The environment both templates compile in: the [`FILTERS`] and [`TEMPLATE_TESTS`] only, no
/// globals, undefined values an error when printed or iterated (so a misspelt name fails
/// `check`) but false in an `if`, escaping by the formatter, and a fuel budget.
pub(crate) fn environment() -> Environment<'static> {
    use minijinja::{filters, tests};
    let mut env = Environment::empty();
    env.add_filter("default", filters::default);
    env.add_filter("d", filters::default);
    env.add_filter("replace", filters::replace);
    env.add_filter("string", filters::string);
    env.add_filter("length", filters::length);
    env.add_filter("join", filters::join);
    env.add_test("defined", tests::is_defined);
    env.add_test("undefined", tests::is_undefined);
    env.add_test("none", tests::is_none);
    env.add_test("eq", tests::is_eq);
    env.add_test("ne", tests::is_ne);
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_auto_escape_callback(|name| if name == TEXT_NAME { AutoEscape::None } else { AutoEscape::Html });
    env.set_formatter(|out, state, value| {
        if state.name() == TEXT_NAME || value.is_safe() {
            // The text page is served as text/plain with nosniff: nothing in it is markup. A safe
            // value is one core made (the logo, style and script), or markup the template's own
            // escaping produced (a macro's output, a `{% set %}` block).
            write!(out, "{value}")?;
        } else {
            write!(out, "{}", HtmlText(&value.to_string()))?;
        }
        Ok(())
    });
    env.set_fuel(Some(FUEL));
    #[cfg(feature = "template-check")]
    env.set_debug(true);
    env
}

/// HTML-escapes `& < > " '` with the numeric references askama writes for the bundled page, so
/// that a value shows byte for byte the same in either.
struct HtmlText<'a>(&'a str);

impl fmt::Display for HtmlText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..at])?;
            f.write_str(match rest.as_bytes()[at] {
                b'&' => "&#38;",
                b'<' => "&#60;",
                b'>' => "&#62;",
                b'"' => "&#34;",
                _ => "&#39;",
            })?;
            rest = &rest[at + 1..];
        }
        f.write_str(rest)
    }
}

/// minijinja's own words for an error, without the template name it would add.
fn describe(error: &minijinja::Error) -> String {
    let kind = error.kind().to_string();
    match error.detail() {
        Some(detail) => format!("{kind}: {detail}"),
        None => kind,
    }
}

/// `error` placed in `source`'s file: line from minijinja, column from the error's byte range
/// when it has one (with `template-check`'s debug info).
fn located(source: &TemplateSource, error: &minijinja::Error, message: &str) -> TemplateError {
    #[cfg(feature = "template-check")]
    let column = error.range().map(|range| column_of(&source.text, range.start));
    #[cfg(not(feature = "template-check"))]
    let column = None;
    let line = error.line();
    TemplateError { file: source.path.clone(), line, column: line.and(column), message: message.to_owned() }
}

/// The 1-based column, in characters, of byte `offset` in `text`.
#[cfg(feature = "template-check")]
pub(crate) fn column_of(text: &str, offset: usize) -> usize {
    let mut start = offset.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    text[line_start..start].chars().count() + 1
}

/// A map of fixed keys: a key left out is undefined in the template (not `none`), so printing
/// it fails and `{% if key %}` is false.
#[derive(Debug)]
pub(crate) struct Map(pub(crate) Vec<(&'static str, Value)>);

impl Object for Map {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        self.0.iter().find(|(name, _)| *name == key).map(|(_, value)| value.clone())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.0.iter().map(|(name, _)| Value::from(*name)).collect())
    }
}

impl Map {
    pub(crate) fn value(entries: Vec<(&'static str, Value)>) -> Value {
        Value::from_object(Map(entries))
    }
}

#[cfg(test)]
#[cfg(feature = "template-check")]
mod tests {
    use super::*;

    fn html(text: &str) -> UserTemplates {
        UserTemplates::compile(Some(TemplateSource { path: "brand/page.html".into(), text: text.into() }), None)
            .unwrap()
    }

    fn render(templates: &UserTemplates, vars: Vec<(&'static str, Value)>) -> Result<String, TemplateError> {
        templates.render(Slot::Html, &Map::value(vars)).unwrap()
    }

    #[test]
    fn every_value_is_escaped_whatever_the_template_says() {
        let hostile = || vec![("path", Value::from("/<script>alert(1)</script>?a=\"b\"&c='d'"))];
        let escaped = "/&#60;script&#62;alert(1)&#60;/script&#62;?a=&#34;b&#34;&#38;c=&#39;d&#39;";
        assert_eq!(render(&html("{{ path }}"), hostile()).unwrap(), escaped);
        assert_eq!(render(&html("{% autoescape false %}{{ path }}{% endautoescape %}"), hostile()).unwrap(), escaped);
        assert!(!render(&html("{{ path ~ '' }}{{ path|replace('a', '<') }}"), hostile()).unwrap().contains('<'));
        let e = render(&html("{{ path|safe }}"), hostile()).unwrap_err();
        assert!(e.message.contains("unknown filter"), "{e}");
    }

    #[test]
    fn core_made_markup_is_kept() {
        let vars = || vec![("logo", Value::from_safe_string("<svg></svg>".into()))];
        assert_eq!(render(&html("{{ logo }}"), vars()).unwrap(), "<svg></svg>");
        assert_eq!(
            render(&html("{% autoescape false %}{{ logo }}{% endautoescape %}{{ logo ~ '<b>' }}"), vars()).unwrap(),
            "<svg></svg><svg></svg>&#60;b&#62;"
        );
    }

    #[test]
    fn the_text_page_is_not_escaped() {
        let templates =
            UserTemplates::compile(None, Some(TemplateSource { path: "t.txt".into(), text: "{{ path }}".into() }))
                .unwrap();
        let out = templates.render(Slot::Text, &Map::value(vec![("path", Value::from("/a<b>&"))])).unwrap();
        assert_eq!(out.unwrap(), "/a<b>&");
        assert!(templates.render(Slot::Html, &Map::value(vec![])).is_none(), "no HTML template");
    }

    #[test]
    fn an_absent_value_fails_when_printed_and_is_false_in_an_if() {
        let templates = html("{% if request_id %}[{{ request_id }}]{% endif %}");
        assert_eq!(render(&templates, vec![]).unwrap(), "");
        let e = render(&html("a\n  {{ request_id }}"), vec![]).unwrap_err();
        assert_eq!(e.file, "brand/page.html");
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("undefined"), "{e}");
    }

    #[test]
    fn a_runaway_loop_runs_out_of_fuel() {
        let e = render(&html("{% for i in 'x' * 2000 %}{% for j in 'x' * 2000 %}x{% endfor %}{% endfor %}"), vec![])
            .unwrap_err();
        assert!(e.message.contains("fuel"), "{e}");
    }

    #[test]
    fn a_syntax_error_names_file_line_and_column() {
        let e = UserTemplates::compile(
            Some(TemplateSource { path: "brand/page.html".into(), text: "<p>\n  <b>{{ title }</b>\n".into() }),
            None,
        )
        .unwrap_err();
        assert_eq!(e.file, "brand/page.html");
        assert_eq!(e.line, Some(2));
        #[cfg(feature = "template-check")]
        assert!(e.column.is_some(), "{e}");
        assert!(e.to_string().starts_with("brand/page.html:2:"), "{e}");
    }
}
