//! The distribution config edits `publish` makes, and nothing else: its S3 origin, its cache
//! behavior, the error responses for its codes, and optionally the site origin's timeouts.
//! Everything is a pure function of the current config, so every other origin, behavior,
//! error response, alias and setting is carried over exactly as it was read.

use aws_sdk_cloudfront::types::{
    AllowedMethods, CacheBehavior, CacheBehaviors, CachedMethods, CustomErrorResponse, CustomErrorResponses,
    DistributionConfig, Method, Origin, Origins, S3OriginConfig, ViewerProtocolPolicy,
};

use crate::desired::{CACHING_OPTIMIZED_POLICY_ID, Desired};
use crate::error::PlanError;
use crate::wiring::Wiring;

/// Shown in a plan in place of the Origin Access Control's ID when it does not exist yet.
pub const NEW_OAC: &str = "(new)";

/// The current config with `desired` applied, wired to the other parts as `wiring` says.
/// `oac_id` is the Origin Access Control to use.
pub fn with_desired(
    current: &DistributionConfig,
    desired: &Desired,
    wiring: &Wiring,
    oac_id: &str,
) -> Result<DistributionConfig, PlanError> {
    let mut config = current.clone();
    set_origin(&mut config, desired, oac_id)?;
    set_behavior(&mut config, desired)?;
    set_error_responses(&mut config, desired);
    set_origin_timeouts(&mut config, desired)?;
    wiring.wire(&mut config)?;
    Ok(config)
}

fn set_origin(config: &mut DistributionConfig, desired: &Desired, oac_id: &str) -> Result<(), PlanError> {
    let id = desired.origin_id();
    let origins = config.origins.get_or_insert_with(|| {
        Origins::builder().quantity(0).set_items(Some(Vec::new())).build().expect("quantity and items are set")
    });
    let index = if let Some(i) = origins.items.iter().position(|o| o.id == id) {
        if origins.items[i].custom_origin_config.is_some() {
            return Err(PlanError::OriginIdTaken { id });
        }
        i
    } else {
        origins.items.push(Origin::builder().id(&id).domain_name(desired.origin_domain()).build()?);
        origins.items.len() - 1
    };
    let origin = &mut origins.items[index];
    origin.domain_name = desired.origin_domain();
    origin.origin_path = Some(String::new());
    // With OAC, the legacy origin access identity stays empty.
    let read_timeout = origin.s3_origin_config.as_ref().and_then(|s| s.origin_read_timeout);
    origin.s3_origin_config =
        Some(S3OriginConfig::builder().origin_access_identity("").set_origin_read_timeout(read_timeout).build());
    origin.origin_access_control_id = Some(oac_id.to_owned());
    origin.connection_attempts.get_or_insert(3);
    origin.connection_timeout.get_or_insert(10);
    origins.quantity = len_i32(origins.items.len());
    Ok(())
}

fn set_behavior(config: &mut DistributionConfig, desired: &Desired) -> Result<(), PlanError> {
    let pattern = desired.path_pattern();
    let origin_id = desired.origin_id();
    let behaviors = config
        .cache_behaviors
        .get_or_insert_with(|| CacheBehaviors::builder().quantity(0).build().expect("quantity is set"));
    let items = behaviors.items.get_or_insert_with(Vec::new);
    let index = match items.iter().position(|b| b.path_pattern == pattern) {
        Some(i) if items[i].target_origin_id != origin_id => {
            return Err(PlanError::PathPatternTaken { pattern, origin_id: items[i].target_origin_id.clone() });
        }
        Some(i) => i,
        None => {
            // First, so that a broader pattern such as `/*` cannot shadow the pages.
            let behavior = CacheBehavior::builder()
                .path_pattern(&pattern)
                .target_origin_id(&origin_id)
                .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                .build()?;
            items.insert(0, behavior);
            0
        }
    };
    let behavior = &mut items[index];
    behavior.viewer_protocol_policy = ViewerProtocolPolicy::RedirectToHttps;
    behavior.compress = Some(true);
    behavior.cache_policy_id = Some(CACHING_OPTIMIZED_POLICY_ID.to_owned());
    let get_head = [Method::Get, Method::Head];
    let methods_ok = behavior.allowed_methods.as_ref().is_some_and(|m| {
        same_methods(&m.items, &get_head)
            && m.cached_methods.as_ref().is_some_and(|c| same_methods(&c.items, &get_head))
    });
    if !methods_ok {
        behavior.allowed_methods = Some(
            AllowedMethods::builder()
                .quantity(2)
                .set_items(Some(get_head.to_vec()))
                .cached_methods(CachedMethods::builder().quantity(2).set_items(Some(get_head.to_vec())).build()?)
                .build()?,
        );
    }
    behaviors.quantity = len_i32(items.len());
    Ok(())
}

fn same_methods(have: &[Method], want: &[Method]) -> bool {
    have.len() == want.len() && want.iter().all(|m| have.contains(m))
}

fn set_error_responses(config: &mut DistributionConfig, desired: &Desired) {
    let responses = config
        .custom_error_responses
        .get_or_insert_with(|| CustomErrorResponses::builder().quantity(0).build().expect("quantity is set"));
    let items = responses.items.get_or_insert_with(Vec::new);
    for page in &desired.error_pages {
        let code = i32::from(page.code);
        let index = items.iter().position(|r| r.error_code == code).unwrap_or_else(|| {
            items.push(CustomErrorResponse::builder().error_code(code).build().expect("error_code is set"));
            items.len() - 1
        });
        let response = &mut items[index];
        // Without its page, the response keeps only the TTL: the function's answer goes through.
        response.response_page_path = page.serves_page.then(|| page.page_path.clone());
        response.response_code = page.serves_page.then(|| page.code.to_string());
        response.error_caching_min_ttl = Some(i64::from(desired.error_ttl));
    }
    responses.quantity = len_i32(items.len());
}

fn set_origin_timeouts(config: &mut DistributionConfig, desired: &Desired) -> Result<(), PlanError> {
    let Some(timeouts) = &desired.origin_timeouts else { return Ok(()) };
    let items = config.origins.as_mut().map(|o| &mut o.items);
    let available = items.as_ref().map(|i| i.iter().map(|o| o.id.clone()).collect()).unwrap_or_default();
    let Some(origin) = items.and_then(|items| items.iter_mut().find(|o| o.id == timeouts.id)) else {
        return Err(PlanError::UnknownOrigin { id: timeouts.id.clone(), available });
    };
    if let Some(attempts) = timeouts.connection_attempts {
        origin.connection_attempts = Some(i32::from(attempts));
    }
    if let Some(connect) = timeouts.connection_timeout {
        origin.connection_timeout = Some(i32::from(connect));
    }
    if let Some(read) = timeouts.read_timeout {
        let Some(custom) = origin.custom_origin_config.as_mut() else {
            return Err(PlanError::NotCustomOrigin { id: timeouts.id.clone() });
        };
        custom.origin_read_timeout = Some(i32::from(read));
    }
    Ok(())
}

fn len_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use edgepages_core::config::OriginTimeouts;

    use super::*;
    use crate::change::ChangeKind;
    use crate::describe::{OwnedKeys, describe};
    use crate::fixtures::{desired, existing};
    use crate::lists::{behaviors, error_response, error_responses, origins};

    #[test]
    fn adds_the_origin_the_behavior_first_and_the_error_responses() {
        let before = existing();
        let after = with_desired(&before, &desired(), &Wiring::default(), "OAC1").unwrap();
        let ours = origins(&after).iter().find(|o| o.id == "edgepages-pages-bucket").unwrap();
        assert_eq!(ours.domain_name, "pages-bucket.s3.eu-west-1.amazonaws.com");
        assert_eq!(ours.origin_access_control_id.as_deref(), Some("OAC1"));
        assert_eq!(ours.s3_origin_config.as_ref().unwrap().origin_access_identity, "");
        assert_eq!(after.origins.as_ref().unwrap().quantity, 3);

        let first = &behaviors(&after)[0];
        assert_eq!(
            (first.path_pattern.as_str(), first.target_origin_id.as_str()),
            ("/edgepages/*", "edgepages-pages-bucket")
        );
        assert_eq!(first.cache_policy_id.as_deref(), Some(CACHING_OPTIMIZED_POLICY_ID));
        assert_eq!(after.cache_behaviors.as_ref().unwrap().quantity, 2);

        let r502 = error_response(&after, 502).unwrap();
        assert_eq!(r502.response_page_path.as_deref(), Some("/edgepages/502.html"));
        assert_eq!(r502.response_code.as_deref(), Some("502"));
        assert_eq!(r502.error_caching_min_ttl, Some(10));
        assert_eq!(after.custom_error_responses.as_ref().unwrap().quantity, 3);
    }

    /// `custom_error_order = "after-function"` (crate::order): a code the function answers keeps
    /// its response for the TTL alone, so the function's answer reaches viewers; a page set by an
    /// earlier publish goes, and the plan says so.
    #[test]
    fn a_code_without_its_page_keeps_only_its_ttl() {
        let mut d = desired();
        let paged = with_desired(&existing(), &d, &Wiring::default(), "OAC1").unwrap();
        d.error_pages[0].serves_page = false;
        let after = with_desired(&paged, &d, &Wiring::default(), "OAC1").unwrap();
        let r502 = error_response(&after, 502).unwrap();
        assert_eq!((r502.response_page_path.as_deref(), r502.response_code.as_deref()), (None, None));
        assert_eq!(r502.error_caching_min_ttl, Some(10));
        assert_eq!(error_response(&after, 503), error_response(&paged, 503));
        let changes = describe(&paged, &after, &OwnedKeys::of(&d, &Wiring::default()));
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].after.as_deref(), Some("(no page) as the origin's status, cached 10 s"));
        assert_eq!(
            with_desired(&after, &d, &Wiring::default(), "OAC1").unwrap(),
            after,
            "applying twice is applying once"
        );
    }

    #[test]
    fn everything_it_does_not_own_is_carried_over_exactly() {
        let before = existing();
        let after = with_desired(&before, &desired(), &Wiring::default(), "OAC1").unwrap();
        assert_eq!(origins(&after)[..2], origins(&before)[..]);
        assert_eq!(behaviors(&after)[1..], behaviors(&before)[..]);
        assert_eq!(error_response(&after, 404), error_response(&before, 404));
        let strip = |c: &DistributionConfig| {
            let mut c = c.clone();
            c.origins = None;
            c.cache_behaviors = None;
            c.custom_error_responses = None;
            c
        };
        assert_eq!(strip(&after), strip(&before));
    }

    #[test]
    fn applying_twice_is_applying_once() {
        let once = with_desired(&existing(), &desired(), &Wiring::default(), "OAC1").unwrap();
        let twice = with_desired(&once, &desired(), &Wiring::default(), "OAC1").unwrap();
        assert_eq!(once, twice);
        assert!(describe(&once, &twice, &OwnedKeys::of(&desired(), &Wiring::default())).is_empty());
    }

    #[test]
    fn describes_each_owned_change() {
        let before = existing();
        let after = with_desired(&before, &desired(), &Wiring::default(), NEW_OAC).unwrap();
        let changes = describe(&before, &after, &OwnedKeys::of(&desired(), &Wiring::default()));
        let targets: Vec<_> = changes.iter().map(|c| (c.kind, c.target.as_str())).collect();
        assert_eq!(
            targets,
            [
                (ChangeKind::Add, "origin edgepages-pages-bucket"),
                (ChangeKind::Add, "cache behavior /edgepages/*"),
                (ChangeKind::Add, "error response 502"),
                (ChangeKind::Add, "error response 503"),
            ]
        );
        assert!(changes[0].after.as_deref().unwrap().contains("OAC (new)"));
    }

    #[test]
    fn an_existing_response_for_an_owned_code_is_taken_over_in_place() {
        let mut d = desired();
        d.error_pages[0].code = 404;
        d.error_pages[0].page_path = "/edgepages/error.html".into();
        let after = with_desired(&existing(), &d, &Wiring::default(), "OAC1").unwrap();
        assert_eq!(error_responses(&after)[0].response_page_path.as_deref(), Some("/edgepages/error.html"));
        let change = &describe(&existing(), &after, &OwnedKeys::of(&d, &Wiring::default()))[2];
        assert_eq!(change.kind, ChangeKind::Modify);
        assert_eq!(change.before.as_deref(), Some("/not-found.html as 404, cached 300 s"));
    }

    #[test]
    fn sets_the_site_origin_timeouts() {
        let mut d = desired();
        d.origin_timeouts = Some(OriginTimeouts {
            id: "alb".into(),
            connection_attempts: Some(1),
            connection_timeout: Some(3),
            read_timeout: Some(8),
        });
        let after = with_desired(&existing(), &d, &Wiring::default(), "OAC1").unwrap();
        let alb = &origins(&after)[0];
        assert_eq!((alb.connection_attempts, alb.connection_timeout), (Some(1), Some(3)));
        assert_eq!(alb.custom_origin_config.as_ref().unwrap().origin_read_timeout, Some(8));
        let change = describe(&existing(), &after, &OwnedKeys::of(&d, &Wiring::default())).pop().unwrap();
        assert_eq!(change.after.as_deref(), Some("1 connection attempts, connect 3 s, read 8 s"));
    }

    #[test]
    fn refuses_what_it_does_not_own() {
        let mut d = desired();
        d.origin_timeouts = Some(OriginTimeouts {
            id: "api".into(),
            connection_attempts: Some(1),
            connection_timeout: None,
            read_timeout: None,
        });
        let e = with_desired(&existing(), &d, &Wiring::default(), "OAC1").unwrap_err();
        assert_eq!(
            e,
            PlanError::UnknownOrigin {
                id: "api".into(),
                available: vec!["alb".into(), "assets".into(), "edgepages-pages-bucket".into()]
            }
        );

        d.origin_timeouts = Some(OriginTimeouts {
            id: "assets".into(),
            connection_attempts: None,
            connection_timeout: None,
            read_timeout: Some(5),
        });
        assert_eq!(
            with_desired(&existing(), &d, &Wiring::default(), "OAC1").unwrap_err(),
            PlanError::NotCustomOrigin { id: "assets".into() }
        );

        let mut d = desired();
        d.prefix = "static".into();
        let e = with_desired(&existing(), &d, &Wiring::default(), "OAC1").unwrap_err();
        assert_eq!(e, PlanError::PathPatternTaken { pattern: "/static/*".into(), origin_id: "assets".into() });
    }
}
