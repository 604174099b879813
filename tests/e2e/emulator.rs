//! The emulator against the API reference (shared/recall-api.md §1, §3, §4), over plain HTTP:
//! if it drifts from Recall, every other test proves less.

use std::time::Duration;

use recallform::emulator::state::hmac_hex;
use recallform::emulator::{Fault, FaultKind, Route};
use serde_json::{Value, json};

use crate::common::*;

const APPS: &str = "/api/v2/zoom-oauth-apps/";

struct Http<'a> {
    h: &'a Harness,
    client: reqwest::Client,
}

impl<'a> Http<'a> {
    fn new(h: &'a Harness) -> Self {
        Http {
            h,
            client: reqwest::Client::new(),
        }
    }

    fn send(&self, req: reqwest::RequestBuilder) -> (u16, String, Value) {
        self.h.runtime.block_on(async {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let ctype = resp
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            let text = resp.text().await.unwrap();
            let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
            (status, ctype, body)
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.h.emulator.url())
    }

    fn authed(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .header("Authorization", format!("Token {API_KEY}"))
    }
}

fn new_app(client_id: &str) -> Value {
    json!({"kind": "user_level", "client_id": client_id, "client_secret": "cs", "webhook_secret": "ws"})
}

#[test]
fn authentication() {
    let h = Harness::new();
    let http = Http::new(&h);
    let (status, _, body) = http.send(http.client.get(http.url(APPS)));
    assert_eq!(
        (status, body),
        (
            401,
            json!({"detail": "Authentication credentials were not provided."})
        )
    );
    let (status, _, body) = http.send(
        http.client
            .get(http.url(APPS))
            .header("Authorization", "Token nope"),
    );
    assert_eq!((status, body), (401, json!({"detail": "Invalid token."})));
    // The 2026 docs accept the key without the `Token ` prefix.
    let (status, _, _) = http.send(
        http.client
            .get(http.url(APPS))
            .header("Authorization", API_KEY),
    );
    assert_eq!(status, 200);
}

#[test]
fn create_retrieve_update_delete() {
    let h = Harness::new();
    let http = Http::new(&h);
    let (status, ctype, created) = http.send(
        http.authed(reqwest::Method::POST, APPS)
            .json(&new_app("c1")),
    );
    assert_eq!((status, ctype.as_str()), (201, "application/json"));
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["webhook_last_validation"], Value::Null);
    assert!(created["created_at"].as_str().unwrap().ends_with('Z'));

    let item = format!("{APPS}{id}/");
    let (status, _, got) = http.send(http.authed(reqwest::Method::GET, &item));
    assert_eq!((status, &got["client_id"]), (200, &json!("c1")));

    // Only the secrets can change; kind and client_id are read-only after creation.
    let (status, _, patched) = http.send(
        http.authed(reqwest::Method::PATCH, &item)
            .json(&json!({"client_secret": "new", "kind": "account_level", "client_id": "zzz"})),
    );
    assert_eq!(status, 200);
    assert_eq!(
        (&patched["kind"], &patched["client_id"]),
        (&json!("user_level"), &json!("c1"))
    );
    assert_eq!(h.emulator.apps()[0].client_secret, "new");

    let (status, _, _) = http.send(
        http.authed(reqwest::Method::PUT, &item)
            .json(&new_app("c1")),
    );
    assert_eq!(status, 405, "no PUT on this resource");
    let (status, _, body) = http.send(http.authed(reqwest::Method::DELETE, &item));
    assert_eq!((status, body), (204, Value::String(String::new())));
    let (status, _, body) = http.send(http.authed(reqwest::Method::DELETE, &item));
    assert_eq!((status, body), (404, json!({"detail": "Not found."})));
}

#[test]
fn drf_validation_errors() {
    let h = Harness::new();
    let http = Http::new(&h);
    let (status, _, body) =
        http.send(http.authed(reqwest::Method::POST, APPS).json(
            &json!({"kind": "team_level", "client_id": "x".repeat(201), "client_secret": ""}),
        ));
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({
            "kind": ["\"team_level\" is not a valid choice."],
            "client_id": ["Ensure this field has no more than 200 characters."],
            "client_secret": ["This field may not be blank."],
            "webhook_secret": ["This field is required."],
        })
    );
    assert!(h.emulator.apps().is_empty());
}

#[test]
fn the_waf_blocks_get_bodies_and_localhost() {
    let h = Harness::new();
    let http = Http::new(&h);
    let (status, ctype, _) = http.send(http.authed(reqwest::Method::GET, APPS).body("null"));
    assert_eq!((status, ctype.as_str()), (403, "text/html"));
    let mut body = new_app("c1");
    body["client_secret"] = json!("http://localhost/x");
    let (status, _, _) = http.send(http.authed(reqwest::Method::POST, APPS).json(&body));
    assert_eq!(status, 403);
    assert!(h.emulator.apps().is_empty());
}

#[test]
fn idempotency_key_replays_and_reports_in_flight() {
    let h = Harness::new();
    let http = Http::new(&h);
    let post = |key: &str, client_id: &str| {
        http.authed(reqwest::Method::POST, APPS)
            .header("Idempotency-Key", key)
            .json(&new_app(client_id))
    };
    let (s1, _, first) = http.send(post("k1", "c1"));
    // Same key within the hour: the cached answer, even for a different body.
    let (s2, _, second) = http.send(post("k1", "c2"));
    assert_eq!((s1, s2), (201, 201));
    assert_eq!(first, second);
    assert_eq!(h.emulator.apps().len(), 1);

    // A duplicate while the first is still being processed: 409.
    h.emulator.inject(Fault::new(
        Route::Create,
        1,
        FaultKind::Delay(Duration::from_millis(400)),
    ));
    let (slow, fast) = h.runtime.block_on(async {
        let slow = tokio::spawn(post("k2", "c3").send());
        tokio::time::sleep(Duration::from_millis(100)).await;
        let fast = post("k2", "c3").send().await.unwrap().status().as_u16();
        (slow.await.unwrap().unwrap().status().as_u16(), fast)
    });
    assert_eq!((slow, fast), (201, 409));
    assert_eq!(h.emulator.apps().len(), 2);
}

#[test]
fn cursor_pagination_with_absolute_links_that_keep_filters() {
    let h = Harness::with_config(recallform::emulator::Config {
        page_size: 2,
        ..Default::default()
    });
    for i in 0..5 {
        h.emulator.seed(
            if i % 2 == 0 {
                "user_level"
            } else {
                "account_level"
            },
            &format!("c{i}"),
        );
    }
    let http = Http::new(&h);
    let (_, _, page1) =
        http.send(http.authed(reqwest::Method::GET, &format!("{APPS}?kind=user_level")));
    assert_eq!(page1["previous"], Value::Null);
    assert_eq!(page1["results"].as_array().unwrap().len(), 2);
    let next = page1["next"].as_str().unwrap();
    assert!(
        next.starts_with(&format!(
            "{}{APPS}?kind=user_level&cursor=",
            h.emulator.url()
        )),
        "{next}"
    );
    let (_, _, page2) = http.send(
        http.client
            .get(next)
            .header("Authorization", format!("Token {API_KEY}")),
    );
    let ids: Vec<_> = page2["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["client_id"].clone())
        .collect();
    assert_eq!(ids, [json!("c4")]);
    assert_eq!(page2["next"], Value::Null);
    let prev = page2["previous"].as_str().unwrap();
    let (_, _, back) = http.send(
        http.client
            .get(prev)
            .header("Authorization", format!("Token {API_KEY}")),
    );
    assert_eq!(back["results"], page1["results"]);
    let (status, _, body) =
        http.send(http.authed(reqwest::Method::GET, &format!("{APPS}?cursor=bogus")));
    assert_eq!((status, body), (404, json!({"detail": "Invalid cursor"})));
}

#[test]
fn zoom_webhook_url_validation_and_signatures() {
    let h = Harness::new();
    let app = h.emulator.seed("user_level", "c1");
    let http = Http::new(&h);
    let hook = format!("{APPS}{}/webhook", app.id);
    // Zoom calls without Recall's API key.
    let challenge = json!({"event": "endpoint.url_validation", "payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"}, "event_ts": 1654503849680u64});
    let (status, _, body) = http.send(http.client.post(http.url(&hook)).json(&challenge));
    assert_eq!(status, 200);
    assert_eq!(body["plainToken"], "qgg8vlvZRS6UYooatFL8Aw");
    assert_eq!(
        body["encryptedToken"],
        hmac_hex(app.webhook_secret.as_bytes(), b"qgg8vlvZRS6UYooatFL8Aw")
    );
    assert!(h.emulator.apps()[0].webhook_last_validation.is_some());

    let event = br#"{"event":"meeting.created","payload":{}}"#;
    let sign = |secret: &str| {
        format!(
            "v0={}",
            hmac_hex(
                secret.as_bytes(),
                &[b"v0:1700000000:".as_slice(), event].concat()
            )
        )
    };
    let signed = |sig: String| {
        http.client
            .post(http.url(&hook))
            .header("x-zm-request-timestamp", "1700000000")
            .header("x-zm-signature", sig)
            .body(event.to_vec())
    };
    assert_eq!(http.send(signed(sign(&app.webhook_secret))).0, 200);
    assert_eq!(http.send(signed(sign("wrong-secret"))).0, 401);
    let (status, _, _) = http.send(
        http.client
            .post(http.url(&format!("{APPS}nope/webhook")))
            .json(&challenge),
    );
    assert_eq!(status, 404);
}

#[test]
fn rate_limit_answers_429_with_retry_after() {
    let h = Harness::with_config(recallform::emulator::Config {
        other_per_minute: 2,
        ..Default::default()
    });
    let http = Http::new(&h);
    for i in 0..2 {
        assert_eq!(
            http.send(
                http.authed(reqwest::Method::POST, APPS)
                    .json(&new_app(&format!("c{i}")))
            )
            .0,
            201
        );
    }
    let resp = h
        .runtime
        .block_on(
            http.authed(reqwest::Method::POST, APPS)
                .json(&new_app("c9"))
                .send(),
        )
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    let after: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&after), "{after}");
    assert_eq!(h.emulator.apps().len(), 2);
}

/// A `sandbox serve` process, stopped when dropped, even by a failing assertion.
struct Served(std::process::Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `recallform sandbox serve` on a free port with `args`, and the two lines of its banner.
fn serve(args: &[&str], env: &[(&str, &str)]) -> (Served, String, String) {
    use std::io::{BufRead, BufReader};
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("recallform"));
    cmd.args(["sandbox", "serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .env_remove("RECALLFORM_SANDBOX_API_KEY")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let (mut first, mut second) = (String::new(), String::new());
    stderr.read_line(&mut first).unwrap();
    stderr.read_line(&mut second).unwrap();
    let url = first.trim_end().rsplit(' ').next().unwrap().to_string();
    (Served(child), url, second)
}

#[test]
fn sandbox_serve_says_which_api_key_it_accepts_and_means_it() {
    let h = Harness::new();
    h.manifest(&[]);
    let plan_with = |url: &str, key: &str| {
        let mut cmd = h.bare(&["plan", "--api-url", url, "--lockfile", "none.lock.json"]);
        cmd.env("RECALL_API_KEY", key);
        Outcome::of(cmd)
    };
    let key = "sandbox-key-3Jd9";
    for (args, env, from) in [
        (
            &["--api-key", key][..],
            &[][..],
            "the key given with `--api-key`",
        ),
        (
            &[],
            &[("RECALLFORM_SANDBOX_API_KEY", key)],
            "the key in `RECALLFORM_SANDBOX_API_KEY`",
        ),
    ] {
        let (_served, url, hint) = serve(args, env);
        assert_eq!(
            hint,
            format!(
                "  = hint: point recallform at it with `--api-url {url}` and `RECALL_API_KEY` set to {from}: it accepts no other; Ctrl-C stops it\n"
            )
        );
        assert!(!hint.contains(key), "the banner does not print the key");
        // Following the hint works, and only the key it names does.
        plan_with(&url, key).expect(0);
        let out = plan_with(&url, "x").expect(1);
        assert!(out.stderr.contains("Recall answered 401"), "{}", out.stderr);
    }

    let (_served, url, hint) = serve(&[], &[]);
    assert_eq!(
        hint,
        format!(
            "  = hint: point recallform at it with `--api-url {url}` and any API key (`RECALL_API_KEY=x`); Ctrl-C stops it\n"
        )
    );
    plan_with(&url, "x").expect(0);

    // An empty key would accept nothing at all.
    let out = Outcome::of(h.bare(&["sandbox", "serve", "--api-key", ""])).expect(64);
    assert!(out.stderr.contains("--api-key"), "{}", out.stderr);
}

/// `sandbox serve --rate-limit` (and its variable) once panicked: its clap ID is the global
/// `--rate-limit`'s, which clap read back with the other option's type.
#[test]
fn sandbox_serve_takes_its_knobs_from_flags_and_variables() {
    let h = Harness::new();
    let get = |url: &str, path: &str| {
        h.runtime.block_on(async {
            let resp = reqwest::Client::new()
                .get(format!("{url}{path}"))
                .header("Authorization", "Token any-key")
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap())
        })
    };
    for (args, env) in [
        (
            &["--rate-limit", "list=1/min,write=off", "--page-size", "5"][..],
            &[][..],
        ),
        (
            &[],
            &[
                ("RECALLFORM_SANDBOX_RATE_LIMIT", "list=1/min"),
                ("RECALLFORM_SANDBOX_PAGE_SIZE", "5"),
            ][..],
        ),
    ] {
        let (_served, url, _) = serve(args, env);
        assert_eq!(get(&url, APPS).0, 200, "{args:?} {env:?}");
        assert_eq!(
            get(&url, APPS).0,
            429,
            "one list a minute: {args:?} {env:?}"
        );
        let (_, stats) = get(&url, "/_emulator/stats");
        assert_eq!(
            (stats["list"].as_u64(), stats["throttled"].as_u64()),
            (Some(2), Some(1))
        );
    }
    // `off` lifts both limits.
    let (_served, url, _) = serve(&["--rate-limit", "off"], &[]);
    for _ in 0..70 {
        assert_eq!(get(&url, APPS).0, 200);
    }
}

/// `--latency MS` holds each API request for MS from its arrival, never less (to the
/// microsecond, by its own timer thread), and the stats say when the first write arrived and
/// the last was answered: a benchmark's view of how long the writes took.
#[test]
fn sandbox_serve_latency_is_never_short_and_the_stats_time_the_writes() {
    let h = Harness::new();
    let (_served, url, _) = serve(&["--latency", "30", "--rate-limit", "off"], &[]);
    let latency = Duration::from_millis(30);
    let http = reqwest::Client::new();
    let send = |request: reqwest::RequestBuilder| {
        h.runtime.block_on(async {
            let started = std::time::Instant::now();
            let resp = request
                .header("Authorization", "Token any-key")
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let body = resp.json::<Value>().await.unwrap();
            (status, body, started.elapsed())
        })
    };
    let stats = || send(http.get(format!("{url}/_emulator/stats")));

    let (_, before, _) = stats();
    assert_eq!(
        (&before["first_write_ms"], &before["last_write_answered_ms"]),
        (&Value::Null, &Value::Null),
        "no write yet: {before}"
    );
    let (status, _, took) = send(http.get(format!("{url}{APPS}")));
    assert_eq!(status, 200);
    assert!(took >= latency, "a list answered in {took:?}");
    for client_id in ["latency-c1", "latency-c2"] {
        let (status, body, took) = send(http.post(format!("{url}{APPS}")).json(&json!({
            "kind": "user_level",
            "client_id": client_id,
            "client_secret": "latency-secret-1",
            "webhook_secret": "latency-secret-2",
        })));
        assert_eq!(status, 201, "{body}");
        assert!(took >= latency, "a create answered in {took:?}");
    }
    let (_, after, _) = stats();
    assert_eq!(after["write"], 2, "{after}");
    let (first, last) = (
        after["first_write_ms"].as_f64().unwrap(),
        after["last_write_answered_ms"].as_f64().unwrap(),
    );
    assert!(
        last - first >= 60.0,
        "two creates one after the other, 30 ms each, took {} ms",
        last - first
    );
}

const APP_LOGS: &str = "/api/v2/zoom-oauth-app-logs/";
const CREDENTIALS: &str = "/api/v2/zoom-oauth-credentials/";

#[test]
fn app_logs_and_credentials_have_recalls_shapes_filters_and_pages() {
    let h = Harness::with_config(recallform::emulator::Config {
        page_size: 2,
        ..Default::default()
    });
    let app = h.emulator.seed("user_level", "c1");
    let admin = h.emulator.seed("account_level", "c2");
    for (i, at) in [
        "2026-03-01T10:00:00Z",
        "2026-03-01T09:00:00Z",
        "2026-03-01T11:00:00Z",
    ]
    .iter()
    .enumerate()
    {
        h.emulator.seed_log(&app.id, &format!("m{i}"), at);
    }
    h.emulator
        .seed_log(&admin.id, "other", "2026-03-01T12:00:00Z");
    let user = h.emulator.seed_credential(&app.id, "unhealthy", "failed");
    let account = h
        .emulator
        .seed_credential(&admin.id, "healthy", "completed");
    let http = Http::new(&h);

    let (status, ctype, page) = http.send(http.authed(
        reqwest::Method::GET,
        &format!("{APP_LOGS}?oauth_app={}&ordering=-created_at", app.id),
    ));
    assert_eq!((status, ctype.as_str()), (200, "application/json"));
    assert_eq!(
        page["results"],
        json!([
            {"oauth_app": app.id, "message": "m2", "created_at": "2026-03-01T11:00:00Z"},
            {"oauth_app": app.id, "message": "m0", "created_at": "2026-03-01T10:00:00Z"},
        ])
    );
    assert_eq!(page["previous"], Value::Null);
    let next = page["next"].as_str().unwrap();
    assert!(
        next.starts_with(&format!(
            "{}{APP_LOGS}?oauth_app={}&ordering=-created_at&cursor=",
            h.emulator.url(),
            app.id
        )),
        "{next}"
    );
    let (_, _, last) = http.send(
        http.client
            .get(next)
            .header("Authorization", format!("Token {API_KEY}")),
    );
    assert_eq!(last["results"][0]["message"], "m1");
    assert_eq!(last["next"], Value::Null);

    let (status, _, page) = http.send(http.authed(
        reqwest::Method::GET,
        &format!("{CREDENTIALS}?status=unhealthy&meeting_sync_status=failed"),
    ));
    assert_eq!(status, 200);
    assert_eq!(
        page,
        json!({"next": null, "previous": null, "results": [{
            "id": user.id,
            "oauth_app": app.id,
            "status": "unhealthy",
            "user_id": user.user_id.clone().unwrap(),
            "account_id": null,
            "access_token_callback_url": null,
            "created_at": user.created_at,
            "meeting_sync_status": "failed",
        }]})
    );
    // An account-level app's credential is an account's.
    let (_, _, page) = http.send(http.authed(
        reqwest::Method::GET,
        &format!("{CREDENTIALS}?oauth_app={}", admin.id),
    ));
    assert_eq!(page["results"][0]["id"], json!(account.id));
    assert_eq!(page["results"][0]["user_id"], Value::Null);
    assert!(account.account_id.is_some());

    let (status, _, body) = http.send(http.authed(
        reqwest::Method::GET,
        &format!("{CREDENTIALS}?meeting_sync_status=done"),
    ));
    assert_eq!(
        (status, body),
        (
            400,
            json!({"meeting_sync_status": ["Select a valid choice. done is not one of the available choices."]})
        )
    );
    // Only listed, and only with Recall's API key.
    let (status, _, _) = http.send(
        http.authed(reqwest::Method::POST, CREDENTIALS)
            .json(&json!({})),
    );
    assert_eq!(status, 405);
    let (status, _, _) = http.send(http.client.get(http.url(APP_LOGS)));
    assert_eq!(status, 401);
}

#[test]
fn the_three_lists_share_the_list_rate_limit_and_take_their_faults() {
    let h = Harness::with_config(recallform::emulator::Config {
        list_per_minute: 2,
        ..Default::default()
    });
    let http = Http::new(&h);
    h.emulator.inject(Fault::new(
        Route::ListCredentials,
        1,
        FaultKind::Status {
            status: 503,
            retry_after: None,
        },
    ));
    let get = |path: &str| http.send(http.authed(reqwest::Method::GET, path)).0;
    assert_eq!(
        get(APP_LOGS),
        200,
        "the credentials' fault is not the logs'"
    );
    assert_eq!(get(CREDENTIALS), 503);
    assert_eq!(get(CREDENTIALS), 200);
    let resp = h
        .runtime
        .block_on(http.authed(reqwest::Method::GET, APPS).send())
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        429,
        "the third list call in a minute"
    );
    assert!(resp.headers().contains_key("retry-after"));
}

#[test]
fn seeded_logs_and_credentials_are_kept_in_the_state_file_and_old_files_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("sandbox.json");
    // A state file written before logs and credentials were emulated.
    std::fs::write(
        &state,
        r#"{"apps": {"a1": {"id": "a1", "kind": "user_level", "client_id": "c", "client_secret": "s",
            "webhook_secret": "w", "webhook_last_validation": null,
            "created_at": "2026-01-01T00:00:00.000000Z", "seq": 0}}, "next_seq": 1}"#,
    )
    .unwrap();
    let config = || recallform::emulator::Config {
        state_file: Some(state.clone()),
        ..Default::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let start = || {
        runtime
            .block_on(recallform::emulator::Emulator::start(
                ([127, 0, 0, 1], 0).into(),
                config(),
            ))
            .unwrap()
    };
    let e = start();
    assert_eq!(e.apps().len(), 1);
    assert!(e.app_logs().is_empty() && e.credentials().is_empty());
    let log = e.seed_log("a1", "boom", "2026-03-01T10:00:00Z");
    let credential = e.seed_credential("a1", "healthy", "in_progress");
    assert!(e.set_last_validation("a1", Some("2026-03-02T00:00:00Z")));
    assert!(!e.set_last_validation("nope", None));
    runtime.block_on(e.shutdown());

    let e = start();
    assert_eq!(e.app_logs(), [log]);
    assert_eq!(e.credentials(), [credential]);
    assert_eq!(
        e.apps()[0].webhook_last_validation.as_deref(),
        Some("2026-03-02T00:00:00Z")
    );
    runtime.block_on(e.shutdown());
}
