//! `export`: the files it writes, that they validate and plan without changes to make, and
//! its refusals.

use serde_json::json;

use crate::common::*;

/// The documented environment variables of an exported app's secrets, with values.
fn exported_env(name: &str) -> [(String, String); 2] {
    let upper = name.to_uppercase().replace('-', "_");
    [
        (format!("{upper}_ZOOM_CLIENT_SECRET"), client_secret(name)),
        (format!("{upper}_ZOOM_WEBHOOK_SECRET"), webhook_secret(name)),
    ]
}

#[test]
fn export_writes_a_manifest_and_lockfile_that_manage_every_app() {
    let h = Harness::new();
    let first = h.emulator.seed("user_level", "Acme.Prod");
    let second = h.emulator.seed("account_level", "ACME_PROD");
    let third = h.emulator.seed("user_level", "Globex");
    let url = h.emulator.url();

    let out = h.run(&["export"]).expect(0);
    assert_eq!(
        out.stdout,
        "created `recallform.yaml` (3 apps)\ncreated `recallform.lock.json`\n"
    );
    assert_eq!(
        out.stderr,
        "set these environment variables (each Zoom app's Client Secret and Secret Token) before `recallform plan`:\n  \
         ACME_PROD_ZOOM_CLIENT_SECRET\n  ACME_PROD_ZOOM_WEBHOOK_SECRET\n  \
         ACME_PROD_2_ZOOM_CLIENT_SECRET\n  ACME_PROD_2_ZOOM_WEBHOOK_SECRET\n  \
         GLOBEX_ZOOM_CLIENT_SECRET\n  GLOBEX_ZOOM_WEBHOOK_SECRET\n"
    );
    let manifest = std::fs::read_to_string(h.path("recallform.yaml")).unwrap();
    let body = manifest.split_once("\nversion: 1\n").unwrap().1;
    assert_eq!(
        body,
        format!(
            r#"
recall:
  base_url: "{url}"

zoom_oauth_apps:
  acme-prod:
    kind: user_level
    client_id: "Acme.Prod"
    client_secret: {{env: ACME_PROD_ZOOM_CLIENT_SECRET}}
    webhook:
      secret: {{env: ACME_PROD_ZOOM_WEBHOOK_SECRET}}
  acme-prod-2:
    kind: account_level
    client_id: "ACME_PROD"
    client_secret: {{env: ACME_PROD_2_ZOOM_CLIENT_SECRET}}
    webhook:
      secret: {{env: ACME_PROD_2_ZOOM_WEBHOOK_SECRET}}
  globex:
    kind: user_level
    client_id: "Globex"
    client_secret: {{env: GLOBEX_ZOOM_CLIENT_SECRET}}
    webhook:
      secret: {{env: GLOBEX_ZOOM_WEBHOOK_SECRET}}
"#
        )
    );
    assert!(manifest.starts_with("# The Zoom OAuth apps of the Recall workspace at "));
    assert!(
        !manifest.contains("$schema"),
        "no schema file, so no schema line"
    );

    let lock = h.lockfile();
    assert_eq!(lock["api_url"], url.as_str());
    assert_eq!(lock["serial"], 1);
    let record = |app: &recallform::emulator::StoredApp| {
        json!({
            "id": app.id,
            "kind": app.kind,
            "client_id": app.client_id,
            "created_at": app.created_at,
            "webhook_url": format!("{url}/api/v2/zoom-oauth-apps/{}/webhook", app.id),
        })
    };
    assert_eq!(
        lock["zoom_oauth_apps"],
        json!({
            "acme-prod": record(&first),
            "acme-prod-2": record(&second),
            "globex": record(&third),
        })
    );
    assert!(h.writes().is_empty(), "export only reads Recall");

    let out = Outcome::of(h.bare(&["validate"])).expect(0);
    assert_eq!(out.stdout, "`recallform.yaml` is valid (3 apps)\n");

    // The plan, with only the documented variables set and the target from the manifest.
    let mut plan = h.bare(&["plan", "--format", "json"]);
    for name in ["acme-prod", "acme-prod-2", "globex"] {
        for (key, value) in exported_env(name) {
            plan.env(key, value);
        }
    }
    let plan = Outcome::of(plan).expect(0).json();
    assert_eq!(plan["summary"]["create"], 0, "{plan}");
    assert_eq!(plan["summary"]["adopt"], 0, "{plan}");
    assert_eq!(plan["unhandled"], json!([]));
    assert_eq!(plan["unmanaged"], json!([]));
    let ids: Vec<(&str, &str)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        ids,
        [
            ("acme-prod", first.id.as_str()),
            ("acme-prod-2", second.id.as_str()),
            ("globex", third.id.as_str()),
        ]
    );
    // The exported lockfile knows no secret: the first plan sends each app's secrets once,
    // and after that apply the plan is empty.
    assert_eq!(plan["summary"]["update"], 3, "{plan}");
    for change in plan["changes"].as_array().unwrap() {
        for f in change["fields"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["sensitive"] == true)
        {
            assert_eq!(f["note"], "secret not yet recorded", "{change}");
        }
    }
    let with_env = |args: &[&str]| {
        let mut cmd = h.bare(args);
        for name in ["acme-prod", "acme-prod-2", "globex"] {
            for (key, value) in exported_env(name) {
                cmd.env(key, value);
            }
        }
        Outcome::of(cmd)
    };
    with_env(&["apply", "--auto-approve"]).expect(0);
    let patches = h.writes().iter().filter(|r| r.method == "PATCH").count();
    assert_eq!(patches, 3);
    with_env(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn export_refuses_to_overwrite_without_force() {
    let h = Harness::new();
    h.emulator.seed("user_level", "Globex");
    h.write("out/recallform.lock.json", "{}\n");

    let out = h.run(&["export", "--out", "out"]).expect(1);
    assert_eq!(
        out.stderr,
        "error: `out/recallform.lock.json` already exists; nothing was written\n  = hint: pass `--force` to replace it, or `--out DIR` to write elsewhere\n"
    );
    assert!(!h.path("out/recallform.yaml").exists());
    assert_eq!(
        std::fs::read_to_string(h.path("out/recallform.lock.json")).unwrap(),
        "{}\n"
    );
    assert!(h.requests().is_empty(), "refused before any request");

    let out = h.run(&["export", "--out", "out", "--force"]).expect(0);
    assert_eq!(
        out.stdout,
        "created `out/recallform.yaml` (1 app)\nreplaced `out/recallform.lock.json`\n"
    );
    let manifest = std::fs::read_to_string(h.path("out/recallform.yaml")).unwrap();
    let lockfile = std::fs::read_to_string(h.path("out/recallform.lock.json")).unwrap();
    assert!(manifest.contains("\n  globex:\n"), "{manifest}");

    let out = h.run(&["export", "--out", "out"]).expect(1);
    assert_eq!(
        out.stderr,
        "error: `out/recallform.yaml` and `out/recallform.lock.json` already exist; nothing was written\n  = hint: pass `--force` to replace them, or `--out DIR` to write elsewhere\n"
    );
    assert_eq!(
        std::fs::read_to_string(h.path("out/recallform.yaml")).unwrap(),
        manifest
    );
    assert_eq!(
        std::fs::read_to_string(h.path("out/recallform.lock.json")).unwrap(),
        lockfile
    );
}

#[test]
fn export_needs_one_target_and_no_manifest_options() {
    let h = Harness::new();
    let out = Outcome::of(h.bare(&["export"])).expect(64);
    assert_eq!(
        out.stderr,
        "error: `export` needs to know which Recall to read\n  = hint: pass `--region REGION` (us-east-1, us-west-2, eu-central-1 or ap-northeast-1), or `--api-url URL` (or set `RECALL_API_URL`)\n"
    );
    let out = h.run(&["export", "--region", "eu-central-1"]).expect(64);
    assert_eq!(
        out.stderr,
        "error: `--region` and `--api-url` name two different targets; use one\n"
    );
    let out = Outcome::of(h.bare(&["export", "--region", "eu-west-9"])).expect(64);
    assert!(
        out.stderr
            .contains("invalid value 'eu-west-9' for '--region <REGION>'"),
        "{}",
        out.stderr
    );
    let out = h.run(&["export", "-f", "infra/recallform.yaml"]).expect(64);
    assert!(
        out.stderr.starts_with(
            "error: `export` writes `recallform.yaml` and `recallform.lock.json` into `--out DIR`"
        ),
        "{}",
        out.stderr
    );
    let mut cmd = h.cmd(&["export"]);
    cmd.env_remove("RECALL_API_KEY");
    let out = Outcome::of(cmd).expect(1);
    assert_eq!(
        out.stderr,
        "error: the environment variable `RECALL_API_KEY` is not set\n  = hint: export the API key of the Recall workspace to export as `RECALL_API_KEY`\n"
    );
    assert!(h.requests().is_empty());
    assert_eq!(
        std::fs::read_dir(h.dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
}
