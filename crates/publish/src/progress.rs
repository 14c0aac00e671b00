//! How a publish tells its caller what it is doing, as it does it: one progress type for
//! reading and for every part the apply loop writes.

/// Told of each step as it happens, so the caller can show progress.
pub trait Progress {
    fn uploading(&self, total: usize);
    fn uploaded(&self, key: &str);
    fn step(&self, what: &str);
}

/// Progress that shows nothing, for a caller that reports only at the end (and for tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Progress for Quiet {
    fn uploading(&self, _: usize) {}
    fn uploaded(&self, _: &str) {}
    fn step(&self, _: &str) {}
}
