//! Crash-safe file writes.

use std::io::{self, Write};
use std::path::Path;

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
    tmp.write_all(bytes)?;
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
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    if let Ok(d) = std::fs::File::open(dir) {
        // Not every platform can fsync a directory; the rename has happened either way.
        let _ = d.sync_all();
    }
    Ok(())
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
}
