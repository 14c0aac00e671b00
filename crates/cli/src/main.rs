//! The `edgepages` command: writes, checks and renders the branded status pages, and publishes
//! them to S3 and CloudFront.

mod advice;
mod aws_setup;
mod cli;
mod commands;
mod confirm;
mod deploy_wait;
mod guard;
mod guard_alone;
mod live_probe;
mod output;
mod plan_view;
mod site_files;
mod weight;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let out = output::Output::new(&cli.global);
    match commands::run(&cli, &out) {
        Ok(code) => code,
        Err(err) => {
            out.error(&err, advice::advice(&err, &cli.global.config).as_deref());
            ExitCode::FAILURE
        }
    }
}
