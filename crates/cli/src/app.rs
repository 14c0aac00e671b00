//! The command line as parsed, one subcommand per module in `commands/`, and the dispatch to
//! each module's `run`.

use std::process::ExitCode;

use clap::{CommandFactory as _, Parser, Subcommand};

use crate::cli::Global;
use crate::commands::{
    check, completions, export, init, lambda_edge, maintenance, man, plan, preview, publish, render, rollback, status,
    verify,
};
use crate::output::Output;

/// The version and the commit it was built from.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("EDGEPAGES_COMMIT"), ")");

#[derive(Debug, Parser)]
#[command(name = "edgepages", version = VERSION, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented starter config.
    Init(init::Args),
    /// Check the config, the logo and every page it renders; exits non-zero on any problem.
    Check(check::Args),
    /// Write the static pages and manifest.json that CloudFront serves from S3.
    Render(render::Args),
    /// Serve every page in every locale and format locally, reloading as the config changes.
    Preview(preview::Args),
    /// Show what `publish` would write to S3 and CloudFront; makes no write call.
    Plan(plan::Args),
    /// Upload the changed pages, then wire CloudFront's error responses with If-Match, then verify.
    Publish(publish::Args),
    /// Check that every configured error code reaches its page on CloudFront; non-zero on a mismatch.
    Verify(verify::Args),
    /// Undo a publish's changes to the distribution (the newest by default; --list shows them).
    Rollback(rollback::Args),
    /// Write what `publish` owns as CloudFormation or Terraform, for a distribution managed as code.
    Export(export::Args),
    /// Build the Lambda@Edge origin-response function (`package`), or print the variant function.
    #[command(name = "lambda-edge")]
    LambdaEdge(lambda_edge::Args),
    /// Switch maintenance at the ALB itself ([alb]) or in the Cloudflare worker's KV switch: on, off,
    /// status, or print the ALB's page.
    Maintenance(maintenance::Args),
    /// What the edge would show now from the site's status page ([status]): its incident and
    /// scheduled maintenance; exits 3 when the page cannot be read.
    Status(status::Args),
    /// Print a shell completion script for edgepages to stdout.
    Completions(completions::Args),
    /// Print edgepages' man page (roff) to stdout.
    Man(man::Args),
}

/// Runs the subcommand `cli` names.
pub fn run(cli: &Cli, out: &Output) -> anyhow::Result<ExitCode> {
    let global = &cli.global;
    match &cli.command {
        Command::Init(args) => init::run(args, global, out),
        Command::Check(args) => check::run(args, global, out),
        Command::Render(args) => render::run(args, global, out),
        Command::Preview(args) => preview::run(args, global, out),
        Command::Plan(args) => plan::run(args, global, out),
        Command::Publish(args) => publish::run(args, global, out),
        Command::Verify(args) => verify::run(args, global, out),
        Command::Rollback(args) => rollback::run(args, global, out),
        Command::Export(args) => export::run(args, global, out),
        Command::LambdaEdge(args) => lambda_edge::run(args, global, out),
        Command::Maintenance(args) => maintenance::run(args, global, out),
        Command::Status(args) => status::run(args, global, out),
        Command::Completions(args) => completions::run(args, Cli::command()),
        Command::Man(args) => man::run(args, Cli::command()),
    }
}
