//! Publishing the static pages to S3 and wiring them into CloudFront: the desired state, the
//! plan (a pure function of desired and current), rollback records, verification, and thin
//! adapters over already-built AWS clients.

pub mod alb;
pub mod association;
pub mod aws;
pub mod change;
pub mod describe;
pub mod desired;
pub mod distribution;
pub mod error;
pub mod export;
pub mod fault;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod forwarding;
pub mod function;
pub mod glob;
pub mod hang;
pub mod kms;
pub mod lists;
pub mod live;
pub mod order;
pub mod origin_verify;
pub mod pages;
pub mod plan;
pub mod policy;
pub mod progress;
pub mod records;
pub mod rollback;
pub mod sdk_xml;
pub mod secret;
pub mod session;
pub mod unmodelled;
pub mod variant;
pub mod verify;
pub mod wiring;

pub use change::{Change, ChangeKind};
pub use desired::{Desired, ErrorPage, PageObject};
pub use error::PlanError;
pub use plan::{Current, Plan, StoredObject, Trap, plan};
pub use rollback::RollbackRecord;
