//! The apply lock: one apply at a time per lockfile.
//!
//! `<lockfile>.lock` is locked exclusively with the operating system's advisory file lock
//! (`File::try_lock`), which the OS releases when the process ends however it ends, so a killed
//! apply never leaves a stale lock behind. The file's content only says who holds it, for the
//! message a second apply shows.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Who holds the lock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// The holder's process ID.
    pub pid: u32,
    /// The holder's host name.
    pub host: String,
    /// When it took the lock (RFC 3339).
    pub started_at: String,
    /// The command it runs.
    pub command: String,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` (pid {} on {}, since {})",
            self.command, self.pid, self.host, self.started_at
        )
    }
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockBusy {
    /// Another process holds it.
    #[error("another apply holds the lock `{path}`: {}", holder.as_ref().map(|h| h.to_string()).unwrap_or_else(|| "its holder did not say who it is".into()))]
    Held {
        /// The lock file.
        path: PathBuf,
        /// Who holds it, if it could be read.
        holder: Option<Holder>,
    },
    /// The lock file could not be opened or locked.
    #[error("cannot use the lock `{path}`: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct ApplyLock {
    _file: File,
}

/// The lock file that guards `lockfile`.
pub fn path_for(lockfile: &Path) -> PathBuf {
    let mut name = lockfile.as_os_str().to_os_string();
    name.push(".lock");
    PathBuf::from(name)
}

impl ApplyLock {
    /// Takes the lock for `lockfile`, waiting up to `timeout` for another holder to finish.
    pub fn acquire(
        lockfile: &Path,
        timeout: Duration,
        command: &str,
    ) -> Result<ApplyLock, LockBusy> {
        let path = path_for(lockfile);
        let io = |source| LockBusy::Io {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        let deadline = Instant::now() + timeout;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100).min(timeout));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(LockBusy::Held {
                        holder: read_holder(&mut file),
                        path,
                    });
                }
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
        }
        let holder = Holder {
            pid: std::process::id(),
            host: hostname(),
            started_at: crate::time::now_rfc3339(),
            command: command.to_string(),
        };
        let text = serde_json::to_string_pretty(&holder).expect("a holder serializes");
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(ApplyLock { _file: file })
    }
}

fn read_holder(file: &mut File) -> Option<Holder> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "unknown host".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_told_who_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let lockfile = dir.path().join("recallform.lock.json");
        let first = ApplyLock::acquire(&lockfile, Duration::ZERO, "recallform apply").unwrap();
        let err = ApplyLock::acquire(&lockfile, Duration::from_millis(250), "recallform apply")
            .unwrap_err();
        let LockBusy::Held {
            holder: Some(holder),
            ..
        } = &err
        else {
            panic!("{err}")
        };
        assert_eq!(holder.pid, std::process::id());
        assert!(
            err.to_string().contains("another apply holds the lock"),
            "{err}"
        );
        drop(first);
        ApplyLock::acquire(&lockfile, Duration::ZERO, "recallform apply").unwrap();
        assert_eq!(
            path_for(&lockfile),
            dir.path().join("recallform.lock.json.lock")
        );
    }
}
