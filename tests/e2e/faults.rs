//! Recall misbehaving: rate limits, server errors, dropped connections, hostile links.

use std::time::Duration;

use recallform::emulator::{Config, Emulator, Fault, FaultKind, Route};

use crate::common::*;

fn statuses(h: &Harness, method: &str) -> Vec<Option<u16>> {
    h.requests()
        .iter()
        .filter(|r| r.method == method)
        .map(|r| r.status)
        .collect()
}

#[test]
fn honours_retry_after_on_429() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    h.emulator.inject(Fault::new(
        Route::List,
        1,
        FaultKind::Status {
            status: 429,
            retry_after: Some(1),
        },
    ));
    h.run(&["plan"]).expect(0);
    let lists = h.requests();
    assert_eq!(statuses(&h, "GET"), [Some(429), Some(200)]);
    let waited = lists[1].at.duration_since(lists[0].at);
    assert!(
        waited >= Duration::from_millis(950),
        "waited only {waited:?} after Retry-After: 1"
    );
}

#[test]
fn the_emulator_rate_limits_lists_per_minute() {
    // Recall's own limit, not an injected fault: the third list within a minute is refused
    // with a Retry-After the client must not exceed its cap on.
    let h = Harness::with_config(Config {
        list_per_minute: 2,
        ..Default::default()
    });
    h.manifest(&[]);
    h.run(&["plan"]).expect(0);
    h.run(&["plan"]).expect(0);
    let log_before = h.requests().len();
    let mut cmd = h.cmd(&["plan"]);
    cmd.timeout(Duration::from_secs(2));
    let out = Outcome::of(cmd);
    assert_ne!(out.code, 0, "the third list had to wait for the window");
    let throttled = &h.requests()[log_before];
    assert_eq!(throttled.status, Some(429));
}

#[test]
fn retries_server_errors_with_one_idempotency_key() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    h.emulator.inject(Fault::new(
        Route::Create,
        2,
        FaultKind::Status {
            status: 503,
            retry_after: None,
        },
    ));
    h.run(&["apply", "--auto-approve"]).expect(0);
    let posts: Vec<_> = h
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(
        posts.iter().map(|r| r.status).collect::<Vec<_>>(),
        [Some(503), Some(503), Some(201)]
    );
    let key = posts[0]
        .idempotency_key
        .clone()
        .expect("creates carry an Idempotency-Key");
    assert!(
        posts
            .iter()
            .all(|p| p.idempotency_key.as_ref() == Some(&key))
    );
    assert_eq!(h.emulator.apps().len(), 1);
}

#[test]
fn a_connection_dropped_after_the_write_leaves_exactly_one_app() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    h.emulator
        .inject(Fault::new(Route::Create, 1, FaultKind::DropAfterWrite));
    h.run(&["apply", "--auto-approve"]).expect(0);
    let apps = h.emulator.apps();
    assert_eq!(apps.len(), 1, "exactly one app");
    assert_eq!(
        h.lockfile()["zoom_oauth_apps"]["acme-prod"]["id"],
        apps[0].id.as_str()
    );
    h.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn a_dropped_connection_never_duplicates_even_without_idempotency() {
    // If Recall had forgotten the key (or rejected nothing), only the lookup by client_id
    // stands between a lost answer and a second app; prove it does.
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    h.emulator
        .inject(Fault::new(Route::Create, 1, FaultKind::DropAfterWrite));
    h.run(&["apply", "--auto-approve"]).expect(0);
    let posts = h
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(
        posts, 1,
        "the app was found by client_id, so no second POST was sent"
    );
    assert_eq!(h.emulator.apps().len(), 1);
}

#[test]
fn a_connection_dropped_before_the_write_is_retried() {
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    h.emulator
        .inject(Fault::new(Route::Create, 1, FaultKind::DropBeforeWrite));
    h.run(&["apply", "--auto-approve"]).expect(0);
    assert_eq!(statuses(&h, "POST"), [None, Some(201)]);
    assert_eq!(h.emulator.apps().len(), 1);
}

#[test]
fn a_failed_create_does_not_stop_the_others() {
    let h = Harness::new();
    h.manifest(&[
        ("acme-prod", "user_level", "AbC123xyz"),
        ("acme-dev", "user_level", "Dev1"),
    ]);
    h.emulator.inject(Fault::new(
        Route::Create,
        1,
        FaultKind::Status {
            status: 400,
            retry_after: None,
        },
    ));
    let out = h
        .run(&["apply", "--auto-approve", "--parallelism", "1"])
        .expect(5);
    assert!(
        out.stdout
            .contains("failed: creating the Zoom OAuth app with client_id"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Recall answered 400: Injected fault."));
    assert!(out.stdout.contains(
        "Apply complete: 1 created, 0 adopted, 0 updated, 0 replaced, 0 deleted, 0 moved, 1 failed."
    ));
    assert!(out.stderr.contains("1 of 2 operations failed"));
    assert_eq!(h.emulator.apps().len(), 1);
    assert_eq!(
        h.lockfile()["zoom_oauth_apps"].as_object().unwrap().len(),
        1
    );
    let plan = h.run(&["plan", "--format", "json"]).expect(0).json();
    assert_eq!(
        plan["summary"]["create"], 1,
        "the failed one is still to do"
    );
}

#[test]
fn gives_up_after_bounded_attempts() {
    let h = Harness::new();
    h.manifest(&[]);
    h.emulator.inject(Fault::new(
        Route::List,
        10,
        FaultKind::Status {
            status: 502,
            retry_after: Some(0),
        },
    ));
    let out = h.run(&["plan"]).expect(1);
    assert!(
        out.stderr.contains("gave up after 5 attempts"),
        "{}",
        out.stderr
    );
    assert_eq!(h.requests().len(), 5);
}

#[test]
fn never_follows_a_next_link_to_another_host() {
    let h = Harness::with_config(Config {
        page_size: 1,
        ..Default::default()
    });
    h.emulator.seed("user_level", "a");
    h.emulator.seed("user_level", "b");
    let other = h
        .runtime
        .block_on(Emulator::start(
            ([127, 0, 0, 1], 0).into(),
            Config::default(),
        ))
        .unwrap();
    // Same IP, other port: another origin all the same.
    h.emulator.inject(Fault::new(
        Route::List,
        1,
        FaultKind::ForeignNext(other.url()),
    ));
    h.manifest(&[]);
    let out = h.run(&["plan"]).expect(1);
    assert!(
        out.stderr.contains("refusing to send the API key there"),
        "{}",
        out.stderr
    );
    assert!(
        other.requests().is_empty(),
        "the other host saw no request, so no key"
    );
}

#[test]
fn a_wrong_api_key_is_a_clear_error() {
    let h = Harness::new();
    h.manifest(&[]);
    let out = Outcome::of({
        let mut c = h.cmd(&["plan", "--detailed-exitcode"]);
        c.env("RECALL_API_KEY", "wrong-key");
        c
    })
    .expect(1);
    assert!(
        out.stderr
            .contains("listing the Zoom OAuth apps: Recall answered 401: Invalid token."),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("wrong-key"));
}

/// The last request's `x-request-id`, as the error quotes it.
fn last_request_id(h: &Harness) -> String {
    h.requests().last().unwrap().request_id.clone().unwrap()
}

#[test]
fn a_401_names_the_target_and_where_its_url_came_from() {
    // Not "this region": the target here is no region, and the URL came from elsewhere.
    let h = Harness::new();
    let url = h.emulator.url();
    let expected = |from: &str, id: &str| {
        format!(
            "error: listing the Zoom OAuth apps: Recall answered 401: Invalid token. (request ID {id})\n  = hint: check the API key, and that it is a key of the Recall at `{url}` (from {from})\n"
        )
    };
    h.manifest(&[]);
    let out = Outcome::of({
        let mut c = h.cmd(&["plan"]);
        c.env("RECALL_API_KEY", "wrong-key");
        c
    })
    .expect(1);
    assert_eq!(out.stderr, expected("`--api-url`", &last_request_id(&h)));

    let out = Outcome::of({
        let mut c = h.bare(&["plan"]);
        c.env("RECALL_API_KEY", "wrong-key")
            .env("RECALL_API_URL", &url);
        c
    })
    .expect(1);
    assert_eq!(
        out.stderr,
        expected("`RECALL_API_URL`", &last_request_id(&h))
    );

    h.write(
        "recallform.yaml",
        &format!("version: 1\nrecall:\n  base_url: {url}\n"),
    );
    let out = Outcome::of({
        let mut c = h.bare(&["plan"]);
        c.env("RECALL_API_KEY", "wrong-key");
        c
    })
    .expect(1);
    assert_eq!(
        out.stderr,
        expected("`recall.base_url` in the manifest", &last_request_id(&h))
    );
}

#[test]
fn no_server_at_the_url_is_named_after_the_retries() {
    let h = Harness::new();
    h.manifest(&[]);
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = Outcome::of(h.bare(&["plan", "--api-url", &url])).expect(1);
    let (error, hint) = out.stderr.split_once('\n').unwrap();
    assert!(
        error.starts_with(
            "error: listing the Zoom OAuth apps: gave up after 5 attempts; the last one failed: could not connect ("
        ),
        "{}",
        out.stderr
    );
    assert_eq!(
        hint,
        format!(
            "  = hint: is `{url}` (from `--api-url`) the right URL, and is the server running?\n"
        )
    );
}

#[test]
fn an_api_path_in_the_base_url_is_pointed_out_on_a_404() {
    let h = Harness::new();
    h.manifest(&[]);
    let base = h.emulator.url();
    for path in ["/api/v2", "/api/v2/", "/api", "/api/v2/zoom-oauth-apps/"] {
        let given = format!("{base}{path}");
        let out = Outcome::of(h.bare(&["plan", "--api-url", &given])).expect(1);
        assert_eq!(
            out.stderr,
            format!(
                "error: listing the Zoom OAuth apps: Recall answered 404: Not found. (request ID {})\n  = hint: `{}` (from `--api-url`) has the API's path in it, and recallform adds `/api/v2/zoom-oauth-apps/` itself: give the base URL only, such as `{base}`\n",
                last_request_id(&h),
                given.trim_end_matches('/'),
            ),
            "{given}"
        );
    }
    // A 404 from a base URL that looks like one has nothing to point out.
    h.emulator.inject(Fault::new(
        Route::List,
        1,
        FaultKind::Status {
            status: 404,
            retry_after: None,
        },
    ));
    let out = h.run(&["plan"]).expect(1);
    assert!(out.stderr.contains("Recall answered 404"), "{}", out.stderr);
    assert!(!out.stderr.contains("hint"), "{}", out.stderr);
}

#[test]
fn a_create_that_times_out_is_not_sent_twice() {
    // Recall is still working on the create when the client gives up: the lookup finds
    // nothing yet, the retry with the same Idempotency-Key is told it is in flight (409), and
    // a later retry gets the first request's answer replayed.
    let h = Harness::new();
    h.manifest(&[("acme-prod", "user_level", "AbC123xyz")]);
    h.emulator.inject(Fault::new(
        Route::Create,
        1,
        FaultKind::Delay(Duration::from_millis(2500)),
    ));
    h.run(&["apply", "--auto-approve", "--timeout", "1"])
        .expect(0);
    let apps = h.emulator.apps();
    assert_eq!(apps.len(), 1, "exactly one app");
    assert_eq!(
        h.lockfile()["zoom_oauth_apps"]["acme-prod"]["id"],
        apps[0].id.as_str()
    );
    let posts: Vec<_> = h
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert!(posts.len() >= 2, "the timed-out create was retried");
    assert!(
        posts
            .iter()
            .all(|p| p.idempotency_key == posts[0].idempotency_key)
    );
    assert!(posts.iter().any(|p| p.status == Some(409)), "{posts:?}");
}
