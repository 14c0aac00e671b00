//! Path data and point lists, parsed with svgtypes and written back rounded, as svgo's
//! convertPathData does: relative coordinates are taken from the rounded position already
//! written, so rounding errors never add up along a path.

use svgtypes::PathSegment;

use super::value::{round, rounded};

/// Decimal places that keep a path within `1 / 10 000` of the logo's size once drawn: `extent`
/// is the logo's larger side in its own units, `scale` how much the transforms above the
/// element enlarge it.
pub(super) fn decimals(extent: f64, scale: f64) -> usize {
    let tolerance = extent / 10_000.0 / scale.max(1e-9);
    let places = (-tolerance.log10()).ceil();
    if places.is_finite() {
        // Truncation is intended: the value is a small whole number once clamped.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let places = places.clamp(1.0, 8.0) as usize;
        places
    } else {
        3
    }
}

/// Writes numbers and command letters with the fewest separators that still read back the same.
#[derive(Debug, Default)]
struct Writer {
    out: String,
    last: Option<u8>,
}

impl Writer {
    fn command(&mut self, letter: u8) {
        // A repeated command needs no letter, except a moveto, whose repeats mean lineto.
        if self.last != Some(letter) || letter.eq_ignore_ascii_case(&b'm') {
            self.out.push(letter as char);
        }
        self.last = Some(letter);
    }

    fn number(&mut self, n: &str) {
        if let Some(prev) = self.out.chars().last()
            && (prev.is_ascii_digit() || prev == '.')
        {
            let after_decimal = n.starts_with('.') && self.last_number_has_point();
            if !(n.starts_with('-') || after_decimal) {
                self.out.push(' ');
            }
        }
        self.out.push_str(n);
    }

    fn last_number_has_point(&self) -> bool {
        let tail: String = self.out.chars().rev().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
        tail.contains('.')
    }

    fn flag(&mut self, flag: bool) {
        if !self.out.ends_with(|c: char| c.is_ascii_alphabetic()) {
            self.out.push(' ');
        }
        self.out.push(if flag { '1' } else { '0' });
    }
}

/// Path data, rounded to `decimals` places, every command kept absolute or relative as written.
pub(super) fn path(text: &str, decimals: usize) -> Result<String, String> {
    let scale = 10f64.powi(i32::try_from(decimals).unwrap_or(8));
    let r = |v: f64| rounded(v, decimals);
    let mut w = Writer::default();
    // The exact current point and the one the rounded output has reached, and both subpath starts.
    let (mut cur, mut out, mut start, mut out_start) = ((0.0, 0.0), (0.0, 0.0), (0.0, 0.0), (0.0, 0.0));
    // A relative coordinate as written: the exact target less where the output stands.
    let rel = |target: f64, from: f64| round(target - from, scale);
    for segment in svgtypes::PathParser::from(text) {
        let segment = segment.map_err(|e| format!("its path data (d=) is not valid: {e}"))?;
        let abs = segment.is_abs();
        let letter = segment.command();
        w.command(letter);
        match segment {
            PathSegment::ClosePath { .. } => {
                cur = start;
                out = out_start;
            }
            PathSegment::HorizontalLineTo { x, .. } => {
                let target = if abs { x } else { cur.0 + x };
                let written = if abs { round(x, scale) } else { rel(target, out.0) };
                w.number(&r(written));
                cur.0 = target;
                out.0 = if abs { written } else { out.0 + written };
            }
            PathSegment::VerticalLineTo { y, .. } => {
                let target = if abs { y } else { cur.1 + y };
                let written = if abs { round(y, scale) } else { rel(target, out.1) };
                w.number(&r(written));
                cur.1 = target;
                out.1 = if abs { written } else { out.1 + written };
            }
            PathSegment::EllipticalArc { rx, ry, x_axis_rotation, large_arc, sweep, x, y, .. } => {
                w.number(&r(rx));
                w.number(&r(ry));
                w.number(&r(x_axis_rotation));
                w.flag(large_arc);
                w.flag(sweep);
                (cur, out) = point(&mut w, abs, (x, y), cur, out, scale);
            }
            other => {
                let (controls, end) = points_of(other);
                for control in controls.into_iter().flatten() {
                    let (x, y) = if abs { control } else { (cur.0 + control.0, cur.1 + control.1) };
                    let written = if abs { (round(x, scale), round(y, scale)) } else { (rel(x, out.0), rel(y, out.1)) };
                    w.number(&r(written.0));
                    w.number(&r(written.1));
                }
                (cur, out) = point(&mut w, abs, end, cur, out, scale);
                if letter.eq_ignore_ascii_case(&b'm') {
                    start = cur;
                    out_start = out;
                }
            }
        }
    }
    Ok(w.out)
}

/// Writes a segment's end point; returns the new exact and written current points.
fn point(
    w: &mut Writer,
    abs: bool,
    (x, y): (f64, f64),
    cur: (f64, f64),
    out: (f64, f64),
    scale: f64,
) -> ((f64, f64), (f64, f64)) {
    let target = if abs { (x, y) } else { (cur.0 + x, cur.1 + y) };
    let written = if abs {
        (round(x, scale), round(y, scale))
    } else {
        (round(target.0 - out.0, scale), round(target.1 - out.1, scale))
    };
    w.number(&super::value::number(written.0));
    w.number(&super::value::number(written.1));
    let out = if abs { written } else { (out.0 + written.0, out.1 + written.1) };
    (target, out)
}

type Point = (f64, f64);

/// A segment's control points (up to two) and end point, as written (relative or absolute).
fn points_of(segment: PathSegment) -> ([Option<Point>; 2], Point) {
    match segment {
        PathSegment::MoveTo { x, y, .. }
        | PathSegment::LineTo { x, y, .. }
        | PathSegment::SmoothQuadratic { x, y, .. } => ([None, None], (x, y)),
        PathSegment::CurveTo { x1, y1, x2, y2, x, y, .. } => ([Some((x1, y1)), Some((x2, y2))], (x, y)),
        PathSegment::SmoothCurveTo { x2, y2, x, y, .. } => ([Some((x2, y2)), None], (x, y)),
        PathSegment::Quadratic { x1, y1, x, y, .. } => ([Some((x1, y1)), None], (x, y)),
        PathSegment::HorizontalLineTo { .. }
        | PathSegment::VerticalLineTo { .. }
        | PathSegment::EllipticalArc { .. }
        | PathSegment::ClosePath { .. } => ([None, None], (0.0, 0.0)),
    }
}

/// A `points=` list, rounded to `decimals` places.
pub(super) fn points(text: &str, decimals: usize) -> Result<String, String> {
    let mut w = Writer::default();
    let mut count = 0;
    for (x, y) in svgtypes::PointsParser::from(text) {
        w.number(&rounded(x, decimals));
        w.number(&rounded(y, decimals));
        count += 1;
    }
    if count == 0 && !text.trim().is_empty() {
        return Err(format!("its points= list {text:?} is not valid"));
    }
    Ok(w.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_rounded_without_drift() {
        // Ten relative steps of 0.1004: rounded one by one they would end at 1.0, not 1.004.
        let d = format!("M0 0{}", "l.1004 0".repeat(10));
        let out = path(&d, 2).unwrap();
        let sum: f64 =
            out.trim_start_matches("M0 0l").split(['l', ' ']).filter_map(|n| n.parse::<f64>().ok()).step_by(2).sum();
        assert!((sum - 1.004).abs() < 0.006, "{out}: {sum}");
        assert_eq!(path("M 10,20 L 30.00001 -40.5 z m 1 1 h 2 v -3 Z", 3).unwrap(), "M10 20L30-40.5zm1 1h2v-3Z");
        assert_eq!(path("M0 0 C 0.5 0.5 1.5 1.5 2 2 c .1.1.2.2.3.3", 1).unwrap(), "M0 0C.5.5 1.5 1.5 2 2c.1.1.2.2.3.3");
        assert_eq!(path("M0 0A10 10 0 0 1 20 20", 3).unwrap(), "M0 0A10 10 0 0 1 20 20");
        assert!(path("M0 0 L x", 3).is_err());
    }

    #[test]
    fn precision_follows_the_logo_size_and_its_transforms() {
        assert_eq!(decimals(24.0, 1.0), 3);
        assert_eq!(decimals(1000.0, 1.0), 1);
        assert_eq!(decimals(1000.0, 100.0), 3);
        assert_eq!(decimals(1.0, 1.0), 4);
    }

    #[test]
    fn points_are_rounded() {
        assert_eq!(points("46,3 51,0 46.00004,-3", 3).unwrap(), "46 3 51 0 46-3");
    }
}
