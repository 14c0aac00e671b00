//! What cleaning a logo changed: every kind of thing dropped, inlined or renamed, counted, so that
//! `edgepages check` and `preview` can say it once and nothing is lost in silence.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// The account of one cleaning. Counts by name (`"inkscape:*"`, `"<metadata>"`, `"mix-blend-mode"`)
/// keep the summary short however large the file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Bytes in, as the editor wrote the file.
    pub source_bytes: usize,
    /// Bytes out, as inlined into every page.
    pub cleaned_bytes: usize,
    /// A `<!DOCTYPE>` without an internal subset (it is never loaded).
    pub doctype: bool,
    /// Editor attributes dropped, by name or namespace prefix (`inkscape:*`, `xml:space`).
    pub editor_attributes: BTreeMap<String, usize>,
    /// Elements dropped whole, by name (`<metadata>`, `<sodipodi:namedview>`, `<title>`).
    pub elements: BTreeMap<String, usize>,
    /// `<style>` rules that matched at least one element, inlined as presentation attributes.
    pub css_rules_inlined: usize,
    /// `<style>` rules that matched nothing (including `:hover` and other dynamic states).
    pub css_rules_unmatched: usize,
    /// At-rules dropped from `<style>`, by name (`@media`): their rules are not inlined.
    pub css_at_rules: BTreeMap<String, usize>,
    /// `style=` declarations, and `<style>` declarations times the elements they matched, that
    /// became presentation attributes.
    pub css_declarations_inlined: usize,
    /// CSS declarations dropped because no SVG presentation attribute carries them
    /// (`mix-blend-mode`, `line-height`), or because their value is one SVG ignores, by property.
    pub css_declarations_dropped: BTreeMap<String, usize>,
    /// `class=` attributes removed once their rules were inlined (the page's own CSS could match them).
    pub classes_removed: usize,
    /// Ids that something in the logo refers to, renamed with the logo's prefix.
    pub ids_prefixed: usize,
    /// Ids nothing refers to, removed.
    pub ids_unused: usize,
    /// Presentation attributes that restated what the element has anyway (`stroke-opacity="1"`).
    pub defaults_removed: usize,
    /// Definitions nothing refers to (a gradient without an id), which can never be drawn.
    pub unused_definitions: usize,
    /// References to ids the logo does not define, removed (a paint falls back to `none`).
    pub broken_references: usize,
}

impl Report {
    pub(super) fn editor_attribute(&mut self, label: &str) {
        *self.editor_attributes.entry(label.to_owned()).or_default() += 1;
    }

    pub(super) fn element(&mut self, label: String) {
        *self.elements.entry(label).or_default() += 1;
    }

    pub(super) fn css_dropped(&mut self, property: &str) {
        *self.css_declarations_dropped.entry(property.to_owned()).or_default() += 1;
    }

    /// The dropped things, one phrase each, for a list in `preview`.
    pub fn dropped(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.doctype {
            out.push("a <!DOCTYPE> (never loaded)".to_owned());
        }
        let attributes: usize = self.editor_attributes.values().sum();
        if attributes > 0 {
            out.push(format!(
                "{attributes} editor attribute{} ({})",
                plural(attributes),
                self.editor_attributes.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        for (name, count) in &self.elements {
            out.push(format!("{count} {name}"));
        }
        for (name, count) in &self.css_at_rules {
            out.push(format!("{count} {name} rule{} (not inlined)", plural(*count)));
        }
        if self.css_rules_unmatched > 0 {
            out.push(format!(
                "{} CSS rule{} that matched nothing",
                self.css_rules_unmatched,
                plural(self.css_rules_unmatched)
            ));
        }
        let declarations: usize = self.css_declarations_dropped.values().sum();
        if declarations > 0 {
            let names: Vec<_> = self.css_declarations_dropped.iter().map(|(n, c)| format!("{n} ×{c}")).collect();
            out.push(format!(
                "{declarations} CSS declaration{} SVG does not draw from ({})",
                plural(declarations),
                names.join(", ")
            ));
        }
        if self.classes_removed > 0 {
            out.push(format!("{} class= attribute{}", self.classes_removed, plural(self.classes_removed)));
        }
        if self.ids_unused > 0 {
            out.push(format!("{} unused id{}", self.ids_unused, plural(self.ids_unused)));
        }
        if self.unused_definitions > 0 {
            out.push(format!(
                "{} definition{} nothing refers to",
                self.unused_definitions,
                plural(self.unused_definitions)
            ));
        }
        if self.broken_references > 0 {
            out.push(format!(
                "{} reference{} to ids the logo does not define",
                self.broken_references,
                plural(self.broken_references)
            ));
        }
        out
    }

    /// What was kept but rewritten: inlined CSS, prefixed ids.
    pub fn rewritten(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.css_rules_inlined > 0 {
            out.push(format!("inlined {} <style> rule{}", self.css_rules_inlined, plural(self.css_rules_inlined)));
        }
        if self.css_declarations_inlined > 0 {
            out.push(format!(
                "{} CSS declaration{} became presentation attributes",
                self.css_declarations_inlined,
                plural(self.css_declarations_inlined)
            ));
        }
        if self.defaults_removed > 0 {
            out.push(format!(
                "left out {} attribute{} restating a default",
                self.defaults_removed,
                plural(self.defaults_removed)
            ));
        }
        if self.ids_prefixed > 0 {
            out.push(format!(
                "prefixed {} id{} with {}",
                self.ids_prefixed,
                plural(self.ids_prefixed),
                super::ID_PREFIX
            ));
        }
        out
    }
}

/// One line: `dropped …; inlined …; 12345 → 4321 bytes`.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dropped = self.dropped();
        if dropped.is_empty() {
            f.write_str("nothing dropped")?;
        } else {
            write!(f, "dropped {}", dropped.join(", "))?;
        }
        let rewritten = self.rewritten();
        if !rewritten.is_empty() {
            write!(f, "; {}", rewritten.join(", "))?;
        }
        write!(f, "; {} → {} bytes", self.source_bytes, self.cleaned_bytes)
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
