// The site baking shared by the build scripts of both edge adapters (`edge/build.rs` and
// `lambda-edge/build.rs` include it): reads `edgepages.toml` (or `$EDGEPAGES_CONFIG`, relative to
// the repository root), its logo and its `[pages]` templates, checks them exactly as `edgepages
// check` does (a template's pages all rendered and read, its CSP computed from them), and writes the
// prepared `Site`, without the publish targets the edge never reads (`Config::for_edge`), as Rust
// source for `include!` (so no parser ships to the edge), plus the static
// fallback page for when rendering itself fails. Plain comments: an included file cannot hold
// inner doc comments.

use std::path::Path;
use std::{env, fs};

use edgepages_core::config::{load, site_file};
use edgepages_core::template::TemplateSource;
use edgepages_core::{PageKind, RenderContext, Site, render, static_page};

/// Bakes the site into `OUT_DIR`: `site.rs`, `fallback.html`, `fallback.csp`.
fn bake_site() {
    let root = Path::new(&env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")).join("..");
    println!("cargo:rerun-if-env-changed=EDGEPAGES_CONFIG");
    let config_path = root.join(env::var("EDGEPAGES_CONFIG").unwrap_or_else(|_| "edgepages.toml".into()));
    println!("cargo:rerun-if-changed={}", config_path.display());

    let text =
        fs::read_to_string(&config_path).unwrap_or_else(|e| fail(&format!("reading {}: {e}", config_path.display())));
    let config = load::parse(&text, &config_path.display().to_string()).unwrap_or_else(|e| fail(&e.to_string()));
    let logo = config.brand.logo.as_ref().map(|logo| {
        let path = site_file::resolve(&config_path, logo).unwrap_or_else(|why| fail(&format!("brand.logo: {why}")));
        println!("cargo:rerun-if-changed={}", path.display());
        fs::read_to_string(&path).unwrap_or_else(|e| fail(&format!("reading brand.logo {}: {e}", path.display())))
    });
    // The worker reads the status page only when built with `status` (its parsers cost wasm size);
    // the Lambda@Edge function, which includes this file too, has no such feature.
    let is_worker = env::var("CARGO_PKG_NAME").is_ok_and(|name| name == "edgepages-edge");
    if is_worker && config.status.is_some() && env::var_os("CARGO_FEATURE_STATUS").is_none() {
        fail(&format!(
            "{} has a [status] table: build the worker with the `status` feature (scripts/build-worker turns it \
             on when it sees [status]; EDGEPAGES_EDGE_FEATURES=status does it by hand)",
            config_path.display()
        ));
    }
    let templates = read_templates(&config, &config_path);
    // Checked whole above, baked with only what the edge reads.
    let site = Site::new(config.for_edge(), logo.as_deref()).unwrap_or_else(|e| fail(&format!("brand.logo: {e}")));
    let site = match templates {
        (None, None) => site,
        (html, text) => {
            if env::var_os("CARGO_FEATURE_USER_TEMPLATE").is_none() {
                fail(&format!(
                    "{} names a [pages] template: build with the `user-template` feature (scripts/build-worker and \
                     `edgepages lambda-edge package` turn it on when they see [pages] template; \
                     EDGEPAGES_EDGE_FEATURES=user-template does it by hand)",
                    config_path.display()
                ));
            }
            edgepages_core::template::check::prepare(site, html, text).unwrap_or_else(|problems| {
                let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
                fail(&lines.join("\n"))
            })
        }
    };

    let default =
        edgepages_core::locale::find(&site.config.locales.default).expect("a checked config has a bundled default");
    let fallback = render(&static_page(PageKind::Fallback, default, &site.config), &site, &RenderContext::default())
        .unwrap_or_else(|e| fail(&e.to_string()));

    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).to_owned();
    fs::write(out.join("site.rs"), edgepages_core::bake::to_rust(&site)).expect("writing site.rs");
    let csp = fallback.header("content-security-policy").expect("an HTML page has a CSP");
    fs::write(out.join("fallback.csp"), csp).expect("writing fallback.csp");
    fs::write(out.join("fallback.html"), fallback.body).expect("writing fallback.html");
}

/// The `[pages]` templates' files, read (and watched for changes).
fn read_templates(
    config: &edgepages_core::Config,
    config_path: &Path,
) -> (Option<TemplateSource>, Option<TemplateSource>) {
    let pages = config.pages.as_ref();
    let read = |key: &str, name: Option<&String>| {
        let name = name?;
        let path = site_file::resolve(config_path, name).unwrap_or_else(|why| fail(&format!("pages.{key}: {why}")));
        println!("cargo:rerun-if-changed={}", path.display());
        let text = fs::read_to_string(&path)
            .unwrap_or_else(|e| fail(&format!("reading pages.{key} {} (named in {}): {e}", path.display(), config_path.display())));
        Some(TemplateSource { path: path.display().to_string(), text })
    };
    (
        read("template", pages.and_then(|p| p.template.as_ref())),
        read("text_template", pages.and_then(|p| p.text_template.as_ref())),
    )
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1)
}
