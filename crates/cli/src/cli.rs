//! Command-line arguments: global flags and one subcommand per module in `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::commands::{
    check, completions, export, init, lambda_edge, maintenance, man, plan, preview, publish, render, rollback, status,
    verify,
};

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

#[derive(Debug, Args)]
pub struct Global {
    /// The config file.
    #[arg(long, global = true, env = "EDGEPAGES_CONFIG", default_value = "edgepages.toml", value_name = "FILE")]
    pub config: PathBuf,
    /// Say more on stderr: progress, and every cause of an error.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Print results on stdout as JSON.
    #[arg(long, global = true)]
    pub json: bool,
    /// When to use colour.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
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
