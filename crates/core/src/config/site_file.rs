//! Where a file the config names (`brand.logo`, `[pages] template`, `text_template`) may be:
//! inside the config's folder, named relative to it. One rule, checked when the config is loaded
//! and again by every adapter that reads such a file (the CLI, the edge build scripts), so that a
//! config from a pull request cannot put CI's credentials or `/proc/self/environ` into the
//! published pages. The rule is on the text of the path; a symbolic link inside the folder that
//! points out of it is the adapters' to refuse, as only they can look.

use std::path::{Path, PathBuf};

/// `Ok` if `name` is a relative path that stays inside the config's folder, however it is spelt
/// (`/` or `\`, `.` and `..` that come back in); otherwise the reason, to be shown with the key.
pub fn check(name: &str) -> Result<(), String> {
    if name.trim().is_empty() || name.chars().any(char::is_control) {
        return Err(format!("{name:?} must be a file's path, relative to this file"));
    }
    let bytes = name.as_bytes();
    // A root (`/x`, `\x`, `\\server\x`) or a Windows drive (`C:x`, `C:\x`), on any build machine.
    let absolute = bytes[0] == b'/' || bytes[0] == b'\\' || (bytes.len() >= 2 && bytes[1] == b':');
    if absolute {
        return Err(format!("{name:?} is absolute: name a file inside this config's folder, relative to it"));
    }
    let mut depth = 0usize;
    for part in name.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                depth = depth.checked_sub(1).ok_or_else(|| {
                    format!("{name:?} leaves this config's folder (..): name a file inside this config's folder")
                })?;
            }
            _ => depth += 1,
        }
    }
    Ok(())
}

/// `name`, checked by [`check`], joined to the folder of the config file at `config`.
pub fn resolve(config: &Path, name: &str) -> Result<PathBuf, String> {
    check(name)?;
    Ok(config.parent().map_or_else(|| PathBuf::from(name), |dir| dir.join(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_the_folder_only() {
        for ok in ["logo.svg", "./brand/logo.svg", "brand/../logo.svg", "a\\b.svg", "..x/logo.svg", "x..svg"] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        for bad in [
            "/etc/passwd",
            "\\\\server\\share\\x",
            "C:\\x",
            "c:x",
            "..",
            "../x",
            "a/../../x",
            "a\\..\\..\\x",
            "",
            " ",
            "a\nb",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
        assert_eq!(resolve(Path::new("site/edgepages.toml"), "logo.svg"), Ok(PathBuf::from("site/logo.svg")));
        assert!(resolve(Path::new("site/edgepages.toml"), "../x").is_err());
    }
}
