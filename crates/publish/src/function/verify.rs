//! `verify`'s checks of the function, from what was read back: it exists in us-east-1, a
//! published version (the kind a distribution can use) holds the code it has now, with the
//! runtime, handler, memory and timeout `publish` sets, and that version is the one every
//! behavior to the site's origin runs on origin-response.

use aws_sdk_cloudfront::types::DistributionConfig;

use super::plan::FoundVersion;
use super::{HANDLER, MEMORY_MB, RUNTIME, TIMEOUT_S};
use crate::association::{origin_response, targets};
use crate::verify::Check;

/// The newest published version that holds `latest`'s code.
pub fn holding_latest<'a>(latest: Option<&FoundVersion>, versions: &'a [FoundVersion]) -> Option<&'a FoundVersion> {
    let latest = latest?;
    versions.iter().rev().find(|v| v.code_sha256 == latest.code_sha256)
}

/// Every behavior to the site's origin runs `version` (the one [`holding_latest`]) on
/// origin-response.
pub fn associated(config: &DistributionConfig, name: &str, version: Option<&FoundVersion>) -> Check {
    let subject = format!("function {name} on the distribution");
    let Some(version) = version else {
        return Check::fail(subject, "no published version to associate: run `edgepages publish`".into());
    };
    let wrong: Vec<String> = targets(config)
        .iter()
        .filter_map(|key| match origin_response(config, key).map(|a| a.lambda_function_arn.as_str()) {
            Some(arn) if arn == version.arn => None,
            Some(arn) => Some(format!("{key} runs {arn}")),
            None => Some(format!("{key} has no origin-response function")),
        })
        .collect();
    if wrong.is_empty() {
        let count = targets(config).len();
        Check::pass(subject, format!("version {} on origin-response, on {count} behaviors", version.version))
    } else {
        Check::fail(
            subject,
            format!("{}; expected version {}: run `edgepages publish`", wrong.join("; "), version.version),
        )
    }
}

pub fn check(name: &str, latest: Option<&FoundVersion>, versions: &[FoundVersion]) -> Check {
    let subject = format!("function {name} (us-east-1)");
    let fail = |detail: String| Check::fail(subject.clone(), detail);
    let Some(latest) = latest else {
        return fail("does not exist: run `edgepages publish`".into());
    };
    let Some(version) = holding_latest(Some(latest), versions) else {
        return fail(format!(
            "no published version holds its code (CodeSha256 {}): run `edgepages publish`",
            latest.code_sha256
        ));
    };
    let s = &version.setup;
    let wanted = (RUNTIME, HANDLER, MEMORY_MB, TIMEOUT_S);
    if (s.runtime.as_str(), s.handler.as_str(), s.memory_mb, s.timeout_s) != wanted {
        return fail(format!(
            "version {} runs {} with handler {}, {} MB, {} s; publish sets {RUNTIME}, {HANDLER}, {MEMORY_MB} MB, \
             {TIMEOUT_S} s",
            version.version, s.runtime, s.handler, s.memory_mb, s.timeout_s
        ));
    }
    Check::pass(subject, format!("version {} holds its code ({}), {RUNTIME}", version.version, version.code_sha256))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function::Setup;

    fn version(number: &str, code: &str) -> FoundVersion {
        FoundVersion {
            version: number.into(),
            arn: format!("arn:aws:lambda:us-east-1:123456789012:function:f:{number}"),
            code_sha256: code.into(),
            setup: Setup::wanted("arn:aws:iam::123456789012:role/r"),
            revision_id: "r".into(),
        }
    }

    #[test]
    fn passes_when_a_version_holds_the_current_code() {
        let c = check("f", Some(&version("$LATEST", "B")), &[version("1", "A"), version("2", "B")]);
        assert!(c.ok, "{c:?}");
        assert_eq!(c.detail, "version 2 holds its code (B), nodejs22.x");
    }

    #[test]
    fn fails_when_missing_unpublished_or_set_differently() {
        assert_eq!(check("f", None, &[]).detail, "does not exist: run `edgepages publish`");
        let unpublished = check("f", Some(&version("$LATEST", "C")), &[version("1", "A")]);
        assert!(!unpublished.ok && unpublished.detail.starts_with("no published version holds its code"));
        let mut old = version("1", "A");
        old.setup.runtime = "nodejs16.x".into();
        let c = check("f", Some(&version("$LATEST", "A")), &[old]);
        assert!(!c.ok && c.detail.starts_with("version 1 runs nodejs16.x"), "{c:?}");
    }

    #[test]
    fn the_association_must_be_the_version_that_holds_the_code_on_every_behavior() {
        use crate::association::{EdgeFunction, set};
        use crate::fixtures::existing;
        let v2 = version("2", "B");
        let mut config = existing();
        let c = associated(&config, "f", Some(&v2));
        assert!(!c.ok && c.detail.starts_with("default behavior has no origin-response function"), "{c:?}");
        set(&mut config, &EdgeFunction { name: "f".into(), version_arn: Some(version("1", "A").arn) }).unwrap();
        let c = associated(&config, "f", Some(&v2));
        assert!(!c.ok && c.detail.contains("runs arn:aws:lambda:us-east-1:123456789012:function:f:1"), "{c:?}");
        set(&mut config, &EdgeFunction { name: "f".into(), version_arn: Some(v2.arn.clone()) }).unwrap();
        let c = associated(&config, "f", Some(&v2));
        assert!(c.ok, "{c:?}");
        assert_eq!(c.detail, "version 2 on origin-response, on 1 behaviors");
        assert!(!associated(&config, "f", None).ok);
    }
}
