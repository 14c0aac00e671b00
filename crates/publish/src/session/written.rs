//! The one record of what a run wrote, kept step by step, so that a run that stops says exactly
//! what was written before the failure, whichever part it stopped at.

use serde::Serialize;

use super::step::Part;
use crate::alb::aws::RulesWritten;
use crate::aws::AwsError;
use crate::function::aws::FunctionWritten;
use crate::pages::PagesWritten;
use crate::rollback::RollbackRecord;
use crate::variant::aws::VariantWritten;

/// What a run wrote, by part.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Written {
    pub function: FunctionWritten,
    pub variant: VariantWritten,
    pub rules: RulesWritten,
    /// The pages, and the distribution.
    pub pages: PagesWritten,
}

/// A run that stopped: the part and the error it stopped at, and what was written before. It
/// reads as its error, and hands on that error's causes, not the error itself, so that nothing
/// is said twice.
#[derive(Debug)]
pub struct Stopped {
    pub part: Part,
    pub source: AwsError,
    pub written: Written,
    /// The rollback record that could not be saved, when that was the failure: the caller keeps
    /// it elsewhere, since no other copy exists.
    pub unsaved_record: Option<Box<RollbackRecord>>,
}

impl Stopped {
    /// Whether the distribution had been changed when the run stopped.
    pub fn distribution_changed(&self) -> bool {
        self.written.pages.distribution_etag.is_some()
    }
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.source.fmt(f)
    }
}

impl std::error::Error for Stopped {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.source)
    }
}
