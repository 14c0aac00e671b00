//! The test rig: a fault-injecting origin, a harness that runs the worker in `wrangler dev` (and
//! one that runs it in workerd directly, beside a KV namespace the test controls), a CloudFront
//! emulator that calls the packaged Lambda@Edge function under CloudFront's rules, and
//! an AWS API server (moto) with a recording proxy and fixtures for the publish tests.

pub mod aws_fixture;
pub mod aws_proxy;
pub mod cloudfront;
pub use edgepages_fault_origin as fault_origin;
pub mod moto;
pub mod process;
pub mod worker;
pub mod workerd;
