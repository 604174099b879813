//! One child process, measured: its wall time, and its CPU time and peak resident memory, read
//! from the kernel when it is reaped (`wait4`'s `rusage`), so the figures are the child's own
//! and include its very last allocation, as no polling of `/proc` could.
//!
//! One caveat: Linux carries the parent's peak RSS into the child's `ru_maxrss` when the child
//! is spawned (at `exec`, it keeps the high-water mark of the memory it replaces, which a
//! forked or `vfork`ed child shares with or copied from its parent). So the harness keeps its
//! own memory small ([`own_peak_rss`] says how small), and no manifest is ever held whole.
//!
//! Not for: what the child says (the caller sends its output to files and reads them).

use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, ExitStatus};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How often [`run`] calls its `tick` while the child runs.
pub const TICK: Duration = Duration::from_secs(30);

/// What a finished child cost.
#[derive(Clone, Copy, Debug)]
pub struct Finished {
    /// How it ended.
    pub status: ExitStatus,
    /// From spawning it to reaping it.
    pub wall: Duration,
    /// Its peak resident set, in bytes.
    pub peak_rss: u64,
    /// The CPU time it used, user and system.
    pub cpu: Duration,
}

/// Spawns `cmd`, calls `tick` with the time so far every [`TICK`] while it runs, kills it
/// after `deadline`, and returns what it cost.
pub fn run(
    cmd: &mut Command,
    deadline: Duration,
    tick: &mut dyn FnMut(Duration),
) -> io::Result<Finished> {
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    let pid = child_pid(&child)?;
    // A thread blocks in `wait4` and times the child the moment it is reaped; this one ticks
    // and keeps the deadline meanwhile.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let reaped = wait4(pid);
        let _ = tx.send(reaped.map(|r| (r, start.elapsed())));
    });
    let gone = || io::Error::other("the thread waiting for the child is gone");
    let reaped = loop {
        match rx.recv_timeout(TICK.min(deadline.saturating_sub(start.elapsed()))) {
            Ok(reaped) => break reaped,
            Err(mpsc::RecvTimeoutError::Timeout) if start.elapsed() >= deadline => {
                // Not reaped yet (the waiter would have sent), so the pid is still the child's.
                child.kill()?;
                break rx.recv().map_err(|_| gone())?;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => tick(start.elapsed()),
            Err(mpsc::RecvTimeoutError::Disconnected) => return Err(gone()),
        }
    };
    let ((status, peak_rss, cpu), wall) = reaped?;
    Ok(Finished {
        status,
        wall,
        peak_rss,
        cpu,
    })
}

/// The harness's own peak RSS in bytes (`VmHWM`): the floor under every child's figure.
pub fn own_peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

fn child_pid(child: &Child) -> io::Result<libc::pid_t> {
    libc::pid_t::try_from(child.id()).map_err(io::Error::other)
}

/// Reaps `pid`, returning how it ended, its peak resident set in bytes and its CPU time. std's `Child::wait`
/// has no resource usage, hence libc; `Child` is never waited on after this (it does not wait
/// when dropped).
#[allow(unsafe_code)]
fn wait4(pid: libc::pid_t) -> io::Result<(ExitStatus, u64, Duration)> {
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is a C struct of integers, for which all zeroes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: both pointers are to live locals of the types `wait4` writes.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            // Linux gives `ru_maxrss` in KiB.
            let kib = u64::try_from(usage.ru_maxrss).unwrap_or(0);
            let time = |t: libc::timeval| {
                Duration::new(u64::try_from(t.tv_sec).unwrap_or(0), 0)
                    + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
            };
            let cpu = time(usage.ru_utime) + time(usage.ru_stime);
            return Ok((ExitStatus::from_raw(status), kib * 1024, cpu));
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}
