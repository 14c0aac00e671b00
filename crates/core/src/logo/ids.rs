//! The logo's ids, made its own: every id something in the logo refers to is renamed with
//! [`ID_PREFIX`](super::ID_PREFIX) and every reference follows; ids nothing refers to are
//! removed; references to ids the logo does not define are removed. So no id in a logo can take
//! the place of one of the page's (`ep-retry`), and nothing in a logo can point at the page.

use std::collections::{BTreeMap, BTreeSet};

use super::ID_PREFIX;
use super::read::{Child, Element};
use super::report::Report;
use super::value::Value;

/// Renames, removes and counts, in place; again while a removal leaves another id unused (a
/// gradient only an unused gradient referred to).
pub(super) fn make_own(root: &mut Element, report: &mut Report) {
    loop {
        let before = (report.ids_unused, report.unused_definitions, report.broken_references);
        one_pass(root, report);
        if (report.ids_unused, report.unused_definitions, report.broken_references) == before {
            return;
        }
    }
}

fn one_pass(root: &mut Element, report: &mut Report) {
    let mut defined = BTreeSet::new();
    let mut referenced = BTreeSet::new();
    collect(root, &mut defined, &mut referenced);
    let mut names = BTreeMap::new();
    let mut taken = BTreeSet::new();
    for id in defined.intersection(&referenced) {
        let base: String =
            id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
        // An id already prefixed (a logo cleaned before) keeps its name: cleaning is idempotent.
        let mut name = if base.starts_with(ID_PREFIX) { base.clone() } else { format!("{ID_PREFIX}{base}") };
        let mut n = 1;
        while !taken.insert(name.clone()) {
            n += 1;
            name = format!("{ID_PREFIX}{base}-{n}");
        }
        names.insert(id.clone(), name);
    }
    report.ids_prefixed = names.len();
    rewrite(root, &names, report);
}

fn collect(element: &Element, defined: &mut BTreeSet<String>, referenced: &mut BTreeSet<String>) {
    for (_, value) in &element.attributes {
        match value {
            Value::Id(id) => {
                defined.insert(id.clone());
            }
            Value::Url { id, .. } | Value::Href(id) => {
                referenced.insert(id.clone());
            }
            Value::IdRefs(ids) => referenced.extend(ids.iter().cloned()),
            Value::Plain(_) => {}
        }
    }
    for child in &element.children {
        if let Child::Element(e) = child {
            collect(e, defined, referenced);
        }
    }
}

fn rewrite(element: &mut Element, names: &BTreeMap<String, String>, report: &mut Report) {
    element.attributes.retain_mut(|(name, value)| {
        let keep = match value {
            Value::Plain(_) => return true,
            Value::Id(id) | Value::Href(id) | Value::Url { id, .. } => {
                names.get(id.as_str()).map(|own| id.clone_from(own))
            }
            Value::IdRefs(ids) => {
                let before = ids.len();
                *ids = ids.iter().filter_map(|id| names.get(id.as_str()).cloned()).collect();
                report.broken_references += before - ids.len();
                return !ids.is_empty();
            }
        };
        match (keep, &mut *value) {
            (Some(()), _) => true,
            (None, Value::Id(_)) => {
                report.ids_unused += 1;
                false
            }
            (None, Value::Url { fallback, .. }) if matches!(*name, "fill" | "stroke") => {
                report.broken_references += 1;
                // SVG 2 (painting, "Specifying paint"): an invalid reference paints the fallback
                // if there is one, else as if `none` were given.
                let fallback = fallback.take().unwrap_or_else(|| "none".to_owned());
                *value = Value::Plain(fallback);
                true
            }
            (None, _) => {
                report.broken_references += 1;
                false
            }
        }
    });
    for child in &mut element.children {
        if let Child::Element(e) = child {
            rewrite(e, names, report);
        }
    }
    // What can only be drawn through a reference, once nothing refers to it, draws nothing: a
    // <use> whose reference went, a gradient, clip path, mask, filter or symbol without an id,
    // anything in <defs> without one (svgo's removeUselessDefs).
    let in_defs = element.name == "defs";
    element.children.retain(|child| {
        let Child::Element(e) = child else { return true };
        let has = |name: &str| e.attributes.iter().any(|(n, _)| *n == name);
        let useless = (e.name == "use" && !has("href"))
            || (matches!(e.name, "linearGradient" | "radialGradient" | "clipPath" | "mask" | "filter" | "symbol")
                && !has("id"))
            || (in_defs && !has("id") && !contains_id(e));
        if useless {
            report.unused_definitions += 1;
        }
        !useless
    });
}

/// Whether anything inside `element` keeps an id (and so may be drawn through a reference).
fn contains_id(element: &Element) -> bool {
    element.children.iter().any(|child| match child {
        Child::Element(e) => e.attributes.iter().any(|(n, _)| *n == "id") || contains_id(e),
        Child::Text(_) => false,
    })
}
