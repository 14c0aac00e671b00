//! The allow-lists: which SVG elements and attributes may reach a page, what kind of value each
//! attribute takes, and which editors' namespaces are dropped rather than refused. This file is
//! the last word on what a cleaned logo can contain.

/// Static drawing: shapes, text, grouping, gradients, clipping, masking and the static filter
/// primitives. No scripting, no animation (`animate`, `set` can write attributes), no embedding
/// (`image`, `foreignObject`, `iframe`, `feImage`), no links (`a`), no styles (they are inlined).
pub(super) const ELEMENTS: &[&str] = &[
    "svg",
    "g",
    "defs",
    "symbol",
    "use",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "linearGradient",
    "radialGradient",
    "stop",
    "clipPath",
    "mask",
    "filter",
    "feGaussianBlur",
    "feOffset",
    "feFlood",
    "feComposite",
    "feMerge",
    "feMergeNode",
    "feColorMatrix",
    "feBlend",
];

/// Elements an editor writes for itself or for a reader the page already serves: dropped, and
/// said. `title` and `desc` go because the page names the logo (`role="img"` and the brand's name
/// on the element around it); an editor's `<desc>Created with Sketch.</desc>` would be noise.
pub(super) const DROPPED_ELEMENTS: &[&str] = &["metadata", "title", "desc"];

/// What an attribute's value must parse as. Every value that reaches the page is written back
/// from what its parser understood, never copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// `fill`, `stroke`: a colour, `none`, `currentColor`, or `url(#id)` with a fallback.
    Paint,
    Color,
    /// `none` or `url(#id)`.
    FuncIri,
    Number,
    NumberList,
    Length,
    /// A length or `auto` (`width`, `rx`).
    LengthOrAuto,
    LengthList,
    /// `none` or a list of lengths.
    DashArray,
    /// A number or a percentage: opacities and gradient stop offsets.
    NumberOrPercent,
    Keyword(&'static [&'static str]),
    /// A length or one of the keywords.
    LengthOrKeyword(&'static [&'static str]),
    /// A number or one of the keywords (`font-weight`).
    NumberOrKeyword(&'static [&'static str]),
    /// A space-separated list of the keywords (`paint-order`, `text-decoration`).
    KeywordList(&'static [&'static str]),
    FontFamily,
    Path,
    Points,
    Transform,
    ViewBox,
    AspectRatio,
    /// `#id` only.
    Href,
    Id,
    /// Space-separated ids (`aria-labelledby`).
    IdRefs,
    /// A filter primitive's input or result name.
    Name,
    /// Plain text, escaped (`aria-label`, `role`, `version`).
    Text,
}

/// One allowed attribute: its name as written out, the kind of its value, and whether CSS
/// (`style=`, `<style>`) may set it, as for a presentation attribute.
#[derive(Debug, Clone, Copy)]
pub(super) struct Attribute {
    pub name: &'static str,
    pub kind: Kind,
    pub css: bool,
}

const UNITS: &[&str] = &["userSpaceOnUse", "objectBoundingBox"];
const BOOLEAN: &[&str] = &["true", "false"];
const BLEND_MODES: &[&str] = &[
    "normal",
    "multiply",
    "screen",
    "darken",
    "lighten",
    "overlay",
    "color-dodge",
    "color-burn",
    "hard-light",
    "soft-light",
    "difference",
    "exclusion",
    "hue",
    "saturation",
    "color",
    "luminosity",
];

macro_rules! attributes {
    ($($name:literal: $kind:expr, $css:literal;)*) => {
        const ATTRIBUTES: &[Attribute] = &[$(Attribute { name: $name, kind: $kind, css: $css }),*];
    };
}

use Kind::{
    AspectRatio, Color, DashArray, FontFamily, FuncIri, Href, Id, IdRefs, Keyword, KeywordList, Length, LengthList,
    LengthOrAuto, LengthOrKeyword, Name, Number, NumberList, NumberOrKeyword, NumberOrPercent, Paint, Path, Points,
    Text, Transform, ViewBox,
};

// Presentation attributes (`true`: CSS may set them too), then geometry, structure and filter
// attributes. Event handlers (`on…`), `style`, links other than `#id` and anything else are not here.
attributes! {
    "fill": Paint, true;
    "fill-opacity": NumberOrPercent, true;
    "fill-rule": Keyword(&["nonzero", "evenodd"]), true;
    "stroke": Paint, true;
    "stroke-width": Length, true;
    "stroke-linecap": Keyword(&["butt", "round", "square"]), true;
    "stroke-linejoin": Keyword(&["miter", "miter-clip", "round", "bevel", "arcs"]), true;
    "stroke-miterlimit": Number, true;
    "stroke-dasharray": DashArray, true;
    "stroke-dashoffset": Length, true;
    "stroke-opacity": NumberOrPercent, true;
    "opacity": NumberOrPercent, true;
    "color": Color, true;
    "clip-path": FuncIri, true;
    "clip-rule": Keyword(&["nonzero", "evenodd"]), true;
    "mask": FuncIri, true;
    "mask-type": Keyword(&["luminance", "alpha"]), true;
    "filter": FuncIri, true;
    "vector-effect": Keyword(&["none", "non-scaling-stroke"]), true;
    "paint-order": KeywordList(&["normal", "fill", "stroke", "markers"]), true;
    "shape-rendering": Keyword(&["auto", "optimizeSpeed", "crispEdges", "geometricPrecision"]), true;
    "text-rendering": Keyword(&["auto", "optimizeSpeed", "optimizeLegibility", "geometricPrecision"]), true;
    "color-interpolation": Keyword(&["auto", "sRGB", "linearRGB"]), true;
    "color-interpolation-filters": Keyword(&["auto", "sRGB", "linearRGB"]), true;
    "display": Keyword(&["inline", "block", "none", "inline-block", "list-item", "run-in", "compact", "marker", "table", "inline-table", "table-row-group", "table-header-group", "table-footer-group", "table-row", "table-column-group", "table-column", "table-cell", "table-caption"]), true;
    "visibility": Keyword(&["visible", "hidden", "collapse"]), true;
    "overflow": Keyword(&["visible", "hidden", "scroll", "auto", "clip"]), true;
    "stop-color": Color, true;
    "stop-opacity": NumberOrPercent, true;
    "flood-color": Color, true;
    "flood-opacity": NumberOrPercent, true;
    "font-family": FontFamily, true;
    "font-size": LengthOrKeyword(&["xx-small", "x-small", "small", "medium", "large", "x-large", "xx-large", "larger", "smaller"]), true;
    "font-weight": NumberOrKeyword(&["normal", "bold", "bolder", "lighter"]), true;
    "font-style": Keyword(&["normal", "italic", "oblique"]), true;
    "font-variant": Keyword(&["normal", "small-caps"]), true;
    "font-stretch": Keyword(&["normal", "ultra-condensed", "extra-condensed", "condensed", "semi-condensed", "semi-expanded", "expanded", "extra-expanded", "ultra-expanded"]), true;
    "letter-spacing": LengthOrKeyword(&["normal"]), true;
    "word-spacing": LengthOrKeyword(&["normal"]), true;
    "text-anchor": Keyword(&["start", "middle", "end"]), true;
    "text-decoration": KeywordList(&["none", "underline", "overline", "line-through"]), true;
    "dominant-baseline": Keyword(&["auto", "text-bottom", "alphabetic", "ideographic", "middle", "central", "mathematical", "hanging", "text-top", "use-script", "no-change", "reset-size", "text-after-edge", "text-before-edge"]), true;
    "alignment-baseline": Keyword(&["auto", "baseline", "before-edge", "text-before-edge", "middle", "central", "after-edge", "text-after-edge", "ideographic", "alphabetic", "hanging", "mathematical", "top", "center", "bottom"]), true;
    "baseline-shift": LengthOrKeyword(&["baseline", "sub", "super"]), true;
    "writing-mode": Keyword(&["horizontal-tb", "vertical-rl", "vertical-lr", "lr", "lr-tb", "rl", "rl-tb", "tb", "tb-rl"]), true;
    "direction": Keyword(&["ltr", "rtl"]), true;

    "id": Id, false;
    "viewBox": ViewBox, false;
    "preserveAspectRatio": AspectRatio, false;
    "width": LengthOrAuto, false;
    "height": LengthOrAuto, false;
    "x": Length, false;
    "y": Length, false;
    "x1": Length, false;
    "y1": Length, false;
    "x2": Length, false;
    "y2": Length, false;
    "cx": Length, false;
    "cy": Length, false;
    "r": Length, false;
    "rx": LengthOrAuto, false;
    "ry": LengthOrAuto, false;
    "fx": Length, false;
    "fy": Length, false;
    "fr": Length, false;
    "dx": LengthList, false;
    "dy": LengthList, false;
    "d": Path, false;
    "points": Points, false;
    "pathLength": Number, false;
    "transform": Transform, false;
    "gradientTransform": Transform, false;
    "textLength": Length, false;
    "lengthAdjust": Keyword(&["spacing", "spacingAndGlyphs"]), false;
    "offset": NumberOrPercent, false;
    "gradientUnits": Keyword(UNITS), false;
    "spreadMethod": Keyword(&["pad", "reflect", "repeat"]), false;
    "clipPathUnits": Keyword(UNITS), false;
    "maskUnits": Keyword(UNITS), false;
    "maskContentUnits": Keyword(UNITS), false;
    "filterUnits": Keyword(UNITS), false;
    "primitiveUnits": Keyword(UNITS), false;
    "href": Href, false;
    "role": Text, false;
    "aria-label": Text, false;
    "aria-labelledby": IdRefs, false;
    "aria-hidden": Keyword(BOOLEAN), false;
    "focusable": Keyword(&["true", "false", "auto"]), false;
    "version": Text, false;
    "xml:space": Keyword(&["default", "preserve"]), false;

    "in": Name, false;
    "in2": Name, false;
    "result": Name, false;
    "stdDeviation": NumberList, false;
    "mode": Keyword(BLEND_MODES), false;
    "operator": Keyword(&["over", "in", "out", "atop", "xor", "lighter", "arithmetic"]), false;
    "k1": Number, false;
    "k2": Number, false;
    "k3": Number, false;
    "k4": Number, false;
    "type": Keyword(&["matrix", "saturate", "hueRotate", "luminanceToAlpha"]), false;
    "values": NumberList, false;
    "edgeMode": Keyword(&["duplicate", "wrap", "none"]), false;
}

/// The allowed attribute of that name, if any.
pub(super) fn attribute(name: &str) -> Option<&'static Attribute> {
    ATTRIBUTES.iter().find(|a| a.name == name)
}

/// The allowed element of that name, if any, as a `'static` name to write out.
pub(super) fn element(name: &str) -> Option<&'static str> {
    ELEMENTS.iter().copied().find(|e| *e == name)
}

/// Plain attributes editors write for themselves, dropped and said: `enable-background`
/// (Illustrator; no browser ever implemented it), `baseProfile` (ignored by SVG 2 readers), and
/// `data-*` (Illustrator's `data-name`, Figma's), which only scripts read.
pub(super) fn editor_attribute(name: &str) -> Option<&'static str> {
    match name {
        "enable-background" => Some("enable-background"),
        "baseProfile" => Some("baseProfile"),
        _ if name.starts_with("data-") => Some("data-*"),
        _ => None,
    }
}

/// Editors' own namespaces, whose elements and attributes are dropped and said, with the prefix
/// the report names them by.
pub(super) fn editor_namespace(uri: &str) -> Option<&'static str> {
    Some(match uri {
        "http://www.inkscape.org/namespaces/inkscape" => "inkscape",
        "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" => "sodipodi",
        "http://www.bohemiancoding.com/sketch/ns" => "sketch",
        "http://www.serif.com/" => "serif",
        "http://www.figma.com/figma/ns" => "figma",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#" => "rdf",
        "http://creativecommons.org/ns#" => "cc",
        "http://purl.org/dc/elements/1.1/" => "dc",
        "http://ns.adobe.com/AdobeIllustrator/10.0/" => "i",
        "http://ns.adobe.com/Extensibility/1.0/" => "x",
        "http://ns.adobe.com/Graphs/1.0/" => "graph",
        "http://ns.adobe.com/SaveForWeb/1.0/" => "sfw",
        "http://ns.adobe.com/Variables/1.0/" => "v",
        "http://ns.adobe.com/AdobeSVGViewerExtensions/3.0/" => "a",
        _ => return None,
    })
}

/// CSS properties that cannot run anything but are refused by name, so that a stylesheet meant
/// for an old browser's scripting hooks is never mistaken for a drawing.
pub(super) const HOSTILE_PROPERTIES: &[&str] = &["behavior", "-moz-binding"];
