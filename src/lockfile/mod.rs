//! The lockfile: which Recall app ID belongs to which manifest name.
//!
//! It is committed to git next to the manifest, so it is pretty JSON with sorted keys and holds
//! no secret. It is rewritten only when its content changes, atomically (temporary file,
//! fsync, rename), and each write bumps `serial`; `lineage` names one lockfile's history.
//!
//! This module reads and writes the file ([`LockStore`]); the record's types, which the pure
//! planner reads, are in [`record`], apart from any I/O.
//!
//! Not for: deciding anything. The planner reads it; `apply` records results in it.

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

/// A lockfile on disk and its current content.
#[derive(Debug)]
pub struct LockStore {
    path: PathBuf,
    content: Lockfile,
    /// What the file held when read or last written; `None` if there is no file yet.
    on_disk: Option<Lockfile>,
}

impl LockStore {
    /// Opens the lockfile at `path` for the target `api_url`; a missing file is an empty
    /// lockfile that is not written until something is recorded.
    pub fn open(path: &Path, api_url: &str) -> Result<LockStore, LockError> {
        let on_disk = read(path)?;
        if let Some(lock) = &on_disk
            && lock.api_url != api_url
        {
            return Err(LockError::OtherTarget {
                path: path.into(),
                recorded: lock.api_url.clone(),
                target: api_url.into(),
            });
        }
        Ok(LockStore::with(path, on_disk, api_url))
    }

    /// Opens the lockfile at `path` for whatever target it records, for commands that edit
    /// the record without talking to Recall (`recallform state ...`). A missing file is an
    /// empty lockfile that can never be written: with no target, there is nothing to record.
    pub fn open_any(path: &Path) -> Result<LockStore, LockError> {
        let on_disk = read(path)?;
        let api_url = on_disk
            .as_ref()
            .map(|l| l.api_url.clone())
            .unwrap_or_default();
        Ok(LockStore::with(path, on_disk, &api_url))
    }

    fn with(path: &Path, on_disk: Option<Lockfile>, api_url: &str) -> LockStore {
        let mut content = on_disk.clone().unwrap_or_else(|| Lockfile::new(api_url));
        // A version 1 lockfile (or a new one) gets its salt now; it is written with the next
        // change, as version 2.
        content.version = VERSION;
        if content.salt.is_empty() {
            content.salt = record::new_salt();
        }
        LockStore {
            path: path.into(),
            content,
            on_disk,
        }
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

    /// Records `app` under `name` and writes the file if that changed anything. Returns
    /// whether it wrote.
    pub fn record(&mut self, name: &str, app: LockedApp) -> Result<bool, LockError> {
        self.change(|apps| {
            apps.insert(name.to_string(), app);
        })
    }

    /// Drops `name` from the lockfile (the app stays in Recall); returns whether it wrote.
    pub fn forget(&mut self, name: &str) -> Result<bool, LockError> {
        self.change(|apps| {
            apps.remove(name);
        })
    }

    /// Renames `from` to `to`; returns whether it wrote. The caller checks that `from` exists
    /// and `to` does not.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<bool, LockError> {
        self.change(|apps| {
            if let Some(app) = apps.remove(from) {
                apps.insert(to.to_string(), app);
            }
        })
    }

    /// The fingerprint of a secret value under this lockfile's salt.
    pub fn fingerprint(&self, value: &str) -> String {
        crate::digest::hmac_sha256_hex(self.content.salt.as_bytes(), value.as_bytes())
    }

    /// Applies `edit` to the recorded apps and writes the file if that changed anything,
    /// bumping `serial`. Returns whether it wrote.
    pub fn change(
        &mut self,
        edit: impl FnOnce(&mut BTreeMap<String, LockedApp>),
    ) -> Result<bool, LockError> {
        let mut next = self.content.clone();
        edit(&mut next.zoom_oauth_apps);
        if self.on_disk.is_some() && next == self.content {
            return Ok(false);
        }
        if self.on_disk.is_none() && next.zoom_oauth_apps.is_empty() {
            // Nothing worth creating a file for.
            return Ok(false);
        }
        if next.api_url.is_empty() {
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
        self.check_unchanged_on_disk()?;
        next.serial = self.content.serial + 1;
        fsutil::write_atomically(&self.path, render(&next).as_bytes(), fsutil::Mode::Shared)
            .map_err(|source| LockError::Io {
                action: "write",
                path: self.path.clone(),
                source,
            })?;
        self.content = next.clone();
        self.on_disk = Some(next);
        Ok(true)
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
        match (&self.on_disk, &now) {
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

    /// Where this lockfile stands: its lineage and serial, if it exists on disk.
    pub fn position(&self) -> Option<(String, u64)> {
        self.on_disk.as_ref().map(|l| (l.lineage.clone(), l.serial))
    }

    /// Whether a lockfile file exists on disk.
    pub fn exists(&self) -> bool {
        self.on_disk.is_some()
    }
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
