//! `webhooks verify` (issue 9, item 4): one signed URL validation per app, sent to its Recall
//! webhook URL (the emulator's), to the sandbox, or `--via` a team's endpoint (a small server
//! here that forwards, or answers wrongly, late or not at all).

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use recallform::emulator::{Config, Fault, FaultKind, Route};
use recallform::model::SecretString;
use recallform::webhook;
use serde_json::{Value, json};

use crate::common::*;

/// `text` with each latency, `(123 ms)`, as `(N ms)`.
fn mask_ms(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(end) = rest.find(" ms)") {
        let digits_from = rest[..end]
            .rfind(|c: char| !c.is_ascii_digit())
            .map_or(0, |i| i + 1);
        if digits_from < end && rest[..digits_from].ends_with('(') {
            out.push_str(&rest[..digits_from]);
            out.push('N');
        } else {
            out.push_str(&rest[..end]);
        }
        out.push_str(" ms)");
        rest = &rest[end + 4..];
    }
    out.push_str(rest);
    out
}

/// The webhook requests the emulator received, as `POST <path> -> status`.
fn webhook_requests(h: &Harness) -> Vec<String> {
    h.requests()
        .iter()
        .filter(|r| r.uri.ends_with("/webhook"))
        .map(|r| format!("{} {} -> {:?}", r.method, r.uri, r.status))
        .collect()
}

/// The recorded ID of `name`.
fn id_of(h: &Harness, name: &str) -> String {
    h.lockfile()["zoom_oauth_apps"][name]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Points the lockfile's webhook URL of `name` at `url`, as a hand edit would.
fn record_url(h: &Harness, name: &str, url: &str) {
    let mut lock = h.lockfile();
    lock["zoom_oauth_apps"][name]["webhook_url"] = json!(url);
    h.write(
        "recallform.lock.json",
        &serde_json::to_string_pretty(&lock).unwrap(),
    );
}

/// Runs `cmd` with `set` in its environment and `unset` taken out of it.
fn run_env(mut cmd: assert_cmd::Command, set: &[(&str, &str)], unset: &[&str]) -> Outcome {
    for (k, v) in set {
        cmd.env(k, v);
    }
    for k in unset {
        cmd.env_remove(k);
    }
    Outcome::of(cmd)
}

/// Asserts that no output of `out` has a secret.
fn no_secret(out: &Outcome) {
    assert_no_secret("stdout", &out.stdout);
    assert_no_secret("stderr", &out.stderr);
}

/// What a test endpoint does with a request.
#[derive(Clone)]
enum Behaviour {
    /// Passes the request on to this URL with the body and `x-zm-*` headers unchanged, and the
    /// answer back: a correct forwarder.
    Forward(String),
    /// Passes it on after re-serialising the JSON body (as smee does), which breaks the
    /// signature.
    Reserialise(String),
    /// Answers the validation itself, with this Secret Token.
    AnswerWith(&'static str),
    /// Answers this status and body.
    Fixed(u16, String),
    /// Waits this long, then answers as a correct endpoint with this Secret Token would.
    Late(Duration, &'static str),
}

/// A request the endpoint received.
#[derive(Clone, Debug)]
struct Seen {
    headers: hyper::HeaderMap,
    body: Bytes,
}

/// A small server on 127.0.0.1 that stands for a team's own webhook endpoint.
struct Endpoint {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

fn endpoint(h: &Harness, behaviour: Behaviour) -> Endpoint {
    let listener = h
        .runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}/zoom/hook", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let log = seen.clone();
    h.runtime.spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (behaviour, log) = (behaviour.clone(), log.clone());
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                        let (behaviour, log) = (behaviour.clone(), log.clone());
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = body.collect().await.unwrap().to_bytes();
                            let seen = Seen {
                                headers: parts.headers,
                                body,
                            };
                            log.lock().unwrap().push(seen.clone());
                            let (status, body) = answer(&behaviour, &seen).await;
                            Ok::<_, Infallible>(
                                Response::builder()
                                    .status(status)
                                    .header("content-type", "application/json")
                                    .body(Full::new(Bytes::from(body)))
                                    .unwrap(),
                            )
                        }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Endpoint { url, seen }
}

async fn answer(behaviour: &Behaviour, seen: &Seen) -> (u16, String) {
    let event: Value = serde_json::from_slice(&seen.body).unwrap_or(Value::Null);
    let plain = event["payload"]["plainToken"].as_str().unwrap_or_default();
    let own = |secret: &str| {
        let token = webhook::url_validation_answer(&SecretString::new(secret.into()), plain);
        json!({"plainToken": plain, "encryptedToken": token}).to_string()
    };
    let forward = |to: &str, body: Vec<u8>| {
        let mut request = reqwest::Client::new().post(to).body(body);
        for name in [
            "content-type",
            webhook::TIMESTAMP_HEADER,
            webhook::SIGNATURE_HEADER,
        ] {
            if let Some(v) = seen.headers.get(name) {
                request = request.header(name, v.as_bytes());
            }
        }
        request
    };
    let relay = |request: reqwest::RequestBuilder| async move {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    };
    match behaviour {
        Behaviour::Forward(to) => relay(forward(to, seen.body.to_vec())).await,
        Behaviour::Reserialise(to) => {
            relay(forward(to, serde_json::to_vec_pretty(&event).unwrap())).await
        }
        Behaviour::AnswerWith(secret) => (200, own(secret)),
        Behaviour::Fixed(status, body) => (*status, body.clone()),
        Behaviour::Late(wait, secret) => {
            tokio::time::sleep(*wait).await;
            (200, own(secret))
        }
    }
}

/// A loopback URL where nothing listens.
fn closed_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}/zoom/hook")
}

fn two_apps(h: &Harness) {
    h.manifest(&[
        ("acme-dev", "user_level", "DevClientId"),
        ("acme-prod", "user_level", "ProdClientId"),
    ]);
    h.run(&["apply", "--auto-approve"]).expect(0);
}

#[test]
fn after_apply_every_webhook_matches_without_an_api_key() {
    let h = Harness::new();
    two_apps(&h);
    let before = h.requests().len();
    let (dev, prod) = (id_of(&h, "acme-dev"), id_of(&h, "acme-prod"));
    let base = h.emulator.url();

    // The webhook endpoint takes no API key, so verify needs none.
    let out = run_env(h.cmd(&["webhooks", "verify"]), &[], &["RECALL_API_KEY"]).expect(0);
    assert_eq!(
        mask_ms(&out.stdout),
        format!(
            "zoom_oauth_app.acme-dev: matches (N ms)\n    sent to: {base}/api/v2/zoom-oauth-apps/{dev}/webhook\nzoom_oauth_app.acme-prod: matches (N ms)\n    sent to: {base}/api/v2/zoom-oauth-apps/{prod}/webhook\n\nVerify complete: 2 matched, 0 mismatched, 0 too slow, 0 failed.\n"
        )
    );
    assert_eq!(out.stderr, "");
    no_secret(&out);
    // One probe per app, nothing else, and no API key on either.
    let after = &h.requests()[before..];
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(after.iter().all(|r| r.method == "POST"
        && r.uri.ends_with("/webhook")
        && r.status == Some(200)
        && r.authorization.is_none()));
    // Recall may record the probe as a validation; the emulator does.
    assert!(
        h.emulator
            .apps()
            .iter()
            .all(|a| a.webhook_last_validation.is_some())
    );

    let out = h
        .run(&["webhooks", "verify", "--format", "json", "acme-prod"])
        .expect(0);
    let mut doc = out.json();
    let ms = doc["apps"][0]["latency_ms"].take();
    assert!(ms.as_u64().is_some_and(|ms| ms < 3000), "{ms}");
    assert_eq!(
        doc,
        json!({
            "format_version": 1,
            "via": null,
            "ok": true,
            "apps": [{
                "name": "acme-prod",
                "id": prod,
                "url": format!("{base}/api/v2/zoom-oauth-apps/{prod}/webhook"),
                "result": "matches",
                "status": 200,
                "latency_ms": null,
                "message": null,
                "hint": null,
            }],
            "summary": {"matched": 1, "mismatched": 0, "too_slow": 0, "unanswered": 0, "failed": 0},
        })
    );
    // The NAME filter sent one probe, to that app only.
    assert_eq!(webhook_requests(&h).len(), 3);
    assert!(webhook_requests(&h)[2].contains(&prod));

    // `-q` prints nothing when all match.
    let quiet = h.run(&["webhooks", "verify", "-q"]).expect(0);
    assert_eq!((quiet.stdout.as_str(), quiet.stderr.as_str()), ("", ""));
}

#[test]
fn a_secret_changed_in_the_manifest_but_not_applied_is_a_mismatch_until_apply() {
    let h = Harness::new();
    two_apps(&h);
    let prod = id_of(&h, "acme-prod");
    let base = h.emulator.url();
    let rotated = "zws-acme-prod-ROTATED-9xQ2";

    let out = run_env(
        h.cmd(&["webhooks", "verify"]),
        &[("ACME_PROD_WEBHOOK_SECRET", rotated)],
        &[],
    )
    .expect(1);
    assert_eq!(
        mask_ms(&out.stdout),
        format!(
            "zoom_oauth_app.acme-dev: matches (N ms)\n    sent to: {base}/api/v2/zoom-oauth-apps/{}/webhook\nzoom_oauth_app.acme-prod: mismatch: Recall refused the probe's signature (401: Invalid Zoom signature.), so it holds another Secret Token than the manifest's (N ms)\n    sent to: {base}/api/v2/zoom-oauth-apps/{prod}/webhook\n  = hint: the manifest's Secret Token changed since the last apply: run `recallform apply` to send it to Recall\n\nVerify complete: 1 matched, 1 mismatched, 0 too slow, 0 failed.\n",
            id_of(&h, "acme-dev")
        )
    );
    assert_eq!(out.stderr, "error: 1 of 2 webhooks failed verification\n");
    no_secret(&out);
    assert!(!out.stdout.contains(rotated) && !out.stderr.contains(rotated));

    // Apply sends it; then it matches.
    run_env(
        h.cmd(&["apply", "--auto-approve"]),
        &[("ACME_PROD_WEBHOOK_SECRET", rotated)],
        &[],
    )
    .expect(0);
    run_env(
        h.cmd(&["webhooks", "verify", "acme-prod"]),
        &[("ACME_PROD_WEBHOOK_SECRET", rotated)],
        &[],
    )
    .expect(0);
}

fn patch_in_recall(h: &Harness, id: &str, body: Value) {
    let url = format!("{}/api/v2/zoom-oauth-apps/{id}/", h.emulator.url());
    let status = h
        .runtime
        .block_on(
            reqwest::Client::new()
                .patch(url)
                .header("Authorization", format!("Token {API_KEY}"))
                .json(&body)
                .send(),
        )
        .unwrap()
        .status();
    assert_eq!(status, 200);
}

#[test]
fn a_secret_changed_in_recall_or_never_sent_is_a_mismatch_with_the_reason() {
    // Recall hides secrets here, so only the probe can tell.
    let h = Harness::with_config(Config {
        secrets_in_responses: false,
        ..Config::default()
    });
    h.manifest(&[("acme-prod", "user_level", "ProdClientId")]);
    h.run(&["apply", "--auto-approve"]).expect(0);
    let id = id_of(&h, "acme-prod");
    patch_in_recall(
        &h,
        &id,
        json!({"webhook_secret": "set-by-hand-in-the-dashboard"}),
    );

    let out = h.run(&["webhooks", "verify"]).expect(1);
    assert!(
        out.stdout.contains("  = hint: recallform last sent this very Secret Token, so Recall's was changed since: check that the manifest's is the Zoom app's, then run `recallform apply` to rotate it (the README says what to do when its plan shows no change)\n"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("set-by-hand"));
    no_secret(&out);
    // The README's way out when the plan cannot see it: forget, import, apply.
    h.run(&["plan", "--detailed-exitcode"]).expect(0);
    h.run(&["state", "rm", "acme-prod"]).expect(0);
    h.run(&["import", "acme-prod", &id]).expect(0);
    let out = h.run(&["webhooks", "verify"]).expect(1);
    assert!(
        out.stdout.contains("  = hint: recallform has no record of sending this app's Secret Token (it was imported): run `recallform apply` to send the manifest's\n"),
        "{}",
        out.stdout
    );
    h.run(&["apply", "--auto-approve"]).expect(0);
    h.run(&["webhooks", "verify"]).expect(0);
}

#[test]
fn the_sandbox_serves_its_recorded_webhook_urls() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "ProdClientId")]);
    Outcome::of(h.bare(&["apply", "--sandbox", "--auto-approve"])).expect(0);
    let id = id_of(&h, "acme-prod");
    let expected = format!(
        "zoom_oauth_app.acme-prod: matches (N ms)\n    sent to: https://sandbox.recallform.invalid/api/v2/zoom-oauth-apps/{id}/webhook (served by the sandbox)\n\nVerify complete: 1 matched, 0 mismatched, 0 too slow, 0 failed.\n"
    );
    let out = Outcome::of(h.bare(&["webhooks", "verify", "--sandbox"])).expect(0);
    assert_eq!(mask_ms(&out.stdout), expected);
    // A lockfile of the sandbox implies it.
    let out = run_env(h.bare(&["webhooks", "verify"]), &[], &["RECALL_API_KEY"]).expect(0);
    assert_eq!(mask_ms(&out.stdout), expected);
    // The sandbox recorded Zoom's (here, the probe's) validation in its state.
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(h.path(".recallform/sandbox.json")).unwrap())
            .unwrap();
    assert!(
        state.to_string().contains("webhook_last_validation\":\"20"),
        "{state}"
    );

    // A Secret Token changed in the sandbox's Recall, behind recallform's back.
    let text = std::fs::read_to_string(h.path(".recallform/sandbox.json")).unwrap();
    h.write(
        ".recallform/sandbox.json",
        &text.replace(&webhook_secret("acme-prod"), "changed-in-the-dashboard"),
    );
    let out = Outcome::of(h.bare(&["webhooks", "verify", "--sandbox"])).expect(1);
    assert!(
        out.stdout
            .contains("run `recallform apply --sandbox` to rotate it"),
        "{}",
        out.stdout
    );
    no_secret(&out);
    Outcome::of(h.bare(&["apply", "--sandbox", "--auto-approve"])).expect(0);
    Outcome::of(h.bare(&["webhooks", "verify"])).expect(0);

    // The sandbox's state gone: its apps are too.
    std::fs::remove_dir_all(h.path(".recallform")).unwrap();
    let out = Outcome::of(h.bare(&["webhooks", "verify"])).expect(1);
    assert!(
        out.stdout.contains("  = hint: Recall has no app with this ID: `recallform plan --sandbox` shows whether it was deleted outside recallform\n"),
        "{}",
        out.stdout
    );
    // Nothing reached the harness's emulator.
    assert!(webhook_requests(&h).is_empty());
}

#[test]
fn sandbox_and_lockfile_must_agree() {
    let h = Harness::new();
    two_apps(&h);
    let out = Outcome::of(h.bare(&["webhooks", "verify", "--sandbox"])).expect(1);
    assert!(
        out.stderr.starts_with(&format!(
            "error: the lockfile `recallform.lock.json` records apps in `{}`, but this run targets `sandbox`",
            h.emulator.url()
        )),
        "{}",
        out.stderr
    );
    // An app not applied yet has no webhook URL.
    h.manifest(&[
        ("acme-dev", "user_level", "DevClientId"),
        ("acme-prod", "user_level", "ProdClientId"),
        ("acme-eu", "account_level", "EuClientId"),
    ]);
    let out = h.run(&["webhooks", "verify", "acme-eu"]).expect(1);
    assert_eq!(
        out.stdout,
        "zoom_oauth_app.acme-eu: error: `acme-eu` is not recorded in the lockfile `recallform.lock.json`, so it has no webhook URL yet\n  = hint: `recallform apply` creates it in Recall and records it\n\nVerify complete: 0 matched, 0 mismatched, 0 too slow, 1 failed.\n"
    );
    assert_eq!(out.stderr, "error: the webhook failed verification\n");
}

#[test]
fn a_slow_answer_is_too_slow_after_3_seconds() {
    let h = Harness::new();
    two_apps(&h);
    // Far later than the deadline, so a loaded machine cannot blur the two.
    let slow = endpoint(&h, Behaviour::Late(Duration::from_millis(6000), "unused"));
    record_url(&h, "acme-prod", &slow.url);

    let started = std::time::Instant::now();
    let out = h.run(&["webhooks", "verify", "acme-prod"]).expect(1);
    let took = started.elapsed();
    assert_eq!(
        out.stdout,
        format!(
            "zoom_oauth_app.acme-prod: too slow: no answer within 3 s, after which Zoom fails the validation\n    sent to: {}\n  = hint: Recall did not answer in time; Recall may not answer validations that Zoom did not send (this is unconfirmed): press Validate in the Zoom app, then `recallform status` shows when Recall last answered Zoom\n\nVerify complete: 0 matched, 0 mismatched, 1 too slow, 0 failed.\n",
            slow.url
        )
    );
    assert!(took >= Duration::from_secs(3), "{took:?}");
    assert!(
        took < Duration::from_millis(5000),
        "it waits 3 s, not for the answer: {took:?}"
    );
    assert_eq!(slow.seen.lock().unwrap().len(), 1);
}

#[test]
fn recalls_own_webhook_answering_late_is_too_slow() {
    let h = Harness::new();
    two_apps(&h);
    h.run(&["apply", "--auto-approve"]).expect(0);
    h.emulator.inject(Fault::new(
        Route::Any,
        1,
        FaultKind::Delay(Duration::from_millis(3300)),
    ));
    let out = h.run(&["webhooks", "verify", "acme-prod"]).expect(1);
    assert!(
        out.stdout
            .starts_with("zoom_oauth_app.acme-prod: too slow: no answer within 3 s"),
        "{}",
        out.stdout
    );
    // The fault was spent on the one probe; the next one matches.
    let out = h.run(&["webhooks", "verify", "acme-prod"]).expect(0);
    assert!(out.stdout.contains("matches"), "{}", out.stdout);
}

#[test]
fn unreachable_missing_redirected_and_failing_webhooks_are_errors_with_hints() {
    let h = Harness::new();
    two_apps(&h);
    let closed = closed_url();
    record_url(&h, "acme-dev", &closed);
    let out = h.run(&["webhooks", "verify", "acme-dev"]).expect(1);
    assert!(
        out.stdout
            .starts_with("zoom_oauth_app.acme-dev: error: could not connect ("),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!(
            "    sent to: {closed}\n  = hint: check the network between here and `{closed}`\n"
        )),
        "{}",
        out.stdout
    );

    // Plain http to anything but loopback is refused before sending.
    record_url(&h, "acme-dev", "http://hooks.acme.example/zoom");
    let out = h.run(&["webhooks", "verify", "acme-dev"]).expect(1);
    assert!(
        out.stdout.starts_with("zoom_oauth_app.acme-dev: error: the webhook URL the lockfile records, `http://hooks.acme.example/zoom`, uses plain http://, which is allowed only to loopback"),
        "{}",
        out.stdout
    );

    // Deleted in Recall: 404.
    let prod = id_of(&h, "acme-prod");
    h.emulator.remove(&prod);
    let out = h.run(&["webhooks", "verify", "acme-prod"]).expect(1);
    assert_eq!(
        mask_ms(out.stdout.lines().next().unwrap()),
        "zoom_oauth_app.acme-prod: error: answered 404 Not Found: Not found. (N ms)"
    );
    assert!(
        out.stdout.contains("  = hint: Recall has no app with this ID: `recallform plan` shows whether it was deleted outside recallform\n"),
        "{}",
        out.stdout
    );

    // A redirect is not followed; an error status is reported.
    let h = Harness::new();
    two_apps(&h);
    let elsewhere = endpoint(&h, Behaviour::Fixed(200, "{}".into()));
    h.emulator.inject(Fault::new(
        Route::Any,
        1,
        FaultKind::Redirect {
            status: 307,
            location: elsewhere.url.clone(),
        },
    ));
    let out = h.run(&["webhooks", "verify", "acme-prod"]).expect(1);
    assert!(
        out.stdout.starts_with(&format!(
            "zoom_oauth_app.acme-prod: error: answered 307 Temporary Redirect, a redirect to `{}`, which Zoom does not follow (",
            elsewhere.url
        )),
        "{}",
        out.stdout
    );
    assert!(elsewhere.seen.lock().unwrap().is_empty());
    h.emulator.inject(Fault::new(
        Route::Any,
        1,
        FaultKind::Status {
            status: 503,
            retry_after: None,
        },
    ));
    let out = h.run(&["webhooks", "verify", "acme-prod"]).expect(1);
    assert!(
        out.stdout.starts_with(
            "zoom_oauth_app.acme-prod: error: answered 503 Service Unavailable: Injected fault. ("
        ),
        "{}",
        out.stdout
    );
    // One attempt each: a probe is not retried.
    assert_eq!(webhook_requests(&h).len(), 2, "{:?}", webhook_requests(&h));
}

#[test]
fn an_answer_without_a_validation_is_unanswered() {
    let h = Harness::new();
    two_apps(&h);
    let silent = endpoint(&h, Behaviour::Fixed(204, String::new()));
    record_url(&h, "acme-prod", &silent.url);
    let out = h.run(&["webhooks", "verify", "acme-prod"]).expect(1);
    assert_eq!(
        mask_ms(&out.stdout),
        format!(
            "zoom_oauth_app.acme-prod: unanswered: Recall answered 204 but not with a URL-validation answer (`plainToken` and `encryptedToken`), so the Secret Token is unchecked (N ms)\n    sent to: {}\n  = hint: the URL is reachable; Recall may not answer validations that Zoom did not send (this is unconfirmed): press Validate in the Zoom app, then `recallform status` shows when Recall last answered Zoom\n\nVerify complete: 0 matched, 0 mismatched, 0 too slow, 1 unanswered, 0 failed.\n",
            silent.url
        )
    );
    let doc = h
        .run(&["webhooks", "verify", "acme-prod", "--format", "json"])
        .expect(1)
        .json();
    assert_eq!(doc["apps"][0]["result"], "unanswered");
    assert_eq!(doc["apps"][0]["status"], 204);
    assert_eq!(doc["summary"]["unanswered"], 1);
    assert_eq!(doc["ok"], false);
}

#[test]
fn via_a_forwarding_endpoint() {
    let h = Harness::new();
    two_apps(&h);
    let prod = id_of(&h, "acme-prod");
    let recall_url = format!("{}/api/v2/zoom-oauth-apps/{prod}/webhook", h.emulator.url());

    // A correct forwarder: the probe reaches Recall through it, and Recall's answer comes back.
    let good = endpoint(&h, Behaviour::Forward(recall_url.clone()));
    let out = h
        .run(&["webhooks", "verify", "acme-prod", "--via", &good.url])
        .expect(0);
    assert_eq!(
        mask_ms(&out.stdout),
        format!(
            "zoom_oauth_app.acme-prod: matches (N ms)\n    sent to: {}\n\nVerify complete: 1 matched, 0 mismatched, 0 too slow, 0 failed.\n",
            good.url
        )
    );
    assert_eq!(webhook_requests(&h).len(), 1);
    // What it received is Zoom's validation, signed as Zoom signs.
    let seen = good.seen.lock().unwrap()[0].clone();
    let header = |name: &str| {
        seen.headers
            .get(name)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string()
    };
    let timestamp = header("x-zm-request-timestamp");
    assert_eq!(timestamp.len(), 10, "seconds: {timestamp}");
    assert!(webhook::verify_signature(
        &SecretString::new(webhook_secret("acme-prod")),
        &timestamp,
        &seen.body,
        &header("x-zm-signature"),
    ));
    assert_eq!(header("content-type"), "application/json; charset=utf-8");
    assert!(header("user-agent").starts_with("recallform/"));
    assert!(!header("x-zm-trackingid").is_empty());
    let event: Value = serde_json::from_slice(&seen.body).unwrap();
    assert_eq!(event["event"], "endpoint.url_validation");
    assert_eq!(event["payload"]["plainToken"].as_str().unwrap().len(), 22);
    let ms = event["event_ts"].as_u64().unwrap();
    assert_eq!(ms / 1000, timestamp.parse::<u64>().unwrap(), "milliseconds");
    assert!(seen.headers.get("authorization").is_none());

    // A forwarder that answers by itself with another Secret Token.
    let wrong = endpoint(&h, Behaviour::AnswerWith("the-relay-s-own-token"));
    let out = h
        .run(&[
            "webhooks",
            "verify",
            "acme-prod",
            "--via",
            &wrong.url,
            "--format",
            "json",
        ])
        .expect(1);
    let doc = out.json();
    assert_eq!(doc["via"], wrong.url.as_str());
    assert_eq!(doc["apps"][0]["result"], "mismatch");
    assert_eq!(
        doc["apps"][0]["message"],
        "the endpoint answered with an `encryptedToken` made with another Secret Token than the manifest's"
    );
    assert_eq!(
        doc["apps"][0]["hint"],
        "run `recallform webhooks verify acme-prod` without `--via`: if that matches, your endpoint does not pass Recall's answer back unchanged (or answers with a Secret Token of its own)"
    );
    no_secret(&out);

    // A forwarder that re-serialises the body breaks the signature, which Recall refuses.
    let smee = endpoint(&h, Behaviour::Reserialise(recall_url));
    let out = h
        .run(&["webhooks", "verify", "acme-prod", "--via", &smee.url])
        .expect(1);
    assert!(
        out.stdout.starts_with("zoom_oauth_app.acme-prod: mismatch: the endpoint refused the probe's signature (401: Invalid Zoom signature.)"),
        "{}",
        out.stdout
    );

    // Nothing listening there.
    let closed = closed_url();
    let out = h
        .run(&["webhooks", "verify", "acme-prod", "--via", &closed])
        .expect(1);
    assert!(
        out.stdout.contains(&format!(
            "  = hint: is your endpoint running, and is `{closed}` its address?\n"
        )),
        "{}",
        out.stdout
    );
    // `--via` needs no lockfile record: the endpoint knows where to forward.
    std::fs::remove_file(h.path("recallform.lock.json")).unwrap();
    h.run(&["webhooks", "verify", "acme-prod", "--via", &good.url])
        .expect(0);
}

#[test]
fn the_command_line_is_checked_before_anything_is_sent() {
    let h = Harness::new();
    two_apps(&h);
    let before = h.requests().len();
    for (args, message) in [
        (
            &["webhooks", "verify", "acme-qa"][..],
            "error: `acme-qa` is not an app of the manifest, which holds the Secret Token to check\n  = hint: the manifest's apps: `acme-dev`, `acme-prod`\n",
        ),
        (
            &[
                "webhooks",
                "verify",
                "--via",
                "https://hooks.acme.example/zoom",
            ],
            "error: `--via` names one endpoint, but 2 apps are selected\n  = hint: name the app whose webhooks it forwards: `recallform webhooks verify NAME --via URL`\n",
        ),
        (
            &[
                "webhooks",
                "verify",
                "acme-prod",
                "--via",
                "http://hooks.acme.example/zoom",
            ],
            "error: `--via http://hooks.acme.example/zoom` uses plain http://, which is allowed only to loopback (127.0.0.1, ::1, localhost); use https://\n",
        ),
    ] {
        let out = h.run(args).expect(64);
        assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", message));
    }
    let out = h
        .run(&[
            "webhooks",
            "verify",
            "--sandbox",
            "--via",
            "https://x.example/",
        ])
        .expect(64);
    assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);
    assert_eq!(h.requests().len(), before, "no request was sent");

    // It takes no `--api-url` or `--timeout`: no request to Recall's API, Zoom's 3 s.
    let help = Outcome::of(h.bare(&["webhooks", "verify", "--help"]))
        .expect(0)
        .stdout;
    assert!(
        help.contains("--via <URL>") && help.contains("--manifest"),
        "{help}"
    );
    assert!(
        !help.contains("--api-url") && !help.contains("--timeout"),
        "{help}"
    );

    // A secret that cannot be read stops the run, like a plan.
    let out = run_env(
        h.cmd(&["webhooks", "verify"]),
        &[],
        &["ACME_DEV_WEBHOOK_SECRET"],
    )
    .expect(1);
    assert!(out.stderr.contains("error[unset-env]"), "{}", out.stderr);
    assert_eq!(h.requests().len(), before);
}

#[test]
fn no_secret_reaches_any_output_even_at_vv() {
    let h = Harness::new();
    two_apps(&h);
    let echo = endpoint(
        &h,
        Behaviour::Fixed(
            400,
            json!({"detail": format!(
                "bad token {} for {}",
                webhook_secret("acme-prod"),
                client_secret("acme-dev")
            )})
            .to_string(),
        ),
    );
    record_url(&h, "acme-prod", &echo.url);
    let out = run_env(
        h.cmd(&["webhooks", "verify", "-vv"]),
        &[("ACME_DEV_WEBHOOK_SECRET", "zws-acme-dev-other-value")],
        &[],
    )
    .expect(1);
    assert!(
        out.stdout
            .contains("error: answered 400 Bad Request: bad token (sensitive) for (sensitive) ("),
        "{}",
        out.stdout
    );
    no_secret(&out);
    assert!(!out.stdout.contains("zws-acme-dev-other-value"));
    assert!(!out.stderr.contains("zws-acme-dev-other-value"));
    let json = h.run(&["webhooks", "verify", "--format", "json"]).expect(1);
    no_secret(&json);
}

/// An `https://` endpoint on 127.0.0.1 whose certificate no authority signed, counting the
/// handshakes that failed.
fn untrusted_tls(h: &Harness) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    let acceptor = untrusted_tls_acceptor();
    let listener = h
        .runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("https://{}/zoom/hook", listener.local_addr().unwrap());
    let failed: Arc<std::sync::atomic::AtomicUsize> = Arc::default();
    let count = failed.clone();
    h.runtime.spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            if acceptor.accept(stream).await.is_err() {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
    });
    (url, failed)
}

#[test]
fn certificates_are_checked_and_answers_are_capped() {
    let h = Harness::new();
    two_apps(&h);
    let (url, failed) = untrusted_tls(&h);
    let out = h
        .run(&["webhooks", "verify", "acme-prod", "--via", &url])
        .expect(1);
    assert!(
        out.stdout.starts_with(
            "zoom_oauth_app.acme-prod: error: the server's TLS certificate is not trusted, so nothing was sent ("
        ),
        "{}",
        out.stdout
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while failed.load(std::sync::atomic::Ordering::SeqCst) == 0
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(failed.load(std::sync::atomic::Ordering::SeqCst), 1);

    // An answer past 64 KiB is not read to its end.
    let huge = endpoint(&h, Behaviour::Fixed(200, "x".repeat(65 * 1024)));
    let out = h
        .run(&["webhooks", "verify", "acme-prod", "--via", &huge.url])
        .expect(1);
    assert!(
        out.stdout.starts_with(
            "zoom_oauth_app.acme-prod: error: answered 200 OK, with an answer larger than 64 KiB ("
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn the_readme_documents_every_result_and_json_key() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let start = readme
        .find("### `recallform webhooks verify [NAME...]`")
        .expect("a webhooks verify section");
    let section = &readme[start..start + readme[start..].find("\n## ").unwrap()];
    let h = Harness::new();
    two_apps(&h);
    let doc = h
        .run(&["webhooks", "verify", "--format", "json"])
        .expect(0)
        .json();
    let keys = doc
        .as_object()
        .unwrap()
        .keys()
        .chain(doc["apps"][0].as_object().unwrap().keys())
        .chain(doc["summary"].as_object().unwrap().keys())
        .cloned()
        .collect::<Vec<_>>();
    for word in keys.iter().map(String::as_str).chain([
        "matches",
        "mismatch",
        "too_slow",
        "unanswered",
        "error",
        "x-zm-request-timestamp",
        "x-zm-signature",
        "x-zm-trackingid",
        "application/json; charset=utf-8",
        probe_user_agent_prefix(),
    ]) {
        assert!(
            section.contains(&format!("`{word}")) || section.contains(&format!("\"{word}\"")),
            "the README's webhooks verify section lacks `{word}`"
        );
    }
}

/// How the probe's user agent begins, as the README names it.
fn probe_user_agent_prefix() -> &'static str {
    assert!(webhook::probe::USER_AGENT.starts_with("recallform/"));
    "recallform/<version> (webhooks verify)"
}
