//! The lockfile: which Recall app ID belongs to which manifest name.
//!
//! It is committed to git next to the manifest, so it is pretty JSON with sorted keys and holds
//! no secret. It is rewritten only when its content changes, atomically (temporary file,
//! fsync, rename), and each change bumps `serial`; `lineage` names one lockfile's history.
//!
//! An apply records each result in the lockfile's [`journal`] instead (one fsynced line, so
//! recording costs the same at 10 apps as at 10,000), and folds the journal into the lockfile
//! once at its end. A journal a crash left behind is read through by every command that opens
//! the lockfile, and folded by the next one that writes it (under the apply lock).
//!
//! This module reads and writes the file ([`LockStore`]); the record's types, which the pure
//! planner reads, are in [`record`], apart from any I/O.
//!
//! Not for: deciding anything. The planner reads it; `apply` records results in it.

pub mod journal;
pub mod record;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::fsutil;
pub use record::{LockedApp, Lockfile, VERSION};

/// Why the lockfile could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Reading or writing failed.
    #[error("cannot {action} the lockfile `{path}`: {source}")]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The lockfile.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not a lockfile this recallform understands.
    #[error("the lockfile `{path}` is not valid: {detail}")]
    Invalid {
        /// The lockfile.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// Someone else wrote the lockfile since it was read; overwriting would lose their work.
    #[error(
        "the lockfile `{path}` {detail}; refusing to overwrite it\n  = hint: {}",
        if *.other_lineage {
            "another lockfile took its place: find out which one belongs here before planning again"
        } else {
            "see who changed it and why, then run `recallform plan` again against it as it is now"
        }
    )]
    Conflict {
        /// The lockfile.
        path: PathBuf,
        /// What changed.
        detail: String,
        /// Whether it is another lockfile altogether (another lineage) rather than a newer
        /// version of this one.
        other_lineage: bool,
    },
    /// A journal beside the lockfile that does not continue it: another lockfile's, or one
    /// the lockfile moved on from. Neither is used or overwritten.
    #[error(
        "the journal `{path}` {detail}; refusing to use it or to write the lockfile `{lockfile}`\n  = hint: it holds results an apply recorded for another lockfile: put back the lockfile it belongs to and run `recallform plan`, or move the journal away (keep it: its lines name the apps it recorded)"
    )]
    Journal {
        /// The journal.
        path: PathBuf,
        /// Its lockfile.
        lockfile: PathBuf,
        /// Why it does not belong.
        detail: String,
    },
    /// The lockfile's IDs belong to another Recall.
    #[error(
        "the lockfile `{path}` records apps in `{recorded}`, but this run targets `{target}`; app IDs exist in one Recall only\n  = hint: {}",
        other_target_hint(.recorded, .target)
    )]
    OtherTarget {
        /// The lockfile.
        path: PathBuf,
        /// Its `api_url`.
        recorded: String,
        /// This run's target.
        target: String,
    },
}

/// What to do about a lockfile of another target: one lockfile per target, so `--lockfile`
/// for this one's record, or the switch that reaches the recorded one when that is the sandbox.
fn other_target_hint(recorded: &str, target: &str) -> String {
    const SANDBOX: &str = crate::recall::target::SANDBOX_NAME;
    if recorded == SANDBOX {
        format!(
            "it is the record of `--sandbox` runs, which `plan --sandbox` and `apply --sandbox` use; pass `--lockfile PATH` to keep the record of `{target}` in another file"
        )
    } else if target == SANDBOX {
        "pass `--lockfile PATH` to keep the sandbox's record in another file, or leave out `--sandbox` to use this one".to_string()
    } else {
        format!(
            "each target needs a lockfile of its own: pass `--lockfile PATH` to keep the record of `{target}` in another file (a missing one starts empty)"
        )
    }
}

/// A lockfile on disk, with its journal if it has one, and its current content.
#[derive(Debug)]
pub struct LockStore {
    path: PathBuf,
    /// The lockfile as it is (lockfile and journal together), with whatever was recorded since.
    content: Lockfile,
    /// What the lockfile file held when read or last written; `None` if there is no file yet.
    file: Option<Lockfile>,
    /// The file's metadata then: a cheap way to notice, before each append, that someone wrote it.
    stamp: Option<Stamp>,
    /// The journal found beside the lockfile, or the one this store is writing.
    pending: Option<Pending>,
    /// Whether records go to the journal ([`LockStore::begin_journal`]) rather than rewrite the
    /// lockfile.
    journaling: bool,
    /// What this store wrote.
    written: Written,
}

/// A journal not yet folded into the lockfile.
#[derive(Debug)]
struct Pending {
    /// Its whole entries.
    records: u64,
    /// Whether the lockfile already holds them (a fold was cut short before the journal's
    /// removal), so folding only removes it.
    folded: bool,
    /// Set when this store is the one appending to it.
    writer: Option<journal::Writer>,
}

/// What a [`LockStore`] wrote to disk: the cost of recording, which should grow with the number
/// of results and not with the size of the lockfile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Results appended to the journal.
    pub records: u64,
    /// Bytes appended to the journal, its header included.
    pub journal_bytes: u64,
    /// Bytes of lockfile written (each fold and each direct rewrite writes the whole file).
    pub lockfile_bytes: u64,
}

/// What identifies one version of a file cheaply: a rename puts another inode under the name,
/// an edit in place changes the length or the modification time.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    #[cfg(unix)]
    inode: (u64, u64),
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp {
        len: meta.len(),
        modified: meta.modified().ok(),
        #[cfg(unix)]
        inode: {
            use std::os::unix::fs::MetadataExt;
            (meta.dev(), meta.ino())
        },
    })
}

/// A change to the recorded apps, by name: what a journal entry holds.
type Ops = journal::Entry;

impl LockStore {
    /// Opens the lockfile at `path` for the target `api_url`, reading through its journal if
    /// it has one (the journal is folded by the next write, not here: a reader may not hold
    /// the apply lock); a missing file is an empty lockfile that is not written until
    /// something is recorded.
    pub fn open(path: &Path, api_url: &str) -> Result<LockStore, LockError> {
        let store = LockStore::load(path, Some(api_url))?;
        if store.exists() && store.content.api_url != api_url {
            return Err(LockError::OtherTarget {
                path: path.into(),
                recorded: store.content.api_url.clone(),
                target: api_url.into(),
            });
        }
        Ok(store)
    }

    /// Opens the lockfile at `path` for whatever target it records, for commands that edit
    /// the record without talking to Recall (`recallform state ...`). A missing file is an
    /// empty lockfile that can never be written: with no target, there is nothing to record.
    pub fn open_any(path: &Path) -> Result<LockStore, LockError> {
        LockStore::load(path, None)
    }

    /// Reads the lockfile and its journal. Another process's fold can happen between the two
    /// reads (it renames the lockfile, then removes the journal), so the lockfile's stamp is
    /// taken around both, and they are read again if it moved.
    fn load(path: &Path, api_url: Option<&str>) -> Result<LockStore, LockError> {
        let journal_path = journal::path_of(path);
        let mut attempts = 0;
        let (file, found, stamp) = loop {
            let before = stamp(path);
            let file = read(path)?;
            let found = journal::read(&journal_path).map_err(|detail| LockError::Invalid {
                path: journal_path.clone(),
                detail: format!("it {detail}"),
            })?;
            let after = stamp(path);
            attempts += 1;
            if before == after || attempts == 5 {
                break (file, found, after);
            }
        };
        let mut content = match &found {
            None => file.clone(),
            Some(found) => Some(overlay(path, file.as_ref(), found)?),
        }
        .unwrap_or_else(|| Lockfile::new(api_url.unwrap_or_default()));
        // A version 1 lockfile (or a new one) gets its salt now; it is written with the next
        // change, as version 2.
        content.version = VERSION;
        if content.salt.is_empty() {
            content.salt = record::new_salt();
        }
        let pending = found.map(|f| {
            if let Some(n) = f.torn {
                tracing::info!(
                    "the journal `{}` ends in a torn line ({n} bytes), cut short by a crash before it was reported as recorded; it is ignored",
                    journal_path.display()
                );
            }
            Pending {
                folded: file
                    .as_ref()
                    .is_some_and(|l| l.serial != f.header.base_serial),
                records: f.entries.len() as u64,
                writer: None,
            }
        });
        Ok(LockStore {
            path: path.into(),
            content,
            file,
            stamp,
            pending,
            journaling: false,
            written: Written::default(),
        })
    }

    /// The lockfile's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current content.
    pub fn content(&self) -> &Lockfile {
        &self.content
    }

    /// The recorded apps.
    pub fn apps(&self) -> &BTreeMap<String, LockedApp> {
        &self.content.zoom_oauth_apps
    }

    /// What this store wrote so far.
    pub fn written(&self) -> Written {
        self.written
    }

    /// Records `app` under `name` and writes the file if that changed anything. Returns
    /// whether it wrote.
    pub fn record(&mut self, name: &str, app: LockedApp) -> Result<bool, LockError> {
        self.commit(Ops {
            set: [(name.to_string(), app)].into(),
            ..Ops::default()
        })
    }

    /// Drops `name` from the lockfile (the app stays in Recall); returns whether it wrote.
    pub fn forget(&mut self, name: &str) -> Result<bool, LockError> {
        self.commit(Ops {
            remove: vec![name.to_string()],
            ..Ops::default()
        })
    }

    /// Renames `from` to `to`; returns whether it wrote. The caller checks that `from` exists
    /// and `to` does not.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<bool, LockError> {
        let Some(app) = self.apps().get(from).cloned() else {
            return Ok(false);
        };
        self.commit(Ops {
            remove: vec![from.to_string()],
            set: [(to.to_string(), app)].into(),
            ..Ops::default()
        })
    }

    /// Edits the record of `name`, if there is one; returns whether it wrote. Costs the same
    /// whatever the lockfile's size, unlike [`LockStore::change`].
    pub fn edit(
        &mut self,
        name: &str,
        edit: impl FnOnce(&mut LockedApp),
    ) -> Result<bool, LockError> {
        let Some(mut app) = self.apps().get(name).cloned() else {
            return Ok(false);
        };
        edit(&mut app);
        self.record(name, app)
    }

    /// The fingerprint of a secret value under this lockfile's salt.
    pub fn fingerprint(&self, value: &str) -> String {
        crate::digest::hmac_sha256_hex(self.content.salt.as_bytes(), value.as_bytes())
    }

    /// Applies `edit` to the recorded apps and writes the file if that changed anything,
    /// bumping `serial`. Returns whether it wrote. It compares every record, so a loop of them
    /// costs the square of the lockfile's size: for one-off edits (`state`), not for apply.
    pub fn change(
        &mut self,
        edit: impl FnOnce(&mut BTreeMap<String, LockedApp>),
    ) -> Result<bool, LockError> {
        let mut next = self.apps().clone();
        edit(&mut next);
        let mut ops = Ops::default();
        for name in self.apps().keys().filter(|n| !next.contains_key(*n)) {
            ops.remove.push(name.clone());
        }
        for (name, app) in next {
            if self.apps().get(&name) != Some(&app) {
                ops.set.insert(name, app);
            }
        }
        self.commit(ops)
    }

    /// From now on, records are appended to the journal (one fsynced line each) instead of
    /// rewriting the lockfile, until [`LockStore::fold`]. A journal found on opening is folded
    /// first. The caller holds the apply lock.
    pub fn begin_journal(&mut self) -> Result<(), LockError> {
        self.fold()?;
        self.journaling = true;
        Ok(())
    }

    /// Writes the journal's records into the lockfile (one atomic write) and removes the
    /// journal; records go to the lockfile directly again. Returns whether there was a journal.
    /// The caller holds the apply lock. If the lockfile changed behind recallform's back, this
    /// refuses and leaves the journal: its records are safe, and the next command says why.
    pub fn fold(&mut self) -> Result<bool, LockError> {
        self.journaling = false;
        let Some(pending) = &self.pending else {
            return Ok(false);
        };
        let journal_path = journal::path_of(&self.path);
        let io = |source| LockError::Io {
            action: "write",
            path: self.path.clone(),
            source,
        };
        if pending.records > 0 && !pending.folded {
            self.check_unchanged_on_disk()?;
            let text = render(&self.content);
            fsutil::write_atomically(&self.path, text.as_bytes(), fsutil::Mode::Shared)
                .map_err(io)?;
            self.written.lockfile_bytes += text.len() as u64;
            self.file = Some(self.content.clone());
            self.stamp = stamp(&self.path);
        }
        let records = pending.records;
        journal::remove(&journal_path).map_err(io)?;
        self.pending = None;
        tracing::info!(
            "folded the journal `{}` ({records} records) into the lockfile `{}`",
            journal_path.display(),
            self.path.display()
        );
        Ok(true)
    }

    /// Records `ops` if they change anything: appended to the journal while journaling,
    /// otherwise by rewriting the lockfile (after folding a journal found on opening).
    fn commit(&mut self, ops: Ops) -> Result<bool, LockError> {
        let apps = self.apps();
        let unchanged = ops.remove.iter().all(|n| !apps.contains_key(n))
            && ops.set.iter().all(|(n, a)| apps.get(n) == Some(a));
        if self.exists() && unchanged {
            return Ok(false);
        }
        let removed = ops.remove.iter().filter(|n| apps.contains_key(*n)).count();
        let added = ops.set.keys().filter(|n| !apps.contains_key(*n)).count();
        if !self.exists() && apps.len() + added - removed.min(apps.len() + added) == 0 {
            // Nothing worth creating a file for.
            return Ok(false);
        }
        if self.content.api_url.is_empty() {
            // Only `open_any` on a missing file gets here: IDs without a target mean nothing.
            return Err(LockError::Invalid {
                path: self.path.clone(),
                detail: "it would record no target (`api_url`)".into(),
            });
        }
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| LockError::Io {
                action: "write",
                path: self.path.clone(),
                source,
            })?;
        }
        if self.journaling {
            self.append(ops)?;
        } else {
            self.fold()?;
            self.rewrite(ops)?;
        }
        Ok(true)
    }

    /// One whole rewrite of the lockfile with `ops` applied.
    fn rewrite(&mut self, ops: Ops) -> Result<(), LockError> {
        self.check_unchanged_on_disk()?;
        let mut next = self.content.clone();
        ops.apply_to(&mut next.zoom_oauth_apps);
        next.serial = self.content.serial + 1;
        let text = render(&next);
        fsutil::write_atomically(&self.path, text.as_bytes(), fsutil::Mode::Shared).map_err(
            |source| LockError::Io {
                action: "write",
                path: self.path.clone(),
                source,
            },
        )?;
        self.written.lockfile_bytes += text.len() as u64;
        self.content = next.clone();
        self.file = Some(next);
        self.stamp = stamp(&self.path);
        Ok(())
    }

    /// One fsynced line in the journal, which is created (with its header) by the first.
    fn append(&mut self, mut ops: Ops) -> Result<(), LockError> {
        // A stat, not a read: the lockfile's size must not make each record cost more.
        if stamp(&self.path) != self.stamp {
            self.check_unchanged_on_disk()?;
            self.stamp = stamp(&self.path);
        }
        let journal_path = journal::path_of(&self.path);
        let io = |source| LockError::Io {
            action: "write",
            path: journal_path.clone(),
            source,
        };
        if self.pending.as_ref().is_none_or(|p| p.writer.is_none()) {
            // A journal found on opening was folded by `begin_journal`; this starts a new one.
            self.fold()?;
            self.journaling = true;
            let header = journal::Header {
                journal: journal::FORMAT,
                lockfile: self
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                api_url: self.content.api_url.clone(),
                lineage: self.content.lineage.clone(),
                salt: self.content.salt.clone(),
                base_serial: self.content.serial,
                base_exists: self.file.is_some(),
            };
            let (writer, bytes) = journal::Writer::create(&journal_path, &header).map_err(io)?;
            self.written.journal_bytes += bytes;
            self.pending = Some(Pending {
                records: 0,
                folded: false,
                writer: Some(writer),
            });
        }
        let pending = self.pending.as_mut().expect("just made");
        ops.serial = self.content.serial + 1;
        let writer = pending.writer.as_mut().expect("just made");
        let bytes = writer.append(&ops).map_err(io)?;
        pending.records += 1;
        self.written.records += 1;
        self.written.journal_bytes += bytes;
        if tracing::enabled!(tracing::Level::DEBUG) {
            let names: Vec<String> = (ops.remove.iter().chain(ops.set.keys()))
                .map(|n| format!("`{n}`"))
                .collect();
            // After the fsync: a line here is a result that survives a crash.
            tracing::debug!(
                "recorded serial {} in the journal: {}",
                ops.serial,
                names.join(", ")
            );
        }
        ops.apply_to(&mut self.content.zoom_oauth_apps);
        self.content.serial = ops.serial;
        Ok(())
    }

    /// Re-reads the file and refuses if anyone else wrote, created or removed it since it was
    /// read: with the apply lock this cannot happen, so it means a writer that ignored the
    /// lock, or a hand edit, whose work must not be lost.
    fn check_unchanged_on_disk(&self) -> Result<(), LockError> {
        let now = read(&self.path)?;
        let conflict = |detail: String, other_lineage| LockError::Conflict {
            path: self.path.clone(),
            detail,
            other_lineage,
        };
        match (&self.file, &now) {
            (None, None) => Ok(()),
            (Some(_), None) => Err(conflict("was deleted by someone else".into(), false)),
            (None, Some(_)) => Err(conflict("was created by someone else".into(), true)),
            (Some(mine), Some(theirs)) if mine.lineage != theirs.lineage => Err(conflict(
                format!(
                    "now has another lineage (`{}`, was `{}`): it is another lockfile",
                    theirs.lineage, mine.lineage
                ),
                true,
            )),
            (Some(mine), Some(theirs)) if theirs != mine => Err(conflict(
                format!(
                    "was changed by someone else (serial {} on disk, {} when read)",
                    theirs.serial, mine.serial
                ),
                false,
            )),
            _ => Ok(()),
        }
    }

    /// Where this lockfile stands: its lineage and serial (its journal's records counted), if
    /// it exists on disk.
    pub fn position(&self) -> Option<(String, u64)> {
        self.exists()
            .then(|| (self.content.lineage.clone(), self.content.serial))
    }

    /// Whether a lockfile (or a journal of one) exists on disk.
    pub fn exists(&self) -> bool {
        self.file.is_some() || self.pending.is_some()
    }
}

/// The lockfile that `file` and the journal `found` make together, or why the journal does not
/// belong to it. A journal continues the lockfile it names (same lineage, target and salt, from
/// its serial); one whose records the lockfile already has (a fold cut short before removing
/// it) adds nothing.
fn overlay(
    path: &Path,
    file: Option<&Lockfile>,
    found: &journal::Found,
) -> Result<Lockfile, LockError> {
    let h = &found.header;
    let foreign = |detail: String| LockError::Journal {
        path: journal::path_of(path),
        lockfile: path.into(),
        detail,
    };
    let mut base = match file {
        Some(l) if l.lineage != h.lineage => {
            return Err(foreign(format!(
                "continues the lockfile of lineage `{}`, and `{}` has lineage `{}`",
                h.lineage,
                path.display(),
                l.lineage
            )));
        }
        Some(l) if l.api_url != h.api_url => {
            return Err(foreign(format!(
                "records apps in `{}`, and the lockfile in `{}`",
                h.api_url, l.api_url
            )));
        }
        Some(l) if !l.salt.is_empty() && l.salt != h.salt => {
            return Err(foreign("has another salt than the lockfile".into()));
        }
        Some(l) if h.base_exists && l.serial == h.base_serial => l.clone(),
        Some(l) => {
            let records = found.entries.len() as u64;
            if l.serial == h.base_serial + records && already_holds(l, &found.entries) {
                // A fold cut short after its rename, before it removed the journal.
                return Ok(l.clone());
            }
            return Err(foreign(format!(
                "continues the lockfile from serial {} ({records} records), and the lockfile is at serial {}",
                h.base_serial, l.serial
            )));
        }
        None if h.base_exists => {
            return Err(foreign(format!(
                "continues a lockfile at serial {}, and `{}` does not exist",
                h.base_serial,
                path.display()
            )));
        }
        None => Lockfile {
            version: VERSION,
            lineage: h.lineage.clone(),
            serial: h.base_serial,
            api_url: h.api_url.clone(),
            salt: h.salt.clone(),
            zoom_oauth_apps: BTreeMap::new(),
        },
    };
    base.salt.clone_from(&h.salt);
    base.version = VERSION;
    for entry in &found.entries {
        entry.apply_to(&mut base.zoom_oauth_apps);
    }
    base.serial = h.base_serial + found.entries.len() as u64;
    Ok(base)
}

/// Whether `lock` holds what `entries` leave of every name they touch.
fn already_holds(lock: &Lockfile, entries: &[journal::Entry]) -> bool {
    let mut last: BTreeMap<&str, Option<&LockedApp>> = BTreeMap::new();
    for e in entries {
        for name in &e.remove {
            last.insert(name, None);
        }
        for (name, app) in &e.set {
            last.insert(name, Some(app));
        }
    }
    last.iter()
        .all(|(name, app)| lock.zoom_oauth_apps.get(*name) == *app)
}

/// The lockfile as text: pretty JSON with sorted keys and a final newline.
pub fn render(lock: &Lockfile) -> String {
    // A `serde_json::Value` map is a BTreeMap, which sorts every level's keys.
    let value = serde_json::to_value(lock).expect("a lockfile always serializes");
    let mut text = serde_json::to_string_pretty(&value).expect("a value always serializes");
    text.push('\n');
    text
}

/// The lockfile at `path`, or `None` if there is none.
fn read(path: &Path) -> Result<Option<Lockfile>, LockError> {
    // Only a regular file: reading a FIFO would wait for a writer forever.
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        return Err(LockError::Invalid {
            path: path.into(),
            detail: "it is not a regular file".into(),
        });
    }
    match std::fs::read_to_string(path) {
        Ok(text) => parse(path, &text).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(LockError::Io {
            action: "read",
            path: path.into(),
            source,
        }),
    }
}

fn parse(path: &Path, text: &str) -> Result<Lockfile, LockError> {
    let invalid = |detail: String| LockError::Invalid {
        path: path.into(),
        detail,
    };
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| invalid(format!("{e}")))?;
    let version = value.get("version").and_then(|v| v.as_u64());
    match version {
        Some(v) if v == 1 || v == u64::from(VERSION) => {}
        Some(v) if v > u64::from(VERSION) => {
            return Err(invalid(format!(
                "it has format version {v}, written by a newer recallform; upgrade recallform (this one reads version {VERSION})"
            )));
        }
        _ => return Err(invalid(format!("`version` must be {VERSION}"))),
    }
    // From the text, not the value: serde's error then says at which line and column. Unknown
    // keys are refused (`deny_unknown_fields`), naming the key: a lockfile is rewritten whole,
    // so a key this version does not know would be lost without a word.
    serde_json::from_str(text).map_err(|e| invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(id: &str) -> LockedApp {
        LockedApp {
            id: id.into(),
            kind: "user_level".into(),
            client_id: "cid".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            webhook_url: format!("https://x/api/v2/zoom-oauth-apps/{id}/webhook"),
            ..LockedApp::default()
        }
    }

    #[test]
    fn writes_only_on_change_and_bumps_serial() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("recallform.lock.json");
        let mut store = LockStore::open(&path, "https://x").unwrap();
        assert!(!path.exists());
        assert!(store.record("a", app("1")).unwrap());
        assert!(!store.record("a", app("1")).unwrap());
        assert!(store.record("b", app("2")).unwrap());
        let reread = LockStore::open(&path, "https://x").unwrap();
        assert_eq!(reread.content().serial, 2);
        assert_eq!(reread.content(), store.content());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("{\n  \"api_url\": \"https://x\",\n  \"lineage\""));
        assert!(text.ends_with("}\n"));
    }

    #[test]
    fn refuses_to_overwrite_what_someone_else_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.json");
        let mut mine = LockStore::open(&path, "https://a").unwrap();
        mine.record("a", app("1")).unwrap();
        let mut theirs = LockStore::open(&path, "https://a").unwrap();
        theirs.record("b", app("2")).unwrap();
        let err = mine.record("c", app("3")).unwrap_err();
        assert!(
            matches!(
                err,
                LockError::Conflict {
                    other_lineage: false,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string().contains("serial 2 on disk, 1 when read"),
            "{err}"
        );
        assert!(
            err.to_string().ends_with("; refusing to overwrite it\n  = hint: see who changed it and why, then run `recallform plan` again against it as it is now"),
            "{err}"
        );
        let on_disk = LockStore::open(&path, "https://a").unwrap();
        assert_eq!(on_disk.content(), theirs.content(), "their write survived");

        std::fs::remove_file(&path).unwrap();
        let mut fresh = LockStore::open(&path, "https://a").unwrap();
        LockStore::open(&path, "https://a")
            .unwrap()
            .record("x", app("9"))
            .unwrap();
        let err = fresh.record("y", app("8")).unwrap_err();
        assert!(
            err.to_string().ends_with("\n  = hint: another lockfile took its place: find out which one belongs here before planning again"),
            "{err}"
        );
        assert!(
            matches!(
                err,
                LockError::Conflict {
                    other_lineage: true,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn open_any_reads_any_target_and_never_creates_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.json");
        let mut missing = LockStore::open_any(&path).unwrap();
        assert!(missing.apps().is_empty());
        let err = missing.record("a", app("1")).unwrap_err().to_string();
        assert!(err.contains("it would record no target"), "{err}");
        assert!(!path.exists());

        LockStore::open(&path, "https://a")
            .unwrap()
            .record("a", app("1"))
            .unwrap();
        let mut any = LockStore::open_any(&path).unwrap();
        assert_eq!(any.content().api_url, "https://a");
        assert!(any.rename("a", "b").unwrap());
        let reread = LockStore::open(&path, "https://a").unwrap();
        assert_eq!(reread.apps().keys().collect::<Vec<_>>(), ["b"]);
        assert_eq!(reread.content().serial, 2);
    }

    #[test]
    fn journaled_records_append_and_fold_into_one_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.json");
        let journal = journal::path_of(&path);
        let mut store = LockStore::open(&path, "https://a").unwrap();
        store.record("a", app("1")).unwrap();
        store.begin_journal().unwrap();
        let before = std::fs::read(&path).unwrap();
        for (name, id) in [("b", "2"), ("c", "3")] {
            assert!(store.record(name, app(id)).unwrap());
        }
        assert!(!store.record("c", app("3")).unwrap(), "no change, no line");
        assert!(store.edit("a", |a| a.protect = true).unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), before, "the lockfile waits");
        assert_eq!(
            std::fs::read_to_string(&journal).unwrap().lines().count(),
            4
        );
        // A reader sees the journal's records, and its serial counts them.
        let reader = LockStore::open(&path, "https://a").unwrap();
        assert_eq!(reader.content(), store.content());
        assert_eq!(reader.position().unwrap().1, 4);
        let written = store.written();
        assert_eq!(
            (written.records, written.lockfile_bytes),
            (3, before.len() as u64)
        );
        assert!(store.fold().unwrap());
        assert!(!journal.exists());
        let reread = LockStore::open(&path, "https://a").unwrap();
        assert_eq!(reread.content(), store.content());
        assert_eq!(reread.content().serial, 4);
        assert!(reread.apps()["a"].protect);
    }

    #[test]
    fn refuses_other_targets_and_newer_versions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.json");
        LockStore::open(&path, "https://a")
            .unwrap()
            .record("a", app("1"))
            .unwrap();
        let err = LockStore::open(&path, "https://b").unwrap_err();
        assert!(matches!(err, LockError::OtherTarget { .. }));
        assert_eq!(
            err.to_string(),
            format!(
                "the lockfile `{}` records apps in `https://a`, but this run targets `https://b`; app IDs exist in one Recall only\n  = hint: each target needs a lockfile of its own: pass `--lockfile PATH` to keep the record of `https://b` in another file (a missing one starts empty)",
                path.display()
            )
        );
        let err = LockStore::open(&path, "sandbox").unwrap_err().to_string();
        assert!(
            err.ends_with("\n  = hint: pass `--lockfile PATH` to keep the sandbox's record in another file, or leave out `--sandbox` to use this one"),
            "{err}"
        );
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("\"version\": 2", "\"version\": 3");
        std::fs::write(&path, text).unwrap();
        let err = LockStore::open(&path, "https://a").unwrap_err().to_string();
        assert!(
            err.contains("version 3, written by a newer recallform"),
            "{err}"
        );
    }
}
