//! `recallform status`: each recorded app's webhook validation, app logs and credentials, read
//! from the emulator with a known number of list calls, in text and JSON, and `--check`.

use std::time::{SystemTime, UNIX_EPOCH};

use recallform::emulator::{Config, Fault, FaultKind, Route};
use serde_json::{Value, json};

use crate::common::*;

const HOUR: u64 = 3600;
const DAY: u64 = 86_400;

/// The time `secs` seconds ago, as Recall writes times.
fn ago(secs: u64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    recallform::time::rfc3339(now - secs, 0)
}

/// A harness whose manifest has `names` (user-level apps), applied: each is recorded and in
/// Recall, never validated, with no credential and no log entry.
fn applied(config: Config, names: &[&str]) -> Harness {
    let h = Harness::with_config(config);
    let ids: Vec<String> = names.iter().map(|n| format!("cid-{n}")).collect();
    let apps: Vec<(&str, &str, &str)> = names
        .iter()
        .zip(&ids)
        .map(|(n, id)| (*n, "user_level", id.as_str()))
        .collect();
    h.manifest(&apps);
    h.run(&["apply", "--auto-approve"]).expect(0);
    h
}

impl Harness {
    /// The recorded ID of `name`.
    fn id(&self, name: &str) -> String {
        self.lockfile()["zoom_oauth_apps"][name]["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The recorded webhook URL of `name`.
    fn hook(&self, name: &str) -> String {
        format!(
            "{}/api/v2/zoom-oauth-apps/{}/webhook",
            self.emulator.url(),
            self.id(name)
        )
    }

    /// Validated `secs` ago (the time returned), with `healthy` healthy credentials whose
    /// syncs completed.
    fn healthy(&self, name: &str, secs: u64, healthy: usize) -> String {
        let id = self.id(name);
        let at = ago(secs);
        assert!(self.emulator.set_last_validation(&id, Some(&at)));
        for _ in 0..healthy {
            self.emulator.seed_credential(&id, "healthy", "completed");
        }
        at
    }

    /// Runs `status ARGS` and returns its outcome and the requests it made (method and URI).
    fn status(&self, args: &[&str]) -> (Outcome, Vec<String>) {
        let before = self.requests().len();
        let mut all = vec!["status"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        assert_no_secret("stdout", &out.stdout);
        assert_no_secret("stderr", &out.stderr);
        let made = self.requests()[before..]
            .iter()
            .map(|r| format!("{} {}", r.method, r.uri))
            .collect();
        (out, made)
    }
}

/// `created_at_after=...` of a logs request, decoded.
fn logs_since(request: &str) -> String {
    let uri = request.strip_prefix("GET ").unwrap();
    let url = url::Url::parse(&format!("http://x{uri}")).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == "created_at_after")
        .map(|(_, v)| v.into_owned())
        .unwrap()
}

#[test]
fn a_healthy_app_in_text_with_three_list_calls_and_a_passing_check() {
    let h = applied(Config::default(), &["acme-prod"]);
    let validated = h.healthy("acme-prod", DAY + HOUR, 2);
    let id = h.id("acme-prod");
    // An entry older than `--since` (24 hours by default) is neither shown nor a problem.
    h.emulator.seed_log(&id, "old trouble", &ago(3 * DAY));

    let (out, made) = h.status(&["--check"]);
    let out = out.expect(0);
    assert_eq!(
        out.stdout,
        format!(
            "zoom_oauth_app.acme-prod: {id}
    webhook URL:  {hook}
    validated:    {validated} (1 day ago)
    credentials:  2 healthy, 0 unhealthy, 0 failed meeting syncs
    app logs:     none in the last 24 hours

Status: 1 app, 0 need attention.
",
            hook = h.hook("acme-prod")
        )
    );
    assert_eq!(out.stderr, "");
    // The apps list, then the app's logs (newest first, since a day ago) and its credentials:
    // GETs only.
    assert_eq!(made.len(), 3, "{made:?}");
    assert_eq!(made[0], "GET /api/v2/zoom-oauth-apps/");
    let since = logs_since(&made[1]);
    assert_eq!(
        made[1],
        format!(
            "GET /api/v2/zoom-oauth-app-logs/?oauth_app={id}&created_at_after={}&ordering=-created_at",
            since.replace(':', "%3A")
        )
    );
    let day_ago = recallform::recall::timestamp::parse(&ago(DAY)).unwrap();
    let sent = recallform::recall::timestamp::parse(&since).unwrap();
    assert!((sent - day_ago).abs() < 60_000_000, "{since}");
    assert_eq!(
        made[2],
        format!("GET /api/v2/zoom-oauth-credentials/?oauth_app={id}")
    );
}

#[test]
fn every_problem_is_named_and_fails_the_check() {
    let h = applied(
        Config::default(),
        &["acme-prod", "acme-dev", "acme-eu", "globex"],
    );
    // acme-dev: never validated. acme-eu: validated 5 days ago. globex: unhealthy credentials,
    // failed syncs and a recent log entry. acme-prod: well.
    let prod_validated = h.healthy("acme-prod", HOUR, 1);
    let overdue = h.healthy("acme-eu", 5 * DAY + HOUR, 0);
    let globex = h.id("globex");
    let validated = h.healthy("globex", 2 * HOUR + 5, 1);
    h.emulator
        .seed_credential(&globex, "unhealthy", "completed");
    h.emulator.seed_credential(&globex, "unhealthy", "failed");
    h.emulator.seed_credential(&globex, "healthy", "failed");
    let (newer, older) = (ago(HOUR), ago(3 * HOUR));
    h.emulator
        .seed_log(&globex, "token callback\nfailed", &older);
    h.emulator
        .seed_log(&globex, "meeting sync failed for zoom-000042", &newer);

    let (out, made) = h.status(&["--check"]);
    let out = out.expect(1);
    assert_eq!(
        out.stdout,
        format!(
            "zoom_oauth_app.acme-dev: {dev}
    webhook URL:  {dev_hook}
    validated:    never
    credentials:  0 healthy, 0 unhealthy, 0 failed meeting syncs
    app logs:     none in the last 24 hours
    warning[never-validated]: Zoom has never validated the webhook URL
      = hint: in the Zoom app's event subscription, set the event notification endpoint URL to `{dev_hook}` and press Validate

zoom_oauth_app.acme-eu: {eu}
    webhook URL:  {eu_hook}
    validated:    {overdue} (5 days ago)
    credentials:  0 healthy, 0 unhealthy, 0 failed meeting syncs
    app logs:     none in the last 24 hours
    warning[validation-overdue]: Zoom last validated the webhook URL 5 days ago
      = hint: Zoom re-validates every 72 hours: check that the Zoom app's event subscription is enabled and its endpoint URL is `{eu_hook}`; after 6 failed validations in a row Zoom disables the subscription

zoom_oauth_app.acme-prod: {prod}
    webhook URL:  {prod_hook}
    validated:    {prod_validated} (1 hour ago)
    credentials:  1 healthy, 0 unhealthy, 0 failed meeting syncs
    app logs:     none in the last 24 hours

zoom_oauth_app.globex: {globex}
    webhook URL:  {globex_hook}
    validated:    {validated} (2 hours ago)
    credentials:  2 healthy, 2 unhealthy, 2 failed meeting syncs
    app logs:     2 entries in the last 24 hours, newest first:
                  {newer}  meeting sync failed for zoom-000042
                  {older}  token callback\\nfailed
    warning[unhealthy-credentials]: 2 credentials are unhealthy
      = hint: their Zoom users removed the app, or Recall disabled them after repeated errors: bots cannot get join tokens for those users' meetings until they authorise the Zoom app again
    warning[failed-meeting-syncs]: the meeting sync of 2 credentials failed
      = hint: Recall could not list those users' Zoom meetings, so bots ask the host for permission to record; the app logs and Recall's sync-status guide say why
    warning[recent-app-logs]: Recall logged 2 entries about the app in the last 24 hours
      = hint: each entry is a warning or an error Recall recorded; read them above

Status: 4 apps, 3 need attention.
",
            dev = h.id("acme-dev"),
            dev_hook = h.hook("acme-dev"),
            eu = h.id("acme-eu"),
            eu_hook = h.hook("acme-eu"),
            prod = h.id("acme-prod"),
            prod_hook = h.hook("acme-prod"),
            globex_hook = h.hook("globex"),
        )
    );
    assert_eq!(
        out.stderr,
        "error: 3 of 4 apps need attention: `acme-dev`, `acme-eu`, `globex`\n"
    );
    // 1 + 2 per app; nothing but list calls, and nothing changed.
    assert_eq!(made.len(), 9, "{made:?}");
    assert!(made.iter().all(|m| m.starts_with("GET ")), "{made:?}");
    assert_eq!(h.emulator.credentials().len(), 5);

    // Without `--check` the same report exits 0.
    let (out, _) = h.status(&[]);
    assert_eq!(out.expect(0).stderr, "");
}

#[test]
fn the_json_form_is_stable() {
    let h = applied(Config::default(), &["acme-prod", "globex"]);
    let validated = h.healthy("acme-prod", HOUR, 1);
    let globex = h.id("globex");
    h.emulator.seed_credential(&globex, "unhealthy", "failed");
    let at = ago(30 * 60);
    h.emulator.seed_log(&globex, "Zoom answered 401", &at);

    let (out, _) = h.status(&["--format", "json", "--since", "7d", "--check"]);
    let out = out.expect(1);
    let mut report = out.json();
    for field in ["checked_at", "logs_since"] {
        let value = report[field].as_str().unwrap().to_string();
        assert!(
            recallform::recall::timestamp::parse(&value).is_some(),
            "{field}: {value}"
        );
        report[field] = json!(field);
    }
    assert_eq!(
        report,
        json!({
            "format_version": 1,
            "target": h.emulator.url(),
            "checked_at": "checked_at",
            "since_seconds": 604_800,
            "logs_since": "logs_since",
            "ok": false,
            "apps": [
                {
                    "name": "acme-prod",
                    "id": h.id("acme-prod"),
                    "webhook_url": h.hook("acme-prod"),
                    "in_recall": true,
                    "webhook_last_validation": validated,
                    "credentials": {"healthy": 1, "unhealthy": 0, "meeting_sync_failed": 0},
                    "logs": {"entries": [], "more": false},
                    "problems": [],
                },
                {
                    "name": "globex",
                    "id": globex,
                    "webhook_url": h.hook("globex"),
                    "in_recall": true,
                    "webhook_last_validation": null,
                    "credentials": {"healthy": 0, "unhealthy": 1, "meeting_sync_failed": 1},
                    "logs": {"entries": [{"created_at": at, "message": "Zoom answered 401"}], "more": false},
                    "problems": [
                        {
                            "code": "never-validated",
                            "message": "Zoom has never validated the webhook URL",
                            "hint": format!("in the Zoom app's event subscription, set the event notification endpoint URL to `{}` and press Validate", h.hook("globex")),
                        },
                        {
                            "code": "unhealthy-credentials",
                            "message": "1 credential is unhealthy",
                            "hint": "their Zoom users removed the app, or Recall disabled them after repeated errors: bots cannot get join tokens for those users' meetings until they authorise the Zoom app again",
                        },
                        {
                            "code": "failed-meeting-syncs",
                            "message": "the meeting sync of 1 credential failed",
                            "hint": "Recall could not list those users' Zoom meetings, so bots ask the host for permission to record; the app logs and Recall's sync-status guide say why",
                        },
                        {
                            "code": "recent-app-logs",
                            "message": "Recall logged 1 entry about the app in the last 7 days",
                            "hint": "each entry is a warning or an error Recall recorded; read them above",
                        },
                    ],
                },
            ],
        })
    );
    assert_eq!(out.stderr, "error: 1 of 2 apps needs attention: `globex`\n");
    // `-q` keeps the JSON asked for.
    let (quiet, _) = h.status(&["--format", "json", "-q"]);
    assert_eq!(quiet.expect(0).json()["apps"].as_array().unwrap().len(), 2);
}

#[test]
fn since_decides_which_log_entries_count() {
    let h = applied(Config::default(), &["acme-prod"]);
    h.healthy("acme-prod", HOUR, 1);
    let id = h.id("acme-prod");
    h.emulator.seed_log(&id, "two hours ago", &ago(2 * HOUR));

    // Outside `--since 90m`: not read, not a problem.
    let (out, made) = h.status(&["--since", "90m", "--check"]);
    let out = out.expect(0);
    assert!(
        out.stdout
            .contains("    app logs:     none in the last 90 minutes\n"),
        "{}",
        out.stdout
    );
    let day = recallform::recall::timestamp::parse(&ago(90 * 60)).unwrap();
    let sent = recallform::recall::timestamp::parse(&logs_since(&made[1])).unwrap();
    assert!((sent - day).abs() < 60_000_000, "{made:?}");

    // Within `--since 3h` (and the default 24h): shown and failing the check.
    for since in [&["--since", "3h"][..], &[]] {
        let mut args = vec!["--check"];
        args.extend_from_slice(since);
        let (out, _) = h.status(&args);
        let out = out.expect(1);
        assert!(out.stdout.contains("  two hours ago\n"), "{}", out.stdout);
        assert!(
            out.stdout.contains("warning[recent-app-logs]"),
            "{}",
            out.stdout
        );
    }

    for bad in ["24", "1w", "0h", "-3h"] {
        let out = h.run(&["status", &format!("--since={bad}")]).expect(64);
        assert!(out.stderr.contains("--since"), "{bad}: {}", out.stderr);
    }
}

#[test]
fn names_choose_apps_and_an_unknown_one_is_a_usage_error_before_any_request() {
    let h = applied(Config::default(), &["acme-prod", "acme-dev"]);
    h.healthy("acme-dev", HOUR, 0);
    let (out, made) = h.status(&["acme-dev", "--check"]);
    let out = out.expect(0);
    assert!(
        out.stdout.starts_with("zoom_oauth_app.acme-dev: "),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("acme-prod"), "{}", out.stdout);
    assert!(out.stdout.ends_with("Status: 1 app, 0 need attention.\n"));
    assert_eq!(made.len(), 3, "{made:?}");
    assert!(made[1].contains(&h.id("acme-dev")), "{made:?}");

    let (out, made) = h.status(&["acme-dev", "acme-prd"]);
    let out = out.expect(64);
    assert_eq!(
        out.stderr,
        "error: `acme-prd` is not recorded in the lockfile `recallform.lock.json`\n  = hint: it records `acme-dev`, `acme-prod`\n"
    );
    assert_eq!(out.stdout, "");
    assert_eq!(made, Vec::<String>::new());
}

#[test]
fn logs_and_credentials_are_read_across_pages() {
    let h = applied(
        Config {
            page_size: 2,
            ..Default::default()
        },
        &["acme-prod"],
    );
    h.healthy("acme-prod", HOUR, 4);
    let id = h.id("acme-prod");
    h.emulator.seed_credential(&id, "unhealthy", "failed");
    let times: Vec<String> = (1..=7).map(|minute| ago(minute * 60)).collect();
    for (minute, at) in (1..).zip(&times) {
        h.emulator.seed_log(&id, &format!("entry {minute}"), at);
    }
    let (out, made) = h.status(&[]);
    let out = out.expect(0);
    let entries: String = (1..=5)
        .zip(&times)
        .map(|(m, at)| format!("                  {at}  entry {m}\n"))
        .collect();
    assert!(
        out.stdout.contains(&format!(
            "    credentials:  4 healthy, 1 unhealthy, 1 failed meeting sync\n    app logs:     more than 5 entries in the last 24 hours, the newest 5:\n{entries}    warning"
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("Recall logged more than 5 entries about the app"),
        "{}",
        out.stdout
    );
    // One page of apps; three pages of logs hold the 5 newest entries (the rest is not read);
    // three pages hold the 5 credentials.
    let paths: Vec<&str> = made.iter().map(|m| m.split('?').next().unwrap()).collect();
    assert_eq!(
        paths,
        [
            "GET /api/v2/zoom-oauth-apps/",
            "GET /api/v2/zoom-oauth-app-logs/",
            "GET /api/v2/zoom-oauth-app-logs/",
            "GET /api/v2/zoom-oauth-app-logs/",
            "GET /api/v2/zoom-oauth-credentials/",
            "GET /api/v2/zoom-oauth-credentials/",
            "GET /api/v2/zoom-oauth-credentials/",
        ]
    );
    assert!(made[2].contains("&cursor="), "{made:?}");
}

#[test]
fn a_rate_limited_logs_call_is_retried_after_retry_after() {
    let h = applied(Config::default(), &["acme-prod"]);
    h.healthy("acme-prod", HOUR, 1);
    h.emulator.inject(Fault::new(
        Route::ListAppLogs,
        1,
        FaultKind::Status {
            status: 429,
            retry_after: Some(1),
        },
    ));
    let started = std::time::Instant::now();
    let (out, made) = h.status(&["--check"]);
    out.expect(0);
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    let statuses: Vec<(String, Option<u16>)> = h
        .requests()
        .iter()
        .rev()
        .take(made.len())
        .rev()
        .map(|r| (r.uri.split('?').next().unwrap().to_string(), r.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("/api/v2/zoom-oauth-apps/".to_string(), Some(200)),
            ("/api/v2/zoom-oauth-app-logs/".to_string(), Some(429)),
            ("/api/v2/zoom-oauth-app-logs/".to_string(), Some(200)),
            ("/api/v2/zoom-oauth-credentials/".to_string(), Some(200)),
        ]
    );
}

#[test]
fn an_app_deleted_outside_recallform_is_missing_and_costs_no_more_calls() {
    let h = applied(Config::default(), &["acme-prod", "acme-dev"]);
    h.healthy("acme-prod", HOUR, 1);
    let gone = h.id("acme-dev");
    assert!(h.emulator.remove(&gone));
    let (out, made) = h.status(&["--check", "--format", "json"]);
    let report = out.expect(1).json();
    assert_eq!(
        report["apps"][0],
        json!({
            "name": "acme-dev",
            "id": gone,
            "webhook_url": h.hook("acme-dev"),
            "in_recall": false,
            "webhook_last_validation": null,
            "credentials": null,
            "logs": null,
            "problems": [{
                "code": "missing-in-recall",
                "message": format!("Recall has no app `{gone}`: it was deleted outside recallform"),
                "hint": "`recallform plan` shows what apply would do about it; a new app has a new webhook URL to enter in the Zoom app",
            }],
        })
    );
    assert_eq!(made.len(), 3, "the list, and acme-prod's two: {made:?}");
    let (out, _) = h.status(&["acme-dev"]);
    assert!(
        out.expect(0)
            .stdout
            .contains("\n    in Recall:    no\n    warning[missing-in-recall]"),
    );
}

#[test]
fn more_apps_than_the_list_limit_allows_get_a_warning() {
    let h = Harness::with_config(Config {
        list_per_minute: 1000,
        ..Default::default()
    });
    for i in 0..30 {
        h.emulator.seed("user_level", &format!("cid-{i:02}"));
    }
    Outcome::of(h.cmd(&["export", "--out", "ws"])).expect(0);
    let before = h.requests().len();
    let out = h.run(&["status", "-f", "ws/recallform.yaml"]).expect(0);
    assert_eq!(
        out.stderr,
        "warning: the status of 30 apps takes at least 61 list calls, more than Recall's 60 a minute\n  = hint: recallform waits whenever Recall says so (429, `Retry-After`), so this takes more than a minute; name fewer apps to check them faster\n"
    );
    // At least: the apps list takes 3 pages of 10 here.
    assert_eq!(h.requests().len() - before, 3 + 60);
    assert!(
        out.stdout
            .ends_with("Status: 30 apps, 30 need attention.\n")
    );
    // 29 apps fit: no warning.
    let names: Vec<String> = (1..30).map(|i| format!("cid-{i:02}")).collect();
    let mut args = vec!["status", "-f", "ws/recallform.yaml"];
    args.extend(names.iter().map(String::as_str));
    assert_eq!(h.run(&args).expect(0).stderr, "");
}

#[test]
fn log_messages_never_show_the_api_key() {
    let h = applied(Config::default(), &["acme-prod"]);
    let id = h.id("acme-prod");
    h.emulator
        .seed_log(&id, &format!("rejected key {API_KEY}"), &ago(60));
    let (out, _) = h.status(&[]);
    assert!(
        out.expect(0)
            .stdout
            .contains("  rejected key (sensitive)\n"),
        "the harness asserted no secret; the message is still shown"
    );
}

#[test]
fn nothing_recorded_passes_no_check() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "cid-acme-prod")]);
    let (out, made) = h.status(&[]);
    let out = out.expect(0);
    assert_eq!(out.stdout, "Status: 0 apps, 0 need attention.\n");
    assert_eq!(
        out.stderr,
        "the lockfile `recallform.lock.json` records no app yet\n  = hint: `recallform apply` creates the manifest's apps and records them\n"
    );
    assert_eq!(made, Vec::<String>::new(), "nothing to ask Recall");
    let (out, _) = h.status(&["--check", "--format", "json"]);
    let out = out.expect(1);
    assert_eq!(
        (out.json()["ok"].clone(), out.json()["apps"].clone()),
        (json!(false), json!([]))
    );
    assert_eq!(
        out.stderr,
        "error: the lockfile `recallform.lock.json` records no app, so `--check` has nothing to check\n  = hint: `recallform apply` creates the manifest's apps and records them\n"
    );
    assert!(h.lockfile_text().is_none(), "status writes no lockfile");
}

#[test]
fn the_sandbox_reports_its_own_apps() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "cid-acme-prod")]);
    Outcome::of(h.bare(&["apply", "--sandbox", "--auto-approve"])).expect(0);
    let out = Outcome::of(h.bare(&["status", "--sandbox", "--format", "json"])).expect(0);
    let report: Value = out.json();
    assert_eq!(report["target"], "sandbox");
    let app = &report["apps"][0];
    assert!(
        app["webhook_url"]
            .as_str()
            .unwrap()
            .starts_with("https://sandbox.recallform.invalid/api/v2/zoom-oauth-apps/"),
        "{app}"
    );
    assert_eq!(app["problems"][0]["code"], "never-validated");
    assert_eq!(
        h.requests().len(),
        0,
        "the harness's emulator is not the sandbox"
    );
    let out = h.run(&["status", "--sandbox"]).expect(64);
    assert!(
        out.stderr.contains("`--sandbox` and `--api-url`"),
        "{}",
        out.stderr
    );
}

/// The README's `recallform status` section, up to the next `### ` heading of a command.
fn readme_section() -> String {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let start = readme
        .find("\n### `recallform status [NAME...]`\n")
        .expect("a status section");
    let rest = &readme[start + 1..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    rest[..end].to_string()
}

/// Every key path of a JSON value (`apps[].logs.entries[].message`), arrays merged.
fn key_paths(value: &Value, at: &str, out: &mut std::collections::BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let path = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                out.insert(path.clone());
                key_paths(v, &path, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                key_paths(item, &format!("{at}[]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_readme_names_every_problem_code_and_shows_the_json_as_it_is() {
    let section = readme_section();
    let table = &section[section
        .find("| Code | When |")
        .expect("the problems' table")..];
    let codes: Vec<&str> = table
        .lines()
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    assert_eq!(
        codes,
        recallform::status::PROBLEM_CODES,
        "the table, in order"
    );

    let start = section.find("```json\n").unwrap() + 8;
    let end = section[start..].find("```\n").unwrap() + start;
    let shown: Value = serde_json::from_str(&section[start..end]).unwrap();
    let h = applied(Config::default(), &["acme-dev"]);
    h.emulator.seed_log(&h.id("acme-dev"), "m", &ago(60));
    let (out, _) = h.status(&["--format", "json"]);
    let real = out.expect(0).json();
    let (mut a, mut b) = Default::default();
    key_paths(&shown, "", &mut a);
    key_paths(&real, "", &mut b);
    // The README's app has no log entry; the real one has, to show its keys too.
    for key in [
        "apps[].logs.entries[].created_at",
        "apps[].logs.entries[].message",
    ] {
        a.insert(key.to_string());
    }
    assert_eq!(a, b);
}
