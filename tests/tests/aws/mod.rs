//! The publish tests' rig: one moto for the whole test binary, a recording proxy per test, a
//! site folder per test, and a runner for the real `edgepages` binary. Shared by the publish and
//! seed tests, which each use part of it.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use edgepages_e2e::aws_fixture::{Fixture, Start, aws_env, site};
use edgepages_e2e::aws_proxy::{Faults, RecordingProxy};
use edgepages_e2e::moto::Moto;
pub use edgepages_snapshot::Redactions;

static MOTO: OnceLock<Moto> = OnceLock::new();

fn moto() -> &'static Moto {
    MOTO.get_or_init(|| Moto::start().expect("moto starts"))
}

/// One test's world: a bucket, a distribution, a site config naming them, and a proxy that
/// records what the binary sends.
pub struct Rig {
    pub proxy: RecordingProxy,
    pub fixture: Fixture,
    pub bucket: String,
    pub distribution: String,
    pub config: PathBuf,
    dir: tempfile::TempDir,
}

impl Rig {
    pub fn new(start: Start) -> Rig {
        Rig::with(start, None, "")
    }

    /// A rig whose proxy fails the `fail_upload`-th page upload, and whose config's
    /// `[cloudfront]` table ends with `extra`.
    pub fn with(start: Start, fail_upload: Option<usize>, extra: &str) -> Rig {
        Rig::with_faults(start, Faults { fail_upload, ..Faults::default() }, extra)
    }

    /// A rig whose proxy misbehaves as `faults` says, and whose config's `[cloudfront]` table
    /// ends with `extra`.
    pub fn with_faults(start: Start, faults: Faults, extra: &str) -> Rig {
        let moto = moto();
        let proxy = RecordingProxy::start(&moto.endpoint, faults).expect("the proxy starts");
        let fixture = proxy.runtime().block_on(Fixture::new(&moto.endpoint));
        let bucket = proxy.runtime().block_on(fixture.bucket()).expect("a bucket");
        let distribution = proxy.runtime().block_on(fixture.distribution(start)).expect("a distribution");
        let dir = tempfile::tempdir().expect("a temp dir");
        let config = site(dir.path(), &bucket, &distribution, extra).expect("a site");
        Rig { proxy, fixture, bucket, distribution, config, dir }
    }

    /// Runs `edgepages --config <site> <args>` through the proxy, with stdin not a terminal.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[])
    }

    /// [`Rig::run`] with `env` set too.
    pub fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = Command::new(binary());
        command.arg("--config").arg(&self.config).arg("--color").arg("never").args(args);
        for (key, value) in aws_env(&self.proxy.url) {
            command.env(key, value);
        }
        command.envs(env.iter().copied());
        let output = command.stdin(Stdio::null()).output().expect("edgepages runs");
        Run::from(output)
    }

    /// The names this rig made, for a snapshot: its folder `[ROOT]`, its `[BUCKET]` and its
    /// `[DISTRIBUTION]`; moto's `[OAC]` IDs besides.
    pub fn redactions(&self) -> Redactions {
        Redactions::new()
            .value("ROOT", self.dir.path().to_string_lossy())
            .value("BUCKET", &self.bucket)
            .value("DISTRIBUTION", &self.distribution)
            .pattern("OAC", r"origin access control ([A-Z0-9]{10,}) created")
            .pattern("OAC", r"\bOAC ([A-Z0-9]{10,})\b")
    }

    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.proxy.runtime().block_on(f)
    }

    /// Replaces `from` with `to` in the site's config.
    #[track_caller]
    pub fn edit_config(&self, from: &str, to: &str) {
        let text = std::fs::read_to_string(&self.config).expect("the config");
        assert!(text.contains(from), "{from:?} is not in the config");
        std::fs::write(&self.config, text.replace(from, to)).expect("the config is written");
    }
}

pub use edgepages_e2e::worker::edgepages_binary as binary;

/// The write calls the proxy saw, in order: a query or JSON protocol call by its action
/// (`CreateRule`, `PutRolePolicy`), a REST one as `METHOD path`.
pub fn writes(rig: &Rig) -> Vec<String> {
    rig.proxy
        .writes()
        .into_iter()
        .map(|w| w.action.unwrap_or_else(|| format!("{} {}", w.method, w.path.split('?').next().unwrap_or_default())))
        .collect()
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// The whole output, redacted: see [`Redactions::transcript`].
    pub fn transcript(&self, redactions: &Redactions) -> String {
        redactions.transcript(self.code, &self.stdout, &self.stderr)
    }

    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "exit {}\nstdout:\n{}\nstderr:\n{}", self.code, self.stdout, self.stderr);
        self
    }

    #[track_caller]
    pub fn fails(self) -> Run {
        assert_eq!(self.code, 1, "exit {}\nstdout:\n{}\nstderr:\n{}", self.code, self.stdout, self.stderr);
        self
    }
}

/// A server on loopback that answers every request with `status` and `body` (as HTML), for
/// `verify --url`.
pub fn serve(status: u16, body: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let url = format!("http://{}/checkout", listener.local_addr().expect("an address"));
    std::thread::spawn(move || {
        use std::io::{Read as _, Write as _};
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
        }
    });
    url
}
