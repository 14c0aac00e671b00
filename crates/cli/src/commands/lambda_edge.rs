//! `edgepages lambda-edge variant-function` prints the CloudFront Function that names each
//! viewer's variant, for a team whose own viewer-request function must set it.
//!
//! `edgepages lambda-edge package`: builds the Lambda@Edge function for this config, a zip with
//! `index.mjs` and `edgepages.wasm` at its root (the site baked in), ready for the `nodejs20.x`
//! and `nodejs22.x` runtimes. It compiles `lambda-edge/` from the edgepages source tree, so it
//! needs that tree and Rust's `wasm32-unknown-unknown` target; `wasm-opt`, when on PATH, makes
//! the module smaller.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context as _, Result, bail};

use edgepages_publish::variant::source::{Naming, source};

use crate::cli::Global;
use crate::output::Output;
use crate::site_files::load_site;

/// The loader, versioned with this binary.
const INDEX_MJS: &str = include_str!("../../../../lambda-edge/index.mjs");
/// The status page's capped fetch, the worker's own (`edge/status.mjs`), which `index.mjs` imports.
const STATUS_MJS: &str = include_str!("../../../../edge/status.mjs");

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
    let zip = package_for(&global.config, args.source.as_deref(), args.features.as_deref(), out)?;
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

/// The function's zip for the site at `config`, compiled from `source` (by default the tree
/// this binary was built from). The config is checked first.
pub fn package_for(config: &Path, source: Option<&Path>, features: Option<&str>, out: &Output) -> Result<Vec<u8>> {
    let site = load_site(config)?;
    // A site with its own template gets the template engine; one without ships none.
    let features = match (features, site.templates().is_some()) {
        (Some(f), true) => Some(format!("{f},user-template")),
        (None, true) => Some("user-template".to_owned()),
        (f, false) => f.map(str::to_owned),
    };
    let features = features.as_deref();
    let config = std::path::absolute(config).context("resolving the config's path")?;
    let source = match source {
        Some(dir) => dir.to_path_buf(),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."),
    };
    if !source.join("lambda-edge/Cargo.toml").is_file() {
        bail!(
            "{} is not an edgepages source tree (no lambda-edge/Cargo.toml): pass --source with a checkout of the \
             edgepages version this binary is ({})",
            source.display(),
            env!("CARGO_PKG_VERSION")
        );
    }
    let wasm = build(&source, &config, features, out)?;
    let wasm = optimise(&wasm, out)?;
    package(&wasm)
}

/// Compiles the function with `config` baked in; returns the wasm module's bytes.
fn build(source: &Path, config: &Path, features: Option<&str>, out: &Output) -> Result<Vec<u8>> {
    out.progress(&format!("compiling the function from {} for {}", source.display(), config.display()));
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cargo
        .current_dir(source)
        .args(["build", "--release", "--target", "wasm32-unknown-unknown", "-p", "edgepages-lambda-edge"])
        .env("EDGEPAGES_CONFIG", config);
    if let Some(features) = features {
        cargo.args(["--features", features]);
    }
    let built = cargo.output().context("running cargo (is Rust installed?)")?;
    if !built.status.success() {
        let stderr = String::from_utf8_lossy(&built.stderr);
        let hint = if stderr.contains("wasm32-unknown-unknown") && stderr.contains("target may not be installed") {
            "\nthe wasm target is missing: run `rustup target add wasm32-unknown-unknown`"
        } else {
            ""
        };
        bail!("compiling the function failed:\n{}{hint}", stderr.trim_end());
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| source.join("target"), PathBuf::from);
    let path = target.join("wasm32-unknown-unknown/release/edgepages_lambda_edge.wasm");
    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
}

/// The module through `wasm-opt -Oz` when it is on PATH; as built otherwise.
fn optimise(wasm: &[u8], out: &Output) -> Result<Vec<u8>> {
    let dir = tempfile::tempdir().context("creating a temporary folder")?;
    let (input, output) = (dir.path().join("in.wasm"), dir.path().join("out.wasm"));
    std::fs::write(&input, wasm).context("writing the module for wasm-opt")?;
    let ran = Command::new("wasm-opt")
        .args(["-Oz", "--strip-debug", "--strip-producers", "--enable-mutable-globals", "--enable-sign-ext"])
        .args(["--enable-nontrapping-float-to-int", "--enable-bulk-memory", "--enable-multivalue"])
        .args(["--enable-reference-types"])
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .output();
    match ran {
        Ok(done) if done.status.success() => std::fs::read(&output).context("reading wasm-opt's output"),
        Ok(done) => bail!("wasm-opt failed: {}", String::from_utf8_lossy(&done.stderr).trim_end()),
        Err(_) => {
            out.warn("wasm-opt is not on PATH: the module is packaged as compiled (larger, just as correct)");
            Ok(wasm.to_vec())
        }
    }
}

/// The zip Lambda expects: `index.mjs` (with the `status.mjs` it imports) and `edgepages.wasm` at
/// its root. Fixed timestamps and
/// order, so the same inputs give the same bytes, and the same `CodeSha256`.
fn package(wasm: &[u8]) -> Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for (name, bytes) in
        [("index.mjs", INDEX_MJS.as_bytes()), ("status.mjs", STATUS_MJS.as_bytes()), ("edgepages.wasm", wasm)]
    {
        zip.start_file(name, options).with_context(|| format!("adding {name} to the zip"))?;
        zip.write_all(bytes).with_context(|| format!("adding {name} to the zip"))?;
    }
    Ok(zip.finish().context("finishing the zip")?.into_inner())
}
