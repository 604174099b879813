//! The client against the emulator (and, where the emulator is too well-behaved, a raw socket):
//! the size cap, pagination loops, request IDs and redaction at the client's one exit.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

use super::{Client, NewApp, RecallError};
use crate::emulator::{Config, Emulator, Fault, FaultKind, Route};
use crate::model::{Kind, SecretString};

const KEY: &str = "unit-test-api-key-7Hq2";

async fn emulator(config: Config) -> Emulator {
    let config = Config {
        api_key: Some(KEY.into()),
        ..config
    };
    Emulator::start(([127, 0, 0, 1], 0).into(), config)
        .await
        .unwrap()
}

fn client_for(url: &str) -> Client {
    Client::new(
        Url::parse(url).unwrap(),
        SecretString::new(KEY.into()),
        Duration::from_secs(5),
    )
    .unwrap()
}

fn secret(s: &str) -> SecretString {
    SecretString::new(s.into())
}

/// The `x-request-id` of the emulator's last answer.
fn last_request_id(e: &Emulator) -> String {
    e.requests().last().unwrap().request_id.clone().unwrap()
}

#[tokio::test]
async fn a_body_over_the_cap_is_refused_by_its_content_length() {
    let e = emulator(Config::default()).await;
    e.inject(Fault::new(Route::List, 1, FaultKind::HugeBody(1001)));
    let c = client_for(&e.url()).with_max_response_bytes(1000);
    let err = c.list_apps(None).await.unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "listing the Zoom OAuth apps: the answer is larger than 1000 bytes; stopping (request ID {})",
            last_request_id(&e)
        )
    );
    assert_eq!(e.requests().len(), 1, "not retried");
}

#[tokio::test]
async fn a_chunked_body_is_stopped_once_its_chunks_pass_the_cap() {
    let e = emulator(Config::default()).await;
    e.inject(Fault::new(
        Route::List,
        1,
        FaultKind::HugeChunkedBody(8 << 20),
    ));
    let c = client_for(&e.url()).with_max_response_bytes(64 << 10);
    let err = c.list_apps(None).await.unwrap_err().to_string();
    assert!(
        err.contains("the answer is larger than 64 KiB; stopping (request ID "),
        "{err}"
    );
}

#[tokio::test]
async fn a_body_of_exactly_the_cap_is_read() {
    let e = emulator(Config::default()).await;
    e.inject(Fault::new(Route::List, 1, FaultKind::HugeBody(1000)));
    e.inject(Fault::new(Route::List, 1, FaultKind::HugeChunkedBody(1000)));
    let c = client_for(&e.url()).with_max_response_bytes(1000);
    assert!(c.list_apps(None).await.unwrap().is_empty());
    assert!(c.list_apps(None).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_looping_next_stops_before_going_round_again() {
    let e = emulator(Config {
        page_size: 1,
        ..Default::default()
    })
    .await;
    for id in ["a", "b", "c"] {
        e.seed("user_level", id);
    }
    // The first page is fine; the second names itself as the next one.
    e.inject(Fault::new(Route::List, 1, FaultKind::Delay(Duration::ZERO)));
    e.inject(Fault::new(Route::List, 1, FaultKind::LoopingNext));
    let c = client_for(&e.url());
    let err = c.list_apps(None).await.unwrap_err().to_string();
    let log = e.requests();
    assert_eq!(log.len(), 2, "no request after the loop showed");
    assert_eq!(
        err,
        format!(
            "listing the Zoom OAuth apps: the next page `{}{}` was already read, so Recall's pages go round in a loop; stopping (request ID {})",
            e.url(),
            log[1].uri,
            log[1].request_id.as_deref().unwrap()
        )
    );
}

#[tokio::test]
async fn the_page_cap_stops_the_list() {
    let e = emulator(Config {
        page_size: 1,
        ..Default::default()
    })
    .await;
    for id in ["a", "b", "c", "d", "e"] {
        e.seed("user_level", id);
    }
    let c = client_for(&e.url()).with_max_pages(3);
    let err = c.list_apps(None).await.unwrap_err().to_string();
    assert_eq!(
        err,
        "listing the Zoom OAuth apps: Recall listed more than 3 pages, more than any workspace holds; stopping"
    );
    assert_eq!(e.requests().len(), 3, "no request past the cap");
    let c = client_for(&e.url()).with_max_pages(5);
    assert_eq!(
        c.list_apps(None).await.unwrap().len(),
        5,
        "5 pages fit a cap of 5"
    );
}

#[tokio::test]
async fn echoed_secrets_never_leave_any_public_method() {
    let e = emulator(Config::default()).await;
    let app = e.seed("user_level", "cid");
    let c = client_for(&e.url());
    let (cs, ws, known) = (
        secret("client-secret-9Zp"),
        secret("123456789012"),
        secret("known-but-unsent-4Kd"),
    );
    c.know_secrets([&known]);
    e.inject(Fault::new(
        Route::Create,
        1,
        FaultKind::Echo { status: 400 },
    ));
    let new = NewApp {
        kind: Kind::UserLevel,
        client_id: "known-but-unsent-4Kd",
        client_secret: &cs,
        webhook_secret: &ws,
    };
    let err = c.create_app(&new).await.unwrap_err();
    assert!(matches!(err, RecallError::Api { status: 400, .. }), "{err}");
    let shown = err.to_string();
    for s in ["client-secret-9Zp", "123456789012", "known-but-unsent-4Kd"] {
        assert!(!shown.contains(s), "{shown}");
    }
    assert!(shown.contains("is not valid."), "{shown}");

    e.inject(Fault::new(
        Route::Update,
        1,
        FaultKind::EchoPage { status: 400 },
    ));
    let err = c
        .update_secrets(&app.id, Some(&secret("patched-secret-8Lw")), None)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("Recall answered 400"), "{err}");
    for s in ["patched-secret-8Lw", KEY] {
        assert!(!err.contains(s), "{err}");
    }

    for route in [Route::List, Route::Retrieve, Route::Delete] {
        e.inject(Fault::new(route, 1, FaultKind::EchoToken));
    }
    let errors = [
        c.list_apps(None).await.unwrap_err(),
        c.get_app(&app.id).await.unwrap_err(),
        c.delete_app(&app.id).await.unwrap_err(),
    ];
    for err in errors {
        let err = err.to_string();
        assert!(err.contains("Invalid token \"(sensitive)\"."), "{err}");
        assert!(!err.contains(KEY), "{err}");
    }
}

#[tokio::test]
async fn secrets_recall_returns_are_learned() {
    let e = emulator(Config::default()).await;
    e.seed("user_level", "cid");
    let c = client_for(&e.url());
    c.list_apps(None).await.unwrap();
    assert_eq!(c.redactor().text("x seeded-client-secret"), "x (sensitive)");
    assert_eq!(c.redactor().text("seeded-webhook-secret"), "(sensitive)");
}

/// Answers every connection on 127.0.0.1 with this status line, headers and body, after
/// reading the request's head.
async fn raw_server(status: &str, headers: &str, body: &str) -> String {
    let response = format!(
        "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    raw_answer(response).await
}

/// A server that answers every request with `response`, byte for byte, then closes.
async fn raw_answer(response: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    });
    url
}

const JSON: &str = "content-type: application/json\r\n";

#[tokio::test]
async fn works_without_a_request_id() {
    let page = r#"{"next": null, "previous": null, "results": []}"#;
    let url = raw_server("200 OK", JSON, page).await;
    assert!(client_for(&url).list_apps(None).await.unwrap().is_empty());
    let url = raw_server("400 Bad Request", JSON, r#"{"detail": "Bad."}"#).await;
    let err = client_for(&url)
        .list_apps(None)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "listing the Zoom OAuth apps: Recall answered 400: Bad."
    );
}

#[tokio::test]
async fn a_request_id_from_another_header_is_quoted() {
    let headers = format!("x-amz-cf-id: cf-77\r\nx-amzn-requestid: amzn-42\r\n{JSON}");
    let url = raw_server("404 Not Found", &headers, r#"{"detail": "Not found."}"#).await;
    // A 404 on delete is "already gone", not an error; a list's 404 is one.
    assert!(!client_for(&url).delete_app("x").await.unwrap());
    let err = client_for(&url)
        .list_apps(None)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "listing the Zoom OAuth apps: Recall answered 404: Not found. (request ID amzn-42)"
    );
}

#[tokio::test]
async fn a_redirect_is_an_error_that_names_it() {
    let headers = "location: https://elsewhere.example/steal?key=1\r\n";
    let url = raw_server("307 Temporary Redirect", headers, "").await;
    let err = client_for(&url)
        .list_apps(None)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "listing the Zoom OAuth apps: Recall answered 307: a redirect to `https://elsewhere.example/steal`, which recallform never follows (the API key goes only where it is sent)"
    );
}

#[tokio::test]
async fn a_decode_error_that_quotes_a_returned_secret_is_cleaned_at_the_exit() {
    // Recall returns a secret as a number: it is learned from the body, and serde's message,
    // which quotes it, is cleaned on its way out of the client.
    let page = r#"{"next": null, "results": [{"id": "0b5f6a63-9d7e-4c55-a0bb-1a2b3c4d5e6f", "kind": "user_level", "client_id": "c", "created_at": "t", "client_secret": 918273645546372819}]}"#;
    let url = raw_server("200 OK", JSON, page).await;
    let err = client_for(&url)
        .list_apps(None)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "listing the Zoom OAuth apps: Recall answered 200 to `GET /api/v2/zoom-oauth-apps/`, but its JSON is not what the API returns (invalid type: integer `(sensitive)`, expected a string)"
    );
}

#[tokio::test]
async fn giving_up_on_timeouts_says_how_to_wait_longer() {
    let e = emulator(Config::default()).await;
    for _ in 0..2 {
        e.inject(Fault::new(
            Route::List,
            1,
            FaultKind::Delay(Duration::from_millis(1500)),
        ));
    }
    let quick = super::retry::RetryPolicy {
        max_attempts: 2,
        base: Duration::from_millis(1),
        cap: Duration::from_millis(1),
        ..Default::default()
    };
    let c = Client::new(
        Url::parse(&e.url()).unwrap(),
        SecretString::new(KEY.into()),
        Duration::from_secs(1),
    )
    .unwrap()
    .with_retry(quick);
    let err = c.list_apps(None).await.unwrap_err().to_string();
    assert!(
        err.starts_with(
            "listing the Zoom OAuth apps: gave up after 2 attempts; the last one failed: timed out"
        ),
        "{err}"
    );
    assert!(
        err.ends_with(
            "\n  = hint: no answer came within 1 second; `--timeout SECONDS` waits longer"
        ),
        "{err}"
    );
}

/// An app with `n` log entries, one a minute from 10:00, each naming its minute.
async fn app_with_logs(e: &Emulator, n: u32) -> String {
    let app = e.seed("user_level", "cid");
    for minute in 0..n {
        e.seed_log(
            &app.id,
            &format!("entry {minute}"),
            &format!("2026-03-01T10:{minute:02}:00Z"),
        );
    }
    app.id
}

#[tokio::test]
async fn app_logs_read_newest_first_and_no_more_pages_than_the_limit_needs() {
    let e = emulator(Config {
        page_size: 2,
        ..Default::default()
    })
    .await;
    let id = app_with_logs(&e, 5).await;
    let c = client_for(&e.url());
    let logs = c.list_app_logs(&id, None, 3).await.unwrap();
    let messages: Vec<&str> = logs.entries.iter().map(|l| l.message.as_str()).collect();
    assert_eq!(messages, ["entry 4", "entry 3", "entry 2"]);
    assert!(logs.more);
    let uris: Vec<String> = e.requests().into_iter().map(|r| r.uri).collect();
    assert_eq!(
        uris.len(),
        2,
        "two pages of two hold three entries: {uris:?}"
    );
    assert_eq!(
        uris[0],
        format!("/api/v2/zoom-oauth-app-logs/?oauth_app={id}&ordering=-created_at")
    );

    // The limit at a page's end, with a page after it: more, said by `next` alone.
    let logs = c.list_app_logs(&id, None, 4).await.unwrap();
    assert_eq!((logs.entries.len(), logs.more), (4, true));
    // Exactly the limit, with nothing after it: no more.
    let logs = c.list_app_logs(&id, None, 5).await.unwrap();
    assert_eq!((logs.entries.len(), logs.more), (5, false));
    // Only since a time, which the request carries.
    let logs = c
        .list_app_logs(&id, Some("2026-03-01T10:03:00.000000Z"), 10)
        .await
        .unwrap();
    let messages: Vec<&str> = logs.entries.iter().map(|l| l.message.as_str()).collect();
    assert_eq!((messages, logs.more), (vec!["entry 4", "entry 3"], false));
    assert_eq!(
        e.requests().last().unwrap().uri,
        format!(
            "/api/v2/zoom-oauth-app-logs/?oauth_app={id}&created_at_after=2026-03-01T10%3A03%3A00.000000Z&ordering=-created_at"
        )
    );
}

#[tokio::test]
async fn app_log_messages_never_show_a_secret() {
    let e = emulator(Config::default()).await;
    let app = e.seed("user_level", "cid");
    e.seed_log(
        &app.id,
        &format!("callback refused token {KEY}"),
        "2026-03-01T10:00:00Z",
    );
    let logs = client_for(&e.url())
        .list_app_logs(&app.id, None, 5)
        .await
        .unwrap();
    assert_eq!(
        logs.entries[0].message,
        "callback refused token (sensitive)"
    );
}

#[tokio::test]
async fn credentials_follow_every_page_with_their_filters() {
    let e = emulator(Config {
        page_size: 2,
        ..Default::default()
    })
    .await;
    let app = e.seed("user_level", "cid");
    let other = e.seed("account_level", "other");
    for (status, sync) in [
        ("healthy", "completed"),
        ("unhealthy", "failed"),
        ("healthy", "failed"),
        ("healthy", "in_progress"),
        ("unhealthy", "completed"),
    ] {
        e.seed_credential(&app.id, status, sync);
    }
    e.seed_credential(&other.id, "unhealthy", "failed");
    let c = client_for(&e.url());
    let all = c
        .list_credentials(&super::CredentialFilter {
            oauth_app: Some(&app.id),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(e.requests().len(), 3, "pages of 2, 2 and 1");
    assert!(
        all.iter()
            .all(|c| c.oauth_app == app.id && c.user_id.is_some())
    );

    let failed = c
        .list_credentials(&super::CredentialFilter {
            oauth_app: Some(&app.id),
            status: Some("healthy"),
            meeting_sync_status: Some("failed"),
        })
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        e.requests().last().unwrap().uri,
        format!(
            "/api/v2/zoom-oauth-credentials/?oauth_app={}&status=healthy&meeting_sync_status=failed",
            app.id
        )
    );
    // An error names the filters, so it says which list failed.
    let err = c
        .list_credentials(&super::CredentialFilter {
            status: Some("sick"),
            ..Default::default()
        })
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(
            "listing the Zoom OAuth credentials with status `sick`: Recall answered 400: status: Select a valid choice."
        ),
        "{err}"
    );
}

#[tokio::test]
async fn every_list_shares_the_loop_guard_and_the_retries() {
    let e = emulator(Config {
        page_size: 1,
        ..Default::default()
    })
    .await;
    let id = app_with_logs(&e, 3).await;
    e.inject(Fault::new(Route::ListAppLogs, 1, FaultKind::LoopingNext));
    let c = client_for(&e.url());
    let err = c
        .list_app_logs(&id, None, 10)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("go round in a loop; stopping"), "{err}");
    assert_eq!(e.requests().len(), 1);

    e.inject(Fault::new(
        Route::ListCredentials,
        1,
        FaultKind::Status {
            status: 429,
            retry_after: Some(0),
        },
    ));
    let found = c
        .list_credentials(&super::CredentialFilter::default())
        .await
        .unwrap();
    assert!(found.is_empty());
    let statuses: Vec<Option<u16>> = e.requests()[1..].iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Some(429), Some(200)]);
}

#[tokio::test]
async fn a_body_cut_off_on_the_wire_names_the_request_and_the_status() {
    // `Content-Length` promises 100 bytes; 14 come, then the connection closes.
    let response = format!(
        "HTTP/1.1 200 OK\r\n{JSON}x-request-id: r-cut\r\ncontent-length: 100\r\nconnection: close\r\n\r\n{{\"next\": null,"
    );
    let url = raw_answer(response).await;
    let err = client_for(&url)
        .list_apps(None)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(
            "listing the Zoom OAuth apps: Recall answered 200 to `GET /api/v2/zoom-oauth-apps/`, but the response was cut off ("
        ),
        "{err}"
    );
    assert!(
        err.ends_with(") after 14 bytes (request ID r-cut)"),
        "{err}"
    );
}

#[tokio::test]
async fn a_create_whose_answer_is_cut_short_is_found_by_its_client_id() {
    let e = emulator(Config::default()).await;
    e.inject(Fault::new(Route::Create, 1, FaultKind::TruncatedBody));
    let c = client_for(&e.url());
    let new = NewApp {
        kind: Kind::UserLevel,
        client_id: "cid-cut",
        client_secret: &secret("cs-cut-secret"),
        webhook_secret: &secret("ws-cut-secret"),
    };
    let app = c.create_app(&new).await.unwrap();
    assert_eq!(app.id, e.apps()[0].id, "the app Recall created");
    let sent: Vec<String> = e
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.uri))
        .collect();
    assert_eq!(
        sent,
        [
            "POST /api/v2/zoom-oauth-apps/",
            "GET /api/v2/zoom-oauth-apps/?client_id=cid-cut"
        ]
    );
}

#[tokio::test]
async fn a_list_that_ignores_its_client_id_filter_never_passes_another_app_off() {
    // A proxy that drops the query would answer the lookup after a lost create with every app:
    // here, only another one. Taking it for the app just created would record the wrong ID and
    // create nothing.
    let e = emulator(Config::default()).await;
    let other = e.seed("user_level", "cid-other");
    e.inject(Fault::new(Route::Create, 1, FaultKind::DropBeforeWrite));
    e.inject(Fault::new(
        Route::List,
        1,
        FaultKind::Rewrite {
            pointer: "/results".into(),
            value: Some(serde_json::json!([other.to_json(false)]).to_string()),
        },
    ));
    let c = client_for(&e.url());
    let new = NewApp {
        kind: Kind::UserLevel,
        client_id: "cid-new",
        client_secret: &secret("cs-new-secret"),
        webhook_secret: &secret("ws-new-secret"),
    };
    let err = c.create_app(&new).await.unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "listing the Zoom OAuth apps with client_id `cid-new`: Recall answered 200 to `GET /api/v2/zoom-oauth-apps/`, but it lists an app with the client_id `cid-other`, not the `cid-new` the list was filtered by (request ID {})",
            last_request_id(&e)
        )
    );
    let posts = e.requests().iter().filter(|r| r.method == "POST").count();
    assert_eq!(posts, 1, "no create after the broken lookup");
}

#[tokio::test]
async fn an_app_answered_with_an_id_that_is_not_a_uuid_is_refused() {
    let e = emulator(Config::default()).await;
    let app = e.seed("user_level", "cid-x");
    e.inject(Fault::new(
        Route::Retrieve,
        1,
        FaultKind::Rewrite {
            pointer: "/id".into(),
            value: Some("\"../x\"".into()),
        },
    ));
    let err = client_for(&e.url())
        .get_app(&app.id)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "reading the Zoom OAuth app `{}`: Recall answered 200 to `GET /api/v2/zoom-oauth-apps/{}/`, but the app it returned has the `id` `../x`, which is not a UUID (request ID {})",
            app.id,
            app.id,
            last_request_id(&e)
        )
    );
}
