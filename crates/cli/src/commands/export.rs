//! `edgepages export cloudformation|terraform`: what `publish` owns of the distribution and the
//! bucket, for a team whose distribution lives in code; they then upload the pages with
//! `edgepages publish --pages-only`. Reads nothing from AWS.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use edgepages_core::static_pages;
use edgepages_publish::Desired;
use edgepages_publish::export::{Parts, cloudformation, terraform};
use edgepages_publish::variant::VariantSpec;

use crate::cli::Global;
use crate::output::Output;
use crate::site_files::load_site;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The format to write.
    #[arg(value_enum)]
    format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    /// A CloudFormation template (JSON).
    Cloudformation,
    /// Terraform JSON (`.tf.json`).
    Terraform,
}

pub fn run(args: &Args, global: &Global, out: &Output) -> Result<ExitCode> {
    let site = load_site(&global.config)?;
    let config = &site.config;
    let (Some(s3), Some(cloudfront)) = (&config.s3, &config.cloudfront) else {
        bail!(
            "{} has no {}; export writes what publish would own of an [s3] bucket and a [cloudfront] distribution",
            global.config.display(),
            if config.s3.is_none() { "[s3] section" } else { "[cloudfront] section" }
        );
    };
    // Nothing is read from AWS, so the bucket's region must be said.
    let region = s3.region.clone().or_else(|| std::env::var("AWS_REGION").ok()).with_context(|| {
        format!(
            "no region for bucket {}: set [s3] region in {} (or AWS_REGION); export reads nothing from AWS",
            s3.bucket,
            global.config.display()
        )
    })?;
    let pages = static_pages(&site).context("rendering the pages")?;
    let desired = Desired::new(config, &pages, &region)?;
    let parts = Parts::new(&desired, cloudfront.function_name(), VariantSpec::new(config));
    let document = match args.format {
        Format::Cloudformation => cloudformation::template(&parts),
        Format::Terraform => terraform::document(&parts),
    };
    let text = serde_json::to_string_pretty(&document)? + "\n";
    match &args.out {
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?;
            out.good("wrote", &path.display().to_string());
        }
        None => out.result(text.trim_end()),
    }
    Ok(ExitCode::SUCCESS)
}
