//! Builds the Lambda@Edge function for a site: a zip with `index.mjs`, `status.mjs` and `edgepages.wasm` at
//! its root (the site baked in), ready for the `nodejs20.x` and `nodejs22.x` runtimes. It
//! compiles `lambda-edge/` from the edgepages source tree, so it needs that tree and Rust's
//! `wasm32-unknown-unknown` target; `wasm-opt`, when on PATH, makes the module smaller.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};
use edgepages_core::Site;

use crate::output::Output;

/// The loader, versioned with this binary.
const INDEX_MJS: &str = include_str!("../../../lambda-edge/index.mjs");
/// The status page's capped fetch, the worker's own (`edge/status.mjs`), which `index.mjs` imports.
const STATUS_MJS: &str = include_str!("../../../edge/status.mjs");

/// The function's zip for `site`, already loaded and checked from `config`, compiled from
/// `source` (by default the tree this binary was built from).
pub fn package_for(
    site: &Site,
    config: &Path,
    source: Option<&Path>,
    features: Option<&str>,
    out: &Output,
) -> Result<Vec<u8>> {
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
