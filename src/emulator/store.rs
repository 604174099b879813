//! The sandbox's state on disk: the state file (the whole workspace, as JSON) and beside it
//! `<state file>.journal`, one fsynced JSON line per change since the state file was written.
//!
//! A change costs one append of its own size, not a rewrite of the workspace: a sandbox of
//! 10,000 apps would otherwise write every app again with every create. The journal is folded
//! into the state file (written atomically, then the journal removed) when the emulator starts
//! and finds one, when it shuts down, and when the journal has grown past the state file's size
//! (at least [`MIN_FOLD_BYTES`]), so the state file is written O(log n) times in all.
//!
//! Each line is durable before the request that made the change is answered, as Recall's own
//! writes are. A crash between two lines loses nothing answered; a crash inside a line leaves a
//! last line without its newline, which was never answered and is dropped when read. Replaying
//! a line twice (a crash between the fold's write and the journal's removal) changes nothing.
//!
//! Not for: what the workspace holds or how a request changes it ([`super::state`]).

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::lock;
use super::state::{StoredApp, StoredCredential, StoredLog, Workspace};
use crate::fsutil;

/// The journal is folded when it holds more bytes than the state file, or this many.
pub const MIN_FOLD_BYTES: u64 = 1 << 20;

/// What a change touched, for [`Store::record`] to journal as it now is.
#[derive(Clone, Debug)]
pub enum Touched {
    /// An app, by ID: journaled as stored, or as removed when it is no longer there.
    App(String),
    /// The newest log entry.
    LastLog,
    /// A credential, by ID.
    Credential(String),
}

/// One journal line.
#[derive(Serialize, Deserialize)]
struct Line {
    /// The workspace's sequence number after the change.
    next_seq: u64,
    change: Change,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Change {
    App(StoredApp),
    RemovedApp(String),
    Log(StoredLog),
    Credential(StoredCredential),
}

impl Change {
    fn apply(self, ws: &mut Workspace) {
        match self {
            Change::App(app) => {
                ws.apps.insert(app.id.clone(), app);
            }
            Change::RemovedApp(id) => {
                ws.apps.remove(&id);
            }
            // Entries are journaled in order: one not newer than the last is a replay.
            Change::Log(entry) => {
                if ws.app_logs.last().is_none_or(|last| last.seq < entry.seq) {
                    ws.app_logs.push(entry);
                }
            }
            Change::Credential(c) => {
                ws.credentials.insert(c.id.clone(), c);
            }
        }
    }
}

/// The open journal.
struct Journal {
    /// Opened on the first change after a fold.
    file: Option<File>,
    /// Bytes appended since the last fold.
    bytes: u64,
    /// Fold once `bytes` passes this.
    fold_at: u64,
}

/// A state file and its journal.
pub struct Store {
    path: PathBuf,
    journal_path: PathBuf,
    journal: Mutex<Journal>,
    min_fold: u64,
}

/// The journal of the state file `path`.
pub fn journal_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".journal");
    PathBuf::from(name)
}

/// The workspace a state file and its journal hold, read without changing either (the
/// emulator may be running): whether there was a journal, too.
pub fn read(path: &Path) -> io::Result<(Workspace, bool)> {
    let invalid = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
    let mut ws: Workspace = match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            invalid(format!(
                "`{}` is not an emulator state file: {e}",
                path.display()
            ))
        })?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Workspace::default(),
        Err(e) => return Err(e),
    };
    let journal_path = journal_path(path);
    let bytes = match std::fs::read(&journal_path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((ws, false)),
        Err(e) => return Err(e),
    };
    // The part after the last newline is a line cut short: never answered.
    let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    for (n, line) in bytes[..whole].split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let line: Line = serde_json::from_slice(line).map_err(|e| {
            invalid(format!(
                "line {} of `{}` is not an emulator journal line: {e}",
                n + 1,
                journal_path.display()
            ))
        })?;
        ws.next_seq = ws.next_seq.max(line.next_seq);
        line.change.apply(&mut ws);
    }
    Ok((ws, true))
}

impl Store {
    /// Reads the state file and replays its journal (a missing file is an empty workspace),
    /// then folds the journal into the state file if there was one.
    pub fn open(path: &Path) -> io::Result<(Store, Workspace)> {
        Store::open_folding_at(path, MIN_FOLD_BYTES)
    }

    /// [`Store::open`], folding a journal past `min_fold` bytes (and the state file's size).
    fn open_folding_at(path: &Path, min_fold: u64) -> io::Result<(Store, Workspace)> {
        let (ws, replayed) = read(path)?;
        let journal_path = journal_path(path);
        let store = Store {
            path: path.to_path_buf(),
            journal_path,
            journal: Mutex::new(Journal {
                file: None,
                bytes: 0,
                fold_at: min_fold,
            }),
            min_fold,
        };
        if replayed {
            store.fold(&ws)?;
        }
        Ok((store, ws))
    }

    /// Journals what `touched` now is in `ws`; the caller holds the workspace's lock, which
    /// keeps the lines in the order of the changes. Folds when the journal has grown enough.
    pub fn record(&self, ws: &Workspace, touched: &Touched) -> io::Result<()> {
        let change = match touched {
            Touched::App(id) => match ws.apps.get(id) {
                Some(app) => Change::App(app.clone()),
                None => Change::RemovedApp(id.clone()),
            },
            Touched::LastLog => match ws.app_logs.last() {
                Some(entry) => Change::Log(entry.clone()),
                None => return Ok(()),
            },
            Touched::Credential(id) => match ws.credentials.get(id) {
                Some(c) => Change::Credential(c.clone()),
                None => return Ok(()),
            },
        };
        let mut text = serde_json::to_vec(&Line {
            next_seq: ws.next_seq,
            change,
        })
        .expect("a journal line serializes");
        text.push(b'\n');
        let mut journal = lock(&self.journal);
        if journal.file.is_none() {
            journal.file = Some(
                OpenOptions::new()
                    .append(true)
                    .create(true)
                    .mode(0o600)
                    .open(&self.journal_path)?,
            );
        }
        let file = journal.file.as_mut().expect("opened above");
        fsutil::append_synced(&self.journal_path, file, &text)?;
        journal.bytes += text.len() as u64;
        if journal.bytes > journal.fold_at {
            drop(journal);
            self.fold(ws)?;
        }
        Ok(())
    }

    /// Writes the whole workspace to the state file, atomically, then removes the journal.
    pub fn fold(&self, ws: &Workspace) -> io::Result<()> {
        let text = serde_json::to_vec_pretty(ws).expect("the workspace serializes");
        fsutil::write_atomically(&self.path, &text, fsutil::Mode::Private)?;
        let mut journal = lock(&self.journal);
        journal.file = None;
        match std::fs::remove_file(&self.journal_path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        journal.bytes = 0;
        journal.fold_at = (text.len() as u64).max(self.min_fold);
        Ok(())
    }

    /// Whether a change since the last fold is only in the journal.
    pub fn has_journal(&self) -> bool {
        lock(&self.journal).file.is_some()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn app(ws: &mut Workspace, client_id: &str) -> String {
        let body = json!({"kind": "user_level", "client_id": client_id,
            "client_secret": "s", "webhook_secret": "w"});
        let (_, created) = ws.create(&body, false);
        created.unwrap()["id"].as_str().unwrap().to_string()
    }

    #[test]
    fn changes_are_appended_and_replayed_then_folded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sandbox.json");
        let (store, mut ws) = Store::open(&path).unwrap();
        let a = app(&mut ws, "a");
        store.record(&ws, &Touched::App(a.clone())).unwrap();
        let b = app(&mut ws, "b");
        store.record(&ws, &Touched::App(b.clone())).unwrap();
        ws.seed_log(&a, "oops", "2026-01-01T00:00:00Z");
        store.record(&ws, &Touched::LastLog).unwrap();
        ws.delete(&a);
        store.record(&ws, &Touched::App(a.clone())).unwrap();
        assert!(!path.exists(), "no change rewrites the state file");
        let journal = std::fs::read_to_string(journal_path(&path)).unwrap();
        assert_eq!(journal.lines().count(), 4);

        // A crash inside a fifth line: it was never answered, and is dropped.
        let mut torn = journal.clone().into_bytes();
        torn.extend_from_slice(br#"{"next_seq":9,"change":{"removed_app":"#);
        std::fs::write(journal_path(&path), &torn).unwrap();
        let (_, read) = Store::open(&path).unwrap();
        assert_eq!(read.apps.keys().collect::<Vec<_>>(), vec![&b]);
        assert_eq!(read.app_logs.len(), 1);
        assert_eq!(read.next_seq, ws.next_seq);
        assert!(path.exists() && !journal_path(&path).exists(), "folded");

        // A replay of lines already folded changes nothing.
        std::fs::write(journal_path(&path), &journal).unwrap();
        let (_, again) = Store::open(&path).unwrap();
        assert_eq!(again.apps.len(), 1);
        assert_eq!(again.app_logs.len(), 1, "the log entry is not doubled");
    }

    #[test]
    fn a_broken_line_before_the_last_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sandbox.json");
        std::fs::write(journal_path(&path), "not json\n{}\n").unwrap();
        let e = Store::open(&path).err().unwrap();
        assert!(e.to_string().starts_with("line 1 of `"), "{e}");
    }

    #[test]
    fn a_long_journal_is_folded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sandbox.json");
        let (store, mut ws) = Store::open_folding_at(&path, 4096).unwrap();
        let mut folds = 0;
        for i in 0..400 {
            let id = app(&mut ws, &format!("client-{i}"));
            store.record(&ws, &Touched::App(id)).unwrap();
            folds += usize::from(!store.has_journal());
        }
        // Each fold at least doubles the state's size (it waits for a journal as large as
        // the state file): a few folds, not one per change.
        assert!((2..=6).contains(&folds), "{folds} folds");
        let (_, read) = Store::open(&path).unwrap();
        assert_eq!(read.apps.len(), 400);
    }
}
