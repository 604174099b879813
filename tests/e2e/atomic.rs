//! Every file recallform writes is replaced atomically: the lockfile (by `apply`, `state mv`,
//! `import`, `export`), saved plans, `export`'s manifest, `init`'s files, man pages and the
//! sandbox's state.
//!
//! Two checks per file, each of which fails on a write in place (`std::fs::write`):
//! - a handle opened on the old file before the command still reads the old bytes after it
//!   (a rename puts a new file under the name; a write in place changes the one the handle has);
//! - with the `failpoints` build, the command is aborted half-way through the file's write and
//!   just before its rename: the file is then exactly the old one (or still absent), and only a
//!   `.recallform-*.tmp` file is left behind; aborted just after the rename, it is the new one.
//!
//! The apply lock's holder file is not among them: it is locked by the OS, so it must stay the
//! same file, and a torn holder is shown as "has not written who it is yet" (see
//! `src/apply_lock.rs`). The relay's spool has its own crash test (`relay_durable.rs`).

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};

use recallform::fsutil::failpoint;

use crate::common::*;

/// One command that rewrites files, after a setup that leaves the old files in place.
struct Case {
    name: &'static str,
    /// The files it writes, relative to the harness's folder, in the order it writes them.
    files: &'static [&'static str],
    /// Leaves the old files (and whatever the command needs) in place.
    setup: fn(&Harness),
    /// The command, given the harness after the setup.
    command: fn(&Harness) -> assert_cmd::Command,
}

const LOCKFILE: &str = "recallform.lock.json";

fn two_apps(h: &Harness) {
    h.manifest(&[
        ("acme-prod", "user_level", "AbC123xyz"),
        ("acme-eu", "account_level", "XyZ789"),
    ]);
}

fn one_app_applied(h: &Harness) {
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    h.run(&["apply", "--auto-approve"]).expect(0);
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "apply: the lockfile",
            files: &[LOCKFILE],
            setup: |h| {
                one_app_applied(h);
                two_apps(h);
            },
            command: |h| h.cmd(&["apply", "--auto-approve"]),
        },
        Case {
            name: "state mv: the lockfile",
            files: &[LOCKFILE],
            setup: one_app_applied,
            command: |h| h.cmd(&["state", "mv", "acme-prod", "acme-dev"]),
        },
        Case {
            name: "import: the lockfile",
            files: &[LOCKFILE],
            setup: |h| {
                one_app_applied(h);
                two_apps(h);
                h.emulator.seed("account_level", "XyZ789");
            },
            command: |h| {
                let id = h
                    .emulator
                    .apps()
                    .into_iter()
                    .find(|a| a.client_id == "XyZ789")
                    .unwrap()
                    .id;
                h.cmd(&["import", "acme-eu", &id])
            },
        },
        Case {
            name: "export --force: its manifest and lockfile",
            files: &["out/recallform.yaml", "out/recallform.lock.json"],
            setup: |h| {
                h.emulator.seed("user_level", "AbC123xyz");
                h.run(&["export", "--out", "out"]).expect(0);
                h.emulator.seed("account_level", "XyZ789");
            },
            command: |h| h.cmd(&["export", "--out", "out", "--force"]),
        },
        Case {
            name: "plan --out: the saved plan",
            files: &["plan.json"],
            setup: |h| {
                one_app_applied(h);
                h.run(&["plan", "--out", "plan.json"]).expect(0);
                two_apps(h);
            },
            command: |h| h.cmd(&["plan", "--out", "plan.json"]),
        },
        Case {
            name: "init: its three files, new",
            files: &["recallform.schema.json", "recallform.yaml", ".gitignore"],
            setup: |_| {},
            command: |h| h.bare(&["init"]),
        },
        Case {
            name: "init --force: the manifest and the .gitignore",
            files: &["recallform.yaml", ".gitignore"],
            setup: |h| {
                h.write("recallform.yaml", "version: 1\n");
                h.write(".gitignore", "target/\n");
            },
            command: |h| h.bare(&["init", "--force"]),
        },
        Case {
            name: "man --out: a page",
            files: &["man/recallform.1"],
            setup: |h| h.write("man/recallform.1", ".TH OLD 1\n"),
            command: |h| h.bare(&["man", "--out", "man"]),
        },
        Case {
            name: "apply --sandbox: the sandbox's state",
            files: &[".recallform/sandbox.json"],
            setup: |h| {
                h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
                h.bare(&["apply", "--sandbox", "--auto-approve"])
                    .assert()
                    .success();
                two_apps(h);
            },
            command: |h| h.bare(&["apply", "--sandbox", "--auto-approve"]),
        },
    ]
}

/// What a file held before the command: its bytes and a handle on it, if it existed.
struct Before {
    path: PathBuf,
    bytes: Option<Vec<u8>>,
    handle: Option<std::fs::File>,
}

fn before(h: &Harness, file: &str) -> Before {
    let path = h.path(file);
    Before {
        bytes: std::fs::read(&path).ok(),
        handle: std::fs::File::open(&path).ok(),
        path,
    }
}

/// The `.recallform-*.tmp` files next to `path`: what an interrupted write leaves.
fn temporary_files(path: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(path.parent().unwrap()) else {
        return Vec::new();
    };
    entries
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".recallform-") && n.ends_with(".tmp"))
        .collect()
}

#[test]
fn a_handle_on_the_old_file_still_reads_it_after_each_command() {
    let mut checked = 0;
    for case in cases() {
        let h = Harness::new();
        (case.setup)(&h);
        let old: Vec<Before> = case.files.iter().map(|f| before(&h, f)).collect();
        let out = (case.command)(&h).output().unwrap();
        assert!(out.status.success(), "{}: {out:?}", case.name);
        for b in old {
            let new = std::fs::read(&b.path).unwrap();
            assert!(temporary_files(&b.path).is_empty(), "{}", case.name);
            let (Some(bytes), Some(handle)) = (b.bytes, b.handle) else {
                continue;
            };
            assert_ne!(
                new,
                bytes,
                "{}: `{}` did not change",
                case.name,
                b.path.display()
            );
            let through_old_handle = std::io::read_to_string(handle).unwrap();
            assert_eq!(
                through_old_handle.as_bytes(),
                bytes,
                "{}: `{}` was rewritten in place, not replaced",
                case.name,
                b.path.display()
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 10, "files checked");
    eprintln!("{checked} files replaced, each read through a handle opened before");
}

/// Runs `case` with `point` armed for its `nth` file and checks that file (and the ones before
/// it) after the abort. Returns nothing: panics with the case's name.
fn abort_at(case: &Case, point: &str, nth: usize) {
    let h = Harness::new();
    (case.setup)(&h);
    let file = case.files[nth];
    let old: Vec<Before> = case.files.iter().map(|f| before(&h, f)).collect();
    let name = Path::new(file).file_name().unwrap().to_string_lossy();
    let what = format!("{} at `{point}` of `{file}`", case.name);
    let out = (case.command)(&h)
        .env(failpoint::VAR, format!("{point} 1 {name}"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.signal(),
        Some(6),
        "{what}: the command was not aborted, so it did not write through `fsutil::write_atomically` (or the binary has no failpoints: see `[dev-dependencies]` in Cargo.toml): {out:?}"
    );
    for (i, b) in old.iter().enumerate() {
        let now = std::fs::read(&b.path).ok();
        if i > nth || (i == nth && point != failpoint::AFTER_RENAME) {
            assert!(
                now == b.bytes,
                "{what}: `{}` is neither missing nor the old file: {:?}",
                b.path.display(),
                now.as_deref().map(String::from_utf8_lossy)
            );
        } else {
            assert!(now.is_some(), "{what}: `{}` is missing", b.path.display());
            assert_ne!(
                now,
                b.bytes,
                "{what}: `{}` is the old file",
                b.path.display()
            );
        }
    }
    let left = temporary_files(&h.path(file));
    let expected = usize::from(point != failpoint::AFTER_RENAME);
    assert_eq!(left.len(), expected, "{what}: {left:?}");
    // And the command, run again, does what was cut short (after the rename it was done, and
    // a fresh `init` refuses the manifest it wrote).
    if point != failpoint::AFTER_RENAME && !case.name.starts_with("init:") {
        let again = (case.command)(&h).output().unwrap();
        assert!(again.status.success(), "{what}, then again: {again:?}");
    }
}

#[test]
fn a_write_aborted_before_its_rename_leaves_the_old_file() {
    let mut scenarios = 0;
    for case in cases() {
        for nth in 0..case.files.len() {
            for point in [
                failpoint::HALF_WRITTEN,
                failpoint::BEFORE_RENAME,
                failpoint::AFTER_RENAME,
            ] {
                abort_at(&case, point, nth);
                scenarios += 1;
            }
        }
    }
    assert_eq!(scenarios, 39);
    eprintln!("{scenarios} writes aborted: half-written, before and after the rename");
}

/// The failpoints exist only where the dev-dependency on this package turns them on: cargo's
/// own resolution of a build without dev-dependencies (`cargo build --release`, `cargo
/// install`) has no `failpoints` feature, so a released binary has no code that reads
/// [`failpoint::VAR`].
#[test]
fn a_build_without_dev_dependencies_has_no_failpoints() {
    let tree = |edges: &str| {
        let out = std::process::Command::new(env!("CARGO"))
            .args(["tree", "--locked", "--offline", "--prefix", "none", "-i"])
            .args(["recallform", "-e", edges])
            .current_dir(repo_root())
            .output()
            .unwrap();
        assert!(out.status.success(), "cargo tree: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let release = tree("no-dev,features");
    assert!(
        release.contains("recallform feature \"default\""),
        "{release}"
    );
    assert!(!release.contains("failpoints"), "{release}");
    let tests = tree("features");
    assert!(
        tests.contains("recallform feature \"failpoints\""),
        "{tests}"
    );
}

/// The apply's journal (`<lockfile>.journal`) and its fold, aborted at each point: creating the
/// journal (an atomic write of its header), half-way through an append and just after it, and
/// the fold's write of the lockfile. After each, a plan reads a consistent record (the result
/// is recorded exactly when its append had completed), and the next apply finishes the job:
/// no app twice, every app recorded, the journal folded and gone.
#[test]
fn the_journal_and_its_fold_survive_an_abort_at_every_point() {
    const JOURNAL: &str = "recallform.lock.json.journal";
    // (point, file, whether the one create's result is recorded after the abort)
    let points = [
        (failpoint::HALF_WRITTEN, JOURNAL, false),
        (failpoint::BEFORE_RENAME, JOURNAL, false),
        (failpoint::AFTER_RENAME, JOURNAL, false),
        (failpoint::HALF_APPENDED, JOURNAL, false),
        (failpoint::AFTER_APPEND, JOURNAL, true),
        (failpoint::HALF_WRITTEN, LOCKFILE, true),
        (failpoint::BEFORE_RENAME, LOCKFILE, true),
        (failpoint::AFTER_RENAME, LOCKFILE, true),
    ];
    for (point, file, recorded) in points {
        let what = format!("apply aborted at `{point}` of `{file}`");
        let h = Harness::new();
        one_app_applied(&h);
        two_apps(&h);
        let old = h.lockfile_text().unwrap();
        let out = h
            .cmd(&["apply", "--auto-approve"])
            .env(failpoint::VAR, format!("{point} 1 {file}"))
            .output()
            .unwrap();
        assert_eq!(out.status.signal(), Some(6), "{what}: {out:?}");
        let folded = file == LOCKFILE && point == failpoint::AFTER_RENAME;
        assert_eq!(
            h.lockfile_text().unwrap() == old,
            !folded,
            "{what}: the lockfile is the old one until the fold's rename"
        );
        let plan = h.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(
            plan.code,
            if recorded { 0 } else { 2 },
            "{what}: the record after it:\n{}",
            plan.stdout
        );
        if !recorded {
            assert_eq!(
                plan.plan_line(),
                "Plan: 0 to create, 1 to adopt, 1 unchanged.",
                "{what}"
            );
        }
        h.run(&["apply", "--auto-approve"]).expect(0);
        assert!(!h.path(JOURNAL).exists(), "{what}: the journal is folded");
        assert_eq!(h.emulator.apps().len(), 2, "{what}: an app created twice");
        let apps = h.lockfile()["zoom_oauth_apps"].as_object().unwrap().len();
        assert_eq!(apps, 2, "{what}");
        h.run(&["plan", "--detailed-exitcode"]).expect(0);
    }
}
