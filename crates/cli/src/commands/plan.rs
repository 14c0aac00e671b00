//! `edgepages plan`: reads S3 and CloudFront and shows what `publish` would write. It makes no
//! write call at all.

use std::process::ExitCode;

use anyhow::Result;

use crate::aws_setup::{runtime, target};
use crate::cli::Global;
use crate::output::Output;
use crate::plan_view;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    function: super::publish::FunctionArgs,
}

pub fn run(args: &Args, global: &Global, out: &Output) -> Result<ExitCode> {
    runtime()?.block_on(async {
        if let Some(alb) = crate::guard_alone::alb_only(&global.config)? {
            return crate::guard_alone::publish(&alb, true, false, out).await;
        }
        let mut t = target(&global.config).await?;
        let (current, plan, function, guard) =
            super::publish::read_and_plan(&mut t, &args.function, &global.config, out).await?;
        plan_view::show(out, &t.desired, &current, &plan, function.as_ref(), guard.as_ref())?;
        Ok(ExitCode::SUCCESS)
    })
}
