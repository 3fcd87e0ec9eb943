//! Starting the server under test as its own process (and the standalone
//! fake WeChat), and reading its CPU time and peak memory from /proc.
#![allow(dead_code)] // each benchmark binary uses its own part

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context;
use serde_json::Value;

/// The server process, killed when dropped.
pub struct ServerProcess {
    pub pid: u32,
    pub child: Child,
    pub fake_child: Option<Child>,
    pub base: String,
    pub fake: String,
    pub merchant_token: String,
    /// The server's output, when the fake is not in it (see [`log_to`]).
    pub log: Option<PathBuf>,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(f) = &mut self.fake_child {
            let _ = f.kill();
            let _ = f.wait();
        }
    }
}

/// Wait for "fake WeChat API listening addr=HOST:PORT" on a child's stdout.
pub fn fake_address(out: std::process::ChildStdout) -> anyhow::Result<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let line = strip_ansi(&line);
            if let Some(rest) = line.split("fake WeChat API listening").nth(1) {
                if let Some(addr) = rest.split("addr=").nth(1) {
                    let _ = tx.send(addr.split_whitespace().next().unwrap_or("").to_string());
                }
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(120))
        .context("the fake WeChat API's address was not printed")
}

pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut esc = false;
    for c in s.chars() {
        match (esc, c) {
            (false, '\x1b') => esc = true,
            (true, 'm') => esc = false,
            (true, _) => {}
            (false, c) => out.push(c),
        }
    }
    out
}

/// How to start the server under test.
pub struct Launch<'a> {
    pub server: &'a str,
    /// The standalone fake (`mall-fake-wechat`); None: the server's own.
    pub fake: Option<&'a str>,
    /// A fake already running (HOST:PORT), for a second server instance.
    pub fake_addr: Option<String>,
    pub database_url: Option<&'a str>,
    /// More environment (e.g. `MALL_ORDER_TTL_SECS`).
    pub env: Vec<(&'static str, String)>,
}

/// Start the server (and the fake) on a free port with its data in `dir`.
pub fn start_server(a: &Launch, dir: &std::path::Path) -> anyhow::Result<ServerProcess> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let db = a
        .database_url
        .map(String::from)
        .unwrap_or_else(|| format!("sqlite://{}/mall.db", dir.display()));
    let mut fake_child = None;
    let mut cmd = Command::new(a.server);
    cmd.env("MALL_BIND", format!("127.0.0.1:{port}"))
        .env("MALL_DATA_DIR", dir)
        .env("DATABASE_URL", db)
        .env("MALL_JOBS_EVERY_SECS", "0")
        .env("MALL_EXPIRY_SWEEP_SECS", "3600") // `env` may override these
        .env("RUST_LOG", "warn,mall_server::wechat::fake=info")
        .stderr(Stdio::null());
    for (k, v) in &a.env {
        cmd.env(k, v);
    }
    let fake = match (a.fake, &a.fake_addr) {
        (_, Some(addr)) => {
            cmd.env("WECHAT_API_BASE", format!("http://{addr}"))
                .env("WECHATPAY_API_BASE", format!("http://{addr}"));
            Some(addr.clone())
        }
        (Some(path), None) => {
            let mut f = Command::new(path)
                .env("MALL_DATA_DIR", dir)
                .env("RUST_LOG", "warn")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .with_context(|| format!("starting {path}"))?;
            let addr = fake_address(f.stdout.take().context("fake stdout")?)?;
            fake_child = Some(f);
            cmd.env("WECHAT_API_BASE", format!("http://{addr}"))
                .env("WECHATPAY_API_BASE", format!("http://{addr}"));
            Some(addr)
        }
        (None, None) => None,
    };
    // The fake's address is read from the server's output when the fake is
    // in it (that reader drains the pipe to its end); else nothing reads it.
    let log = match fake {
        Some(_) => {
            let path = dir.join(format!("server-{port}.log"));
            cmd.stdout(log_to(&path)?);
            Some(path)
        }
        None => {
            cmd.stdout(Stdio::piped());
            None
        }
    };
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {}", a.server))?;
    let pid = child.id();
    let fake = match fake {
        Some(addr) => addr,
        None => fake_address(child.stdout.take().context("server stdout")?)?,
    };
    let secrets: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("secrets.json"))?)?;
    Ok(ServerProcess {
        pid,
        child,
        fake_child,
        base: format!("http://127.0.0.1:{port}"),
        fake: format!("http://{fake}"),
        merchant_token: secrets["merchantToken"]
            .as_str()
            .context("merchant token")?
            .to_string(),
        log,
    })
}

/// A child's output into a file. Never a pipe that nothing reads: once its
/// 64 KiB fill, the child's next write blocks, and a server blocks in the
/// request that logs. A run whose database went away (every request logging
/// its error) hung that way, past its duration, until killed.
pub fn log_to(path: &Path) -> anyhow::Result<Stdio> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    Ok(Stdio::from(file))
}

/// A run's directory and its servers' logs. Dropped, it names the logs on
/// stderr and keeps them (a run that ended with an error, or whose report
/// found failures, points at its servers' reasons), or removes the directory
/// when there is no log to keep; [`RunDir::done`] removes it after a good run.
pub struct RunDir {
    dir: PathBuf,
    logs: Vec<PathBuf>,
}

impl RunDir {
    pub fn new(dir: &Path) -> RunDir {
        RunDir {
            dir: dir.to_path_buf(),
            logs: Vec::new(),
        }
    }

    /// Keep `server`'s log (if it writes one) should the run go wrong.
    pub fn watch(&mut self, server: &ServerProcess) {
        self.logs.extend(server.log.clone());
    }

    /// The run went well: the directory goes, logs and all.
    pub fn done(mut self) {
        self.logs.clear();
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if self.logs.is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        for log in &self.logs {
            eprintln!("a server's log: {}", log.display());
        }
    }
}

/// utime + stime of a process, in clock ticks (/proc/<pid>/stat).
pub fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let n = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    n(11) + n(12)
}

/// Peak resident set (VmHWM), kB.
pub fn peak_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

pub fn percentile(sorted: &[Duration], p: u32) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = (sorted.len() - 1) * p as usize / 100;
    sorted[idx]
}

#[allow(clippy::float_arithmetic)]
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_that_writes_more_than_a_pipe_holds_runs_to_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.log");
        let mut child = Command::new("sh")
            .args(["-c", "head -c 1000000 /dev/zero"])
            .stdout(log_to(&path).unwrap())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("the child blocked writing its output");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(status.success());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 1_000_000);
    }

    #[test]
    fn a_run_keeps_its_servers_logs_unless_it_went_well() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("run");
        let run_with_a_log = || {
            std::fs::create_dir_all(&dir).unwrap();
            let mut run = RunDir::new(&dir);
            run.logs.push(dir.join("server-1.log"));
            run
        };
        drop(run_with_a_log());
        assert!(dir.exists(), "a run that went wrong keeps its log");
        run_with_a_log().done();
        assert!(!dir.exists(), "a run that went well leaves nothing");
        std::fs::create_dir_all(&dir).unwrap();
        drop(RunDir::new(&dir));
        assert!(!dir.exists(), "a run with no log to keep leaves nothing");
    }
}
