//! The fault matrix (issue 11, item 1): every operation an apply sends (create, list, patch,
//! delete) under every fault the emulator injects, generated from two tables. After each faulted
//! apply: the exit code is the one the README documents, the lockfile parses and records every
//! app Recall has, no client ID is in Recall twice; and a rerun without the fault converges, so
//! that the next `plan --detailed-exitcode` has no changes.
//!
//! Cases run four at a time, each with its own emulator and folder, since most of their time is
//! spent waiting (retries, `--timeout 1`); the whole matrix takes some 20 s. The README's "Fault
//! matrix" section states the number of scenarios, which this test holds to the tables.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use recallform::emulator::{Fault, FaultKind, Route};

use crate::common::*;
use crate::malformed::readme_count;

/// The operation an apply needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// A new app in the manifest.
    Create,
    /// Any apply lists first; here, one that would then create.
    List,
    /// A changed client secret.
    Patch,
    /// An app removed from the manifest, with `--allow-delete`.
    Delete,
}

const OPS: [(Op, &str); 4] = [
    (Op::Create, "create"),
    (Op::List, "list"),
    (Op::Patch, "patch"),
    (Op::Delete, "delete"),
];

impl Op {
    /// The route whose requests the fault hits.
    fn route(self) -> Route {
        match self {
            Op::Create => Route::Create,
            Op::List => Route::List,
            Op::Patch => Route::Update,
            Op::Delete => Route::Delete,
        }
    }
}

/// One fault, as injected on an operation's route.
struct FaultCase {
    name: &'static str,
    faults: fn(Op) -> Vec<Fault>,
    /// The exit code of the faulted apply: 0 when the retries or the lookups saw it through, 1
    /// when its one operation failed (a storm that outlasts 5 attempts, a server gone, an
    /// answer that cannot be read).
    exit: fn(Op) -> i32,
}

/// More 429s or 5xx than the 5 attempts the client makes: the apply gives up.
const STORM: u32 = 5;

fn status(op: Op, times: u32, status: u16, retry_after: Option<u64>) -> Vec<Fault> {
    vec![Fault::new(
        op.route(),
        times,
        FaultKind::Status {
            status,
            retry_after,
        },
    )]
}

fn faults() -> Vec<FaultCase> {
    vec![
        FaultCase {
            name: "429 storm with Retry-After",
            faults: |op| status(op, STORM, 429, Some(1)),
            exit: |_| 1,
        },
        FaultCase {
            name: "429 storm without Retry-After",
            faults: |op| status(op, STORM, 429, None),
            exit: |_| 1,
        },
        FaultCase {
            name: "5xx burst",
            faults: |op| status(op, 2, 503, None),
            exit: |_| 0,
        },
        FaultCase {
            name: "connection dropped before the write",
            faults: |op| vec![Fault::new(op.route(), 1, FaultKind::DropBeforeWrite)],
            exit: |_| 0,
        },
        FaultCase {
            name: "connection dropped after the write",
            faults: |op| vec![Fault::new(op.route(), 1, FaultKind::DropAfterWrite)],
            exit: |_| 0,
        },
        FaultCase {
            name: "answer slower than --timeout",
            faults: |op| {
                let slow = FaultKind::Delay(Duration::from_millis(1500));
                vec![Fault::new(op.route(), 1, slow)]
            },
            exit: |_| 0,
        },
        FaultCase {
            name: "server stops answering mid-apply",
            // Every request from the operation's on hangs: for a write, the list of the plan is
            // answered and nothing after it.
            faults: |op| {
                let answered = if op == Op::List { 0 } else { 1 };
                vec![Fault::new(Route::Any, u32::MAX, FaultKind::Hang).after(answered)]
            },
            exit: |_| 1,
        },
        FaultCase {
            name: "200 with a body cut short",
            faults: |op| vec![Fault::new(op.route(), 1, FaultKind::TruncatedBody)],
            // A create is looked up by client ID, a delete's body is not needed; a list and a
            // patch cannot be read, and fail.
            exit: |op| match op {
                Op::Create | Op::Delete => 0,
                Op::List | Op::Patch => 1,
            },
        },
    ]
}

/// The rotated client secret of a patch case.
const ROTATED: &str = "zcs-acme-prod-rotated-M4kL8qW2";

/// Runs recallform for `op`'s case: with the rotated secret for a patch.
fn run(h: &Harness, op: Op, args: &[&str]) -> Outcome {
    let mut cmd = h.cmd(args);
    if op == Op::Patch {
        cmd.env("ACME_PROD_CLIENT_SECRET", ROTATED);
    }
    Outcome::of(cmd)
}

/// Sets up Recall, the manifest and the lockfile so that an apply needs `op`: `acme-dev` is
/// applied and stays as it is, `acme-prod` is the one `op` is about.
fn set_up(h: &Harness, op: Op) {
    let dev = ("acme-dev", "user_level", "cid-acme-dev");
    let prod = ("acme-prod", "user_level", "cid-acme-prod");
    match op {
        Op::Create | Op::List => h.manifest(&[dev]),
        Op::Patch | Op::Delete => h.manifest(&[dev, prod]),
    }
    h.run(&["apply", "--auto-approve"]).expect(0);
    match op {
        Op::Create | Op::List | Op::Patch => h.manifest(&[dev, prod]),
        Op::Delete => h.manifest(&[dev]),
    }
}

/// The guarantees that hold after any apply, faulted or not.
fn check_state(h: &Harness, when: &str) {
    let lock = h.lockfile();
    let recorded: BTreeSet<String> = lock["zoom_oauth_apps"]
        .as_object()
        .unwrap_or_else(|| panic!("{when}: the lockfile has no apps object: {lock}"))
        .values()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    let apps = h.emulator.apps();
    for app in &apps {
        assert!(
            recorded.contains(&app.id),
            "{when}: `{}` ({}) is in Recall but not in the lockfile",
            app.id,
            app.client_id
        );
    }
    let client_ids: BTreeSet<&str> = apps.iter().map(|a| a.client_id.as_str()).collect();
    assert_eq!(
        client_ids.len(),
        apps.len(),
        "{when}: a client_id twice in Recall"
    );
}

/// One scenario: `op` under `fault`.
fn scenario(op: Op, fault: &FaultCase) {
    let h = Harness::new();
    set_up(&h, op);
    for f in (fault.faults)(op) {
        h.emulator.inject(f);
    }
    let mut args = vec!["apply", "--auto-approve", "--timeout", "1"];
    if op == Op::Delete {
        args.push("--allow-delete");
    }
    let out = run(&h, op, &args);
    assert_eq!(
        out.code,
        (fault.exit)(op),
        "exit code\n--- stdout\n{}\n--- stderr\n{}",
        out.stdout,
        out.stderr
    );
    for text in [&out.stdout, &out.stderr] {
        assert_no_secret("the faulted apply", text);
        assert!(!text.contains(ROTATED), "the rotated secret was shown");
    }
    check_state(&h, "after the faulted apply");

    h.emulator.clear_faults();
    args.truncate(2);
    if op == Op::Delete {
        args.push("--allow-delete");
    }
    run(&h, op, &args).expect(0);
    check_state(&h, "after the rerun");
    run(&h, op, &["plan", "--detailed-exitcode"]).expect(0);
    let want: BTreeSet<&str> = match op {
        Op::Delete => ["cid-acme-dev"].into(),
        _ => ["cid-acme-dev", "cid-acme-prod"].into(),
    };
    let apps = h.emulator.apps();
    let have: BTreeSet<&str> = apps.iter().map(|a| a.client_id.as_str()).collect();
    assert_eq!(have, want, "Recall after the rerun");
    if op == Op::Patch {
        let prod = apps
            .iter()
            .find(|a| a.client_id == "cid-acme-prod")
            .unwrap();
        assert_eq!(
            prod.client_secret, ROTATED,
            "the rotated secret reached Recall"
        );
    }
}

/// The text of a panic, for the failure message.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn every_operation_under_every_fault_keeps_the_guarantees() {
    let faults = faults();
    let cases: Vec<(Op, &str, &FaultCase)> = OPS
        .iter()
        .flat_map(|(op, name)| faults.iter().map(move |f| (*op, *name, f)))
        .collect();
    let next = AtomicUsize::new(0);
    let failed = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                while let Some((op, op_name, fault)) =
                    cases.get(next.fetch_add(1, Ordering::SeqCst))
                {
                    let case = format!("{op_name} × {}", fault.name);
                    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        scenario(*op, fault)
                    }));
                    match run {
                        Ok(()) => println!("fault matrix: {case}: ok"),
                        Err(payload) => {
                            let why = panic_text(payload.as_ref());
                            println!("fault matrix: {case}: FAILED");
                            failed.lock().unwrap().push(format!("{case}: {why}"));
                        }
                    }
                }
            });
        }
    });
    let failed = failed.into_inner().unwrap();
    assert!(
        failed.is_empty(),
        "fault matrix: {} of {} scenarios failed:\n{}",
        failed.len(),
        cases.len(),
        failed.join("\n\n")
    );
    println!("fault matrix: {} scenarios", cases.len());
    assert_eq!(
        readme_count("### Fault matrix"),
        cases.len(),
        "the README's count of fault-matrix scenarios"
    );
}
