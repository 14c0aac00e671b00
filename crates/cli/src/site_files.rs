//! Reads the config file and the assets it names from disk, and builds the [`Site`] core renders.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use edgepages_core::config::load;
use edgepages_core::template::TemplateSource;
use edgepages_core::template::check::prepare;
use edgepages_core::{Site, logo};

/// The brand's logo as cleaning left it, and what cleaning changed, for `check` and `preview`
/// to say.
#[derive(Debug)]
pub struct LogoFile {
    pub path: PathBuf,
    pub cleaned: logo::Cleaned,
}

/// Loads `path`, its logo and its page templates. Config problems come back as one error listing
/// each with its line and key, template problems each with the template's file, line and column;
/// the files' paths are resolved against the config file's folder.
pub fn load_site(path: &Path) -> Result<Site> {
    load_site_and_logo(path).map(|(site, _)| site)
}

/// [`load_site`], with the logo's cleaning and its report.
pub fn load_site_and_logo(path: &Path) -> Result<(Site, Option<LogoFile>)> {
    let text = fs::read_to_string(path).with_context(|| {
        if path.exists() {
            format!("reading {}", path.display())
        } else {
            format!("reading {} (no such file; `edgepages init` writes a starter config)", path.display())
        }
    })?;
    let config = load::parse(&text, &path.display().to_string())
        .map_err(anyhow::Error::new)
        .with_context(|| format!("{} is not a valid edgepages config", path.display()))?;
    let logo = match &config.brand.logo {
        Some(logo) => {
            let logo_path = relative_to(path, logo);
            let svg = fs::read_to_string(&logo_path)
                .with_context(|| format!("reading brand.logo {} (named in {})", logo_path.display(), path.display()))?;
            Some((logo_path, svg))
        }
        None => None,
    };
    let logo_path = logo.as_ref().map(|(p, _)| p.display().to_string());
    let (html, text) = template_files(path, &config)?;
    let context = || match &logo_path {
        Some(p) => format!("brand.logo {p} cannot be used"),
        None => "preparing the site".to_owned(),
    };
    let file = match &logo {
        Some((path, svg)) => Some(LogoFile { path: path.clone(), cleaned: logo::clean(svg).with_context(context)? }),
        None => None,
    };
    let site = Site::new(config, logo.as_ref().map(|(_, svg)| svg.as_str())).with_context(context)?;
    if html.is_none() && text.is_none() {
        return Ok((site, file));
    }
    let site = prepare(site, html, text).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("{}", lines.join("\n"))
            .context(format!("the [pages] template named in {} cannot be used", path.display()))
    })?;
    Ok((site, file))
}

/// The files `[pages] template` and `text_template` name, read. A file that cannot be read is an
/// error naming the key.
pub fn template_files(
    config_path: &Path,
    config: &edgepages_core::Config,
) -> Result<(Option<TemplateSource>, Option<TemplateSource>)> {
    let pages = config.pages.as_ref();
    let read = |key: &str, name: Option<&String>| -> Result<Option<TemplateSource>> {
        let Some(name) = name else { return Ok(None) };
        let file = relative_to(config_path, name);
        let text = fs::read_to_string(&file)
            .with_context(|| format!("reading pages.{key} {} (named in {})", file.display(), config_path.display()))?;
        Ok(Some(TemplateSource { path: file.display().to_string(), text }))
    };
    Ok((
        read("template", pages.and_then(|p| p.template.as_ref()))?,
        read("text_template", pages.and_then(|p| p.text_template.as_ref()))?,
    ))
}

/// `name` relative to the folder of `config`, unless it is absolute.
pub fn relative_to(config: &Path, name: &str) -> PathBuf {
    let name = Path::new(name);
    if name.is_absolute() {
        return name.to_owned();
    }
    config.parent().map_or_else(|| name.to_owned(), |dir| dir.join(name))
}
