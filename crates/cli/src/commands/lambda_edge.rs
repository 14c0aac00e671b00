//! `edgepages lambda-edge variant-function` prints the CloudFront Function that names each
//! viewer's variant, for a team whose own viewer-request function must set it.
//!
//! `edgepages lambda-edge package`: builds the Lambda@Edge function for this config
//! (`crate::package`) and writes its zip.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};

use edgepages_publish::variant::source::{Naming, source};

use crate::cli::Global;
use crate::output::Output;
use crate::site_files::load_site;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Build the function's zip for the config (--config).
    Package(PackageArgs),
    /// Print the CloudFront Function (cloudfront-js-2.0) that sets x-edgepages-variant for the
    /// config's locales: publish deploys it itself; this is for a behavior whose viewer-request
    /// event already runs the team's own function, to merge into it.
    VariantFunction(VariantArgs),
}

#[derive(Debug, clap::Args)]
struct VariantArgs {
    /// The shared function, which names one variant (HTML, default language) for every viewer.
    #[arg(long)]
    shared: bool,
}

#[derive(Debug, clap::Args)]
struct PackageArgs {
    /// Where to write the zip.
    #[arg(long, value_name = "FILE.zip")]
    out: PathBuf,
    /// The edgepages source tree to compile the function from; defaults to the tree this binary
    /// was built from.
    #[arg(long, value_name = "DIR")]
    source: Option<PathBuf>,
    /// Cargo features of the function (tests only: `chaos`).
    #[arg(long, hide = true)]
    features: Option<String>,
}

pub fn run(args: &Args, global: &Global, out: &Output) -> Result<ExitCode> {
    let args = match &args.action {
        Action::Package(args) => args,
        Action::VariantFunction(variant) => {
            let site = load_site(&global.config)?;
            let naming = if variant.shared { Naming::Shared } else { Naming::PerViewer };
            out.result(source(&site.config, naming).trim_end());
            return Ok(ExitCode::SUCCESS);
        }
    };
    let site = load_site(&global.config)?;
    let zip =
        crate::package::package_for(&site, &global.config, args.source.as_deref(), args.features.as_deref(), out)?;
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&args.out, &zip).with_context(|| format!("writing {}", args.out.display()))?;
    let sha = edgepages_publish::function::code_sha256(&zip);
    if out.json {
        out.json(&serde_json::json!({ "zip": args.out, "bytes": zip.len(), "code_sha256": sha }))?;
    } else {
        out.good("packaged", &format!("{} ({} bytes, CodeSha256 {sha})", args.out.display(), zip.len()));
    }
    Ok(ExitCode::SUCCESS)
}
