//! `edgepages render`: writes the static pages and `manifest.json` for S3 and CloudFront.
//!
//! Every page is rendered in memory before anything is written, so a template error never
//! leaves half a folder behind. The output is byte-identical across runs.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use edgepages_core::static_pages;
use md5::{Digest as _, Md5};
use serde::Serialize;

use crate::cli::Global;
use crate::output::Output;
use crate::site_files::load_site;
use crate::weight::gzip_len;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder to write into; pages go under the config's S3 prefix inside it.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// `manifest.json`: every written file by its object key.
#[derive(Debug, Serialize)]
pub struct Manifest {
    pub files: BTreeMap<String, ManifestEntry>,
}

#[derive(Debug, Serialize)]
pub struct ManifestEntry {
    pub content_type: &'static str,
    pub size: usize,
    /// Hex MD5 of the body: the ETag S3 gives a single-part upload.
    pub md5: String,
}

pub fn run(args: &Args, global: &Global, out: &Output) -> Result<ExitCode> {
    let site = load_site(&global.config)?;
    let pages = static_pages(&site).context("rendering the pages")?;

    let mut manifest = Manifest { files: BTreeMap::new() };
    for page in &pages {
        let path = args.out.join(&page.key);
        write_file(&path, page.body.as_bytes())?;
        out.progress(&format!("wrote {}", path.display()));
        manifest.files.insert(
            page.key.clone(),
            ManifestEntry {
                content_type: page.content_type,
                size: page.body.len(),
                md5: hex(&Md5::digest(page.body.as_bytes())),
            },
        );
    }
    let mut manifest_json = serde_json::to_string_pretty(&manifest)?;
    manifest_json.push('\n');
    write_file(&args.out.join("manifest.json"), manifest_json.as_bytes())?;

    if out.json {
        out.json(&serde_json::to_value(&manifest)?)?;
    } else {
        for page in &pages {
            out.result(&format!(
                "{:<40} {:>6} bytes {:>5} gzip",
                page.key,
                page.body.len(),
                gzip_len(page.body.as_bytes())
            ));
        }
        out.good("rendered", &format!("{} pages and manifest.json into {}", pages.len(), args.out.display()));
    }
    Ok(ExitCode::SUCCESS)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
