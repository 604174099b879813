//! Recall as a hostile or broken network peer: answers that echo secrets, answers too large to
//! read, pages that loop, redirects, an untrusted certificate; and Recall's request IDs in
//! every error about an answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use recallform::emulator::{Config, Emulator, Fault, FaultKind, Route};

use crate::common::*;

/// Asserts that no harness secret (nor any of `extra`) is in any of the texts.
fn assert_clean(texts: &[(&str, &str)], extra: &[&str]) {
    for (what, text) in texts {
        assert_no_secret(what, text);
        for s in extra {
            assert!(!text.contains(s), "{what} contains `{s}`:\n{text}");
        }
    }
}

fn inject(h: &Harness, route: Route, kind: FaultKind) {
    h.emulator.inject(Fault::new(route, 1, kind));
}

#[test]
fn a_create_whose_400_echoes_the_secrets_shows_none_of_them() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    inject(&h, Route::Create, FaultKind::Echo { status: 400 });
    let out = h.run(&["apply", "--auto-approve", "-vv"]).expect(1);
    assert!(
        out.stdout.contains(
            "zoom_oauth_app.acme-prod: failed: creating the Zoom OAuth app with client_id `AbC123xyz`: Recall answered 400: client_id: \"AbC123xyz\" is not valid.; client_secret: \"(sensitive)\" is not valid.; kind: \"user_level\" is not valid.; nested: "
        ),
        "{}",
        out.stdout
    );
    let post = h
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert!(
        out.stdout.contains(&format!(
            "webhook_secret: \"(sensitive)\" is not valid. (request ID {})",
            post.request_id.unwrap()
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("response body: {"),
        "-vv logs the body:\n{}",
        out.stderr
    );
    let lock = h.lockfile_text().unwrap_or_default();
    assert_clean(
        &[
            ("stdout", &out.stdout),
            ("stderr", &out.stderr),
            ("lockfile", &lock),
        ],
        &[],
    );
    assert!(h.emulator.apps().is_empty());

    inject(&h, Route::Create, FaultKind::Echo { status: 400 });
    let out = h
        .run(&["apply", "--auto-approve", "--format", "json"])
        .expect(1);
    let json = out.json();
    let shown = json.to_string();
    assert!(shown.contains("(sensitive)"), "{shown}");
    let lock = h.lockfile_text().unwrap_or_default();
    assert_clean(
        &[
            ("json", &out.stdout),
            ("stderr", &out.stderr),
            ("lockfile", &lock),
        ],
        &[],
    );
    assert_eq!(h.writes().len(), 2, "one POST per apply, not retried");
}

#[test]
fn echoed_secrets_in_every_form_are_replaced() {
    // A secret with characters JSON and HTML escape, and one that is a number: the echo puts
    // them in strings, object keys, a list of numbers, and an HTML page.
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    let client_secret = r#"pa"ss\w<o>rd/&'1"#;
    let webhook_secret = "918273645546372819";
    let escaped = [r#"pa\"ss\\w"#, "pa&quot;ss", r#"pa\&quot;ss"#];
    let run = |fault: FaultKind| {
        inject(&h, Route::Create, fault);
        let mut cmd = h.cmd(&["apply", "--auto-approve", "-vv"]);
        cmd.env("ACME_PROD_CLIENT_SECRET", client_secret)
            .env("ACME_PROD_WEBHOOK_SECRET", webhook_secret);
        Outcome::of(cmd).expect(1)
    };
    let mut secrets = vec![client_secret, webhook_secret];
    secrets.extend(escaped);

    let out = run(FaultKind::Echo { status: 400 });
    assert!(
        out.stdout.contains(r#"nested: {"by_value":{"#),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            r#""non_field_errors":["AbC123xyz","(sensitive)","user_level","(sensitive)"]"#
        ),
        "the number came back as a number and is gone:\n{}",
        out.stdout
    );
    assert_clean(
        &[("stdout", &out.stdout), ("stderr", &out.stderr)],
        &secrets,
    );

    let out = run(FaultKind::EchoPage { status: 400 });
    assert!(
        out.stdout.contains("Recall answered 400: <!DOCTYPE html>"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("response body (not JSON): <!DOCTYPE html>")
            && out
                .stderr
                .contains("HTTP_AUTHORIZATION</td><td><pre>&#x27;Token (sensitive)&#x27;"),
        "-vv logs the whole page, cleaned:\n{}",
        out.stderr
    );
    assert_clean(
        &[("stdout", &out.stdout), ("stderr", &out.stderr)],
        &secrets,
    );
}

#[test]
fn an_api_key_echoed_by_a_401_is_replaced() {
    let h = Harness::new();
    h.manifest(&[]);
    inject(&h, Route::List, FaultKind::EchoToken);
    let out = h.run(&["plan", "-vv"]).expect(1);
    let id = h.requests()[0].request_id.clone().unwrap();
    assert!(
        out.stderr.contains(&format!(
            "listing the Zoom OAuth apps: Recall answered 401: Invalid token \"(sensitive)\". (request ID {id})\n  = hint: check the API key, and that it is a key of the Recall at `{}` (from `--api-url`)",
            h.emulator.url()
        )),
        "{}",
        out.stderr
    );
    assert_clean(
        &[("stdout", &out.stdout), ("stderr", &out.stderr)],
        &[API_KEY],
    );
    assert_eq!(h.requests().len(), 1);
}

#[test]
fn a_17_mib_answer_is_refused() {
    let h = Harness::new();
    h.manifest(&[]);
    inject(&h, Route::List, FaultKind::HugeBody(17 << 20));
    let out = h.run(&["plan"]).expect(1);
    let id = h.requests()[0].request_id.clone().unwrap();
    assert!(
        out.stderr.contains(&format!(
            "listing the Zoom OAuth apps: the answer is larger than 16 MiB; stopping (request ID {id})"
        )),
        "{}",
        out.stderr
    );
    assert_eq!(h.requests().len(), 1, "not retried");
}

#[test]
fn a_looping_next_stops_after_exactly_the_pages_read() {
    let h = Harness::with_config(Config {
        page_size: 1,
        ..Default::default()
    });
    for id in ["a", "b", "c"] {
        h.emulator.seed("user_level", id);
    }
    // Page 1 is fine; page 2 names itself as the next page.
    inject(&h, Route::List, FaultKind::Delay(std::time::Duration::ZERO));
    inject(&h, Route::List, FaultKind::LoopingNext);
    h.manifest(&[]);
    let out = h.run(&["plan"]).expect(1);
    let log = h.requests();
    assert_eq!(log.len(), 2, "no request after the loop showed: {log:?}");
    assert!(log[1].uri.contains("cursor="), "{log:?}");
    assert!(
        out.stderr.contains(&format!(
            "listing the Zoom OAuth apps: the next page `{}{}` was already read, so Recall's pages go round in a loop; stopping (request ID {})",
            h.emulator.url(),
            log[1].uri,
            log[1].request_id.as_deref().unwrap()
        )),
        "{}",
        out.stderr
    );
}

#[test]
fn recalls_request_id_is_quoted_in_errors_about_an_answer() {
    let h = Harness::new();
    h.manifest(&[]);
    let status = |status| FaultKind::Status {
        status,
        retry_after: Some(0),
    };
    inject(&h, Route::List, status(400));
    let out = h.run(&["plan"]).expect(1);
    let id = h.requests()[0].request_id.clone().unwrap();
    assert!(
        out.stderr.contains(&format!(
            "listing the Zoom OAuth apps: Recall answered 400: Injected fault. (request ID {id})"
        )),
        "{}",
        out.stderr
    );

    h.emulator.inject(Fault::new(Route::List, 5, status(502)));
    let out = h.run(&["plan"]).expect(1);
    let log = h.requests();
    assert_eq!(log.len(), 6);
    let last = log[5].request_id.clone().unwrap();
    assert_ne!(Some(&last), log[4].request_id.as_ref(), "one ID per answer");
    assert!(
        out.stderr.contains(&format!(
            "gave up after 5 attempts; the last one failed: Recall answered 502 Bad Gateway (request ID {last})"
        )),
        "{}",
        out.stderr
    );

    // A request that got no answer has no ID to quote.
    h.emulator
        .inject(Fault::new(Route::List, 5, FaultKind::DropBeforeWrite));
    let out = h.run(&["plan"]).expect(1);
    assert!(
        out.stderr.contains("gave up after 5 attempts"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("request ID"), "{}", out.stderr);
}

#[test]
fn a_redirect_is_never_followed() {
    for status in [302, 307] {
        let h = Harness::new();
        let other = h
            .runtime
            .block_on(Emulator::start(
                ([127, 0, 0, 1], 0).into(),
                Config::default(),
            ))
            .unwrap();
        let location = format!("{}/api/v2/zoom-oauth-apps/", other.url());
        inject(
            &h,
            Route::List,
            FaultKind::Redirect {
                status,
                location: location.clone(),
            },
        );
        h.manifest(&[]);
        let out = h.run(&["plan", "-vv"]).expect(1);
        assert!(
            out.stderr.contains(&format!(
                "listing the Zoom OAuth apps: Recall answered {status}: a redirect to `{location}`, which recallform never follows (the API key goes only where it is sent) (request ID "
            )),
            "{}",
            out.stderr
        );
        assert_eq!(h.requests().len(), 1, "not retried");
        assert!(other.requests().is_empty(), "the other server saw nothing");
        assert_clean(&[("stderr", &out.stderr)], &[]);
    }
}

/// A TLS server on 127.0.0.1 with the self-signed certificate of `tests/fixtures/tls`, which
/// counts the handshakes that succeeded and the bytes of request it read.
struct TlsServer {
    url: String,
    handshakes_failed: Arc<AtomicUsize>,
    handshakes_done: Arc<AtomicUsize>,
    bytes_read: Arc<AtomicUsize>,
}

fn tls_server(h: &Harness) -> TlsServer {
    use tokio::io::AsyncReadExt;

    let acceptor = untrusted_tls_acceptor();
    let listener = h
        .runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let server = TlsServer {
        url: format!("https://{}", listener.local_addr().unwrap()),
        handshakes_failed: Arc::default(),
        handshakes_done: Arc::default(),
        bytes_read: Arc::default(),
    };
    let (failed, done, read) = (
        server.handshakes_failed.clone(),
        server.handshakes_done.clone(),
        server.bytes_read.clone(),
    );
    h.runtime.spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            match acceptor.accept(stream).await {
                Err(_) => {
                    failed.fetch_add(1, Ordering::SeqCst);
                }
                Ok(mut tls) => {
                    done.fetch_add(1, Ordering::SeqCst);
                    let mut buf = [0u8; 4096];
                    while let Ok(n @ 1..) = tls.read(&mut buf).await {
                        read.fetch_add(n, Ordering::SeqCst);
                    }
                }
            }
        }
    });
    server
}

#[test]
fn an_untrusted_certificate_fails_before_any_request() {
    let h = Harness::new();
    h.manifest(&[]);
    let server = tls_server(&h);
    let out = h
        .bare(&["plan", "--api-url", &server.url])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "listing the Zoom OAuth apps: the server's TLS certificate is not trusted, so nothing was sent (invalid peer certificate: UnknownIssuer)"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("gave up"), "not retried: {stderr}");
    // The server notices the refused handshake a moment after the client has gone.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while server.handshakes_failed.load(Ordering::SeqCst) == 0
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(
        server.handshakes_failed.load(Ordering::SeqCst),
        1,
        "one attempt, not retried"
    );
    assert_eq!(server.handshakes_done.load(Ordering::SeqCst), 0);
    assert_eq!(
        server.bytes_read.load(Ordering::SeqCst),
        0,
        "no HTTP request, so no Authorization header, reached the server"
    );
}

#[test]
fn the_source_never_weakens_tls_or_follows_redirects() {
    // Certificate checks and the no-redirect policy are one builder call away from being
    // lost; this fails the build's tests if any file under src/ makes that call.
    let forbidden = [
        concat!("danger_", "accept_invalid"),
        concat!("tls_backend_", "preconfigured"),
        concat!(".danger", "ous()"),
    ];
    let mut files = vec![repo_root().join("src")];
    let mut redirect_calls = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let text: String = text.split_whitespace().collect();
        for f in forbidden {
            assert!(!text.contains(f), "`{}` calls `{f}`", path.display());
        }
        for (at, _) in text.match_indices("redirect::Policy::") {
            assert!(
                text[at..].starts_with("redirect::Policy::none()"),
                "`{}` sets a redirect policy other than `none()`",
                path.display()
            );
        }
        for (at, _) in text.match_indices(".redirect(") {
            redirect_calls += 1;
            assert!(
                text[at..].starts_with(".redirect(reqwest::redirect::Policy::none())"),
                "`{}` sets a redirect policy other than `none()`",
                path.display()
            );
        }
    }
    assert_eq!(
        redirect_calls, 4,
        "every client (Recall's, the webhook probe's, the relay's forwarder and tee) sets the policy"
    );
}

/// Recall may quote secrets the request did not carry (here, what it stores for every app):
/// the session tells the client every secret it resolved, so those are replaced too.
#[test]
fn secrets_a_request_did_not_carry_are_replaced_too() {
    let h = Harness::new();
    h.manifest(&[
        ("acme-prod", "user_level", "AbC123xyz"),
        ("globex", "account_level", "GlobexId"),
    ]);
    h.run(&["apply", "--auto-approve"]).expect(0);
    // A plan sends no secret; a list that fails with the stored ones must not show them.
    inject(&h, Route::List, FaultKind::EchoStored { status: 400 });
    let out = h.run(&["plan", "-vv"]).expect(1);
    assert!(
        out.stderr
            .contains("app AbC123xyz has client_secret (sensitive) and webhook_secret (sensitive)"),
        "{}",
        out.stderr
    );
    assert_clean(&[("stdout", &out.stdout), ("stderr", &out.stderr)], &[]);
}
