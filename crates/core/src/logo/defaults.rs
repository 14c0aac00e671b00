//! Presentation attributes that restate what an element has anyway, removed, as svgo's
//! removeUnknownsAndDefaults does: an editor's inlined style spells out `stroke-opacity:1;
//! stroke-dasharray:none` on every shape, and every page carries the logo. A value is dropped
//! only when it is the property's initial value and, for an inherited property, the element
//! would inherit that same value. Where what is inherited cannot be known (an element a `<use>`
//! draws elsewhere, the contents of `<defs>`, `<clipPath>`, `<mask>` or `<symbol>`), inherited
//! properties are kept.

use std::collections::{BTreeMap, BTreeSet};

use super::read::{Child, Element};
use super::value::Value;

/// Inherited properties and their initial values (CSS and SVG 2's property definitions).
const INHERITED: &[(&str, &str)] = &[
    ("fill", "#000"),
    ("fill-opacity", "1"),
    ("fill-rule", "nonzero"),
    ("stroke", "none"),
    ("stroke-width", "1"),
    ("stroke-linecap", "butt"),
    ("stroke-linejoin", "miter"),
    ("stroke-miterlimit", "4"),
    ("stroke-dasharray", "none"),
    ("stroke-dashoffset", "0"),
    ("stroke-opacity", "1"),
    ("clip-rule", "nonzero"),
    ("visibility", "visible"),
    ("paint-order", "normal"),
    ("shape-rendering", "auto"),
    ("text-rendering", "auto"),
    ("color-interpolation-filters", "linearRGB"),
    ("font-style", "normal"),
    ("font-variant", "normal"),
    ("font-weight", "normal"),
    ("font-stretch", "normal"),
    ("letter-spacing", "normal"),
    ("word-spacing", "normal"),
    ("text-anchor", "start"),
    ("direction", "ltr"),
];

/// Properties that are not inherited, at their initial values: always the same as not set.
/// (`overflow` is not here: the user agent's stylesheet hides a nested `<svg>`'s overflow.)
const NOT_INHERITED: &[(&str, &str)] = &[
    ("opacity", "1"),
    ("display", "inline"),
    ("stop-color", "#000"),
    ("stop-opacity", "1"),
    ("flood-color", "#000"),
    ("flood-opacity", "1"),
    ("clip-path", "none"),
    ("mask", "none"),
    ("filter", "none"),
    ("mask-type", "luminance"),
    ("vector-effect", "none"),
    ("text-decoration", "none"),
    ("baseline-shift", "baseline"),
];

/// What an element inherits, property by property: `None` where it cannot be known.
type Inherited = BTreeMap<&'static str, Option<String>>;

/// Removes restated defaults in place; returns how many went.
pub(super) fn remove(root: &mut Element) -> usize {
    let mut used = BTreeSet::new();
    used_by_href(root, &mut used);
    let initial: Inherited = INHERITED.iter().map(|(name, value)| (*name, Some((*value).to_owned()))).collect();
    walk(root, &initial, &used)
}

fn used_by_href(element: &Element, used: &mut BTreeSet<String>) {
    for (name, value) in &element.attributes {
        if let (&"href", Value::Href(id)) = (name, value) {
            used.insert(id.clone());
        }
    }
    for child in &element.children {
        if let Child::Element(e) = child {
            used_by_href(e, used);
        }
    }
}

fn walk(element: &mut Element, inherited: &Inherited, used: &BTreeSet<String>) -> usize {
    let drawn_elsewhere =
        element.attributes.iter().any(|(n, v)| *n == "id" && matches!(v, Value::Id(id) if used.contains(id)));
    let unknown: Inherited = INHERITED.iter().map(|(name, _)| (*name, None)).collect();
    let context = if drawn_elsewhere { &unknown } else { inherited };
    let before = element.attributes.len();
    element.attributes.retain(|(name, value)| {
        let Value::Plain(value) = value else { return true };
        if NOT_INHERITED.iter().any(|(n, initial)| n == name && initial == value) {
            return false;
        }
        !matches!(context.get(name), Some(Some(same)) if same == value)
    });
    let removed = before - element.attributes.len();

    let mut for_children = context.clone();
    if matches!(element.name, "defs" | "clipPath" | "mask" | "symbol") {
        for_children = unknown;
    }
    for (name, value) in &element.attributes {
        if let Some(slot) = for_children.get_mut(name) {
            *slot = match value {
                Value::Plain(v) if v != "inherit" => Some(v.clone()),
                _ => None,
            };
        }
    }
    removed
        + element
            .children
            .iter_mut()
            .map(|child| match child {
                Child::Element(e) => walk(e, &for_children, used),
                Child::Text(_) => 0,
            })
            .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::super::prepare;

    #[test]
    fn restated_defaults_go_and_overrides_stay() {
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg"><g fill="#f00" opacity="1"><path d="M0 0h1" fill="#000" stroke="none" stroke-width="1"/><path d="M0 0h1" fill="#f00"/></g><path d="M0 0h1" fill="#000"/><defs><path id="p" d="M0 0h1" fill="#000"/></defs><use href="#p" fill="#f00"/></svg>"##;
        assert_eq!(
            prepare(svg).unwrap(),
            r##"<svg xmlns="http://www.w3.org/2000/svg"><g fill="#f00"><path d="M0 0h1" fill="#000"/><path d="M0 0h1"/></g><path d="M0 0h1"/><defs><path id="ep-logo-p" d="M0 0h1" fill="#000"/></defs><use href="#ep-logo-p" fill="#f00"/></svg>"##
        );
    }
}
