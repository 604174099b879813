//! `recallform sandbox serve` as a child process on 127.0.0.1 port 0, one per scenario and
//! size (a fresh workspace, with fresh rate-limit windows), and its request counters
//! (`GET /_emulator/stats`, which does not count itself).
//!
//! Not for: the emulator's behaviour (tests/e2e/emulator.rs).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::ops::Sub;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde::Deserialize;

/// The API key the emulator requires, and recallform is given.
pub const API_KEY: &str = "rk_bench_4c1d9e7f2a6b3058";

/// The counters of `GET /_emulator/stats`; a difference of two is what happened between them.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct Stats {
    /// Every request.
    pub requests: u64,
    /// List calls (apps, app logs, credentials).
    pub list: u64,
    /// Creates, updates and deletes.
    pub write: u64,
    /// Reads of one app.
    pub retrieve: u64,
    /// Calls of an app's webhook URL.
    pub webhook: u64,
    /// Anything else.
    pub other: u64,
    /// Requests answered 429.
    pub throttled: u64,
}

impl Sub for Stats {
    type Output = Stats;

    fn sub(self, before: Stats) -> Stats {
        Stats {
            requests: self.requests - before.requests,
            list: self.list - before.list,
            write: self.write - before.write,
            retrieve: self.retrieve - before.retrieve,
            webhook: self.webhook - before.webhook,
            other: self.other - before.other,
            throttled: self.throttled - before.throttled,
        }
    }
}

/// A running emulator, stopped when dropped.
pub struct Emulator {
    child: Child,
    /// Its base URL, for `--api-url`.
    pub url: String,
    /// `127.0.0.1:PORT`.
    addr: String,
}

impl Emulator {
    /// Starts `bin sandbox serve` with `knobs` (`--latency`, `--rate-limit`, `--page-size`) and
    /// waits for the banner that gives its URL.
    pub fn start(bin: &Path, knobs: &[String]) -> io::Result<Emulator> {
        let mut child = Command::new(bin)
            .args(["sandbox", "serve", "--listen", "127.0.0.1:0", "--api-key"])
            .arg(API_KEY)
            .args(knobs)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut stderr = BufReader::new(child.stderr.take().expect("piped"));
        let mut banner = String::new();
        stderr.read_line(&mut banner)?;
        let Some(url) = banner
            .trim_end()
            .rsplit(' ')
            .next()
            .filter(|u| u.starts_with("http://127.0.0.1:"))
        else {
            let mut rest = String::new();
            let _ = stderr.read_to_string(&mut rest);
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::other(format!(
                "`sandbox serve {}` did not start: {banner}{rest}",
                knobs.join(" ")
            )));
        };
        let url = url.to_string();
        // Keep reading, so that a chatty emulator never blocks on a full pipe.
        std::thread::spawn(move || io::copy(&mut stderr, &mut io::sink()));
        let addr = url.trim_start_matches("http://").to_string();
        Ok(Emulator { child, url, addr })
    }

    /// The CPU time it has used so far, user and system (from `/proc`, in the kernel's
    /// hundredths of a second).
    pub fn cpu(&self) -> Duration {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // After the command name, which is in parentheses and may hold spaces: the state is
        // field 3, user time field 14 and system time field 15.
        let fields: Vec<u64> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest)
            .unwrap_or_default()
            .split_whitespace()
            .skip(11)
            .take(2)
            .map(|f| f.parse().unwrap_or(0))
            .collect();
        Duration::from_millis(10 * fields.iter().sum::<u64>())
    }

    /// Its counters now.
    pub fn stats(&self) -> io::Result<Stats> {
        serde_json::from_value(self.stats_json()?).map_err(io::Error::other)
    }

    /// How long the writes took as the emulator saw them: from the first one's arrival to the
    /// last one's answer (`None` before any).
    pub fn writes_took(&self) -> io::Result<Option<Duration>> {
        let stats = self.stats_json()?;
        let ms = |key: &str| stats.get(key).and_then(serde_json::Value::as_f64);
        Ok(ms("first_write_ms")
            .zip(ms("last_write_answered_ms"))
            .map(|(first, last)| Duration::from_secs_f64((last - first).max(0.0) / 1e3)))
    }

    /// `GET /_emulator/stats`, as JSON.
    fn stats_json(&self) -> io::Result<serde_json::Value> {
        let mut stream = TcpStream::connect(&self.addr)?;
        write!(
            stream,
            "GET /_emulator/stats HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        )?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        if !head.starts_with("HTTP/1.1 200") {
            return Err(io::Error::other(format!("stats answered {head}")));
        }
        serde_json::from_str(body).map_err(io::Error::other)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
