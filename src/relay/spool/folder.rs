//! What opening a spool does to its folder (the layout is described in [`super`]): the marker
//! and its lock, the subfolders, clearing unfinished writes and moving aside what is not an
//! event; and the folder-level file operations the spool shares.
//!
//! Not for: the bytes of an event file ([`super::format`]) or the pending set's bookkeeping.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use super::format::decode;
use super::{
    CORRUPT_DIR, DEAD_DIR, EventId, Index, Inner, MARKER, MARKER_PREFIX, MARKER_TEXT, Spool, nanos,
};
use crate::fsutil::{Mode, write_atomically};

pub(super) fn open_blocking(dir: PathBuf) -> io::Result<Spool> {
    make_dir(&dir)?;
    let lock = take_marker(&dir)?;
    make_dir(&dir.join(DEAD_DIR))?;
    make_dir(&dir.join(CORRUPT_DIR))?;
    let mut index = Index::default();
    let mut changed = false;
    for entry in fs::read_dir(&dir).map_err(|e| about(&dir, e))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == MARKER || name == DEAD_DIR || name == CORRUPT_DIR {
            continue;
        }
        let path = entry.path();
        changed = true;
        if name.starts_with(".recallform-") && name.ends_with(".tmp") {
            // A write that never reached its rename: no `put` returned for it.
            let _ = fs::remove_file(&path);
            continue;
        }
        let spooled = EventId::from_file_name(&name)
            .filter(|_| entry.file_type().is_ok_and(|t| t.is_file()))
            .and_then(|id| decode(id, &fs::read(&path).ok()?).ok());
        match spooled {
            Some(s) => index.insert(s.id, s.event.dedup_key(), nanos(s.next_attempt_at)),
            None => quarantine(&dir, &path),
        }
    }
    if changed {
        sync_dir(&dir)?;
    }
    let dead = count_files(&dir.join(DEAD_DIR))?;
    let corrupt = count_files(&dir.join(CORRUPT_DIR))?;
    Ok(Spool {
        inner: Arc::new(Inner {
            dir,
            index: Mutex::new(index),
            arrived: Notify::new(),
            dead: AtomicU64::new(dead),
            corrupt: AtomicU64::new(corrupt),
            _lock: lock,
        }),
    })
}

/// Checks or writes the marker, and locks it.
pub(super) fn take_marker(dir: &Path) -> io::Result<File> {
    let marker = dir.join(MARKER);
    match fs::read_to_string(&marker) {
        Ok(text) if text == MARKER_TEXT => {}
        Ok(text) if text.starts_with(MARKER_PREFIX) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the spool `{}` has the format `{}`, which this recallform does not know\n  = hint: use the recallform that made it, or a newer one",
                    dir.display(),
                    text.trim_end()
                ),
            ));
        }
        Ok(_) => return Err(not_a_spool(dir)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if fs::read_dir(dir)
                .map_err(|e| about(dir, e))?
                .next()
                .is_some()
            {
                return Err(not_a_spool(dir));
            }
            write_atomically(&marker, MARKER_TEXT.as_bytes(), Mode::Private)?;
        }
        Err(e) => return Err(about(dir, e)),
    }
    let file = File::open(&marker).map_err(|e| about(dir, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(io::Error::new(
            io::ErrorKind::WouldBlock,
            format!(
                "another relay is using the spool `{}`\n  = hint: give each relay its own spool folder",
                dir.display()
            ),
        )),
        Err(fs::TryLockError::Error(e)) => Err(about(dir, e)),
    }
}

pub(super) fn not_a_spool(dir: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "`{}` is not empty and is not a recallform spool\n  = hint: choose a new or empty folder for the spool",
            dir.display()
        ),
    )
}

/// An error about the spool folder, naming it.
pub(super) fn about(dir: &Path, e: io::Error) -> io::Error {
    io::Error::new(
        e.kind(),
        format!("cannot use the spool `{}`: {e}", dir.display()),
    )
}

pub(super) fn make_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        // Events are people's meetings: the spool is nobody else's business.
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| about(dir, e))
}

/// Moves a file that is not an event out of the way, into `corrupt/`; a file that cannot
/// even be moved stays where it is, outside the index.
pub(super) fn quarantine(dir: &Path, path: &Path) {
    let corrupt = dir.join(CORRUPT_DIR);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let mut target = corrupt.join(name.as_deref().unwrap_or("file"));
    if target.exists() {
        target = corrupt.join(format!(
            "{}.{}",
            name.as_deref().unwrap_or("file"),
            uuid::Uuid::new_v4().simple()
        ));
    }
    if fs::rename(path, &target).is_ok() {
        let _ = sync_dir(&corrupt);
        let _ = sync_dir(dir);
    }
}

pub(super) fn count_files(dir: &Path) -> io::Result<u64> {
    let mut n = 0;
    for entry in fs::read_dir(dir).map_err(|e| about(dir, e))? {
        if !entry?.file_name().to_string_lossy().starts_with('.') {
            n += 1;
        }
    }
    Ok(n)
}

/// Makes a folder's entries (a rename, a removal) durable.
pub(super) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}
