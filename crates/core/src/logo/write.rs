//! Writes the logo's tree out canonically: the root with the SVG namespace, attributes quoted and
//! escaped, text escaped, nothing else.

use std::fmt::Write as _;

use super::SVG_NS;
use super::read::{Child, Element};
use super::value::Value;

pub(super) fn write(root: &Element) -> String {
    let mut out = String::new();
    element(root, true, &mut out);
    out
}

fn element(e: &Element, is_root: bool, out: &mut String) {
    out.push('<');
    out.push_str(e.name);
    if is_root {
        let _ = write!(out, " xmlns=\"{SVG_NS}\"");
    }
    for (name, value) in &e.attributes {
        let text = match value {
            Value::Plain(s) | Value::Id(s) => s.clone(),
            Value::Url { id, fallback: None } => format!("url(#{id})"),
            Value::Url { id, fallback: Some(f) } => format!("url(#{id}) {f}"),
            Value::Href(id) => format!("#{id}"),
            Value::IdRefs(ids) => ids.join(" "),
        };
        let _ = write!(out, " {name}=\"{}\"", escape(&text, true));
    }
    if e.children.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    for child in &e.children {
        match child {
            Child::Element(c) => element(c, false, out),
            Child::Text(t) => out.push_str(&escape(t, false)),
        }
    }
    let _ = write!(out, "</{}>", e.name);
}

/// Escapes text (`&`, `<`, `>`) and, in an attribute, the double quote.
fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}
