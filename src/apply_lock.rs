//! The apply lock: one apply at a time per lockfile.
//!
//! `<lockfile>.lock` is locked exclusively with the operating system's advisory file lock
//! (`File::try_lock`), which the OS releases when the process ends however it ends, so a killed
//! apply never leaves a stale lock behind. The file's content only says who holds it, for the
//! message a second command shows: the holder writes it just after taking the lock, so the
//! name read can be the last holder's for a moment, and that message says so when it can tell
//! (the recorded process is gone).

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

/// The commands that take the lock, as a holder's command line names them.
const LOCKING_COMMANDS: [&str; 4] = ["apply", "import", "export", "state"];

impl Holder {
    /// What the holder is, for "another … holds the lock": `apply`, `import`, `export`, or
    /// `` `state rm` ``, from the first word of its command line that names one of them (global
    /// options and their values may come first); `recallform command` when none does.
    pub fn what(&self) -> String {
        let mut words = self.command.split_whitespace().skip(1);
        match words.find(|w| LOCKING_COMMANDS.contains(w)) {
            Some("state") => match words.find(|w| ["mv", "rm", "unprotect"].contains(w)) {
                Some(sub) => format!("`state {sub}`"),
                None => "`state` command".into(),
            },
            Some(command) => command.to_string(),
            None => "recallform command".into(),
        }
    }

    /// Whether the recorded process is known to have exited: it ran on this host, which has
    /// `/proc` to ask, and `/proc` has no entry for its pid. Elsewhere nothing is known, and
    /// the holder is taken at its word.
    pub fn exited(&self) -> bool {
        let proc = Path::new("/proc");
        self.host == hostname()
            && proc.join("self").exists()
            && !proc.join(self.pid.to_string()).exists()
    }
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
    #[error("{}", held(.path, .holder.as_ref()))]
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

/// The message for a lock held by another process, naming it as its file does, unless that
/// name is stale or missing (the holder took the lock and has not written yet).
fn held(path: &Path, holder: Option<&Holder>) -> String {
    let path = path.display();
    match holder {
        Some(h) if h.exited() => format!(
            "another recallform command holds the lock `{path}`; the file still names {h}, which has exited, so that name is stale and the new holder has not written its own yet"
        ),
        Some(h) => format!("another {} holds the lock `{path}`: {h}", h.what()),
        None => format!(
            "another recallform command holds the lock `{path}`; it has not written who it is yet"
        ),
    }
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

    fn holder(command: &str) -> Holder {
        Holder {
            pid: std::process::id(),
            host: hostname(),
            started_at: "2026-11-29T14:03:11Z".into(),
            command: command.into(),
        }
    }

    #[test]
    fn the_message_names_the_holders_command() {
        for (command, what) in [
            ("recallform apply --auto-approve", "apply"),
            (
                "recallform -f infra/recallform.yaml import acme-eu 5e6f",
                "import",
            ),
            ("recallform export --region us-east-1", "export"),
            (
                "recallform --lockfile x.json state rm acme-eu",
                "`state rm`",
            ),
            ("recallform state --lock-timeout 3", "`state` command"),
            ("something else", "recallform command"),
        ] {
            assert_eq!(holder(command).what(), what, "{command}");
        }
        let path = Path::new("recallform.lock.json.lock");
        let h = holder("recallform state rm acme-eu");
        assert_eq!(
            held(path, Some(&h)),
            format!(
                "another `state rm` holds the lock `recallform.lock.json.lock`: `recallform state rm acme-eu` (pid {} on {}, since 2026-11-29T14:03:11Z)",
                h.pid, h.host
            )
        );
        assert_eq!(
            held(path, None),
            "another recallform command holds the lock `recallform.lock.json.lock`; it has not written who it is yet"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_holder_that_has_exited_is_named_as_stale() {
        let dir = tempfile::tempdir().unwrap();
        let lockfile = dir.path().join("recallform.lock.json");
        // The last holder's name is in the file, and a new holder has the lock but has not
        // written yet.
        // Linux hands out pids below `pid_max`, so that one never runs (and nothing is spawned:
        // recallform's source starts no process, tests included).
        let pid_max = std::fs::read_to_string("/proc/sys/kernel/pid_max").unwrap();
        let gone = Holder {
            pid: pid_max.trim().parse().unwrap(),
            ..holder("recallform apply --auto-approve")
        };
        assert!(gone.exited());
        assert!(!holder("recallform apply").exited(), "this process runs");
        assert!(
            !Holder {
                host: "another-host".into(),
                ..gone.clone()
            }
            .exited(),
            "a pid of another host says nothing here"
        );
        std::fs::write(path_for(&lockfile), serde_json::to_string(&gone).unwrap()).unwrap();
        let new_holder = File::open(path_for(&lockfile)).unwrap();
        new_holder.try_lock().unwrap();

        let err = ApplyLock::acquire(&lockfile, Duration::ZERO, "recallform import")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            format!(
                "another recallform command holds the lock `{}`; the file still names {gone}, which has exited, so that name is stale and the new holder has not written its own yet",
                path_for(&lockfile).display()
            )
        );
    }
}
