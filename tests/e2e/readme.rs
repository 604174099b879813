//! The README's Quickstart, run as written: its command on a copy of `examples/quickstart`,
//! compared with each of its ```text blocks, so the README cannot drift from the tool
//! (issue 8: its output blocks and its advice had).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::common::*;

/// The README's `## Quickstart` section, up to the next `## ` heading.
fn quickstart_section() -> String {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let start = readme
        .find("\n## Quickstart\n")
        .expect("a Quickstart section");
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    rest[..end].to_string()
}

/// The contents of the fenced blocks of `lang` in `text`, each ending with a newline.
fn blocks(text: &str, lang: &str) -> Vec<String> {
    let fence = format!("```{lang}\n");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&fence) {
        let body = &rest[start + fence.len()..];
        let end = body.find("```\n").expect("a closed block");
        out.push(body[..end].to_string());
        rest = &body[end..];
    }
    out
}

/// Whether `s` starts with a UUID (8-4-4-4-12 hexadecimal digits).
fn uuid_at(s: &[u8]) -> bool {
    let groups = [8, 4, 4, 4, 12];
    let mut i = 0;
    for (n, len) in groups.iter().enumerate() {
        if n > 0 {
            if s.get(i) != Some(&b'-') {
                return false;
            }
            i += 1;
        }
        for _ in 0..*len {
            if !s.get(i).is_some_and(u8::is_ascii_hexdigit) {
                return false;
            }
            i += 1;
        }
    }
    true
}

/// `text` with each distinct UUID replaced by `<uuid-N>`, numbered by first appearance: the
/// IDs are random, but which lines share one is not.
fn mask_uuids(text: &str) -> String {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = String::new();
    let mut i = 0;
    while i < text.len() {
        if text.is_char_boundary(i) && uuid_at(&text.as_bytes()[i..]) {
            let id = &text[i..i + 36];
            let n = match seen.iter().position(|s| *s == id) {
                Some(n) => n,
                None => {
                    seen.push(id);
                    seen.len() - 1
                }
            };
            out.push_str(&format!("<uuid-{}>", n + 1));
            i += 36;
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Every file under `dir`, relative to `base`.
fn files(dir: &Path, base: &Path) -> BTreeSet<PathBuf> {
    let mut all = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all.extend(files(&path, base));
        } else {
            all.insert(path.strip_prefix(base).unwrap().to_path_buf());
        }
    }
    all
}

/// Copies the committed files of `examples/quickstart` into `dest`.
fn copy_quickstart(dest: &Path) {
    let src = repo_root().join("examples/quickstart");
    for rel in files(&src, &src) {
        let name = rel.to_str().unwrap();
        // What an earlier run in the clone left behind is not part of the example.
        if name.starts_with(".recallform") || name.starts_with("recallform.lock.json") {
            continue;
        }
        let to = dest.join(&rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(src.join(&rel), to).unwrap();
    }
}

#[test]
fn the_quickstart_prints_what_the_readme_shows() {
    let section = quickstart_section();
    let sh = blocks(&section, "sh");
    let command = sh
        .iter()
        .flat_map(|b| b.lines())
        .find_map(|l| l.strip_prefix("cargo run --release -- "))
        .expect("the quickstart command");
    let args: Vec<&str> = command.split_whitespace().collect();
    let text = blocks(&section, "text");
    assert_eq!(
        text.len(),
        3,
        "the plan, the rest of the first run, the second run:\n{section}"
    );

    // A clone's root, with only the committed example in it.
    let root = tempfile::tempdir().unwrap();
    let example = root.path().join("examples/quickstart");
    copy_quickstart(&example);
    let before = files(root.path(), root.path());
    let run = || {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("recallform"));
        cmd.current_dir(root.path())
            .args(&args)
            .env_remove("RECALL_API_KEY")
            .env_remove("RECALL_API_URL")
            .env_remove("RECALLFORM_ENV_ALLOW")
            .env_remove("CI")
            .env_remove("GITHUB_ACTIONS");
        Outcome::of(assert_cmd::Command::from_std(cmd)).expect(0)
    };

    let first = run();
    assert_eq!(first.stderr, "", "the README shows no message");
    // The two blocks are the whole output, with the blank line that separates them.
    assert_eq!(
        mask_uuids(&first.stdout),
        mask_uuids(&format!("{}\n{}", text[0], text[1])),
        "the first run, as the README's first two ```text blocks show it"
    );
    let second = run();
    assert_eq!(second.stderr, "");
    assert_eq!(second.stdout, text[2], "the second run");

    // The table of the files the run leaves lists exactly those.
    let left: BTreeSet<PathBuf> = files(root.path(), root.path())
        .difference(&before)
        .cloned()
        .collect();
    let table: BTreeSet<PathBuf> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .filter(|p| p.starts_with("examples/"))
        .map(PathBuf::from)
        .collect();
    assert_eq!(left, table, "the files the README's table lists");
}

#[test]
fn masking_numbers_each_distinct_uuid() {
    let a = "0a4646b7-d353-450e-82c5-ec6f8557bad2";
    let b = "a5c2d3f9-ade9-4284-854f-96ba530d2413";
    assert_eq!(
        mask_uuids(&format!("`{a}` x/{a}/y {b}, é {a}")),
        "`<uuid-1>` x/<uuid-1>/y <uuid-2>, é <uuid-1>"
    );
    assert_eq!(
        mask_uuids("0a4646b7-d353-450e-82c5"),
        "0a4646b7-d353-450e-82c5"
    );
}
