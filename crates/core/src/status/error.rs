//! Why a status page's answer gave no status: the reason the adapter logs. Every value quoted
//! from the answer is short and shown escaped (`{:?}`), so a hostile page cannot forge log lines.

/// Why an answer was not used. The page then stays as it is without a status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unreadable {
    #[error("the answer is {bytes} bytes, over the {limit}-byte cap")]
    TooLarge { bytes: usize, limit: usize },
    #[error("the answer is not JSON: it starts with {start:?}")]
    NotJson { start: String },
    #[error("the JSON is not {provider}: {detail}")]
    Shape { provider: &'static str, detail: String },
    #[error("{field} is not a time: {value:?}")]
    BadTime { field: String, value: String },
    #[error("{field} is empty once markup and spaces are removed")]
    EmptyText { field: String },
    #[error("{field} is {bytes} bytes, over the {limit}-byte cap for one text")]
    TextTooLong { field: String, bytes: usize, limit: usize },
}

impl Unreadable {
    /// The reason for the edge's log: what was wrong and where, with no text from the answer
    /// (the edge never logs the status page's body; `edgepages status` shows the details).
    pub fn for_log(&self) -> String {
        match self {
            Unreadable::NotJson { .. } => "the answer is not JSON".to_owned(),
            Unreadable::Shape { provider, .. } => format!("the JSON is not {provider} (`edgepages status` says why)"),
            Unreadable::BadTime { field, .. } => format!("{field} is not a time"),
            Unreadable::TooLarge { .. } | Unreadable::EmptyText { .. } | Unreadable::TextTooLong { .. } => {
                self.to_string()
            }
        }
    }
}

/// At most this many characters of a bad value are quoted in a reason.
const QUOTED_CHARS: usize = 40;

/// The start of `value`, for a reason.
pub(super) fn quoted(value: &str) -> String {
    value.chars().take(QUOTED_CHARS).collect()
}
