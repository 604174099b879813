//! Property tests and the fuzz target (issue 11, item 5), on stable Rust with proptest.
//!
//! - The manifest loader and validator, over generated manifests (valid ones, and the same
//!   mutated: truncated, a byte flipped, a line inserted, deleted or repeated, which makes
//!   duplicate keys) and over arbitrary text: never a panic, and every error has a location or
//!   is one of the few documented to have none ([`LOCATIONLESS`]).
//! - The decoder of Recall's list pages, and the redactor that reads every answer, over
//!   arbitrary bytes and arbitrary JSON: never a panic.
//! - Every file in `tests/fuzz/corpus/` (crashers and inputs worth keeping) is run as a
//!   regression test.
//!
//! `RECALLFORM_FUZZ_CASES` sets the number of cases of each property (256 by default, which
//! CI runs); set it to 1000000 to fuzz for longer. A failing case is printed, shrunk; save it
//! under `tests/fuzz/corpus/` to keep it.

use std::path::Path;

use proptest::prelude::*;
use recallform::manifest::{self, ReadRules};

/// Codes that an error may have without a location: a top-level key that is missing has no
/// line to point at (the README says so).
const LOCATIONLESS: &[&str] = &["missing-key"];

fn cases() -> u32 {
    std::env::var("RECALLFORM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Parses `text` as a manifest and checks the properties; panics (with the text) when one
/// fails.
fn check_manifest(text: &str) {
    let path = Path::new("m.yaml");
    let Err(diagnostics) = manifest::parse(path, text, &ReadRules::default()) else {
        return;
    };
    assert!(
        !diagnostics.is_empty(),
        "an error with no diagnostic:\n{text}"
    );
    for d in diagnostics {
        let shown = d.to_string();
        assert!(
            d.location.is_some() || LOCATIONLESS.contains(&d.code),
            "`{}` has no location:\n{shown}\n--- for\n{text}",
            d.code
        );
        if let Some(at) = &d.location {
            assert!(at.line >= 1 && at.column >= 1, "{shown}");
        }
        assert!(
            !shown.contains("zq9secretvalue"),
            "a secret was shown:\n{shown}"
        );
    }
}

/// Decodes `bytes` as Recall's page of apps and runs the redactor over it; must not panic.
fn check_recall(bytes: &[u8]) {
    let _ = recallform::recall::decode_app_page(bytes);
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) {
        let redactor = recallform::recall::Redactor::new();
        redactor.learn_from_response(&value);
        let _ = redactor.json(&value);
    }
    let _ = recallform::recall::Redactor::new().text(&String::from_utf8_lossy(bytes));
}

/// One app, valid.
fn app() -> impl Strategy<Value = String> {
    (
        "[a-z][a-z0-9-]{0,12}",
        prop_oneof![Just("user_level"), Just("account_level")],
        "[A-Za-z0-9_]{1,20}",
        prop_oneof![
            "[A-Z][A-Z0-9_]{0,10}".prop_map(|v| format!("{{env: {v}}}")),
            "[a-z]{1,8}".prop_map(|f| format!("{{file: secrets/{f}}}")),
        ],
        any::<bool>(),
    )
        .prop_map(|(name, kind, client_id, secret, flow)| {
            let webhook = if flow {
                "    webhook: {secret: {env: WEBHOOK_SECRET}}\n".to_string()
            } else {
                "    webhook:\n      secret: {env: WEBHOOK_SECRET}\n".to_string()
            };
            format!(
                "  {name}:\n    kind: {kind}\n    client_id: {client_id}\n    client_secret: {secret}\n{webhook}"
            )
        })
}

/// A valid manifest (names may repeat, which is a duplicate key: still a located error).
fn valid_manifest() -> impl Strategy<Value = String> {
    (proptest::collection::vec(app(), 0..4), any::<bool>()).prop_map(|(apps, policy)| {
        let mut text = String::from("version: 1\nrecall:\n  region: us-east-1\n");
        if policy {
            text.push_str("policy: {allow_delete: true, max_deletes: 2}\n");
        }
        if !apps.is_empty() {
            text.push_str("zoom_oauth_apps:\n");
            text.push_str(&apps.concat());
        }
        text.push_str("# client_secret: zq9secretvalue\n");
        text
    })
}

/// How a manifest is broken.
#[derive(Clone, Debug)]
enum Mutation {
    Truncate(usize),
    FlipByte(usize, u8),
    InsertLine(usize, String),
    DeleteLine(usize),
    RepeatLine(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::FlipByte(i, b)),
        (
            any::<usize>(),
            "[ \t]{0,6}[-a-z_:{}\\[\\],#&*!<'\" |>~0-9]{0,24}"
        )
            .prop_map(|(i, l)| Mutation::InsertLine(i, l)),
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::RepeatLine),
    ]
}

fn mutate(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let n = lines.len().max(1);
    match m {
        Mutation::Truncate(i) => {
            let cut = i % (text.len() + 1);
            String::from_utf8_lossy(&text.as_bytes()[..cut]).into_owned()
        }
        Mutation::FlipByte(i, b) => {
            let mut bytes = text.as_bytes().to_vec();
            if !bytes.is_empty() {
                let at = i % bytes.len();
                bytes[at] ^= b | 1;
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Mutation::InsertLine(i, line) => {
            lines.insert(i % (lines.len() + 1), line.clone());
            lines.join("\n")
        }
        Mutation::DeleteLine(i) => {
            if !lines.is_empty() {
                lines.remove(i % n);
            }
            lines.join("\n")
        }
        Mutation::RepeatLine(i) => {
            if !lines.is_empty() {
                let line = lines[i % n].clone();
                lines.insert(i % n, line);
            }
            lines.join("\n")
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn valid_manifests_load(text in valid_manifest()) {
        check_manifest(&text);
    }

    #[test]
    fn mutated_manifests_give_located_errors(
        text in valid_manifest(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let mut broken = text;
        for m in &mutations {
            broken = mutate(&broken, m);
        }
        check_manifest(&broken);
    }

    #[test]
    fn any_text_gives_located_errors(text in "(?s).{0,400}") {
        check_manifest(&text);
    }

    #[test]
    fn any_bytes_decode_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check_recall(&bytes);
    }

    #[test]
    fn any_page_shaped_json_decodes_without_panic(
        next in proptest::option::of("[ -~]{0,40}"),
        results in proptest::collection::vec(
            proptest::collection::btree_map(
                prop_oneof![Just("id"), Just("kind"), Just("client_id"), Just("created_at"), Just("client_secret"), Just("webhook_secret"), Just("webhook_last_validation"), Just("extra")],
                prop_oneof![
                    Just(serde_json::Value::Null),
                    any::<i64>().prop_map(serde_json::Value::from),
                    "[ -~]{0,20}".prop_map(serde_json::Value::from),
                ],
                0..8,
            ),
            0..4,
        ),
    ) {
        let page = serde_json::json!({"next": next, "results": results});
        check_recall(page.to_string().as_bytes());
    }
}

/// Every file kept in the corpus runs through its target.
#[test]
fn the_corpus_still_passes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus");
    let mut run = 0;
    for (dir, check) in [
        (
            "manifest",
            (|b: &[u8]| check_manifest(&String::from_utf8_lossy(b))) as fn(&[u8]),
        ),
        ("recall", check_recall as fn(&[u8])),
    ] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            check(&std::fs::read(&path).unwrap());
            run += 1;
        }
    }
    assert!(run >= 9, "the corpus has {run} files");
}
