//! Per-isolate settings: the baked site, with the worker's vars applied once.
//!
//! `ORIGIN_URL` (empty: the request's own URL), `ORIGIN_TIMEOUT_MS` (the default deadline; the
//! config's per-path deadlines still win), `MAINTENANCE` (`off`, `on` or an RFC 3339 end time)
//! `BREAKER` (`off` turns the origin breaker off; `on`, or unset, keeps the config's) and the
//! secret `MAINTENANCE_BYPASS`. A bad value is logged and ignored, never fatal.

use std::cell::OnceCell;
use std::rc::Rc;

use edgepages_core::Site;
use edgepages_core::config::Maintenance;
use worker::{Env, Url};

use crate::log;

/// The site from `edgepages.toml`, checked and prepared when the worker was built.
fn baked_site() -> Site {
    include!(concat!(env!("OUT_DIR"), "/site.rs"))
}

#[derive(Debug)]
pub struct Settings {
    pub site: Site,
    /// Where requests go; `None` sends each request to its own URL, as on a Cloudflare route.
    pub origin: Option<Url>,
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

        let origin = var("ORIGIN_URL").and_then(|raw| match Url::parse(raw.trim()) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Some(url),
            _ => {
                log::bad_var("ORIGIN_URL", "must be an http:// or https:// URL; using each request's own URL");
                None
            }
        });
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
                "off" => site.config.edge.breaker.failures = 0,
                "on" => {}
                _ => log::bad_var("BREAKER", "must be \"on\" or \"off\"; using the config's breaker"),
            }
        }
        let bypass_secret = env.secret("MAINTENANCE_BYPASS").ok().map(|s| s.to_string()).filter(|s| s.len() >= 16);
        Settings { site, origin, bypass_secret }
    }
}
