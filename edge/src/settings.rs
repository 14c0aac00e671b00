//! Per-isolate settings: the baked site, with the worker's vars applied once, and the KV
//! maintenance switch applied whenever what it says changes.
//!
//! The status page's word on maintenance (`[status]`) is applied the same way, whenever a read of
//! it settles.
//!
//! `ORIGIN_URL` (empty: the request's own URL; a path in it goes before each request's),
//! `ORIGIN_TIMEOUT_MS` (the default deadline; the config's per-path deadlines still win),
//! `UPLOAD_TIMEOUT_MS` (how long a request's body may take to arrive),
//! `MAINTENANCE` (`off`, `on` or an RFC 3339 end time; unset, empty or ended: the KV switch, else
//! the config's), `BREAKER` and `STALE_IF_ERROR` (`off`
//! turns the origin breaker, or the last good copies, off; `on`, or unset, keeps the config's),
//! `STATUS_URL` (the status page's address instead of `[status] url`, checked as it is; `off`
//! stops reading the status page)
//! and the secret `MAINTENANCE_BYPASS` (at least 16
//! characters). A bad value is logged and ignored, never fatal; every origin is parsed here, once.

use std::cell::RefCell;
use std::rc::Rc;

use edgepages_core::Site;
#[cfg(feature = "status")]
use edgepages_core::config::StatusSource;
use edgepages_core::config::{Maintenance, UPLOAD_TIMEOUT_RANGE_MS, in_force_with_status, reconsider_at};
use edgepages_core::forward::MIN_BYPASS_SECRET_LEN;
use edgepages_core::status::copy::reconsider_at as status_reconsider_at;
use edgepages_core::target::Origin;
use worker::Env;

use crate::log;

/// The site from `edgepages.toml`, checked and prepared when the worker was built.
fn baked_site() -> Site {
    include!(concat!(env!("OUT_DIR"), "/site.rs"))
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// The site; its `edge.maintenance` is the maintenance in force.
    pub site: Site,
    /// The config's own maintenance, the `MAINTENANCE` var's when it is set, and what the KV
    /// switch last said.
    config_maintenance: Maintenance,
    var_maintenance: Option<Maintenance>,
    switch: Option<Maintenance>,
    /// What the status page last said of maintenance (`[status]`): on until its published end
    /// while a scheduled maintenance is in progress, else nothing.
    status_word: Option<Maintenance>,
    /// When the var's end time, or the status page's, passes and what is in force is worked out
    /// again (Unix seconds).
    reconsider_at_s: Option<u64>,
    /// The status page to read, if any: `[status]`, at `STATUS_URL` when that is set.
    #[cfg(feature = "status")]
    pub status: Option<StatusSource>,
    /// Where requests go; `None` sends each request to its own URL, as on a Cloudflare route.
    pub origin: Option<Origin>,
    /// The `[[edge.paths]]` origins, as written in the config and parsed.
    path_origins: Vec<(String, Result<Origin, String>)>,
    pub bypass_secret: Option<String>,
}

thread_local! {
    static SETTINGS: RefCell<Option<Rc<Settings>>> = const { RefCell::new(None) };
}

impl Settings {
    pub fn get(env: &Env) -> Rc<Settings> {
        SETTINGS.with(|cell| Rc::clone(cell.borrow_mut().get_or_insert_with(|| Rc::new(Settings::load(env)))))
    }

    /// [`Settings::get`], at `now_ms`: once the `MAINTENANCE` var's end time has passed, what is
    /// in force is worked out again (the switch, else the config), without waiting for a read.
    pub fn current(env: &Env, now_ms: u64) -> Rc<Settings> {
        let settings = Settings::get(env);
        if settings.reconsider_at_s.is_none_or(|at| now_ms / 1000 < at) {
            return settings;
        }
        Settings::apply(env, settings.switch, settings.status_word, now_ms / 1000);
        Settings::get(env)
    }

    /// Applies what the KV switch holds (`None`: no value) at `now_s`.
    pub fn apply_switch(env: &Env, switch: Option<Maintenance>, now_s: u64) {
        Settings::apply(env, switch, Settings::get(env).status_word, now_s);
    }

    /// Applies the status page's word on maintenance at `now_s` (`None`: no maintenance in
    /// progress, or no copy of the page).
    #[cfg(feature = "status")]
    pub fn apply_status(env: &Env, word: Option<Maintenance>, now_s: u64) {
        Settings::apply(env, Settings::get(env).switch, word, now_s);
    }

    /// Works out the maintenance in force from the var, the KV switch, the status page and the
    /// config ([`in_force_with_status`]). Logs it when it changed; requests already under way
    /// keep the settings they started with.
    fn apply(env: &Env, switch: Option<Maintenance>, status_word: Option<Maintenance>, now_s: u64) {
        let current = Settings::get(env);
        let wanted =
            in_force_with_status(current.var_maintenance, switch, status_word, current.config_maintenance, now_s);
        let reconsider_at_s = [reconsider_at(current.var_maintenance, now_s), status_reconsider_at(status_word)]
            .into_iter()
            .flatten()
            .filter(|at| *at > now_s)
            .min();
        if wanted == current.site.config.edge.maintenance
            && switch == current.switch
            && status_word == current.status_word
            && reconsider_at_s == current.reconsider_at_s
        {
            return;
        }
        let mut changed = Settings::clone(&current);
        changed.site.config.edge.maintenance = wanted;
        changed.switch = switch;
        changed.status_word = status_word;
        changed.reconsider_at_s = reconsider_at_s;
        SETTINGS.with(|cell| *cell.borrow_mut() = Some(Rc::new(changed)));
        if wanted != current.site.config.edge.maintenance {
            log::maintenance_switched(wanted);
        }
    }

    fn load(env: &Env) -> Settings {
        let mut site = baked_site();
        let now_s = crate::now_ms() / 1000;
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
        if let Some(raw) = var("UPLOAD_TIMEOUT_MS") {
            let (lo, hi) = UPLOAD_TIMEOUT_RANGE_MS;
            match raw.trim().parse::<u32>() {
                Ok(ms) if (lo..=hi).contains(&ms) => site.config.edge.upload_timeout_ms = ms,
                _ => log::bad_var(
                    "UPLOAD_TIMEOUT_MS",
                    &format!("must be {lo} to {hi} milliseconds; using the config's upload_timeout_ms"),
                ),
            }
        }
        let config_maintenance = site.config.edge.maintenance;
        let var_maintenance = var("MAINTENANCE")
            .and_then(|raw| Maintenance::parse(&raw).map_err(|why| log::bad_var("MAINTENANCE", &why)).ok());
        if let Some(ended) = var_maintenance.filter(|m| m.has_ended(now_s)) {
            log::bad_var("MAINTENANCE", &format!("ended at {ended}; the KV switch, else the config, decides"));
        }
        site.config.edge.maintenance = in_force_with_status(var_maintenance, None, None, config_maintenance, now_s);
        let reconsider_at_s = reconsider_at(var_maintenance, now_s);
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
        #[cfg(feature = "status")]
        let status = status_source(site.config.status.as_ref(), var("STATUS_URL").as_deref());
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
        Settings {
            site,
            config_maintenance,
            var_maintenance,
            switch: None,
            status_word: None,
            reconsider_at_s,
            #[cfg(feature = "status")]
            status,
            origin,
            path_origins,
            bypass_secret,
        }
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

/// The status page to read: `[status]`, at `STATUS_URL` when that names another address, none
/// when it says `off`. A bad `STATUS_URL` is logged and the config's address kept.
#[cfg(feature = "status")]
fn status_source(config: Option<&StatusSource>, var: Option<&str>) -> Option<StatusSource> {
    let Some(raw) = var.map(str::trim) else { return config.cloned() };
    let Some(config) = config else {
        log::bad_var("STATUS_URL", "ignored: the config has no [status] (its provider and components)");
        return None;
    };
    if raw == "off" {
        log::status_off();
        return None;
    }
    match config.at(raw) {
        Ok(moved) => Some(moved),
        Err(why) => {
            log::bad_var("STATUS_URL", &format!("{why}; using [status] url"));
            Some(config.clone())
        }
    }
}
