//! Verify's checks as people read them, a line each and a summary that follows the verdict, and
//! the code a command that verifies exits with: 0 verified, 1 a mismatch, 3 could not check.

use std::process::ExitCode;

use edgepages_publish::verify::{Check, Verdict};

use crate::output::Output;

/// The code for `verdict`: a pipeline rolls back on 1 only, and verifies again on 3.
pub fn exit_code(verdict: Verdict) -> ExitCode {
    ExitCode::from(match verdict {
        Verdict::Passed => 0,
        Verdict::Failed => 1,
        Verdict::CouldNotCheck => 3,
    })
}

pub fn show(out: &Output, checks: &[Check]) {
    for check in checks {
        if check.warning {
            out.warned("warn", &format!("{}: {}", check.subject, check.detail));
        } else if check.ok {
            out.good("ok  ", &format!("{}: {}", check.subject, check.detail));
        } else if check.could_not_check {
            out.warned("????", &format!("{}: {}", check.subject, check.detail));
        } else {
            out.bad("FAIL", &format!("{}: {}", check.subject, check.detail));
        }
    }
    // The summary follows the verdict, so that it never disagrees with the exit code.
    let count = |which: fn(&Check) -> bool| checks.iter().filter(|c| which(c)).count();
    let total = checks.len();
    match Verdict::of(checks) {
        Verdict::Failed => {
            out.bad("not verified:", &format!("{} of {total} checks failed", count(Check::failed)));
        }
        Verdict::CouldNotCheck => {
            let unchecked = count(|c| c.could_not_check);
            out.warned("not verified:", &format!("{unchecked} of {total} checks could not be made"));
        }
        Verdict::Passed => match count(|c| c.warning) {
            0 => out.good("verified:", &format!("{total} checks passed")),
            warned => out.good("verified:", &format!("{total} checks passed, {warned} with a warning")),
        },
    }
}
