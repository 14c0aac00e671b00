//! The breaker's sliding window: the origin's answers counted per second, and the recent paths
//! that answered 500, in fixed memory however busy the origin is.

use super::{BreakerPolicy, Health, MAX_WINDOW_S, PAGE_ERROR_PATHS};

/// One second of answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Second {
    /// The Unix second these counts are for; a slot holding an older second is empty.
    at: u64,
    answers: u32,
    distress: u32,
    page_errors: u32,
}

/// Paths remembered for their 500s: enough to tell one broken page from many.
const REMEMBERED_PATHS: usize = 2 * PAGE_ERROR_PATHS;

#[allow(clippy::cast_possible_truncation)]
const SECONDS: usize = MAX_WINDOW_S as usize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Window {
    seconds: [Second; SECONDS],
    /// (hash of a path that answered 500, the last second it did).
    error_paths: [(u64, u64); REMEMBERED_PATHS],
}

impl Default for Window {
    fn default() -> Self {
        Window { seconds: [Second::default(); SECONDS], error_paths: [(0, 0); REMEMBERED_PATHS] }
    }
}

impl Window {
    /// Counts one answer of `health` for `path` in second `now_s`.
    pub(super) fn add(&mut self, health: Health, path: &str, now_s: u64, window_s: u32) {
        if health == Health::Neutral {
            return;
        }
        #[allow(clippy::cast_possible_truncation)]
        let second = &mut self.seconds[(now_s % SECONDS as u64) as usize];
        if second.at != now_s {
            *second = Second { at: now_s, ..Second::default() };
        }
        second.answers = second.answers.saturating_add(1);
        match health {
            Health::Distress => second.distress = second.distress.saturating_add(1),
            Health::PageError => {
                second.page_errors = second.page_errors.saturating_add(1);
                self.remember_error_path(path, now_s, window_s);
            }
            Health::Healthy | Health::Neutral => {}
        }
    }

    /// Whether the window at `now_s` holds enough answers, and enough of them failures, to open.
    pub(super) fn trips(&self, policy: &BreakerPolicy, now_s: u64) -> bool {
        let (mut answers, mut distress, mut page_errors) = (0u64, 0u64, 0u64);
        for second in self.seconds.iter().filter(|s| in_window(s.at, now_s, policy.window_s)) {
            answers += u64::from(second.answers);
            distress += u64::from(second.distress);
            page_errors += u64::from(second.page_errors);
        }
        let spread = self.error_paths.iter().filter(|(hash, at)| *hash != 0 && in_window(*at, now_s, policy.window_s));
        let failures = if spread.count() >= PAGE_ERROR_PATHS { distress + page_errors } else { distress };
        answers >= u64::from(policy.min_requests.max(1))
            && failures * 100 >= u64::from(policy.failure_percent) * answers
    }

    /// Notes that `path` answered 500 at `now_s`, forgetting the path that failed longest ago.
    fn remember_error_path(&mut self, path: &str, now_s: u64, window_s: u32) {
        let hash = path_hash(path);
        let known = self.error_paths.iter().position(|(h, _)| *h == hash);
        let slot = known.unwrap_or_else(|| {
            let oldest = self.error_paths.iter().enumerate().min_by_key(|(_, (h, at))| {
                // Empty slots and slots gone out of the window go first.
                (*h != 0 && in_window(*at, now_s, window_s), *at)
            });
            oldest.map_or(0, |(i, _)| i)
        });
        self.error_paths[slot] = (hash, now_s);
    }
}

fn in_window(at: u64, now_s: u64, window_s: u32) -> bool {
    at <= now_s && at + u64::from(window_s.clamp(1, MAX_WINDOW_S)) > now_s
}

/// FNV-1a of the path, never 0 (0 marks an empty slot).
fn path_hash(path: &str) -> u64 {
    crate::hash::fnv1a(path.as_bytes()).max(1)
}
