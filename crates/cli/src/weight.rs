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
