//! `edgepages plan`: reads S3 and CloudFront and shows what `publish` would write. It makes no
//! write call at all.

use std::process::ExitCode;

use anyhow::Result;

use crate::aws_setup::{runtime, target};
use crate::cli::Global;
use crate::output::Output;
use crate::plan_view;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: &Args, global: &Global, out: &Output) -> Result<ExitCode> {
    runtime()?.block_on(async {
        let t = target(&global.config).await?;
        let (current, plan) = super::publish::read_and_plan(&t, out).await?;
        plan_view::show(out, &t.desired, &current, &plan)?;
        Ok(ExitCode::SUCCESS)
    })
}
