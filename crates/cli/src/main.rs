//! The `edgepages` command: writes, checks and renders the branded status pages, and publishes
//! them to S3 and CloudFront.

mod advice;
mod app;
mod aws_setup;
mod checks_view;
mod cli;
mod commands;
mod confirm;
mod deploy_wait;
mod live_probe;
mod output;
mod package;
mod plan_view;
mod site_files;
mod weight;
mod writing;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = app::Cli::parse();
    let out = output::Output::new(&cli.global);
    match app::run(&cli, &out) {
        Ok(code) => code,
        Err(err) => {
            out.error(&err, advice::advice(&err, &cli.global.config).as_deref());
            ExitCode::FAILURE
        }
    }
}
