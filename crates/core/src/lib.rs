//! edgepages-core: the pure heart of edgepages, shared by the edge worker and the CLI.
//!
//! - [`config`]: the `edgepages.toml` model and its checks;
//! - [`outcome`]: what the origin did, classified;
//! - [`decide`]: what to do about it, as data;
//! - [`retry`]: the one verdict on sending a request twice;
//! - [`breaker`]: when to leave a failing origin alone;
//! - [`client`]: who sent a request, as the breaker counts clients;
//! - [`page_key`]: which page a path names, however it is spelled;
//! - [`forward`]: what changes in a request forwarded to the origin (never the bypass secret);
//! - [`stale`]: which healthy answers may be kept, and served when the origin fails;
//! - [`status`]: the team's status page: its incident and scheduled maintenance, read safely;
//! - [`target`]: where a request is sent, and the checked origins;
//! - [`negotiate`]: format and language from the request's headers;
//! - [`logo`]: the brand's SVG logo, parsed and allow-listed before it is inlined;
//! - [`render`]: the answer's status, headers and body, from the templates in `pages/`;
//! - `template` (feature `user-template`): the site's own page template, in minijinja;
//! - [`probe`]: the path the Lambda@Edge function answers for `verify --live`.
//!
//! There is no I/O, clock, environment or randomness in here: callers pass time and a seed in,
//! and read files themselves.

#[cfg(feature = "bake")]
pub mod bake;
pub mod breaker;
pub mod client;
pub mod compact;
pub mod config;
pub mod decide;
pub mod forward;
pub mod hash;
pub mod locale;
pub mod logo;
pub mod negotiate;
pub mod outcome;
pub mod page;
pub mod page_key;
pub mod probe;
pub mod render;
pub mod request;
pub mod retry;
pub mod site;
pub mod stale;
pub mod static_pages;
pub mod status;
pub mod target;
#[cfg(feature = "user-template")]
pub mod template;

pub use config::Config;
pub use decide::{Clock, Decision, Gate, PageDecision, decide, gate, static_page};
pub use negotiate::Format;
pub use outcome::{FailureKind, OriginOutcome};
pub use page::PageKind;
pub use render::{RenderContext, Rendered, render};
pub use request::RequestFacts;
pub use site::Site;
pub use static_pages::{StaticPage, static_pages};
