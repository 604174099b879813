//! The reconciler's promise, as a property: for any manifest, lockfile and Recall (within what
//! recallform handles rather than refuses to guess), one `apply` makes the next plan empty and
//! never creates an app twice.

use std::fmt::Write;

use proptest::prelude::*;
use recallform::emulator::Config;

use crate::common::*;

/// How a manifest app stands before the apply.
#[derive(Clone, Debug)]
enum Before {
    /// Not recorded, not in Recall.
    Absent,
    /// Not recorded, but Recall has an app with its client ID (and kind).
    InRecall,
    /// Recorded, and in Recall; maybe with another kind or client ID (a replacement).
    Recorded {
        other_kind: bool,
        other_client_id: bool,
    },
    /// Recorded, but deleted in Recall.
    Gone,
}

#[derive(Clone, Debug)]
struct Case {
    apps: Vec<(bool, Before)>,
    /// Records that left the manifest: whether their app is still in Recall.
    removed: Vec<bool>,
    strays: usize,
    readable_secrets: bool,
}

fn before() -> impl Strategy<Value = Before> {
    prop_oneof![
        Just(Before::Absent),
        Just(Before::InRecall),
        (any::<bool>(), any::<bool>()).prop_map(|(k, c)| Before::Recorded {
            other_kind: k,
            other_client_id: c
        }),
        Just(Before::Gone),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        proptest::collection::vec((any::<bool>(), before()), 0..5),
        proptest::collection::vec(any::<bool>(), 0..3),
        0..3usize,
        any::<bool>(),
    )
        .prop_map(|(apps, removed, strays, readable_secrets)| Case {
            apps,
            removed,
            strays,
            readable_secrets,
        })
}

fn kind(user: bool) -> &'static str {
    if user { "user_level" } else { "account_level" }
}

/// Sets up the case and returns how many apps apply must create.
fn set_up(h: &Harness, case: &Case) -> usize {
    let mut yaml = String::from(
        "version: 1\nrecall: {region: us-east-1}\npolicy: {allow_delete: true, max_deletes: 10}\nzoom_oauth_apps:\n",
    );
    let mut records = Vec::new();
    let mut creates = 0;
    for (i, (user, before)) in case.apps.iter().enumerate() {
        let (name, client_id) = (NAMES[i], format!("cid-{i}"));
        let _ = writeln!(
            yaml,
            "{}    lifecycle: {{allow_replace: true}}",
            app(name, kind(*user), &client_id)
        );
        match before {
            Before::Absent => creates += 1,
            Before::InRecall => {
                h.emulator.seed(kind(*user), &client_id);
            }
            Before::Recorded {
                other_kind,
                other_client_id,
            } => {
                let k = kind(*user != *other_kind);
                let c = if *other_client_id {
                    format!("prev-{i}")
                } else {
                    client_id.clone()
                };
                let live = h.emulator.seed(k, &c);
                records.push((name.to_string(), live.id, k, c, live.created_at));
                if *other_kind || *other_client_id {
                    creates += 1;
                }
            }
            Before::Gone => {
                records.push((
                    name.to_string(),
                    format!("gone-{i}"),
                    kind(*user),
                    client_id,
                    "t".into(),
                ));
                creates += 1;
            }
        }
    }
    for (j, live) in case.removed.iter().enumerate() {
        let (name, client_id) = (NAMES[6 + j], format!("old-{j}"));
        let id = if *live {
            h.emulator.seed("user_level", &client_id).id
        } else {
            format!("gone-old-{j}")
        };
        records.push((name.to_string(), id, "user_level", client_id, "t".into()));
    }
    for k in 0..case.strays {
        h.emulator.seed("account_level", &format!("stray-{k}"));
    }
    h.write("recallform.yaml", &yaml);
    // A lockfile from before fingerprints: every recorded secret is sent once.
    let apps: Vec<String> = records
        .iter()
        .map(|(n, id, k, c, t)| {
            format!("\"{n}\": {{\"client_id\": \"{c}\", \"created_at\": \"{t}\", \"id\": \"{id}\", \"kind\": \"{k}\", \"webhook_url\": \"x\"}}")
        })
        .collect();
    h.write(
        "recallform.lock.json",
        &format!(
            "{{\"api_url\": \"{}\", \"lineage\": \"l\", \"serial\": 1, \"version\": 1, \"zoom_oauth_apps\": {{{}}}}}\n",
            h.emulator.url(),
            apps.join(", ")
        ),
    );
    creates
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn apply_then_plan_is_empty_and_nothing_is_created_twice(case in case()) {
        let h = Harness::with_config(Config {
            secrets_in_responses: case.readable_secrets,
            ..Default::default()
        });
        let creates = set_up(&h, &case);

        let applied = h.run(&["apply", "--auto-approve"]);
        prop_assert_eq!(applied.code, 0, "{:?}\n{}\n{}", case, applied.stdout, applied.stderr);
        let plan = h.run(&["plan", "--detailed-exitcode"]);
        prop_assert_eq!(plan.code, 0, "{:?}\n{}", case, plan.stdout);

        let posts = h.requests().iter().filter(|r| r.method == "POST").count();
        prop_assert_eq!(posts, creates, "{:?}", case);
        let apps = h.emulator.apps();
        for (i, (user, _)) in case.apps.iter().enumerate() {
            let matching: Vec<_> = apps.iter().filter(|a| a.client_id == format!("cid-{i}")).collect();
            prop_assert_eq!(matching.len(), 1, "{:?}", case);
            prop_assert_eq!(matching[0].kind.as_str(), kind(*user));
            prop_assert_eq!(&matching[0].client_secret, &client_secret(NAMES[i]));
            prop_assert_eq!(&matching[0].webhook_secret, &webhook_secret(NAMES[i]));
        }
        prop_assert!(apps.iter().all(|a| !a.client_id.starts_with("old-") && !a.client_id.starts_with("prev-")), "{:?}", case);
        prop_assert_eq!(apps.iter().filter(|a| a.client_id.starts_with("stray-")).count(), case.strays);
        prop_assert_eq!(apps.len(), case.apps.len() + case.strays);
    }
}
