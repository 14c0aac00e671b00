//! Per-isolate settings: the baked site, with the worker's vars applied once.
//!
//! `ORIGIN_URL` (empty: the request's own URL; a path in it goes before each request's),
//! `ORIGIN_TIMEOUT_MS` (the default deadline; the config's per-path deadlines still win),
//! `MAINTENANCE` (`off`, `on` or an RFC 3339 end time), `BREAKER` and `STALE_IF_ERROR` (`off`
//! turns the origin breaker, or the last good copies, off; `on`, or unset, keeps the config's)
//! and the secret `MAINTENANCE_BYPASS` (at least 16
//! characters). A bad value is logged and ignored, never fatal; every origin is parsed here, once.

use std::cell::OnceCell;
use std::rc::Rc;

use edgepages_core::Site;
use edgepages_core::config::Maintenance;
use edgepages_core::forward::MIN_BYPASS_SECRET_LEN;
use edgepages_core::target::Origin;
use worker::Env;

use crate::log;

/// The site from `edgepages.toml`, checked and prepared when the worker was built.
fn baked_site() -> Site {
    include!(concat!(env!("OUT_DIR"), "/site.rs"))
}

#[derive(Debug)]
pub struct Settings {
    pub site: Site,
    /// Where requests go; `None` sends each request to its own URL, as on a Cloudflare route.
    pub origin: Option<Origin>,
    /// The `[[edge.paths]]` origins, as written in the config and parsed.
    path_origins: Vec<(String, Result<Origin, String>)>,
    pub bypass_secret: Option<String>,
}

thread_local! {
    static SETTINGS: OnceCell<Rc<Settings>> = const { OnceCell::new() };
}

impl Settings {
    pub fn get(env: &Env) -> Rc<Settings> {
        SETTINGS.with(|cell| Rc::clone(cell.get_or_init(|| Rc::new(Settings::load(env)))))
    }

    fn load(env: &Env) -> Settings {
        let mut site = baked_site();
        let var = |name: &str| env.var(name).ok().map(|v| v.to_string()).filter(|v| !v.trim().is_empty());

        let origin = var("ORIGIN_URL").and_then(|raw| match Origin::parse(&raw) {
            Ok(origin) => {
                log::origin("ORIGIN_URL", &origin);
                Some(origin)
            }
            Err(why) => {
                log::bad_var("ORIGIN_URL", &format!("{why}; using each request's own URL"));
                None
            }
        });
        // Checked when the worker was built; parsed here once, not per request.
        let path_origins = site
            .config
            .edge
            .paths
            .iter()
            .filter_map(|rule| rule.origin.clone())
            .map(|raw| {
                let parsed = Origin::parse(&raw);
                match &parsed {
                    Ok(origin) => log::origin(&format!("edge.paths origin {raw}"), origin),
                    Err(why) => log::bad_var("edge.paths origin", why),
                }
                (raw, parsed)
            })
            .collect();
        if let Some(raw) = var("ORIGIN_TIMEOUT_MS") {
            match raw.trim().parse::<u32>() {
                Ok(ms) if (100..=120_000).contains(&ms) => site.config.edge.deadline_ms = ms,
                _ => {
                    log::bad_var(
                        "ORIGIN_TIMEOUT_MS",
                        "must be 100 to 120000 milliseconds; using the config's deadline",
                    );
                }
            }
        }
        if let Some(raw) = var("MAINTENANCE") {
            match Maintenance::parse(&raw) {
                Ok(m) => site.config.edge.maintenance = m,
                Err(why) => log::bad_var("MAINTENANCE", &why),
            }
        }
        if let Some(raw) = var("BREAKER") {
            match raw.trim() {
                "off" => site.config.edge.breaker.enabled = false,
                "on" => {}
                _ => log::bad_var("BREAKER", "must be \"on\" or \"off\"; using the config's breaker"),
            }
        }
        if let Some(raw) = var("STALE_IF_ERROR") {
            match raw.trim() {
                "off" => site.config.edge.stale_if_error_s = 0,
                "on" => {}
                _ => log::bad_var("STALE_IF_ERROR", "must be \"on\" or \"off\"; using the config's stale_if_error_s"),
            }
        }
        let bypass_secret = env.secret("MAINTENANCE_BYPASS").ok().map(|s| s.to_string()).filter(|secret| {
            let long_enough = secret.len() >= MIN_BYPASS_SECRET_LEN;
            if !long_enough {
                log::bad_var(
                    "MAINTENANCE_BYPASS",
                    &format!(
                        "refused: shorter than {MIN_BYPASS_SECRET_LEN} characters, so nobody can bypass maintenance"
                    ),
                );
            }
            long_enough
        });
        Settings { site, origin, path_origins, bypass_secret }
    }

    /// The origin a request goes to: the `[[edge.paths]]` rule's, else `ORIGIN_URL`, else none
    /// (the request's own URL). A path origin refused at start is an error for its requests.
    pub fn origin_for(&self, path_origin: Option<&str>) -> worker::Result<Option<&Origin>> {
        let Some(raw) = path_origin else { return Ok(self.origin.as_ref()) };
        match self.path_origins.iter().find(|(r, _)| r == raw).map(|(_, parsed)| parsed) {
            Some(Ok(origin)) => Ok(Some(origin)),
            Some(Err(why)) => Err(worker::Error::RustError(format!("edge.paths origin: {why}"))),
            None => Err(worker::Error::RustError(format!("edge.paths origin {raw:?} was not parsed at start"))),
        }
    }
}
