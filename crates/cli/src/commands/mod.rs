//! One module per subcommand, each with its `Args` and `run`.

pub mod check;
pub mod completions;
pub mod export;
pub mod init;
pub mod lambda_edge;
pub mod maintenance;
pub mod maintenance_kv;
pub mod man;
pub mod plan;
pub mod preview;
pub mod publish;
pub mod render;
pub mod rollback;
pub mod status;
pub mod verify;
