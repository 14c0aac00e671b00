//! Reads the parsed document into the logo's own small tree: allowed elements only, every
//! attribute checked against the allow-list and parsed by type, CSS resolved into presentation
//! attributes, editor metadata dropped and counted, anything dangerous refused with its name.

use super::allow::{self, Kind};
use super::css::{Cascade, hostile};
use super::path::decimals;
use super::report::Report;
use super::value::{self, Value};
use super::{LogoError, XLINK_NS, XML_NS};

/// An element as it will be written: its name from the allow-list and its checked attributes.
#[derive(Debug)]
pub(super) struct Element {
    pub name: &'static str,
    pub attributes: Vec<(&'static str, Value)>,
    pub children: Vec<Child>,
}

#[derive(Debug)]
pub(super) enum Child {
    Element(Element),
    Text(String),
}

/// Walks the document, with what every element needs: the CSS, the namespace the logo's elements
/// are in, and the report.
#[derive(Debug)]
pub(super) struct Reader<'a, 'r> {
    pub cascade: Cascade<'a>,
    pub ns: Option<&'a str>,
    /// The logo's larger side, in its own units: path data is rounded relative to it.
    pub extent: f64,
    pub report: &'r mut Report,
}

impl Reader<'_, '_> {
    /// The element, or `None` when it is dropped (editor metadata, an inlined `<style>`).
    /// `scale` is how much the transforms above it enlarge it.
    pub(super) fn element(&mut self, node: roxmltree::Node<'_, '_>, scale: f64) -> Result<Option<Element>, LogoError> {
        let tag = node.tag_name();
        let name = tag.name();
        match tag.namespace() {
            ns if ns == self.ns => {}
            Some(uri) => match allow::editor_namespace(uri) {
                Some(prefix) => {
                    self.report.element(format!("<{prefix}:{name}>"));
                    return Ok(None);
                }
                None => return Err(LogoError::Forbidden(format!("a <{name}> element"))),
            },
            None => return Err(LogoError::Forbidden(format!("a <{name}> element"))),
        }
        if name == "style" {
            // Already read, checked and counted as the stylesheet.
            return Ok(None);
        }
        if allow::DROPPED_ELEMENTS.contains(&name) {
            self.report.element(format!("<{name}>"));
            return Ok(None);
        }
        let Some(name) = allow::element(name) else {
            return Err(LogoError::Forbidden(format!("a <{name}> element")));
        };

        let mut attributes: Vec<(&'static str, Value)> = Vec::new();
        let declared = self.attributes(node)?;
        let own_scale =
            declared.iter().find(|(a, _)| a.name == "transform").map_or(1.0, |(_, raw)| transform_scale(raw));
        let scale = scale * own_scale;
        let places = decimals(self.extent, scale);
        for (attribute, raw) in declared {
            let parsed = value::parse(attribute.kind, raw, places).map_err(|why| refusal(attribute.name, raw, &why))?;
            set(&mut attributes, attribute.name, parsed);
        }
        let declarations = self.cascade.declarations(node)?;
        for declaration in declarations {
            let property = declaration.name.to_ascii_lowercase();
            hostile(&format!("the CSS property {property}"), &declaration.value)?;
            match allow::attribute(&property).filter(|a| a.css) {
                Some(attribute) => match value::parse(attribute.kind, &declaration.value, places) {
                    Ok(parsed) => {
                        set(&mut attributes, attribute.name, parsed);
                        self.report.css_declarations_inlined += 1;
                    }
                    // A browser ignores a declaration it cannot parse: so does the cleaning, and says so.
                    Err(_) => self.report.css_dropped(&format!("{property} (a value SVG ignores)")),
                },
                None => self.report.css_dropped(&property),
            }
        }
        // An empty transform draws as none: nothing to write.
        attributes.retain(|(n, v)| !(n.ends_with("ransform") && *v == Value::Plain(String::new())));

        let keeps_text = matches!(name, "text" | "tspan");
        let mut children = Vec::new();
        for child in node.children() {
            if child.is_element() {
                if let Some(element) = self.element(child, scale)? {
                    children.push(Child::Element(element));
                }
            } else if child.is_text() {
                let text = child.text().unwrap_or_default();
                if keeps_text {
                    children.push(Child::Text(text.to_owned()));
                } else if !text.trim().is_empty() {
                    return Err(LogoError::Forbidden(format!("text directly inside a <{name}> element")));
                }
            }
        }
        Ok(Some(Element { name, attributes, children }))
    }

    /// The element's allowed attributes with their raw values, in order; editor attributes are
    /// dropped and counted, `style=` and `class=` are left to the cascade, anything else refused.
    fn attributes<'n>(
        &mut self,
        node: roxmltree::Node<'n, '_>,
    ) -> Result<Vec<(&'static allow::Attribute, &'n str)>, LogoError> {
        let mut out = Vec::new();
        for attr in node.attributes() {
            let name = attr.name();
            let raw = attr.value();
            let attribute = match attr.namespace() {
                None => name,
                Some(XLINK_NS) if name == "href" => "href",
                // Whitespace in text is kept as the editor meant it; elsewhere the attribute does nothing.
                Some(XML_NS) if name == "space" && has_text(node) => "xml:space",
                Some(XML_NS) if matches!(name, "space" | "lang") => {
                    self.report.editor_attribute(&format!("xml:{name}"));
                    continue;
                }
                Some(ns) => match allow::editor_namespace(ns) {
                    Some(prefix) => {
                        self.report.editor_attribute(&format!("{prefix}:*"));
                        continue;
                    }
                    None if ns == XML_NS => {
                        return Err(LogoError::Forbidden(format!("an attribute {name}= in the namespace {ns}")));
                    }
                    None => {
                        self.report.editor_attribute(&format!("{{{ns}}}*"));
                        continue;
                    }
                },
            };
            // `get`: an XML name's first two bytes need not be a character (`中x`).
            if attribute.len() > 2 && attribute.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("on")) {
                return Err(LogoError::Forbidden(format!("an on…= event handler attribute ({attribute}=)")));
            }
            if attribute == "style" {
                continue;
            }
            if attribute == "class" {
                self.report.classes_removed += 1;
                continue;
            }
            if let Some(label) = allow::editor_attribute(attribute) {
                self.report.editor_attribute(label);
                continue;
            }
            let Some(allowed) = allow::attribute(attribute) else {
                return Err(LogoError::Forbidden(format!("an attribute {attribute}=")));
            };
            if allowed.kind != Kind::Text {
                hostile(&format!("{attribute}="), raw)?;
            }
            out.push((allowed, raw));
        }
        Ok(out)
    }
}

/// Sets `name`, replacing an earlier value: later sources win, as in the cascade.
fn set(attributes: &mut Vec<(&'static str, Value)>, name: &'static str, value: Value) {
    match attributes.iter_mut().find(|(n, _)| *n == name) {
        Some(slot) => slot.1 = value,
        None => attributes.push((name, value)),
    }
}

/// The refusal for a value that did not parse: an external link where the value names one.
fn refusal(name: &str, raw: &str, why: &str) -> LogoError {
    let lower = raw.to_ascii_lowercase();
    if name == "href" || lower.contains("url(") || lower.contains(':') {
        LogoError::Forbidden(format!("a link to an external resource ({name}={raw:?})"))
    } else {
        LogoError::Forbidden(format!("a value for {name}= that is not a plain SVG value: {why}"))
    }
}

/// How much a transform enlarges what it draws (the square root of its determinant).
fn transform_scale(raw: &str) -> f64 {
    raw.parse::<svgtypes::Transform>().map_or(1.0, |t| (t.a * t.d - t.b * t.c).abs().sqrt())
}

/// Whether `node` is or holds a `<text>` element, whose whitespace `xml:space` governs.
fn has_text(node: roxmltree::Node<'_, '_>) -> bool {
    node.descendants().any(|n| n.is_element() && matches!(n.tag_name().name(), "text" | "tspan"))
}
