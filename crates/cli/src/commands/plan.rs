//! `edgepages plan`: reads S3 and CloudFront (and the function, the variant's policies and the
//! ALB) and shows what `publish` would write: the session's plan. It makes no write call at all.

use std::process::ExitCode;

use anyhow::Result;
use edgepages_publish::session::Session;
use edgepages_publish::session::guard::GuardAlone;

use crate::aws_setup::{alb_clients, alb_only, runtime, setup};
use crate::cli::Global;
use crate::output::{BarProgress, Output};
use crate::plan_view;
use crate::site_files::load_site;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    function: super::publish::FunctionArgs,
}

pub fn run(args: &Args, global: &Global, out: &Output) -> Result<ExitCode> {
    let site = load_site(&global.config)?;
    runtime()?.block_on(async {
        if let Some(alb) = alb_only(&site) {
            let clients = alb_clients(alb).await;
            let host = alb.canonical_host.as_deref().unwrap_or_default();
            let g = GuardAlone::read(&alb.listener_arn, host, &clients).await?;
            return super::publish::guard_alone(&g, &clients, true, false, global, out).await;
        }
        let (targets, clients) = setup(&site, &global.config, args.function.code(), out).await?;
        let session = Session::read(&targets, &clients, &BarProgress::new(out)).await?;
        if out.json {
            out.json(&serde_json::to_value(&session)?)?;
        } else {
            plan_view::show(out, &session);
        }
        Ok(ExitCode::SUCCESS)
    })
}
