//! Issue 9, items 1 to 3: the Zoom side declared (`zoom:`, `webhook.forward_from`), linted in
//! `validate` (and shown by `plan`, made errors by `--strict`), and listed by
//! `recallform zoom checklist`, end to end against the emulator.

use crate::common::*;

const HEAD: &str = "version: 1\nrecall:\n  region: us-east-1\nzoom_oauth_apps:\n";

/// The fixture Zoom app manifest, a download of Zoom's build flow with custom header
/// credentials in it.
const FIXTURE: &str = "tests/fixtures/zoom/acme-prod.manifest.json";

/// The header credentials in [`FIXTURE`], which no output may show.
const HEADER_SECRETS: [&str; 2] = ["zhp-Kx7Qm2Vt9Rb4", "zhv-Pw3Ns8Lc5Df1"];

/// An app entry ([`app`]) with `webhook.forward_from` (when given) and `zoom: {zoom}`.
fn zoom_app(name: &str, kind: &str, forward_from: Option<&str>, zoom: &str) -> String {
    let mut entry = app(name, kind, &format!("cid-{name}"));
    if let Some(url) = forward_from {
        entry.push_str(&format!("      forward_from: {url}\n"));
    }
    entry.push_str(&format!("    zoom: {zoom}\n"));
    entry
}

/// Writes the fixture as `zoom/<name>.json`, with its Recall endpoint URL set to `url`.
fn write_fixture(h: &Harness, name: &str, url: &str) {
    let text = std::fs::read_to_string(repo_root().join(FIXTURE)).unwrap();
    h.write(
        &format!("zoom/{name}.json"),
        &text.replace("RECALL_WEBHOOK_URL", url),
    );
}

/// `validate --format json`: the exit code and the (code, message) of every diagnostic.
fn validate_json(h: &Harness, extra: &[&str]) -> (i32, Vec<(String, String)>) {
    let mut args = vec!["validate", "--format", "json"];
    args.extend_from_slice(extra);
    let out = h.run(&args);
    assert_no_secret("stdout", &out.stdout);
    let found = out.json()["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (out.code, found)
}

fn codes(found: &[(String, String)]) -> Vec<&str> {
    found.iter().map(|(c, _)| c.as_str()).collect()
}

/// The lockfile's webhook URL and ID of `name`.
fn recorded(h: &Harness, name: &str) -> (String, String) {
    let lock = h.lockfile();
    let a = &lock["zoom_oauth_apps"][name];
    (
        a["webhook_url"].as_str().unwrap().to_string(),
        a["id"].as_str().unwrap().to_string(),
    )
}

/// Sends Zoom's URL validation to the emulator's webhook route of app `id`, as the Validate
/// button does.
fn validate_in_zoom(h: &Harness, id: &str) {
    let url = format!("{}/api/v2/zoom-oauth-apps/{id}/webhook", h.emulator.url());
    let status = h.runtime.block_on(async {
        reqwest::Client::new()
            .post(url)
            .json(&serde_json::json!({
                "event": "endpoint.url_validation",
                "event_ts": 1_700_000_000_000u64,
                "payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"},
            }))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 200);
}

/// The text checklist of a default `acme-prod` (no `zoom:`): `{endpoint}` and `{last}` vary.
const TEXT: &str = "`acme-prod`: a user-managed Zoom app with granular scopes
  1. Basic Information > Select how the app is managed
     User-managed, as `kind: user_level` says; Recall cannot change the kind of an existing app
  2. Basic Information > App Credentials
     Client ID -> `client_id`, written in the manifest
     Client Secret -> `client_secret`, read from `{env: ACME_PROD_CLIENT_SECRET}`
     the development and production versions of the Zoom app have credentials of their own: one manifest entry for each
  3. Features > Access > Secret Token
     Secret Token -> `webhook.secret`, read from `{env: ACME_PROD_WEBHOOK_SECRET}`
     run `recallform apply` whenever it changes: Recall answers Zoom's Validate with it
  4. Features > Access > Event Subscription
     turn it on, and add an event subscription
     Event notification endpoint URL, the same for development and production:
{endpoint}
     press Validate
     Add Events:
       - Meeting > Meeting has been created (`meeting.created`): Recall needs it to add each new meeting to its map of meetings to credentials as soon as it is created
       - User > User's profile info has been updated (`user.updated`): Recall needs it to keep the user's Personal Meeting ID (PMI) in sync
  5. Scopes > Add Scopes
     - Meeting > `meeting:read:local_recording_token`: Recall needs it to mint the join token for local recording, which lets bots record without asking the host
     - Meeting > `meeting:read:list_meetings`: Recall needs it to list the user's meetings, so that it knows which credential fetches each meeting's join token; Zoom adds `meeting:read:meeting` with it
     - User > `user:read:user`: Recall needs it to read the user's Personal Meeting ID (PMI), so that meetings hosted on it get join tokens too
     for Zoom's reviewer, explain `user:read:user` in the app's scope description:
       \"Our app uses Zoom OAuth to record our users' meetings without asking the host each time. Our users often host meetings on their Personal Meeting ID (PMI), and we want OAuth to cover those meetings too. The user:read:user scope lets us look up each user's PMI so that we can provide OAuth tokens for meetings hosted on it; without it, those meetings could not use OAuth.\"
     granular scopes are assumed (`zoom.scopes` is not set); for a Zoom app created before 2024-03-21, set `zoom.scopes: legacy`
  6. Deauthorization Endpoint URL (asked for when the app is submitted for publishing)
     the URL of step 4: Zoom sends deauthorizations of published apps only, and Recall then marks the user's credential unhealthy
  {last}
";

#[test]
fn issue_9_the_checklist_of_a_recorded_app_warns_until_zoom_validates_it() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    h.run(&["apply", "--auto-approve"]).expect(0);
    let (url, id) = recorded(&h, "acme-prod");
    let before = h.requests().len();

    let out = h.run(&["zoom", "checklist"]).expect(0);
    let expected = TEXT.replace("{endpoint}", &format!("       {url}")).replace(
        "{last}",
        "warning: Zoom has never validated this app's webhook URL: the Validate step (4) is not done",
    );
    assert_eq!(out.stdout, expected);
    assert_eq!(out.stderr, "");
    // One list call, for `webhook_last_validation`; nothing else.
    let sent: Vec<String> = h.requests()[before..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.uri))
        .collect();
    assert_eq!(sent, ["GET /api/v2/zoom-oauth-apps/"]);

    validate_in_zoom(&h, &id);
    let at = h.emulator.apps()[0]
        .webhook_last_validation
        .clone()
        .unwrap();
    let out = h.run(&["zoom", "checklist", "acme-prod"]).expect(0);
    let expected = TEXT
        .replace("{endpoint}", &format!("       {url}"))
        .replace(
            "{last}",
            &format!("Zoom last validated the webhook URL at `{at}`"),
        );
    assert_eq!(out.stdout, expected);
    assert_no_secret("stdout", &out.stdout);
}

#[test]
fn issue_9_the_markdown_checklist_fits_a_pull_request() {
    let h = Harness::new();
    let zoom = "{scopes: legacy, sdk: true}";
    h.write(
        "recallform.yaml",
        &format!(
            "{HEAD}{}",
            zoom_app(
                "acme-prod",
                "user_level",
                Some("https://hooks.acme.example/zoom/acme-prod"),
                zoom
            )
        ),
    );
    h.run(&["apply", "--auto-approve"]).expect(0);
    let (url, id) = recorded(&h, "acme-prod");
    validate_in_zoom(&h, &id);
    let at = h.emulator.apps()[0]
        .webhook_last_validation
        .clone()
        .unwrap();
    let out = h
        .run(&["zoom", "checklist", "--format", "markdown"])
        .expect(0);
    let expected = format!(
        "## Zoom Marketplace checklist

### <code>acme-prod</code>: a user-managed Zoom app with legacy scopes

- [ ] **1. Basic Information > Select how the app is managed**
  - User-managed, as `kind: user_level` says; Recall cannot change the kind of an existing app
- [ ] **2. Basic Information > App Credentials**
  - Client ID → `client_id`, written in the manifest
  - Client Secret → `client_secret`, read from <code>{{env: ACME_PROD_CLIENT_SECRET}}</code>
  - the development and production versions of the Zoom app have credentials of their own: one manifest entry for each
- [ ] **3. Features > Access > Secret Token**
  - Secret Token → `webhook.secret`, read from <code>{{env: ACME_PROD_WEBHOOK_SECRET}}</code>
  - run `recallform apply` whenever it changes: Recall answers Zoom's Validate with it
- [ ] **4. Features > Access > Event Subscription**
  - turn it on, and add an event subscription
  - Event notification endpoint URL, the same for development and production:
    - <code>https://hooks.acme.example/zoom/acme-prod</code>
    - it is `webhook.forward_from`: your server must forward every event, with its body unchanged and its `x-zm-request-timestamp` and `x-zm-signature` headers, to <code>{url}</code>
  - press Validate
  - Add Events:
    - Meeting > Meeting has been created (`meeting.created`): Recall needs it to add each new meeting to its map of meetings to credentials as soon as it is created
    - User > User's profile info has been updated (`user.updated`): Recall needs it to keep the user's Personal Meeting ID (PMI) in sync
- [ ] **5. Scopes > Add Scopes**
  - Meeting > `meeting_token:read:local_recording`: Recall needs it to mint the join token for local recording, which lets bots record without asking the host
  - Meeting > `meeting:read`: Recall needs it to list the user's meetings, so that it knows which credential fetches each meeting's join token
  - User > `user:read`: Recall needs it to read the user's Personal Meeting ID (PMI), so that meetings hosted on it get join tokens too
  - User > `user_zak:read`: Recall needs it to give bots the user's ZAK, because this Zoom app also supplies the bots' Meeting SDK credentials (`zoom.sdk: true`)
  - for Zoom's reviewer, explain `user:read` in the app's scope description:
    > Our app uses Zoom OAuth to record our users' meetings without asking the host each time. Our users often host meetings on their Personal Meeting ID (PMI), and we want OAuth to cover those meetings too. The user:read scope lets us look up each user's PMI so that we can provide OAuth tokens for meetings hosted on it; without it, those meetings could not use OAuth.
- [ ] **6. Deauthorization Endpoint URL (asked for when the app is submitted for publishing)**
  - the URL of step 4: Zoom sends deauthorizations of published apps only, and Recall then marks the user's credential unhealthy

Zoom last validated the webhook URL at <code>{at}</code>
"
    );
    assert_eq!(out.stdout, expected);
    assert_eq!(out.stderr, "");
}

#[test]
fn issue_9_an_app_not_recorded_yet_is_listed_without_asking_recall() {
    let h = Harness::new();
    h.manifest(&[
        ("acme-prod", "user_level", "AbC123xyz"),
        ("acme-dev", "user_level", "DeV456"),
    ]);
    h.run(&["apply", "--auto-approve", "--target", "acme-prod"])
        .expect(0);
    let before = h.requests().len();

    // Without an API key even: nothing is asked of Recall for an app it does not have.
    let mut cmd = h.cmd(&["zoom", "checklist", "acme-dev"]);
    cmd.env_remove("RECALL_API_KEY");
    let out = Outcome::of(cmd).expect(0);
    assert!(
        out.stdout.starts_with("`acme-dev`: a user-managed"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("acme-prod"), "{}", out.stdout);
    assert!(out.stdout.contains("     Event notification endpoint URL, the same for development and production:\n       not known yet: `recallform apply` creates the app in Recall, which gives it its webhook URL\n"), "{}", out.stdout);
    assert!(out.stdout.ends_with("  warning: `acme-dev` is not in the lockfile yet: run `recallform apply` first, then this checklist again for its webhook URL\n"), "{}", out.stdout);
    assert_eq!(h.requests().len(), before);

    // The NAME filter keeps the manifest's order; a name it lacks is a usage error.
    let out = h
        .run(&["zoom", "checklist", "acme-dev", "acme-prod"])
        .expect(0);
    let headings: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with('`')).collect();
    assert_eq!(
        headings,
        [
            "`acme-prod`: a user-managed Zoom app with granular scopes",
            "`acme-dev`: a user-managed Zoom app with granular scopes"
        ]
    );
    let before = h.requests().len();
    let out = h
        .run(&["zoom", "checklist", "acme-prod", "acme-qa"])
        .expect(64);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "error: the manifest `recallform.yaml` has no app `acme-qa`\n  = hint: the manifest's apps: `acme-dev`, `acme-prod`\n"
    );
    assert_eq!(h.requests().len(), before);
}

#[test]
fn issue_9_the_checklist_reads_the_sandbox_with_sandbox() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    h.bare(&["apply", "--sandbox", "--auto-approve"])
        .assert()
        .success();
    let out = Outcome::of(h.bare(&["zoom", "checklist", "--sandbox"])).expect(0);
    assert!(
        out.stdout
            .contains("\n       https://sandbox.recallform.invalid/api/v2/zoom-oauth-apps/"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("\n       the sandbox's URLs (`.invalid`) are for trying recallform: no Zoom app can reach them\n"), "{}", out.stdout);
    assert!(out.stdout.ends_with("  warning: Zoom has never validated this app's webhook URL: the Validate step (4) is not done\n"), "{}", out.stdout);
    // Without `--sandbox`, the sandbox's lockfile is refused for the real target.
    let out = h.run(&["zoom", "checklist"]).expect(1);
    assert!(
        out.stderr.contains("it is the record of `--sandbox` runs"),
        "{}",
        out.stderr
    );
    assert!(h.requests().is_empty());
}

#[test]
fn issue_9_strict_turns_warnings_into_errors_in_validate_plan_and_apply() {
    let h = Harness::new();
    let zoom = "{granted: [meeting:read:list_meetings, user:read:user], events: [meeting.created, user.updated]}";
    h.write(
        "recallform.yaml",
        &format!("{HEAD}{}", zoom_app("acme-prod", "user_level", None, zoom)),
    );
    let warning = "warning[zoom-missing-scope]: `acme-prod` is not granted `meeting:read:local_recording_token`; Recall needs it to mint the join token for local recording, which lets bots record without asking the host\n  --> recallform.yaml:11:21\n   |\n11 |     zoom: {granted: [meeting:read:list_meetings, user:read:user], events: [meeting.created, user.updated]}\n   |                     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n  = hint: add it in the Zoom Marketplace (your app > Scopes > Add Scopes > Meeting), then add it to `zoom.granted`\n\n";
    let out = h.run(&["validate"]).expect(0);
    assert_eq!(out.stderr, warning);
    assert_eq!(
        out.stdout,
        "`recallform.yaml` is valid (1 app), with 1 warning\n"
    );

    let out = h.run(&["validate", "--strict"]).expect(1);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        format!(
            "{}error: 1 problem in `recallform.yaml`\n",
            warning.replacen("warning[", "error[", 1)
        )
    );
    let (code, found) = validate_json(&h, &["--strict"]);
    assert_eq!(code, 1);
    assert_eq!(codes(&found), ["zoom-missing-scope"]);
    let json = h.run(&["validate", "--strict", "--format", "json"]).json();
    assert_eq!(json["valid"], false);
    assert_eq!(json["diagnostics"][0]["severity"], "error");

    // plan shows the warning and plans; with --strict it plans nothing.
    let out = h.run(&["plan"]).expect(0);
    assert!(
        out.stderr.starts_with("warning[zoom-missing-scope]"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("Plan: 1 to create"), "{}", out.stdout);
    let out = h.run(&["plan", "--strict"]).expect(1);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.starts_with("error[zoom-missing-scope]"),
        "{}",
        out.stderr
    );
    let out = h.run(&["apply", "--strict", "--auto-approve"]).expect(1);
    assert!(
        out.stderr.starts_with("error[zoom-missing-scope]"),
        "{}",
        out.stderr
    );
    assert!(h.writes().is_empty());
    assert!(h.lockfile_text().is_none());

    // Without warnings, --strict changes nothing.
    let all = "{granted: [meeting:read:local_recording_token, meeting:read:list_meetings, user:read:user]}";
    h.write(
        "recallform.yaml",
        &format!("{HEAD}{}", zoom_app("acme-prod", "user_level", None, all)),
    );
    h.run(&["validate", "--strict"]).expect(0);
    h.run(&["apply", "--strict", "--auto-approve"]).expect(0);
}

#[test]
fn issue_9_every_zoom_lint_has_its_code() {
    let h = Harness::new();
    let full = "meeting:read:local_recording_token, meeting:read:list_meetings, user:read:user";
    let cases = [
        (
            "a-scope",
            "user_level",
            "{granted: [meeting:read:list_meetings, user:read:user]}",
            "zoom-missing-scope",
        ),
        (
            "a-event",
            "user_level",
            "{events: [meeting.created]}",
            "zoom-missing-event",
        ),
        (
            "a-unknown",
            "user_level",
            &*format!("{{granted: [{full}, user:read:usr]}}"),
            "zoom-unknown-scope",
        ),
        ("a-sdk", "account_level", "{sdk: true}", "zoom-sdk-mismatch"),
    ];
    let mut yaml = HEAD.to_string();
    for (name, kind, zoom, _) in &cases {
        yaml.push_str(&zoom_app(name, kind, None, zoom));
    }
    h.write("recallform.yaml", &yaml);
    let (code, found) = validate_json(&h, &[]);
    assert_eq!(code, 0);
    assert_eq!(
        codes(&found),
        cases.iter().map(|c| c.3).collect::<Vec<_>>(),
        "{found:?}"
    );
    assert_eq!(
        found[1].1,
        "`a-event` does not list `user.updated` in `zoom.events`; Recall needs it to keep the user's Personal Meeting ID (PMI) in sync"
    );
    assert_eq!(
        found[2].1,
        "`user:read:usr` is not a scope Recall knows (in `zoom.granted`)"
    );

    // The Zoom app manifest: its usage against `kind`, and `granted` beside it.
    h.write(
        "recallform.yaml",
        &format!(
            "{HEAD}{}",
            zoom_app(
                "acme-prod",
                "account_level",
                None,
                &format!("{{granted: [{full}], manifest: {{file: zoom/acme-prod.json}}}}")
            )
        ),
    );
    write_fixture(&h, "acme-prod", "https://example.invalid/x");
    let (code, found) = validate_json(&h, &[]);
    assert_eq!(code, 0);
    let mut got = codes(&found);
    got.sort_unstable();
    got.dedup();
    assert_eq!(
        got,
        [
            "zoom-manifest-overrides",
            "zoom-missing-scope",
            "zoom-unknown-scope",
            "zoom-usage-mismatch"
        ]
    );
    let usage = found
        .iter()
        .find(|(c, _)| c == "zoom-usage-mismatch")
        .unwrap();
    assert_eq!(
        usage.1,
        "the Zoom app manifest `zoom/acme-prod.json` of `acme-prod` says the Zoom app is user-managed (`USER_OPERATION`), but `acme-prod` has `kind: account_level`"
    );

    // Malformed keys are errors.
    for (zoom, forward, code) in [
        ("{scopes: granualr}", None, "invalid-scope-model"),
        (
            "{}",
            Some("http://hooks.acme.example/z"),
            "invalid-forward-from",
        ),
        (
            "{manifest: {env: ZOOM_MANIFEST}}",
            None,
            "invalid-reference",
        ),
    ] {
        h.write(
            "recallform.yaml",
            &format!(
                "{HEAD}{}",
                zoom_app("acme-prod", "user_level", forward, zoom)
            ),
        );
        let (exit, found) = validate_json(&h, &[]);
        assert_eq!((exit, codes(&found)), (1, vec![code]), "{zoom}");
    }
}

#[test]
fn issue_9_the_zoom_manifests_endpoints_must_be_recalls_url_or_forward_from() {
    let h = Harness::new();
    let manifest = |forward: Option<&str>| {
        format!(
            "{HEAD}{}",
            zoom_app(
                "acme-prod",
                "user_level",
                forward,
                "{manifest: {file: zoom/acme-prod.json}}"
            )
        )
    };
    h.write("recallform.yaml", &manifest(None));
    write_fixture(&h, "acme-prod", "https://hooks.acme.example/zoom/acme-prod");
    // Not recorded yet: nothing to compare with, and nothing said.
    let out = h.run(&["validate"]).expect(0);
    assert_eq!(out.stderr, "");
    assert_eq!(out.stdout, "`recallform.yaml` is valid (1 app)\n");

    h.run(&["apply", "--auto-approve"]).expect(0);
    let (url, _) = recorded(&h, "acme-prod");
    let (_, found) = validate_json(&h, &[]);
    assert_eq!(
        found,
        [(
            "zoom-endpoint-mismatch".to_string(),
            "the event subscription `recall` in the Zoom app manifest `zoom/acme-prod.json` of `acme-prod` sends the development and production events to `https://hooks.acme.example/zoom/acme-prod`, which is not the app's Recall webhook URL".to_string()
        )]
    );
    let out = h.run(&["validate"]).expect(0);
    assert!(
        out.stderr.contains(&format!("  = hint: set its Event notification endpoint URL (Features > Access > Event Subscription) to `{url}`, for development and production alike\n")),
        "{}",
        out.stderr
    );
    // plan shows it too; `--lockfile` is honoured (another lockfile records nothing).
    let out = h.run(&["plan"]).expect(0);
    assert!(
        out.stderr.starts_with("warning[zoom-endpoint-mismatch]"),
        "{}",
        out.stderr
    );
    let (_, found) = validate_json(&h, &["--lockfile", "other.lock.json"]);
    assert_eq!(found, []);

    // The team's own endpoint is fine once it is `forward_from`; so is Recall's URL.
    h.write(
        "recallform.yaml",
        &manifest(Some("https://hooks.acme.example/zoom/acme-prod")),
    );
    assert_eq!(validate_json(&h, &[]), (0, vec![]));
    h.write("recallform.yaml", &manifest(None));
    write_fixture(&h, "acme-prod", &url);
    assert_eq!(validate_json(&h, &[]), (0, vec![]));
    let out = h.run(&["validate", "--strict"]).expect(0);
    let out2 = h.run(&["zoom", "checklist"]).expect(0);
    for text in [&out.stdout, &out.stderr, &out2.stdout, &out2.stderr] {
        for secret in HEADER_SECRETS {
            assert!(!text.contains(secret), "{text}");
        }
    }
}

#[test]
fn issue_9_the_zoom_manifest_is_read_under_the_reading_rules() {
    let h = Harness::new();
    let with = |file: &str| {
        h.write(
            "recallform.yaml",
            &format!(
                "{HEAD}{}",
                zoom_app(
                    "acme-prod",
                    "user_level",
                    None,
                    &format!("{{manifest: {{file: '{file}'}}}}")
                )
            ),
        )
    };
    let outside = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo_root().join(FIXTURE)).unwrap();
    std::fs::write(outside.path().join("zoom.json"), &text).unwrap();

    with(&outside.path().join("zoom.json").display().to_string());
    let (code, found) = validate_json(&h, &[]);
    assert_eq!((code, codes(&found)), (1, vec!["file-outside-manifest"]));
    with("../zoom.json");
    assert_eq!(codes(&validate_json(&h, &[]).1), ["file-outside-manifest"]);
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(outside.path().join("zoom.json"), h.path("linked.json"))
            .unwrap();
        with("linked.json");
        let (code, found) = validate_json(&h, &[]);
        assert_eq!((code, codes(&found)), (1, vec!["file-outside-manifest"]));
        assert!(found[0].1.contains("leads through a symlink"), "{found:?}");
        // A trusted pipeline lifts the confinement.
        assert_eq!(
            validate_json(&h, &["--allow-external-files"]).0,
            0,
            "--allow-external-files"
        );
    }
    h.write("big.json", &" ".repeat(64 * 1024 + 1));
    with("big.json");
    let (code, found) = validate_json(&h, &[]);
    assert_eq!((code, codes(&found)), (1, vec!["unreadable-file"]));
    assert!(
        found[0]
            .1
            .ends_with("larger than 64 KiB, the most recallform reads from a file"),
        "{found:?}"
    );

    // Not JSON: located in the JSON file, with no line of it shown (it may hold credentials).
    h.write(
        "broken.json",
        "{\n  \"features\": {\"password\": \"zhp-Kx7Qm2Vt9Rb4\",\n",
    );
    with("broken.json");
    let out = h.run(&["validate"]).expect(1);
    assert_eq!(
        out.stderr,
        "error[invalid-zoom-manifest]: the Zoom app manifest `broken.json` of `acme-prod` is not valid JSON (line 2, column 46)\n  --> broken.json:2:46\n  = hint: download it again from Zoom's build flow (your app > Basic Information > Manifest), or leave `zoom.manifest` out\n\nerror: 1 problem in `recallform.yaml`\n"
    );
}
