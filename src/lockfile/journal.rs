//! The lockfile's journal: `<lockfile>.journal`, an append-only file of the results an apply
//! recorded since the lockfile was last written, so that recording one result costs one append
//! and one fsync instead of a rewrite of the whole lockfile.
//!
//! Format: JSON Lines. Each line is `{"sha256":"<hex>","record":<json>}`, where the hex is the
//! SHA-256 of the bytes of `<json>` exactly as written: a line cut short by a crash (only the
//! last one can be, since each append is fsynced before the next starts) fails its check and is
//! ignored. The first line's record is the [`Header`], written atomically when the journal is
//! created: which lockfile (lineage, serial, target, salt) the journal continues. Each later
//! line is an [`Entry`]: the records it sets and removes, and the serial the lockfile has once
//! it is applied.
//!
//! Not for: deciding when to journal or fold (that is [`super::LockStore`]), nor for git: the
//! journal exists only between an apply's first record and its end (or, after a crash, until
//! the next command folds it), and must not be committed.

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::LockedApp;
use crate::fsutil;

/// The journal format this recallform writes and reads.
pub const FORMAT: u32 = 1;

/// The journal of the lockfile at `lockfile`: the same name with `.journal` added.
pub fn path_of(lockfile: &Path) -> PathBuf {
    let mut name = lockfile.as_os_str().to_owned();
    name.push(".journal");
    PathBuf::from(name)
}

/// The first line: which lockfile the entries continue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// The journal's format, [`FORMAT`].
    pub journal: u32,
    /// The lockfile's file name, for a person who finds the journal elsewhere.
    pub lockfile: String,
    /// The lockfile's target (`api_url`).
    pub api_url: String,
    /// The lockfile's lineage.
    pub lineage: String,
    /// The lockfile's salt: the entries' fingerprints are keyed with it.
    pub salt: String,
    /// The lockfile's serial when the journal was started.
    pub base_serial: u64,
    /// Whether the lockfile existed then (the first apply starts a journal of none).
    pub base_exists: bool,
}

/// One recorded result: names whose records are set, and names whose records are removed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The lockfile's serial once this entry is applied: the header's plus the line's number.
    pub serial: u64,
    /// Removed first (a rename removes the old name and sets the new one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<String>,
    /// Then set.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub set: BTreeMap<String, LockedApp>,
}

impl Entry {
    /// Applies the entry to `apps`.
    pub fn apply_to(&self, apps: &mut BTreeMap<String, LockedApp>) {
        for name in &self.remove {
            apps.remove(name);
        }
        for (name, app) in &self.set {
            apps.insert(name.clone(), app.clone());
        }
    }
}

/// A journal as read from disk.
#[derive(Debug)]
pub struct Found {
    /// Its header.
    pub header: Header,
    /// Its whole entries, in order.
    pub entries: Vec<Entry>,
    /// The size in bytes of a torn last line that was ignored, if there was one.
    pub torn: Option<usize>,
}

const PREFIX: &str = "{\"sha256\":\"";
const MIDDLE: &str = "\",\"record\":";

/// `record` as one self-checking line, with its newline.
pub fn line(record: &impl Serialize) -> String {
    let json = serde_json::to_string(record).expect("a journal record always serializes");
    let sum = crate::digest::sha256_hex(json.as_bytes());
    format!("{PREFIX}{sum}{MIDDLE}{json}}}\n")
}

/// The record's JSON of a line (without its newline) whose checksum holds.
fn checked(line: &str) -> Option<&str> {
    let rest = line.strip_prefix(PREFIX)?;
    let (sum, rest) = rest.split_at_checked(64)?;
    let json = rest.strip_prefix(MIDDLE)?.strip_suffix('}')?;
    (crate::digest::sha256_hex(json.as_bytes()) == sum).then_some(json)
}

/// Reads the journal at `path`; `None` if there is none. The error says what is wrong with it.
pub fn read(path: &Path) -> Result<Option<Found>, String> {
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        return Err("is not a regular file".into());
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot be read: {e}")),
    };
    parse(&bytes).map(Some)
}

fn parse(bytes: &[u8]) -> Result<Found, String> {
    let mut lines: Vec<&[u8]> = bytes.split_inclusive(|b| *b == b'\n').collect();
    // Only the last line can be torn: each append is synced before the next one starts.
    let mut torn = None;
    if let Some(last) = lines.last()
        && !whole(last)
    {
        torn = Some(last.len());
        lines.pop();
    }
    let mut records = lines.iter().enumerate().map(|(i, l)| {
        let text = std::str::from_utf8(&l[..l.len() - 1]).ok();
        text.and_then(checked)
            .ok_or_else(|| format!("has a damaged line {} (its checksum fails)", i + 1))
    });
    let header: Header = match records.next() {
        None => return Err("has no header line".into()),
        Some(json) => serde_json::from_str(json?)
            .map_err(|e| format!("has a header this recallform does not read: {e}"))?,
    };
    if header.journal != FORMAT {
        return Err(format!(
            "has format {}, and this recallform reads format {FORMAT}",
            header.journal
        ));
    }
    let mut entries: Vec<Entry> = Vec::new();
    for (i, json) in records.enumerate() {
        let entry: Entry = serde_json::from_str(json?)
            .map_err(|e| format!("has a line {} that is not an entry: {e}", i + 2))?;
        let expected = header.base_serial + entries.len() as u64 + 1;
        if entry.serial != expected {
            return Err(format!(
                "has serial {} on line {}, where {expected} follows",
                entry.serial,
                i + 2
            ));
        }
        entries.push(entry);
    }
    Ok(Found {
        header,
        entries,
        torn,
    })
}

/// Whether `line` (with its newline, if it has one) is whole and passes its check.
fn whole(line: &[u8]) -> bool {
    line.strip_suffix(b"\n")
        .and_then(|l| std::str::from_utf8(l).ok())
        .and_then(checked)
        .is_some()
}

/// A journal being written: created with its header, then appended to.
#[derive(Debug)]
pub struct Writer {
    path: PathBuf,
    file: File,
    /// Its length after the last whole append, to cut a failed append back to.
    len: u64,
    /// Set when a failed append could not be cut back: another line after it would put a
    /// damaged line in the middle, so nothing more is appended.
    broken: bool,
}

impl Writer {
    /// Creates the journal at `path` with `header`, atomically: it never exists without one.
    /// Returns the writer and the bytes written.
    pub fn create(path: &Path, header: &Header) -> io::Result<(Writer, u64)> {
        let first = line(header);
        fsutil::write_atomically(path, first.as_bytes(), fsutil::Mode::Shared)?;
        let file = std::fs::OpenOptions::new().append(true).open(path)?;
        let len = first.len() as u64;
        let writer = Writer {
            path: path.into(),
            file,
            len,
            broken: false,
        };
        Ok((writer, len))
    }

    /// Appends `entry` and fsyncs it: once this returns, the entry is durable. Returns the
    /// bytes written.
    pub fn append(&mut self, entry: &Entry) -> io::Result<u64> {
        if self.broken {
            return Err(io::Error::other(
                "an earlier append failed and could not be undone",
            ));
        }
        let text = line(entry);
        if let Err(e) = fsutil::append_synced(&self.path, &mut self.file, text.as_bytes()) {
            // Whatever part of the line got written must go, or the next line follows it.
            if self.file.set_len(self.len).is_err() {
                self.broken = true;
            }
            return Err(e);
        }
        self.len += text.len() as u64;
        Ok(text.len() as u64)
    }
}

/// Removes the journal at `path` (none is fine) and makes the removal durable.
pub fn remove(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    }
    if let Some(dir) = path.parent() {
        fsutil::sync_dir(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            journal: FORMAT,
            lockfile: "l.json".into(),
            api_url: "https://a".into(),
            lineage: "lin".into(),
            salt: "salt".into(),
            base_serial: 4,
            base_exists: true,
        }
    }

    fn entry(serial: u64, name: &str) -> Entry {
        Entry {
            serial,
            set: [(name.to_string(), LockedApp::default())].into(),
            ..Entry::default()
        }
    }

    #[test]
    fn each_line_checks_itself_and_a_torn_last_one_is_ignored() {
        let mut text = line(&header());
        text.push_str(&line(&entry(5, "a")));
        let whole = line(&entry(6, "b"));
        let found = parse(text.as_bytes()).unwrap();
        assert_eq!((found.entries.len(), found.torn), (1, None));
        for cut in [1, whole.len() / 2, whole.len() - 1] {
            let torn = format!("{text}{}", &whole[..cut]);
            let found = parse(torn.as_bytes()).unwrap();
            assert_eq!(found.entries, [entry(5, "a")], "cut at {cut}");
            assert_eq!(found.torn, Some(cut));
        }
        // A line whose bytes changed fails its check, even with its newline.
        let flipped = format!("{text}{}", whole.replace("\"b\"", "\"c\""));
        assert_eq!(parse(flipped.as_bytes()).unwrap().torn, Some(whole.len()));
    }

    #[test]
    fn a_damaged_line_before_the_last_or_a_gap_in_serials_is_refused() {
        let good = format!("{}{}", line(&header()), line(&entry(5, "a")));
        let damaged = good.replace("\"a\"", "\"x\"") + &line(&entry(6, "b"));
        assert_eq!(
            parse(damaged.as_bytes()).unwrap_err(),
            "has a damaged line 2 (its checksum fails)"
        );
        let gap = format!("{good}{}", line(&entry(7, "b")));
        assert_eq!(
            parse(gap.as_bytes()).unwrap_err(),
            "has serial 7 on line 3, where 6 follows"
        );
        assert_eq!(parse(b"").unwrap_err(), "has no header line");
    }

    #[test]
    fn the_writer_appends_synced_lines_after_an_atomic_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_of(&dir.path().join("l.json"));
        assert!(path.ends_with("l.json.journal"));
        crate::fsutil::trace_steps_clear();
        let (mut w, first) = Writer::create(&path, &header()).unwrap();
        let second = w.append(&entry(5, "a")).unwrap();
        assert_eq!(
            crate::fsutil::trace_steps(),
            ["sync file", "rename", "sync folder", "sync data"],
            "the header is written atomically, the entry appended and synced"
        );
        assert_eq!(std::fs::metadata(&path).unwrap().len(), first + second);
        let found = read(&path).unwrap().unwrap();
        assert_eq!(
            (found.header, found.entries),
            (header(), vec![entry(5, "a")])
        );
        remove(&path).unwrap();
        assert!(read(&path).unwrap().is_none());
        remove(&path).unwrap();
    }
}
