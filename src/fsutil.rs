//! Crash-safe file writes: every file recallform writes (the lockfile, saved plans, `export`'s
//! and `init`'s files, man pages, the sandbox's state, the relay's spool) goes through
//! [`write_atomically`], so a reader, or the next run after a `kill -9` or a power cut, finds the
//! old file or the new one, never a mix or a truncated file. The lockfile's journal, which only
//! grows, goes through [`append_synced`] instead: a crash can tear only its last line, which the
//! journal's reader detects by its checksum.
//!
//! Every byte written through either is counted ([`bytes_written`]), so a command can say what
//! it cost the disk (`apply -vv`).
//!
//! Test builds (the `failpoints` cargo feature, which only the dev-dependency on this package
//! turns on) can stop the process inside a write, to prove that; see [`failpoint`].
//!
//! Not for: the apply lock's holder file, which must stay the same file (the OS lock is on it)
//! and whose content is only a hint (see [`crate::apply_lock`]); nor deciding whether to write.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes written through [`write_atomically`] and [`append_synced`] by this process.
static WRITTEN: AtomicU64 = AtomicU64::new(0);

/// How many bytes this process wrote to files through this module so far (whole files and
/// appends; not the fsyncs' metadata): the disk cost a benchmark compares between runs.
pub fn bytes_written() -> u64 {
    WRITTEN.load(Ordering::Relaxed)
}

/// Appends `bytes` to `file` (opened for appending; `path` names it, for the failpoints) and
/// fsyncs its data before returning: once this returns, the bytes survive a power cut. A crash
/// during the call can leave a prefix of `bytes` at the end of the file, never anything else,
/// so the reader must be able to tell a torn last record (the journal checks each line).
pub fn append_synced(path: &Path, file: &mut File, bytes: &[u8]) -> io::Result<()> {
    failpoint::half_written_append(path, file, bytes);
    // One `write` of the whole record where the OS allows it; `write_all` finishes the rest.
    file.write_all(bytes)?;
    WRITTEN.fetch_add(bytes.len() as u64, Ordering::Relaxed);
    trace::step("sync data");
    // The length changes with every append, so `sync_data` writes it too (it skips only
    // metadata that reading does not need, such as the modification time).
    file.sync_data()?;
    failpoint::reached(failpoint::AFTER_APPEND, path);
    Ok(())
}

/// Who may read the written file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Readable by everyone (0644): files meant for git, such as the lockfile.
    Shared,
    /// Readable by the owner only (0600): files that may hold secrets.
    Private,
}

/// Writes `bytes` to `path` so that readers see the old or the new file, never a mix, even if
/// the process dies half-way: a temporary file in the same folder, fsync, rename, then fsync of
/// the folder so the rename itself is durable.
pub fn write_atomically(path: &Path, bytes: &[u8], mode: Mode) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".recallform-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| folder_error(dir, &e))?;
    failpoint::half_written(path, tmp.as_file_mut(), bytes);
    tmp.write_all(bytes)?;
    WRITTEN.fetch_add(bytes.len() as u64, Ordering::Relaxed);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let bits = match mode {
            Mode::Shared => 0o644,
            Mode::Private => 0o600,
        };
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(bits))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    // The data must be on disk before the name points at it: otherwise a power cut after the
    // rename can leave the new name on an empty or partial file.
    sync_file(tmp.as_file())?;
    failpoint::reached(failpoint::BEFORE_RENAME, path);
    tmp.persist(path).map_err(|e| e.error)?;
    trace::step("rename");
    failpoint::reached(failpoint::AFTER_RENAME, path);
    sync_dir(dir);
    Ok(())
}

/// fsync of the written file's data and metadata.
fn sync_file(file: &File) -> io::Result<()> {
    trace::step("sync file");
    file.sync_all()
}

/// fsync of the folder, which makes the rename durable: the new name is an entry of the folder.
/// Also after removing a file, for the same reason.
pub fn sync_dir(dir: &Path) {
    trace::step("sync folder");
    if let Ok(d) = File::open(dir) {
        // Not every platform can fsync a directory; the rename has happened either way.
        let _ = d.sync_all();
    }
}

/// Why the temporary file could not be made, about the folder the user named: the temporary
/// file's own random name means nothing to them.
fn folder_error(dir: &Path, e: &io::Error) -> io::Error {
    if !dir.is_dir() {
        return io::Error::new(
            io::ErrorKind::NotFound,
            format!("the folder `{}` does not exist", dir.display()),
        );
    }
    io::Error::new(
        e.kind(),
        format!("cannot create a file in `{}` ({})", dir.display(), e.kind()),
    )
}

/// The steps of each write, in order, for the unit test that checks the fsyncs happen and
/// where: a test cannot observe a power cut, but it can see that the calls are made.
mod trace {
    #[cfg(test)]
    thread_local! {
        pub(super) static STEPS: std::cell::RefCell<Vec<&'static str>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }

    /// Notes one step of a write (test builds of the library only).
    pub(super) fn step(_what: &'static str) {
        #[cfg(test)]
        STEPS.with(|s| s.borrow_mut().push(_what));
    }
}

/// Clears this thread's record of write steps (test builds of the library only).
#[cfg(test)]
pub(crate) fn trace_steps_clear() {
    trace::STEPS.with(|s| s.borrow_mut().clear());
}

/// This thread's write steps since the last clear (test builds of the library only).
#[cfg(test)]
pub(crate) fn trace_steps() -> Vec<&'static str> {
    trace::STEPS.with(|s| s.borrow().clone())
}

/// Places inside [`write_atomically`] and [`append_synced`] where a test build stops the process with
/// `std::process::abort()` (no destructor, no cleanup: like `kill -9` at that instant), chosen
/// by the environment variable [`failpoint::VAR`] as `POINT [N [FILE]]`: the `N`th time (1 by
/// default) a write of a file named `FILE` (any file by default) reaches `POINT`.
///
/// Only with the `failpoints` cargo feature, which only the dev-dependency on this package turns
/// on: in any other build these functions are empty, and the variable means nothing.
pub mod failpoint {
    use std::fs::File;
    use std::path::Path;

    /// The variable that arms a failpoint.
    pub const VAR: &str = "RECALLFORM_FAILPOINT";
    /// The temporary file holds the first half of the new bytes.
    pub const HALF_WRITTEN: &str = "half-written";
    /// The temporary file is complete and synced, not yet renamed.
    pub const BEFORE_RENAME: &str = "before-rename";
    /// The rename is done; the folder is not synced yet.
    pub const AFTER_RENAME: &str = "after-rename";
    /// An append ([`super::append_synced`]) wrote the first half of its bytes.
    pub const HALF_APPENDED: &str = "half-appended";
    /// An append is written and synced, and not yet reported to its caller.
    pub const AFTER_APPEND: &str = "after-append";

    /// At [`HALF_WRITTEN`]: if armed, writes the first half of `bytes` to `tmp` and aborts.
    #[cfg_attr(not(feature = "failpoints"), inline(always))]
    pub(super) fn half_written(_path: &Path, _tmp: &mut File, _bytes: &[u8]) {
        #[cfg(feature = "failpoints")]
        if armed::fires(HALF_WRITTEN, _path) {
            use std::io::Write;
            let _ = _tmp.write_all(&_bytes[.._bytes.len() / 2]);
            let _ = _tmp.sync_all();
            std::process::abort();
        }
    }

    /// At [`HALF_APPENDED`]: if armed, appends the first half of `bytes` to `file` and aborts.
    #[cfg_attr(not(feature = "failpoints"), inline(always))]
    pub(super) fn half_written_append(_path: &Path, _file: &mut File, _bytes: &[u8]) {
        #[cfg(feature = "failpoints")]
        if armed::fires(HALF_APPENDED, _path) {
            use std::io::Write;
            let _ = _file.write_all(&_bytes[.._bytes.len() / 2]);
            let _ = _file.sync_all();
            std::process::abort();
        }
    }

    /// At `point`: aborts if armed.
    #[cfg_attr(not(feature = "failpoints"), inline(always))]
    pub(super) fn reached(_point: &str, _path: &Path) {
        #[cfg(feature = "failpoints")]
        if armed::fires(_point, _path) {
            std::process::abort();
        }
    }

    #[cfg(feature = "failpoints")]
    mod armed {
        use std::path::Path;
        use std::sync::atomic::{AtomicU64, Ordering};

        /// How many writes of the armed file reached the armed point so far.
        static HITS: AtomicU64 = AtomicU64::new(0);

        /// Whether this arrival at `point`, writing `path`, is the one [`super::VAR`] names.
        pub(super) fn fires(point: &str, path: &Path) -> bool {
            let Some(spec) = std::env::var_os(super::VAR) else {
                return false;
            };
            let spec = spec.to_string_lossy();
            let mut words = spec.split_whitespace();
            if words.next() != Some(point) {
                return false;
            }
            let nth: u64 = words.next().and_then(|n| n.parse().ok()).unwrap_or(1);
            if let Some(file) = words.next()
                && path.file_name().is_none_or(|name| name != file)
            {
                return false;
            }
            HITS.fetch_add(1, Ordering::SeqCst) + 1 == nth
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_folder_is_named_without_the_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nodir/plan.json");
        let e = write_atomically(&path, b"{}", Mode::Shared).unwrap_err();
        let shown = e.to_string();
        assert!(shown.contains("nodir` does not exist"), "{shown}");
        assert!(!shown.contains(".recallform-"), "{shown}");
    }

    /// The data is synced before the rename and the folder after it. What this cannot prove is
    /// that the disk honours fsync; only a power cut could.
    #[test]
    fn the_file_is_synced_before_the_rename_and_the_folder_after() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.json");
        trace::STEPS.with(|s| s.borrow_mut().clear());
        write_atomically(&path, b"one", Mode::Shared).unwrap();
        write_atomically(&path, b"two", Mode::Private).unwrap();
        let steps = trace::STEPS.with(|s| s.borrow().clone());
        assert_eq!(
            steps,
            ["sync file", "rename", "sync folder"].repeat(2),
            "each write: fsync of the data, rename, fsync of the folder"
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
    }

    #[test]
    fn the_new_file_replaces_the_old_one_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.json");
        std::fs::write(&path, "old").unwrap();
        let before = File::open(&path).unwrap();
        write_atomically(&path, b"new", Mode::Shared).unwrap();
        // The handle opened before still reads the old file: the new one is another file
        // under the same name, not the old one rewritten in place.
        assert_eq!(std::io::read_to_string(&before).unwrap(), "old");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["l.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn the_mode_says_who_may_read_the_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        for (mode, bits) in [(Mode::Shared, 0o644), (Mode::Private, 0o600)] {
            let path = dir.path().join(format!("{bits:o}"));
            write_atomically(&path, b"x", mode).unwrap();
            let got = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(got, bits, "{mode:?}");
        }
    }
}
