//! Brand colours: `#rgb` / `#rrggbb` values and the WCAG contrast ratio between two of them.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An sRGB colour written as `#rrggbb`. Only hex is accepted, so a colour can never smuggle CSS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HexColor([u8; 3]);

impl HexColor {
    pub const fn rgb(r: u8, g: u8, b: u8) -> Self {
        HexColor([r, g, b])
    }

    pub fn parse(s: &str) -> Option<Self> {
        let hex = s.strip_prefix('#')?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let nibble = |i: usize| u8::from_str_radix(&hex[i..=i], 16).ok();
        match hex.len() {
            3 => Some(HexColor([nibble(0)? * 17, nibble(1)? * 17, nibble(2)? * 17])),
            6 => {
                let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
                Some(HexColor([byte(0)?, byte(2)?, byte(4)?]))
            }
            _ => None,
        }
    }

    /// The red, green and blue channels.
    pub fn channels(self) -> [u8; 3] {
        self.0
    }

    /// WCAG 2.x relative luminance.
    fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        };
        let [r, g, b] = self.0;
        0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    }

    /// WCAG 2.x contrast ratio, from 1.0 to 21.0.
    pub fn contrast(self, other: HexColor) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        let (hi, lo) = if a > b { (a, b) } else { (b, a) };
        (hi + 0.05) / (lo + 0.05)
    }
}

impl fmt::Display for HexColor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}")
    }
}

impl Serialize for HexColor {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HexColor {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        HexColor::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("{s:?} is not a colour; write it as \"#rrggbb\" or \"#rgb\""))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_short_and_long_hex() {
        assert_eq!(HexColor::parse("#fff"), Some(HexColor::rgb(255, 255, 255)));
        assert_eq!(HexColor::parse("#1F5fBf"), Some(HexColor::rgb(0x1f, 0x5f, 0xbf)));
        assert_eq!(HexColor::parse("#1f5fbf").unwrap().to_string(), "#1f5fbf");
        for bad in ["fff", "#ffff", "#ggg", "red", "#12345", "#fff;}body{", ""] {
            assert_eq!(HexColor::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn contrast_matches_wcag_reference_values() {
        let white = HexColor::rgb(255, 255, 255);
        let black = HexColor::rgb(0, 0, 0);
        assert!((white.contrast(black) - 21.0).abs() < 1e-9);
        assert!((white.contrast(white) - 1.0).abs() < 1e-9);
        // #767676 on white is the classic just-passing AA grey (4.54:1).
        let grey = HexColor::parse("#767676").unwrap();
        assert!((grey.contrast(white) - 4.54).abs() < 0.01);
        assert!(HexColor::parse("#777777").unwrap().contrast(white) < 4.5);
    }
}
