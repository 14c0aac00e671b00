//! The test rig: a fault-injecting origin and a harness that runs the worker in `wrangler dev`.

pub mod fault_origin;
pub mod worker;
