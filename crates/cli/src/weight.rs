//! Page weight: the gzip size a visitor downloads, against the 6 KB budget per page.

use std::io::Write as _;

use flate2::Compression;
use flate2::write::GzEncoder;

/// The most a page may weigh, gzipped.
pub const BUDGET_GZIP_BYTES: usize = 6 * 1024;

/// Bytes after `gzip -9`.
pub fn gzip_len(body: &[u8]) -> usize {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(body).expect("writing to a Vec cannot fail");
    encoder.finish().expect("finishing a Vec cannot fail").len()
}

/// How many of a page's gzipped bytes its inlined logo accounts for: the page's weight less the
/// weight of the same page without the logo.
pub fn logo_share(body: &str, logo_svg: &str) -> usize {
    if logo_svg.is_empty() || !body.contains(logo_svg) {
        return 0;
    }
    gzip_len(body.as_bytes()).saturating_sub(gzip_len(body.replacen(logo_svg, "", 1).as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_logo_share_is_what_the_logo_adds() {
        let logo = "<svg><path d=\"M1 2 3 4 9 8 1 7 2 2 6 5 4 4 5 6 9 1 2 3 4 5 6 7z\"/></svg>";
        let page = format!("<html><body><header>{logo}</header><p>Sorry</p></body></html>");
        let share = logo_share(&page, logo);
        assert!(share > 20 && share < logo.len(), "{share}");
        assert_eq!(logo_share(&page, ""), 0);
        assert_eq!(logo_share("<p>no logo</p>", logo), 0);
    }
}
