//! The AWS API server for the publish tests: moto (S3 and CloudFront on one port), started from
//! the venv that `scripts/setup` makes, with the patches in `tests/moto/server.py`.

use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use crate::process::watch_over;
use crate::worker::{free_port, repo_root};

const START_TIMEOUT: Duration = Duration::from_mins(1);

#[derive(Debug)]
pub struct Moto {
    pub endpoint: String,
    child: Child,
}

/// The venv's Python: `EDGEPAGES_MOTO_PYTHON`, or `.venv/bin/python` at the repository root.
pub fn python() -> PathBuf {
    std::env::var_os("EDGEPAGES_MOTO_PYTHON").map_or_else(|| repo_root().join(".venv/bin/python"), PathBuf::from)
}

impl Moto {
    pub fn start() -> Result<Moto> {
        let port = free_port()?;
        let python = python();
        let log = std::env::temp_dir().join(format!("edgepages-moto-{}-{port}.log", std::process::id()));
        let child = Command::new(&python)
            .arg(repo_root().join("tests/moto/server.py"))
            .arg(port.to_string())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log)?)
            .stderr(std::fs::File::create(log.with_extension("err"))?)
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting moto with {} (run scripts/setup first)", python.display()))?;
        watch_over(child.id())?;
        let moto = Moto { endpoint: format!("http://127.0.0.1:{port}"), child };
        let started = Instant::now();
        while started.elapsed() < START_TIMEOUT {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(moto);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let err = std::fs::read_to_string(log.with_extension("err")).unwrap_or_default();
        bail!("moto did not listen on port {port} within {START_TIMEOUT:?}; its stderr:\n{err}")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(format!("-{}", self.child.id())).status();
        let _ = self.child.wait();
    }
}
