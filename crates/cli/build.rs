//! Puts the git commit the binary is built from into `EDGEPAGES_COMMIT`, for `--version`;
//! `unknown` outside a git checkout (a crate tarball, for example).

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok().filter(|o| o.status.success())?;
    String::from_utf8(out.stdout).ok().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".to_owned());
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some();
    println!("cargo:rustc-env=EDGEPAGES_COMMIT={commit}{}", if dirty { "-modified" } else { "" });
    // A new commit or checkout moves HEAD's log; rebuild the version then.
    for path in ["HEAD", "logs/HEAD"] {
        if let Some(p) = git(&["rev-parse", "--git-path", path]) {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
