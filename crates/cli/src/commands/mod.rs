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

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::output::Output;

pub fn run(cli: &Cli, out: &Output) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Init(args) => init::run(args, &cli.global, out),
        Command::Check(args) => check::run(args, &cli.global, out),
        Command::Render(args) => render::run(args, &cli.global, out),
        Command::Preview(args) => preview::run(args, &cli.global, out),
        Command::Plan(args) => plan::run(args, &cli.global, out),
        Command::Publish(args) => publish::run(args, &cli.global, out),
        Command::Verify(args) => verify::run(args, &cli.global, out),
        Command::Rollback(args) => rollback::run(args, &cli.global, out),
        Command::Export(args) => export::run(args, &cli.global, out),
        Command::LambdaEdge(args) => lambda_edge::run(args, &cli.global, out),
        Command::Maintenance(args) => maintenance::run(args, &cli.global, out),
        Command::Status(args) => status::run(args, &cli.global, out),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
    }
}
