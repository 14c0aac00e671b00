//! `verify`'s check of the function, from what was read back: it exists in us-east-1, and a
//! published version (the kind a distribution can use) holds the code it has now, with the
//! runtime, handler, memory and timeout `publish` sets.

use super::plan::FoundVersion;
use super::{HANDLER, MEMORY_MB, RUNTIME, TIMEOUT_S};
use crate::verify::Check;

pub fn check(name: &str, latest: Option<&FoundVersion>, versions: &[FoundVersion]) -> Check {
    let subject = format!("function {name} (us-east-1)");
    let fail = |detail: String| Check { subject: subject.clone(), ok: false, detail };
    let Some(latest) = latest else {
        return fail("does not exist: run `edgepages publish`".into());
    };
    let Some(version) = versions.iter().rev().find(|v| v.code_sha256 == latest.code_sha256) else {
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
    Check {
        subject,
        ok: true,
        detail: format!("version {} holds its code ({}), {RUNTIME}", version.version, version.code_sha256),
    }
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
}
