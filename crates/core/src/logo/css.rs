//! The logo's CSS, resolved the way a browser would (the cascade of `<style>` rules and `style=`
//! declarations over presentation attributes), so that it can be written out as presentation
//! attributes: the page's CSP admits no other style. simplecss parses the rules and matches
//! selectors; this file refuses what could load something, however it is spelt.

use std::cell::Cell;

use simplecss::{AttributeOperator, DeclarationTokenizer, PseudoClass, StyleSheet};

use super::LogoError;
use super::allow::HOSTILE_PROPERTIES;
use super::report::Report;

/// The text of every `<style>` element, checked: no escapes, no URL but `#fragment`, no
/// `@import`. At-rules that cannot become attributes (`@media`) are counted in the report;
/// simplecss skips them.
pub(super) fn style_text(
    doc: &roxmltree::Document<'_>,
    ns: Option<&str>,
    report: &mut Report,
) -> Result<String, LogoError> {
    let mut text = String::new();
    for node in
        doc.descendants().filter(|n| n.is_element() && n.tag_name().name() == "style" && n.tag_name().namespace() == ns)
    {
        if let Some(kind) = node.attribute("type").filter(|t| !t.trim().eq_ignore_ascii_case("text/css")) {
            return Err(LogoError::Forbidden(format!("a <style type={kind:?}> element (only CSS can be inlined)")));
        }
        for child in node.children() {
            text.push_str(child.text().unwrap_or_default());
        }
        text.push('\n');
    }
    hostile("<style>", &text)?;
    let plain = without_comments(&text).to_ascii_lowercase();
    // Every rule has a block; simplecss's parse takes time growing with the square of the rules.
    let blocks = plain.matches('{').count();
    if blocks > MAX_RULES {
        return Err(LogoError::Forbidden(format!("a <style> with more than {MAX_RULES} rules ({blocks} blocks)")));
    }
    let mut rest = plain.as_str();
    while let Some(at) = rest.find('@') {
        let name: String =
            rest[at + 1..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
        if name == "import" {
            return Err(LogoError::Forbidden(
                "an @import rule in a <style> element (it loads an external stylesheet)".into(),
            ));
        }
        *report.css_at_rules.entry(format!("@{name}")).or_default() += 1;
        rest = &rest[at + 1..];
    }
    Ok(text)
}

/// Refuses a value (or a whole stylesheet) that could name an external resource, however it is
/// spelt: CSS escapes (`\75rl(`), comments inside a function name (`u/**/rl(`), any case,
/// `image-set(` and the other image functions, `expression(`, and `url(` to anything but a
/// same-document `#fragment`. What is allowed through is parsed again by type before it is
/// written, so this is the first of two locks.
pub(super) fn hostile(name: &str, value: &str) -> Result<(), LogoError> {
    if value.contains('\\') {
        return Err(LogoError::Forbidden(format!("a CSS escape in {name} ({value:?}), which can spell a URL")));
    }
    let compact: String = without_comments(value)
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    if compact.contains("javascript:") {
        return Err(LogoError::Forbidden(format!("a javascript: URL ({name}={value:?})")));
    }
    for function in ["image-set(", "image(", "cross-fade(", "element(", "expression(", "src("] {
        if compact.contains(function) {
            return Err(LogoError::Forbidden(format!(
                "{function}…) in {name} ({value:?}), which can load an external resource"
            )));
        }
    }
    let mut rest = compact.as_str();
    while let Some(at) = rest.find("url(") {
        let inner = rest[at + 4..].trim_start_matches(['"', '\'']);
        if !(inner.starts_with('#') && inner.len() > 1 && !inner[1..].starts_with([')', '"', '\''])) {
            return Err(LogoError::Forbidden(format!("a link to an external resource ({name}={value:?})")));
        }
        rest = &rest[at + 4..];
    }
    Ok(())
}

/// The text with `/* … */` comments taken out (an unclosed one runs to the end, as in CSS).
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        match rest[start + 2..].find("*/") {
            Some(end) => rest = &rest[start + 2 + end + 2..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
}

/// One CSS declaration that applies to an element, in cascade order.
#[derive(Debug)]
pub(super) struct Declaration {
    pub name: String,
    pub value: String,
}

/// The most rules (blocks, counted as `{`) the `<style>` elements may hold together. Editors'
/// exports hold a handful; a stylesheet is parsed in time growing with the square of its rules.
pub(super) const MAX_RULES: usize = 256;

/// The most steps (to a parent or a previous sibling) one selector may take to match one element.
/// simplecss matches a descendant combinator by backtracking over every ancestor, which is
/// exponential in the combinators (`a * * … *` over deep nesting); editors' selectors take a
/// handful of steps.
pub(super) const MATCH_STEPS: u32 = 4096;

/// The most work the whole stylesheet may take over the whole logo: one unit per rule tried on an
/// element, plus its steps. Many rules over many elements is the other way to spend time.
pub(super) const MATCH_WORK: u64 = 1 << 20;

/// The stylesheet's rules, which of them matched something, and the matching work spent.
#[derive(Debug)]
pub(super) struct Cascade<'a> {
    sheet: StyleSheet<'a>,
    matched: Vec<bool>,
    work: u64,
}

impl<'a> Cascade<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        let sheet = StyleSheet::parse(text);
        let matched = vec![false; sheet.rules.len()];
        Cascade { sheet, matched, work: 0 }
    }

    /// The declarations that apply to `node`, later ones winning: `<style>` rules by specificity
    /// then order, then `style=`, then the `!important` ones in the same order.
    pub(super) fn declarations(&mut self, node: roxmltree::Node<'_, '_>) -> Result<Vec<Declaration>, LogoError> {
        let mut normal = Vec::new();
        let mut important = Vec::new();
        for (rule, matched) in self.sheet.rules.iter().zip(self.matched.iter_mut()) {
            let steps = Cell::new(i64::from(MATCH_STEPS));
            let hit = rule.selector.matches(&XmlElement { node, steps: &steps });
            let spent = i64::from(MATCH_STEPS) - steps.get().max(0);
            self.work += 1 + spent.unsigned_abs();
            if steps.get() < 0 {
                return Err(LogoError::Forbidden(format!(
                    "a CSS rule `{}` that takes more than {MATCH_STEPS} steps to match one <{}> element \
                     (simplify the selector)",
                    rule.selector,
                    node.tag_name().name()
                )));
            }
            if self.work > MATCH_WORK {
                return Err(LogoError::Forbidden(format!(
                    "CSS that takes more than {MATCH_WORK} steps to match over the whole logo \
                     ({} rules; reached at the rule `{}`)",
                    self.sheet.rules.len(),
                    rule.selector
                )));
            }
            if hit {
                *matched = true;
                for declaration in &rule.declarations {
                    let list = if declaration.important { &mut important } else { &mut normal };
                    list.push(Declaration { name: declaration.name.to_owned(), value: declaration.value.to_owned() });
                }
            }
        }
        if let Some(style) = node.attribute("style") {
            hostile("style=", style)?;
            for declaration in DeclarationTokenizer::from(style) {
                let list = if declaration.important { &mut important } else { &mut normal };
                list.push(Declaration { name: declaration.name.to_owned(), value: declaration.value.to_owned() });
            }
        }
        normal.extend(important);
        for declaration in &normal {
            let name = declaration.name.to_ascii_lowercase();
            if HOSTILE_PROPERTIES.contains(&name.as_str()) {
                return Err(LogoError::Forbidden(format!(
                    "a CSS {name}: property, which can run code in old browsers"
                )));
            }
        }
        Ok(normal)
    }

    /// How many rules matched at least one element, and how many matched none.
    pub(super) fn counts(&self) -> (usize, usize) {
        let inlined = self.matched.iter().filter(|m| **m).count();
        (inlined, self.matched.len() - inlined)
    }
}

/// A roxmltree element as simplecss's selectors see it, with the steps left for this match: once
/// they are spent, no parent or sibling is found, so the matcher unwinds at once. Dynamic states
/// (`:hover`, `:focus`) never match: a drawing written out once has none.
#[derive(Debug, Clone, Copy)]
struct XmlElement<'a, 'input, 's> {
    node: roxmltree::Node<'a, 'input>,
    steps: &'s Cell<i64>,
}

impl XmlElement<'_, '_, '_> {
    /// Spends one step, or says none is left (and leaves the count below zero to say so).
    fn step(&self) -> bool {
        let left = self.steps.get() - 1;
        self.steps.set(left.max(-1));
        left >= 0
    }
}

impl simplecss::Element for XmlElement<'_, '_, '_> {
    fn parent_element(&self) -> Option<Self> {
        if !self.step() {
            return None;
        }
        self.node.parent_element().map(|node| XmlElement { node, steps: self.steps })
    }

    fn prev_sibling_element(&self) -> Option<Self> {
        if !self.step() {
            return None;
        }
        self.node.prev_sibling_element().map(|node| XmlElement { node, steps: self.steps })
    }

    fn has_local_name(&self, name: &str) -> bool {
        self.node.tag_name().name() == name
    }

    fn attribute_matches(&self, local_name: &str, operator: AttributeOperator<'_>) -> bool {
        self.node
            .attributes()
            .find(|a| a.name() == local_name && a.namespace().is_none())
            .is_some_and(|a| operator.matches(a.value()))
    }

    fn pseudo_class_matches(&self, class: PseudoClass<'_>) -> bool {
        matches!(class, PseudoClass::FirstChild) && self.node.prev_sibling_element().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_found_however_they_are_spelt() {
        for value in [
            "url(https://evil.example/x)",
            "URL( 'https://evil.example/x' )",
            "u/**/rl(https://evil.example/x)",
            "\\75rl(https://evil.example/x)",
            "url(\\23 x)",
            "image-set('x.png' 1x)",
            "-webkit-image-set(url(#a) 1x)",
            "expression(alert(1))",
            "url(#)",
            "url(data:image/png;base64,AAAA)",
            "ur\\l(x)",
        ] {
            assert!(hostile("fill", value).is_err(), "{value}");
        }
        for value in ["url(#a)", "url( '#grad' ) red", "#abc", "rgb(1, 2, 3)", "none"] {
            assert!(hostile("fill", value).is_ok(), "{value}");
        }
    }

    #[test]
    fn comments_are_taken_out_unclosed_ones_to_the_end() {
        assert_eq!(without_comments("a/* x */b/* y"), "ab");
    }
}
