//! `[status]`: the team's status page, whose incident text and scheduled maintenance the edge
//! shows (and whose maintenance in progress switches the edge's maintenance on), and its checks.

use serde::{Deserialize, Serialize};

use super::check::{KeyPath, Problems};

/// `[status]`: which provider hosts the site's status page, where, and which of its components
/// are this site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusSource {
    pub provider: Provider,
    /// The status page's own address (`https://status.example.com`); edgepages adds the
    /// provider's documented JSON path ([`Provider::json_path`]).
    pub url: String,
    /// Names or IDs of the page's components that are this site. Empty: everything on the page is
    /// this site's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<String>,
}

/// The status page providers edgepages reads, each through its public, unauthenticated JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Atlassian Statuspage: `/api/v2/summary.json`, documented on every page's `/api`
    /// (for example <https://www.githubstatus.com/api#summary>).
    Statuspage,
    /// Instatus: `/summary.json`, documented at <https://instatus.com/help/api/public-data>.
    Instatus,
    /// Better Stack: `/index.json`, documented at
    /// <https://betterstack.com/docs/uptime/status-pages/subscribing-to-status-updates/subscribing-to-api>.
    Betterstack,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Statuspage => "statuspage",
            Provider::Instatus => "instatus",
            Provider::Betterstack => "betterstack",
        }
    }

    /// The path of the provider's public JSON, below the status page's address.
    pub fn json_path(self) -> &'static str {
        match self {
            Provider::Statuspage => "/api/v2/summary.json",
            Provider::Instatus => "/summary.json",
            Provider::Betterstack => "/index.json",
        }
    }
}

impl StatusSource {
    /// The address the edge and the CLI fetch: the page's address and the provider's JSON path.
    pub fn json_url(&self) -> String {
        format!("{}{}", self.url.trim_end_matches('/'), self.provider.json_path())
    }
}

impl StatusSource {
    /// This source with its page at `url` instead (the worker's `STATUS_URL` var), checked as
    /// `[status] url` is.
    pub fn at(&self, url: &str) -> Result<StatusSource, String> {
        check_url(url, self.provider)?;
        Ok(StatusSource { url: url.to_owned(), ..self.clone() })
    }
}

/// The longest component name or ID accepted; the providers' own are far shorter.
const MAX_COMPONENT_CHARS: usize = 200;

pub(super) fn check(status: &StatusSource, out: &mut Problems) {
    let key = |k: &str| KeyPath::new(&["status", k]);
    if let Err(why) = check_url(&status.url, status.provider) {
        out.add(key("url"), why);
    }
    if status.provider == Provider::Instatus && !status.components.is_empty() {
        out.add(
            key("components"),
            "Instatus's summary.json names no components for its incidents, so they cannot be chosen by \
             component; remove status.components",
        );
    }
    for (i, name) in status.components.iter().enumerate() {
        let at = KeyPath::new(&["status", "components"]).index(i);
        let trimmed = name.trim();
        if trimmed.is_empty() || trimmed.chars().count() > MAX_COMPONENT_CHARS || name.chars().any(char::is_control) {
            out.add(at, format!("{name:?} must be a component's name or ID: 1 to {MAX_COMPONENT_CHARS} characters"));
        } else if status.components[..i].iter().any(|n| n.trim().eq_ignore_ascii_case(trimmed)) {
            out.add(at, format!("{name:?} is listed twice"));
        }
    }
}

/// Whether a status page may be read at `url`: https, or http on a loopback name (for local
/// tests). The config's address and every redirect from it are held to this.
pub fn fetchable(url: &url::Url) -> bool {
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    url.scheme() == "https" || (url.scheme() == "http" && loopback)
}

/// The page's address: https (the edge and the CLI fetch it; http only for a loopback host, for
/// local tests), a host, no query or fragment, and not the JSON itself (edgepages adds the
/// provider's path).
fn check_url(raw: &str, provider: Provider) -> Result<(), String> {
    let url = url::Url::parse(raw).map_err(|e| format!("{raw:?} is not a URL ({e})"))?;
    if !fetchable(&url) {
        return Err(format!("{raw:?} must start with https://"));
    }
    if url.host_str().is_none_or(str::is_empty) || !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{raw:?} must name a host, with no user or password"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{raw:?} must have no ?query or #fragment"));
    }
    if url.path().to_ascii_lowercase().ends_with(".json") {
        return Err(format!(
            "{raw:?} is a JSON address; give the status page's own address (edgepages adds {})",
            provider.json_path()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(status: &StatusSource) -> Vec<String> {
        let mut out = Problems(Vec::new());
        check(status, &mut out);
        out.0.into_iter().map(|p| format!("{}: {}", p.key, p.message)).collect()
    }

    fn source(provider: Provider, url: &str, components: &[&str]) -> StatusSource {
        StatusSource { provider, url: url.into(), components: components.iter().map(|c| (*c).into()).collect() }
    }

    #[test]
    fn a_good_source_has_no_problems_and_a_json_url() {
        let s = source(Provider::Statuspage, "https://www.githubstatus.com/", &["Pages", "br0l2tvcx85d"]);
        assert_eq!(problems(&s), Vec::<String>::new());
        assert_eq!(s.json_url(), "https://www.githubstatus.com/api/v2/summary.json");
        assert_eq!(source(Provider::Instatus, "https://instat.us", &[]).json_url(), "https://instat.us/summary.json");
        assert_eq!(
            source(Provider::Betterstack, "https://status.latitude.so", &[]).json_url(),
            "https://status.latitude.so/index.json"
        );
    }

    #[test]
    fn another_address_is_checked_as_the_configs_is() {
        let s = source(Provider::Statuspage, "https://www.githubstatus.com", &["Pages"]);
        let moved = s.at("http://127.0.0.1:8080/st").unwrap();
        assert_eq!(moved.json_url(), "http://127.0.0.1:8080/st/api/v2/summary.json");
        assert_eq!(moved.components, s.components);
        assert!(s.at("http://status.example.com").unwrap_err().contains("https://"));
        assert!(s.at("https://s.example/?fault=x").unwrap_err().contains("no ?query"));
    }

    #[test]
    fn each_problem_names_its_key() {
        assert_eq!(
            problems(&source(Provider::Statuspage, "http://status.example.com", &[])),
            ["status.url: \"http://status.example.com\" must start with https://"]
        );
        assert_eq!(
            problems(&source(Provider::Statuspage, "https://status.example.com/api/v2/summary.json", &[])),
            ["status.url: \"https://status.example.com/api/v2/summary.json\" is a JSON address; give the status \
                 page's own address (edgepages adds /api/v2/summary.json)"]
        );
        assert!(problems(&source(Provider::Statuspage, "https://x.example/?a=1", &[]))[0].contains("no ?query"));
        assert_eq!(problems(&source(Provider::Statuspage, "http://127.0.0.1:8080", &[])), Vec::<String>::new());
        assert!(problems(&source(Provider::Statuspage, "http://127.0.0.1.example", &[]))[0].contains("https://"));
        assert!(problems(&source(Provider::Statuspage, "status.example.com", &[]))[0].contains("is not a URL"));
        assert_eq!(
            problems(&source(Provider::Betterstack, "https://s.example", &["API", " api ", ""])),
            [
                "status.components[1]: \" api \" is listed twice",
                "status.components[2]: \"\" must be a component's name or ID: 1 to 200 characters"
            ]
        );
        assert!(
            problems(&source(Provider::Instatus, "https://instat.us", &["API"]))[0].starts_with("status.components:")
        );
    }
}
