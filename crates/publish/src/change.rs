//! One line of a plan, whatever part it is of: something added, changed or removed, before and
//! after, as a person reads it.

use serde::Serialize;

/// One line of a plan: something added, changed or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub kind: ChangeKind,
    /// What changes, such as `error response 502` or `object edgepages/503.html`.
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Add,
    Modify,
    Remove,
}

impl Change {
    /// The change between two summaries of the same thing, if there is one.
    pub fn between(target: String, before: Option<String>, after: Option<String>) -> Option<Change> {
        let kind = match (&before, &after) {
            (None, None) => return None,
            (Some(b), Some(a)) if a == b => return None,
            (None, Some(_)) => ChangeKind::Add,
            (Some(_), None) => ChangeKind::Remove,
            (Some(_), Some(_)) => ChangeKind::Modify,
        };
        Some(Change { kind, target, before, after })
    }
}
