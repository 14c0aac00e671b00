//! Attribute values, parsed by type with svgtypes and written back from what was parsed: a value
//! the parser did not understand never reaches a page, and neither does the way it was spelt.

use std::fmt::Write as _;

use svgtypes::{Align, FontFamily, LengthUnit, Paint, PaintFallback, TransformListToken};

use super::allow::Kind;
use super::path;

/// A checked value, ready to write, with its references to ids kept apart so that they can be
/// prefixed (or removed when the logo does not define them).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    /// Written as is (already canonical and escaped on output).
    Plain(String),
    /// `url(#id)`, with what follows it in a paint (` none`, ` #fff`).
    Url { id: String, fallback: Option<String> },
    /// `href="#id"`.
    Href(String),
    /// An element's own id.
    Id(String),
    /// Space-separated ids.
    IdRefs(Vec<String>),
}

/// Why a value was not understood, for the refusal or the report.
pub(super) type Unparsed = String;

/// Parses `raw` as a value of `kind`. `decimals` is the precision path data and points are
/// rounded to.
pub(super) fn parse(kind: Kind, raw: &str, decimals: usize) -> Result<Value, Unparsed> {
    let text = raw.trim();
    let unparsed = || format!("{raw:?} is not a plain SVG value");
    if text == "inherit" && !matches!(kind, Kind::Text | Kind::Id | Kind::Name | Kind::Href | Kind::IdRefs) {
        return Ok(Value::Plain(text.to_owned()));
    }
    match kind {
        Kind::Paint => paint(text).ok_or_else(unparsed),
        Kind::FuncIri if text == "none" => Ok(Value::Plain(text.to_owned())),
        Kind::FuncIri => svgtypes::FuncIRI::from_str(text)
            .map(|iri| Value::Url { id: iri.0.to_owned(), fallback: None })
            .map_err(|_| unparsed()),
        Kind::Path => path::path(text, decimals).map(Value::Plain),
        Kind::Points => path::points(text, decimals).map(Value::Plain),
        Kind::Href => match text.strip_prefix('#') {
            Some(id) if !id.is_empty() && !id.contains(char::is_whitespace) => Ok(Value::Href(id.to_owned())),
            _ => Err(format!("{raw:?} is not a link to an id in the logo")),
        },
        Kind::Id if !text.is_empty() => Ok(Value::Id(text.to_owned())),
        Kind::IdRefs if !text.is_empty() => Ok(Value::IdRefs(text.split_whitespace().map(str::to_owned).collect())),
        Kind::Text => Ok(Value::Plain(raw.to_owned())),
        other => plain(other, text).map(Value::Plain).ok_or_else(unparsed),
    }
}

fn paint(text: &str) -> Option<Value> {
    let plain = |s: &str| Some(Value::Plain(s.to_owned()));
    match Paint::from_str(text).ok()? {
        Paint::None => plain("none"),
        Paint::Inherit => plain("inherit"),
        Paint::CurrentColor => plain("currentColor"),
        Paint::ContextFill => plain("context-fill"),
        Paint::ContextStroke => plain("context-stroke"),
        Paint::Color(c) => Some(Value::Plain(color(c))),
        Paint::FuncIRI(id, fallback) => Some(Value::Url {
            id: id.to_owned(),
            fallback: fallback.map(|f| match f {
                PaintFallback::None => "none".to_owned(),
                PaintFallback::CurrentColor => "currentColor".to_owned(),
                PaintFallback::Color(c) => color(c),
            }),
        }),
    }
}

/// The values that hold no reference, written back from their parsed form.
fn plain(kind: Kind, text: &str) -> Option<String> {
    match kind {
        Kind::Color if text == "currentColor" => Some(text.to_owned()),
        Kind::Color => text.parse::<svgtypes::Color>().ok().map(color),
        Kind::Number => text.parse::<svgtypes::Number>().ok().map(|n| number(n.0)),
        Kind::NumberList => {
            let list: Vec<f64> = svgtypes::NumberListParser::from(text).collect::<Result<_, _>>().ok()?;
            (!list.is_empty()).then(|| list.into_iter().map(number).collect::<Vec<_>>().join(" "))
        }
        Kind::Length => length(text),
        Kind::LengthOrAuto => keyword(&["auto"], text).or_else(|| length(text)),
        Kind::LengthList => length_list(text),
        Kind::DashArray => keyword(&["none"], text).or_else(|| length_list(text)),
        Kind::NumberOrPercent => match text.parse::<svgtypes::Length>().ok()? {
            l if l.unit == LengthUnit::None => Some(number(l.number)),
            l if l.unit == LengthUnit::Percent => Some(format!("{}%", number(l.number))),
            _ => None,
        },
        Kind::Keyword(words) => keyword(words, text),
        Kind::LengthOrKeyword(words) => keyword(words, text).or_else(|| length(text)),
        Kind::NumberOrKeyword(words) => {
            keyword(words, text).or_else(|| text.parse::<svgtypes::Number>().ok().map(|n| number(n.0)))
        }
        Kind::KeywordList(words) => {
            let list: Vec<String> = text.split_whitespace().map(|w| keyword(words, w)).collect::<Option<_>>()?;
            (!list.is_empty()).then(|| list.join(" "))
        }
        Kind::FontFamily => {
            let families = svgtypes::parse_font_families(text).ok().filter(|f| !f.is_empty())?;
            Some(families.iter().map(font_family).collect::<Option<Vec<_>>>()?.join(","))
        }
        Kind::Transform => transform(text),
        Kind::ViewBox => {
            let v = text.parse::<svgtypes::ViewBox>().ok()?;
            Some(format!("{} {} {} {}", number(v.x), number(v.y), number(v.w), number(v.h)))
        }
        Kind::AspectRatio => text.parse::<svgtypes::AspectRatio>().ok().map(aspect_ratio),
        Kind::Name => (!text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .then(|| text.to_owned()),
        Kind::Paint | Kind::FuncIri | Kind::Path | Kind::Points | Kind::Href | Kind::Id | Kind::IdRefs | Kind::Text => {
            None
        }
    }
}

/// `value`'s spelling in `words`, matched without regard to case (CSS keywords are
/// case-insensitive), so that the output always uses the spelling SVG defines.
fn keyword(words: &[&str], value: &str) -> Option<String> {
    words.iter().find(|w| w.eq_ignore_ascii_case(value)).map(|w| (*w).to_owned())
}

fn length(text: &str) -> Option<String> {
    let l = text.parse::<svgtypes::Length>().ok()?;
    Some(format!("{}{}", number(l.number), unit(l.unit)))
}

fn length_list(text: &str) -> Option<String> {
    let list: Result<Vec<svgtypes::Length>, _> = svgtypes::LengthListParser::from(text).collect();
    let list = list.ok().filter(|l| !l.is_empty())?;
    Some(list.iter().map(|l| format!("{}{}", number(l.number), unit(l.unit))).collect::<Vec<_>>().join(" "))
}

fn unit(unit: LengthUnit) -> &'static str {
    match unit {
        LengthUnit::None => "",
        LengthUnit::Em => "em",
        LengthUnit::Ex => "ex",
        LengthUnit::Px => "px",
        LengthUnit::In => "in",
        LengthUnit::Cm => "cm",
        LengthUnit::Mm => "mm",
        LengthUnit::Pt => "pt",
        LengthUnit::Pc => "pc",
        LengthUnit::Percent => "%",
    }
}

/// `#rgb`, `#rrggbb`, or `rgba(…)` when not opaque.
fn color(c: svgtypes::Color) -> String {
    if c.alpha == 255 {
        let hex = format!("{:02x}{:02x}{:02x}", c.red, c.green, c.blue);
        let b = hex.as_bytes();
        if b[0] == b[1] && b[2] == b[3] && b[4] == b[5] {
            format!("#{}{}{}", b[0] as char, b[2] as char, b[4] as char)
        } else {
            format!("#{hex}")
        }
    } else {
        format!(
            "rgba({},{},{},{})",
            c.red,
            c.green,
            c.blue,
            number((f64::from(c.alpha) / 255.0 * 1000.0).round() / 1000.0)
        )
    }
}

/// A family name quoted as a CSS string, or a generic family as its keyword. A name holding a
/// quote or a backslash is refused: no logo needs one, and it is how strings are broken out of.
fn font_family(family: &FontFamily) -> Option<String> {
    Some(match family {
        FontFamily::Serif => "serif".into(),
        FontFamily::SansSerif => "sans-serif".into(),
        FontFamily::Cursive => "cursive".into(),
        FontFamily::Fantasy => "fantasy".into(),
        FontFamily::Monospace => "monospace".into(),
        FontFamily::Named(name) if name.contains(['\'', '"', '\\']) || name.chars().any(char::is_control) => {
            return None;
        }
        FontFamily::Named(name) => format!("'{name}'"),
    })
}

/// A transform list written back token by token (so `rotate(30)` stays short), identities left
/// out, a matrix that only moves or scales written as `translate` or `scale`.
fn transform(text: &str) -> Option<String> {
    let tokens: Result<Vec<TransformListToken>, _> = svgtypes::TransformListParser::from(text).collect();
    // `rotate(90)` as a matrix holds a cosine of 6e-17: noise, not drawing.
    let short = |v: f64| number(round(v, 1e9));
    let parts: Vec<String> = tokens
        .ok()?
        .into_iter()
        .filter_map(|token| match token {
            TransformListToken::Matrix { a, b, c, d, e, f } => match [a, b, c, d, e, f].map(|v| round(v, 1e9)) {
                [1.0, 0.0, 0.0, 1.0, 0.0, 0.0] => None,
                [1.0, 0.0, 0.0, 1.0, tx, ty] => Some(format!("translate({} {})", short(tx), short(ty))),
                [sx, 0.0, 0.0, sy, 0.0, 0.0] => Some(format!("scale({} {})", short(sx), short(sy))),
                m => Some(format!("matrix({})", m.map(short).join(" "))),
            },
            TransformListToken::Translate { tx, ty } if (tx, ty) == (0.0, 0.0) => None,
            TransformListToken::Translate { tx, ty } => Some(format!("translate({} {})", short(tx), short(ty))),
            TransformListToken::Scale { sx, sy } if (sx, sy) == (1.0, 1.0) => None,
            TransformListToken::Scale { sx, sy } => Some(format!("scale({} {})", short(sx), short(sy))),
            TransformListToken::Rotate { angle: 0.0 } => None,
            TransformListToken::Rotate { angle } => Some(format!("rotate({})", short(angle))),
            TransformListToken::SkewX { angle } => Some(format!("skewX({})", short(angle))),
            TransformListToken::SkewY { angle } => Some(format!("skewY({})", short(angle))),
        })
        .collect();
    Some(parts.join(" "))
}

fn aspect_ratio(a: svgtypes::AspectRatio) -> String {
    let align = match a.align {
        Align::None => "none",
        Align::XMinYMin => "xMinYMin",
        Align::XMidYMin => "xMidYMin",
        Align::XMaxYMin => "xMaxYMin",
        Align::XMinYMid => "xMinYMid",
        Align::XMidYMid => "xMidYMid",
        Align::XMaxYMid => "xMaxYMid",
        Align::XMinYMax => "xMinYMax",
        Align::XMidYMax => "xMidYMax",
        Align::XMaxYMax => "xMaxYMax",
    };
    let mut out = String::new();
    if a.defer {
        out.push_str("defer ");
    }
    out.push_str(align);
    if a.slice {
        out.push_str(" slice");
    }
    out
}

/// The shortest decimal that reads back as `n` (`0.5` as `.5`, `-0` as `0`).
pub(super) fn number(n: f64) -> String {
    let mut s = String::new();
    let _ = write!(s, "{n}");
    if s == "-0" {
        return "0".into();
    }
    if let Some(rest) = s.strip_prefix("0.") {
        return format!(".{rest}");
    }
    if let Some(rest) = s.strip_prefix("-0.") {
        return format!("-.{rest}");
    }
    s
}

/// `n` rounded to `decimals` places, then written as by [`number`].
pub(super) fn rounded(n: f64, decimals: usize) -> String {
    let scale = 10f64.powi(i32::try_from(decimals).unwrap_or(8));
    number(round(n, scale))
}

/// `n` rounded on a grid of `1 / scale`.
pub(super) fn round(n: f64, scale: f64) -> f64 {
    let r = (n * scale).round() / scale;
    if r == 0.0 { 0.0 } else { r }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(kind: Kind, raw: &str) -> String {
        match parse(kind, raw, 3) {
            Ok(Value::Plain(s)) => s,
            other => panic!("{raw}: {other:?}"),
        }
    }

    #[test]
    fn values_are_written_back_from_what_was_parsed() {
        assert_eq!(plain(Kind::Paint, " #FFFFFF "), "#fff");
        assert_eq!(plain(Kind::Paint, "rgb(255, 0, 10)"), "#ff000a");
        assert_eq!(plain(Kind::Paint, "rgba(0,0,0,.5)"), "rgba(0,0,0,.502)");
        assert_eq!(plain(Kind::Color, "red"), "#f00");
        assert_eq!(plain(Kind::Length, "0.50px"), ".5px");
        assert_eq!(plain(Kind::NumberOrPercent, "50%"), "50%");
        assert_eq!(plain(Kind::Keyword(&["evenodd", "nonzero"]), "EvenOdd"), "evenodd");
        assert_eq!(plain(Kind::FontFamily, "Segoe UI, \"Open Sans\",sans-serif"), "'Segoe UI','Open Sans',sans-serif");
        assert_eq!(plain(Kind::Transform, "translate(10, 20)"), "translate(10 20)");
        assert_eq!(plain(Kind::Transform, "scale(2)"), "scale(2 2)");
        assert_eq!(plain(Kind::Transform, "rotate(90)"), "rotate(90)");
        assert_eq!(plain(Kind::Transform, "rotate(90 10 10)"), "translate(10 10) rotate(90) translate(-10 -10)");
        assert_eq!(
            plain(Kind::Transform, "matrix(1,0,0,1,5,6) matrix(0,1,-1,0,0,0)"),
            "translate(5 6) matrix(0 1 -1 0 0 0)"
        );
        assert_eq!(
            parse(Kind::Paint, "url(#g) none", 3),
            Ok(Value::Url { id: "g".into(), fallback: Some("none".into()) })
        );
        assert_eq!(parse(Kind::Href, "#a", 3), Ok(Value::Href("a".into())));
    }

    #[test]
    fn values_that_do_not_parse_are_not_written() {
        for (kind, raw) in [
            (Kind::Paint, "url(https://evil.example/#g)"),
            (Kind::Paint, "\\75rl(#g)"),
            (Kind::Paint, "red; background: url(x)"),
            (Kind::FuncIri, "url(x.svg#a)"),
            (Kind::Href, "https://evil.example/#a"),
            (Kind::Href, "data:image/svg+xml,<svg/>"),
            (Kind::Name, "a)b"),
            (Kind::FontFamily, "'a\\'b'"),
            (Kind::Length, "1e999999px junk"),
        ] {
            assert!(parse(kind, raw, 3).is_err(), "{raw}");
        }
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(number(0.5), ".5");
        assert_eq!(number(-0.25), "-.25");
        assert_eq!(number(-0.0), "0");
        assert_eq!(rounded(1.23456, 3), "1.235");
        assert_eq!(rounded(-0.0001, 3), "0");
    }
}
