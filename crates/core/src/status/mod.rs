//! The team's status page, read: what its public JSON says about the site (an open incident, and
//! scheduled maintenance), what a branded answer carries from it, and how long clients wait for a
//! published end. Pure: the adapters fetch (off the request path, with a timeout and the
//! [`MAX_BODY_BYTES`] cap) and log the [`Unreadable`] reason when an answer is refused.
//!
//! - [`parse()`]: the answer's cap and sniff, then the provider's parser (one private module each
//!   for Statuspage, Instatus and Better Stack, each citing its provider's documentation);
//! - [`text`] and [`time`]: third-party text made safe to show, and the providers' timestamps;
//! - [`model`]: the one shape all three parse into, and what is in progress when;
//! - [`note`]: what an answer carries ([`StatusNote`]) and its problem+json member names;
//! - [`eta`]: the Retry-After for a published end;
//! - [`copy`]: the edge's copy of the page: when it is read, which read counts, how long it is
//!   fresh and kept, and how long a branded answer waits for it.
//!
//! The precedence of the status page's maintenance among the other switches is written once, in
//! [`crate::config::in_force_with_status`].

mod betterstack;
pub mod copy;
mod error;
pub mod eta;
mod instatus;
pub mod model;
pub mod note;
mod parse;
mod statuspage;
pub mod text;
pub mod time;

pub use copy::{ReadOutcome, Settled, StatusCopy};
pub use error::Unreadable;
pub use model::{Impact, Incident, Maintenance, Phase, Summary, Update};
pub use note::{IncidentNote, StatusNote};
pub use parse::{MAX_BODY_BYTES, parse};
