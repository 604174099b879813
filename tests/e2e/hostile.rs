//! Hostile and broken manifests (issue 11, item 3): each is refused with exit 1 and an error at
//! its line and column (where it has one), never a panic, within 5 seconds and 200 MB, and
//! before any request reaches Recall. A BOM and CRLF line endings are not hostile: they plan as
//! the same manifest without them.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::*;

/// The bounds every hostile manifest is held to.
const MAX_SECONDS: f64 = 5.0;
const MAX_PEAK_KB: u64 = 200 * 1024;

/// One app, as `Harness::manifest` writes it.
fn manifest() -> String {
    format!(
        "version: 1\nrecall:\n  region: us-east-1\nzoom_oauth_apps:\n{}",
        app("acme-prod", "user_level", "cid-acme")
    )
}

/// What a measured run did.
struct Measured {
    code: i32,
    stderr: String,
    seconds: f64,
    peak_kb: u64,
}

/// Runs `recallform ARGS` as the harness would, measuring its wall time and peak resident
/// memory: through GNU time when the machine has it (exact), else by reading the child's
/// `VmHWM` (a high-water mark, so each read is the peak so far) every few milliseconds.
fn measured(h: &Harness, args: &[&str]) -> Measured {
    let plain = h.process(args);
    let gnu_time = Path::new("/usr/bin/time");
    let report = h.path("time.out");
    let mut cmd = if gnu_time.exists() {
        let mut c = std::process::Command::new(gnu_time);
        c.arg("-f").arg("%M").arg("-o").arg(&report);
        c.arg(plain.get_program()).args(plain.get_args());
        c
    } else {
        let mut c = std::process::Command::new(plain.get_program());
        c.args(plain.get_args());
        c
    };
    for (key, value) in plain.get_envs() {
        match value {
            Some(v) => cmd.env(key, v),
            None => cmd.env_remove(key),
        };
    }
    cmd.current_dir(h.dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut { stderr }, &mut text).unwrap();
        text
    });
    let mut polled = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if let Some(kb) = vm_hwm_kb(child.id()) {
            polled = polled.max(kb);
        }
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("recallform {args:?} ran for over 20 s");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let seconds = started.elapsed().as_secs_f64();
    let stderr = reader.join().unwrap();
    let peak_kb = match std::fs::read_to_string(&report) {
        // GNU time's last line is the number (a line before it says how the command exited).
        Ok(text) => text.lines().last().unwrap().trim().parse().unwrap(),
        Err(_) => polled,
    };
    Measured {
        code: status.code().unwrap_or(-1),
        stderr,
        seconds,
        peak_kb,
    }
}

/// The child's peak resident memory so far, from `/proc` (Linux).
fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Plans the manifest at `recallform.yaml` (written by the caller) and checks what every
/// hostile manifest must give: exit 1, stderr starting with `head` (the headline and the
/// location), no panic, no secret, the bounds, and not one request to Recall.
fn refused(h: &Harness, what: &str, head: &str) -> Measured {
    let m = measured(h, &["plan"]);
    assert_eq!(m.code, 1, "{what}: {}", m.stderr);
    assert!(m.stderr.starts_with(head), "{what}:\n{}", m.stderr);
    assert!(!m.stderr.contains("panicked"), "{what}: {}", m.stderr);
    assert!(
        m.stderr.len() < 8 * 1024,
        "{what}: stderr of {} bytes",
        m.stderr.len()
    );
    assert_no_secret(what, &m.stderr);
    assert!(m.seconds < MAX_SECONDS, "{what}: {:.2} s", m.seconds);
    assert!(
        m.peak_kb > 0 && m.peak_kb < MAX_PEAK_KB,
        "{what}: {} KB",
        m.peak_kb
    );
    assert_eq!(h.requests().len(), 0, "{what}: a request was sent");
    eprintln!("{what}: {:.2} s, {} KB", m.seconds, m.peak_kb);
    m
}

/// A case: its name, the manifest's bytes, and the start of what stderr must say.
fn case(name: &str, bytes: Vec<u8>, head: &str) {
    let h = Harness::new();
    std::fs::write(h.path("recallform.yaml"), bytes).unwrap();
    refused(&h, name, head);
}

#[test]
fn alias_bombs_are_refused_at_their_first_anchor() {
    // Billion laughs: nine levels of nine aliases each, a billion strings if expanded.
    let mut laughs = String::from(
        "version: 1\nrecall: {region: us-east-1}\nzoom_oauth_apps:\n  acme-prod:\n    kind: user_level\n    client_id: cid\n    client_secret: {env: ACME_PROD_CLIENT_SECRET}\n    webhook: {secret: {env: ACME_PROD_WEBHOOK_SECRET}}\n    zoom:\n      granted: &l0 [\"lol\", \"lol\"]\n",
    );
    for i in 1..10 {
        let refs = vec![format!("*l{}", i - 1); 9].join(", ");
        laughs.push_str(&format!("      events: &l{i} [{refs}]\n"));
    }
    case(
        "billion laughs",
        laughs.into_bytes(),
        "error[unsupported-yaml]: the anchor `&l0` is not allowed in a manifest\n  --> recallform.yaml:10:16\n",
    );
    // One 60 KiB string, aliased 5,000 times in a list of strings: 300 MB if expanded.
    let big = "x".repeat(60 * 1024);
    let aliases = vec!["*s"; 5000].join(", ");
    let text = manifest().replace(
        "      secret:",
        &format!("      forward_from: [&s \"{big}\", {aliases}]\n      secret:"),
    );
    case(
        "a long string aliased 5,000 times",
        text.into_bytes(),
        "error[unsupported-yaml]: the anchor `&s` is not allowed in a manifest\n  --> recallform.yaml:10:22\n",
    );
}

#[test]
fn deep_nesting_is_refused_where_it_passes_the_limit() {
    // Each level of block nesting is indented by one more space: 1,000 levels is 500 KB.
    let mut block = String::from("version: 1\nrecall:\n");
    for i in 0..1_000 {
        block.push_str(&format!("{}k{i}:\n", " ".repeat(i + 1)));
    }
    case(
        "1,000-deep block nesting",
        block.into_bytes(),
        "error[manifest-too-large]: the manifest nests more than 16 levels deep here\n  --> recallform.yaml:18:17\n",
    );
    let flow = format!(
        "version: 1\nrecall: {{region: us-east-1}}\nzoom_oauth_apps: {}{}\n",
        "{a: ".repeat(10_000),
        "}".repeat(10_000)
    );
    case(
        "10,000-deep flow nesting",
        flow.into_bytes(),
        "error[manifest-too-large]: the manifest nests more than 16 levels deep here\n  --> recallform.yaml:3:78\n",
    );
    let dashes = format!("version: 1\nmoved:\n  {}\n", "- ".repeat(10_000));
    case(
        "10,000 nested lists on one line",
        dashes.into_bytes(),
        "error[manifest-too-large]: the manifest nests more than 16 levels deep here\n  --> recallform.yaml:3:33\n",
    );
}

#[test]
fn a_50_mb_file_is_refused_before_it_is_read() {
    let mut text = manifest();
    text.push('#');
    text.push_str(&"x".repeat(50 * 1024 * 1024));
    text.push('\n');
    let size = text.len();
    let h = Harness::new();
    std::fs::write(h.path("recallform.yaml"), text).unwrap();
    let refusal = |limit: &str| {
        format!(
            "error[manifest-too-large]: the manifest `recallform.yaml` is {size} bytes, more than its limit of {limit} (`--max-manifest-bytes`)\n  = hint: a manifest of 10,000 apps with every optional key is about 5.6 MB; if this is the manifest meant, raise the limit with `--max-manifest-bytes` or RECALLFORM_MAX_MANIFEST_BYTES (such as `--max-manifest-bytes 64MiB`), else check that `-f` names the right file\n"
        )
    };
    refused(&h, "a 50 MB file", &refusal("16 MiB"));
    // Whoever runs recallform may raise the limit (the manifest cannot): on the command line
    // or in the environment, in bytes or binary units.
    let o = h
        .run(&["validate", "--max-manifest-bytes", "32MiB"])
        .expect(1);
    assert!(o.stderr.starts_with(&refusal("32 MiB")), "{}", o.stderr);
    h.run(&["validate", "--max-manifest-bytes", "64MiB"])
        .expect(0);
    let mut cmd = h.cmd(&["validate"]);
    cmd.env("RECALLFORM_MAX_MANIFEST_BYTES", (size + 1).to_string());
    Outcome::of(cmd).expect(0);
    let o = h
        .run(&["validate", "--max-manifest-bytes", "64MB"])
        .expect(64);
    assert!(
        o.stderr.contains("`64MB` is not a size: write a number of bytes, or of `KiB`, `MiB` or `GiB`, such as `64MiB`"),
        "{}",
        o.stderr
    );
}

#[test]
fn values_packed_tighter_than_any_manifest_are_refused_at_the_limit() {
    // A million one-character values in 2 MB: the limit for 2 MB is 500,000.
    let mut text = manifest();
    text.push_str("policy: [");
    text.push_str(&"1,".repeat(1_000_000));
    text.push_str("]\n");
    let limit = text.len() / 4;
    let line = text.lines().count();
    case(
        "a million values in 2 MB",
        text.clone().into_bytes(),
        &format!(
            "error[manifest-too-large]: the manifest holds more than {limit} values, the limit for a file of {} bytes\n  --> recallform.yaml:{line}:",
            text.len()
        ),
    );
}

#[test]
fn a_5_mb_value_is_refused_at_its_place() {
    let value = "c".repeat(5 * 1024 * 1024);
    let text = manifest().replace("cid-acme", &format!("\"{value}\""));
    case(
        "a 5 MB scalar",
        text.into_bytes(),
        "error[manifest-too-large]: this value is 5242880 bytes long, more than the 64 KiB a manifest's value may be\n  --> recallform.yaml:7:16\n",
    );
    // Just under the limit, the value is read, and refused for what it is.
    let value = "c".repeat(64 * 1024 - 2);
    let text = manifest().replace("cid-acme", &format!("\"{value}\""));
    case(
        "a value at the limit",
        text.into_bytes(),
        "error[invalid-client-id]: `client_id` of `acme-prod` is longer than 200 characters\n  --> recallform.yaml:7:16\n",
    );
}

#[test]
fn bytes_that_are_not_text_are_refused_at_the_first_bad_one() {
    let binary: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    case(
        "binary bytes",
        binary,
        "error[unreadable-manifest]: the manifest `recallform.yaml` is not UTF-8 text\n  --> recallform.yaml:2:118\n  = hint: save it as UTF-8\n",
    );
    let latin1 = manifest().into_bytes();
    let at = latin1.windows(8).position(|w| w == b"cid-acme").unwrap();
    let mut bad = latin1.clone();
    bad[at + 4] = 0xE9; // `é` in Latin-1
    case(
        "invalid UTF-8",
        bad,
        "error[unreadable-manifest]: the manifest `recallform.yaml` is not UTF-8 text\n  --> recallform.yaml:7:20\n",
    );
    case(
        "a NUL byte",
        manifest().replace("cid-acme", "cid\0acme").into_bytes(),
        "error[yaml-syntax]: ",
    );
}

#[test]
fn an_empty_file_a_folder_and_a_fifo_are_refused() {
    case(
        "an empty file",
        Vec::new(),
        "error[yaml-syntax]: the manifest is empty\n  --> recallform.yaml:1:1\n",
    );
    case(
        "only comments",
        b"# nothing yet\n\n".to_vec(),
        "error[yaml-syntax]: the manifest is empty\n  --> recallform.yaml:1:1\n",
    );
    let h = Harness::new();
    std::fs::create_dir(h.path("recallform.yaml")).unwrap();
    refused(
        &h,
        "a folder",
        "error[unreadable-manifest]: `recallform.yaml` is a folder, not a manifest file\n",
    );
    #[cfg(unix)]
    {
        // No one writes to it: opening it to read would wait for a writer forever.
        let h = Harness::new();
        let status = std::process::Command::new("mkfifo")
            .arg(h.path("recallform.yaml"))
            .status()
            .unwrap();
        assert!(status.success());
        refused(
            &h,
            "a FIFO",
            "error[unreadable-manifest]: the manifest `recallform.yaml` is not a regular file (it is a FIFO)\n  = hint: write the manifest to a file and pass that file with `-f`\n",
        );
    }
}

#[test]
fn tabs_and_documents_are_named() {
    case(
        "a tab for indentation",
        manifest().replace("    kind:", "\tkind:").into_bytes(),
        "error[invalid-indentation]: `kind` is indented with a tab\n  --> recallform.yaml:6:1\n",
    );
    case(
        "two documents",
        format!("{}---\n{}", manifest(), manifest()).into_bytes(),
        "error[unsupported-yaml]: a second YAML document starts here; a manifest is one document\n  --> recallform.yaml:11:1\n   |\n11 | ---\n   | ^^^\n  = hint: remove the `---` line and what follows it, or move its keys into the first document\n",
    );
}

#[test]
fn tags_merge_keys_and_anchors_are_refused() {
    case(
        "!!binary",
        manifest()
            .replace("cid-acme", "!!binary Y2lkLWFjbWU=")
            .into_bytes(),
        "error[unsupported-yaml]: the YAML tag `!!binary` is not allowed in a manifest\n  --> recallform.yaml:7:16\n",
    );
    case(
        "a custom tag",
        manifest()
            .replace("{env: ACME_PROD_CLIENT_SECRET}", "!vault acme/secret")
            .into_bytes(),
        "error[unsupported-yaml]: the YAML tag `!vault` is not allowed in a manifest\n  --> recallform.yaml:8:20\n",
    );
    case(
        "a merge key",
        manifest()
            .replace("    kind: user_level\n", "    <<: {kind: user_level}\n")
            .into_bytes(),
        "error[unsupported-yaml]: merge keys (`<<`) are not allowed in a manifest\n  --> recallform.yaml:6:5\n",
    );
    let shared = format!(
        "{}{}",
        manifest().replace(
            "{env: ACME_PROD_CLIENT_SECRET}",
            "&secret {env: ACME_PROD_CLIENT_SECRET}"
        ),
        app("acme-dev", "user_level", "cid-dev")
            .replace("{env: ACME_DEV_CLIENT_SECRET}", "*secret")
    );
    let m = {
        let h = Harness::new();
        h.write("recallform.yaml", &shared);
        refused(
            &h,
            "an anchor on a secret reference",
            "error[unsupported-yaml]: the anchor `&secret` is not allowed in a manifest\n  --> recallform.yaml:8:20\n",
        )
    };
    assert!(
        !m.stderr.contains("ACME_PROD_CLIENT_SECRET}"),
        "{}",
        m.stderr
    );
    case(
        "an alias of a secret reference",
        format!(
            "{}{}",
            manifest(),
            app("acme-dev", "user_level", "cid-dev")
                .replace("{env: ACME_DEV_CLIENT_SECRET}", "*secret")
        )
        .into_bytes(),
        "error[unsupported-yaml]: aliases (`*name`) are not allowed in a manifest\n  --> recallform.yaml:14:20\n",
    );
}

#[test]
fn a_bom_and_crlf_line_endings_plan_as_without_them() {
    let h = Harness::new();
    h.write("recallform.yaml", &manifest());
    let plain = h.run(&["plan"]).expect(0);
    assert_eq!(
        plain.plan_line(),
        "Plan: 1 to create, 0 to adopt, 0 unchanged."
    );
    let variants = [
        ("a BOM", format!("\u{feff}{}", manifest())),
        ("CRLF", manifest().replace('\n', "\r\n")),
        (
            "a BOM and CRLF",
            format!("\u{feff}{}", manifest().replace('\n', "\r\n")),
        ),
    ];
    for (what, text) in variants {
        h.write("recallform.yaml", &text);
        let out = h.run(&["plan"]).expect(0);
        assert_eq!(out.stdout, plain.stdout, "{what}");
        assert_eq!(out.stderr, plain.stderr, "{what}");
    }
    h.run(&["apply", "--auto-approve"]).expect(0);
    let apps = h.emulator.apps();
    assert_eq!(apps.len(), 1);
    assert_eq!(
        apps[0].client_id, "cid-acme",
        "the BOM is not part of a value"
    );
    assert_eq!(
        apps[0].client_secret,
        client_secret("acme-prod"),
        "no `\\r` in the secret's name"
    );
}
