//! Malformed answers from Recall (issue 11, item 4): each one, from a table, gives exit 1 and an
//! error that names the request (method and path), Recall's status and its request ID, and
//! nothing further is sent: no create follows a broken list, no second create a broken create.
//!
//! The README's "Malformed answers from Recall" section states the number of scenarios, which
//! this test holds to the table.

use recallform::emulator::{Config, Fault, FaultKind, Route};
use serde_json::json;

use crate::common::*;

/// One malformed answer.
struct Case {
    name: &'static str,
    /// Items per page, and apps seeded in Recall before the run.
    page_size: usize,
    seeds: usize,
    /// The faults, given the harness (for URLs and the seeded apps).
    faults: fn(&Harness) -> Vec<Fault>,
    /// The error after `error: `, given the harness and the request ID of the answer it quotes.
    error: fn(&Harness, &str) -> String,
    /// The requests Recall sees, as `METHOD path` (queries cut).
    requests: &'static [&'static str],
}

const LIST: &str = "GET /api/v2/zoom-oauth-apps/";
const CREATE: &str = "POST /api/v2/zoom-oauth-apps/";

/// The error of a broken list answer: Recall answered `status` to the list, but `detail`.
fn list_error(status: u16, detail: &str, id: &str) -> String {
    format!(
        "listing the Zoom OAuth apps: Recall answered {status} to `{LIST}`, but {detail} (request ID {id})"
    )
}

fn canned(route: Route, status: u16, content_type: &str, body: &str) -> Fault {
    Fault::new(
        route,
        1,
        FaultKind::Canned {
            status,
            content_type: content_type.into(),
            body: body.into(),
        },
    )
}

fn rewrite(route: Route, pointer: &str, value: Option<serde_json::Value>) -> Fault {
    Fault::new(
        route,
        1,
        FaultKind::Rewrite {
            pointer: pointer.into(),
            value: value.map(|v| v.to_string()),
        },
    )
}

const PAGE: &str = r#"{"next": null, "previous": null, "results": []}"#;
const WAF: &str =
    "<html><head><title>403 Forbidden</title></head><body><h1>Request blocked</h1></body></html>";
const HTML: &str = "<!DOCTYPE html><html><body><h1>Down for maintenance</h1></body></html>";

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "the firewall's HTML 403",
            page_size: 10,
            seeds: 0,
            faults: |_| vec![canned(Route::List, 403, "text/html", WAF)],
            error: |_, id| {
                format!(
                    "listing the Zoom OAuth apps: Recall answered 403: `{LIST}` was blocked by Recall's firewall (an HTML page, not an API answer) (request ID {id})"
                )
            },
            requests: &[LIST],
        },
        Case {
            name: "an HTML 200",
            page_size: 10,
            seeds: 0,
            faults: |_| vec![canned(Route::List, 200, "text/html; charset=utf-8", HTML)],
            error: |_, id| {
                list_error(
                    200,
                    &format!(
                        "its body is not marked as JSON (`Content-Type: text/html; charset=utf-8`): {HTML}"
                    ),
                    id,
                )
            },
            requests: &[LIST],
        },
        Case {
            name: "truncated JSON",
            page_size: 10,
            seeds: 0,
            faults: |_| {
                vec![canned(
                    Route::List,
                    200,
                    "application/json",
                    r#"{"next": null, "results": [{"id": "0b5f"#,
                )]
            },
            error: |_, id| {
                list_error(
                    200,
                    "its body is not valid JSON (EOF while parsing a string at line 1 column 39)",
                    id,
                )
            },
            requests: &[LIST],
        },
        Case {
            name: "a wrong Content-Type",
            page_size: 10,
            seeds: 0,
            faults: |_| vec![canned(Route::List, 200, "text/plain", PAGE)],
            error: |_, id| {
                list_error(
                    200,
                    &format!("its body is not marked as JSON (`Content-Type: text/plain`): {PAGE}"),
                    id,
                )
            },
            requests: &[LIST],
        },
        Case {
            name: "no Content-Type",
            page_size: 10,
            seeds: 0,
            faults: |_| vec![canned(Route::List, 200, "", PAGE)],
            error: |_, id| {
                list_error(
                    200,
                    &format!("its body is not marked as JSON (no `Content-Type`): {PAGE}"),
                    id,
                )
            },
            requests: &[LIST],
        },
        Case {
            name: "a missing field (`id`)",
            page_size: 10,
            seeds: 1,
            faults: |_| vec![rewrite(Route::List, "/results/0/id", None)],
            error: |_, id| {
                list_error(
                    200,
                    "its JSON is not what the API returns (missing field `id`)",
                    id,
                )
            },
            requests: &[LIST],
        },
        Case {
            name: "a missing `results`",
            page_size: 10,
            seeds: 1,
            faults: |_| vec![rewrite(Route::List, "/results", None)],
            error: |_, id| {
                list_error(
                    200,
                    "its JSON is not what the API returns (missing field `results`)",
                    id,
                )
            },
            requests: &[LIST],
        },
        Case {
            name: "a mistyped field (`client_id` a number)",
            page_size: 10,
            seeds: 1,
            faults: |_| {
                vec![rewrite(
                    Route::List,
                    "/results/0/client_id",
                    Some(json!(42)),
                )]
            },
            error: |_, id| {
                list_error(
                    200,
                    "its JSON is not what the API returns (invalid type: integer `42`, expected a string)",
                    id,
                )
            },
            requests: &[LIST],
        },
        Case {
            name: "a mistyped `next` (a number)",
            page_size: 10,
            seeds: 1,
            faults: |_| vec![rewrite(Route::List, "/next", Some(json!(2)))],
            error: |_, id| {
                list_error(
                    200,
                    "its JSON is not what the API returns (invalid type: integer `2`, expected a string)",
                    id,
                )
            },
            requests: &[LIST],
        },
        Case {
            name: "an `id` that is not a UUID",
            page_size: 10,
            seeds: 1,
            faults: |_| {
                vec![rewrite(
                    Route::List,
                    "/results/0/id",
                    Some(json!("../../x")),
                )]
            },
            error: |_, id| {
                list_error(
                    200,
                    "it lists an app with the `id` `../../x`, which is not a UUID",
                    id,
                )
            },
            requests: &[LIST],
        },
        Case {
            name: "duplicate IDs across pages",
            page_size: 1,
            seeds: 2,
            faults: |h| {
                let first = h.emulator.apps()[0].id.clone();
                vec![rewrite(Route::List, "/results/0/id", Some(json!(first))).after(1)]
            },
            error: |h, id| {
                let first = h.emulator.apps()[0].id.clone();
                list_error(
                    200,
                    &format!("it lists the app `{first}` a second time, so its pages overlap"),
                    id,
                )
            },
            requests: &[LIST, LIST],
        },
        Case {
            name: "a page with more results than the first",
            page_size: 1,
            seeds: 3,
            faults: |h| {
                let apps: Vec<_> = h.emulator.apps()[1..]
                    .iter()
                    .map(|a| a.to_json(false))
                    .collect();
                vec![rewrite(Route::List, "/results", Some(json!(apps))).after(1)]
            },
            error: |_, id| {
                list_error(
                    200,
                    "the page holds 2 results, more than the 1 of the first page, and Recall's pages all have one size",
                    id,
                )
            },
            requests: &[LIST, LIST],
        },
        Case {
            name: "a page with more results than any page holds",
            page_size: 10,
            seeds: 0,
            faults: |_| {
                let results: Vec<_> = (0..1001)
                    .map(|i| {
                        json!({"id": uuid(i), "kind": "user_level", "client_id": format!("c{i}"),
                               "created_at": "2026-01-01T00:00:00Z", "webhook_last_validation": null})
                    })
                    .collect();
                let page = json!({"next": null, "previous": null, "results": results});
                vec![canned(
                    Route::List,
                    200,
                    "application/json",
                    &page.to_string(),
                )]
            },
            error: |_, id| {
                list_error(
                    200,
                    "the page holds 1001 results, more than the 1000 any page of a list can",
                    id,
                )
            },
            requests: &[LIST],
        },
        Case {
            name: "an empty `results` with a non-null `next`",
            page_size: 1,
            seeds: 2,
            faults: |_| vec![rewrite(Route::List, "/results", Some(json!([])))],
            error: |_, id| {
                list_error(
                    200,
                    "the page is empty and yet names a next page, so the list could go on without end",
                    id,
                )
            },
            requests: &[LIST],
        },
        Case {
            name: "a `next` on another host",
            page_size: 1,
            seeds: 2,
            faults: |_| {
                let next = "http://127.0.0.2:9/api/v2/zoom-oauth-apps/?cursor=x";
                vec![rewrite(Route::List, "/next", Some(json!(next)))]
            },
            error: |_, id| {
                list_error(
                    200,
                    "the next page is on another host, port or scheme (`http://127.0.0.2:9`); refusing to send the API key there",
                    id,
                )
            },
            requests: &[LIST],
        },
        Case {
            name: "a `next` on another scheme",
            page_size: 1,
            seeds: 2,
            faults: |h| {
                let next = format!(
                    "https://{}/api/v2/zoom-oauth-apps/?cursor=x",
                    h.emulator.addr()
                );
                vec![rewrite(Route::List, "/next", Some(json!(next)))]
            },
            error: |h, id| {
                list_error(
                    200,
                    &format!(
                        "the next page is on another host, port or scheme (`https://{}`); refusing to send the API key there",
                        h.emulator.addr()
                    ),
                    id,
                )
            },
            requests: &[LIST],
        },
        Case {
            name: "a 10 MB error body",
            page_size: 10,
            seeds: 0,
            faults: |_| vec![canned(Route::List, 400, "text/html", &"x".repeat(10 << 20))],
            error: |_, id| {
                format!(
                    "listing the Zoom OAuth apps: Recall answered 400: {}… (`Content-Type: text/html`, not an API answer to `{LIST}`); the body is larger than 64 KiB, and the rest of it was not read (request ID {id})",
                    "x".repeat(200)
                )
            },
            requests: &[LIST],
        },
        Case {
            name: "an HTML 200 to a create",
            page_size: 10,
            seeds: 0,
            faults: |_| vec![canned(Route::Create, 200, "text/html", HTML)],
            error: |_, id| {
                format!(
                    "zoom_oauth_app.acme-prod: failed: creating the Zoom OAuth app with client_id `cid-acme-prod`: Recall answered 200 to `{CREATE}`, but its body is not marked as JSON (`Content-Type: text/html`): {HTML} (request ID {id})"
                )
            },
            // The lookup by client ID finds no app, so no second create is sent.
            requests: &[LIST, CREATE, LIST],
        },
    ]
}

/// A UUID made from a number, for generated pages.
fn uuid(i: u32) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

#[test]
fn malformed_answers_are_refused_by_name_and_nothing_follows() {
    let cases = cases();
    let mut failed = Vec::new();
    for case in &cases {
        // Every case runs, so one run shows every broken guarantee, each by name.
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(case)));
        match run {
            Ok(()) => println!("malformed: {}: ok", case.name),
            Err(_) => failed.push(case.name),
        }
    }
    assert!(
        failed.is_empty(),
        "malformed answers that failed: {failed:?}"
    );
    println!("malformed answers: {} scenarios", cases.len());
    assert_eq!(
        readme_count("### Malformed answers from Recall"),
        cases.len(),
        "the README's count of malformed-answer scenarios"
    );
}

fn check(case: &Case) {
    {
        let h = Harness::with_config(Config {
            page_size: case.page_size,
            ..Config::default()
        });
        for i in 0..case.seeds {
            h.emulator.seed("user_level", &format!("seeded-{i}"));
        }
        h.manifest_of(1);
        for fault in (case.faults)(&h) {
            h.emulator.inject(fault);
        }
        let out = h.run(&["apply", "--auto-approve"]);
        let seen: Vec<String> = h
            .requests()
            .iter()
            .map(|r| {
                let path = r.uri.split('?').next().unwrap_or_default();
                format!("{} {path}", r.method)
            })
            .collect();
        // The answer quoted is the one that broke: the last list, or the create.
        let broken = h
            .requests()
            .iter()
            .rev()
            .find(|r| r.method == "POST" || !case.requests.contains(&CREATE))
            .and_then(|r| r.request_id.clone())
            .unwrap_or_default();
        let error = (case.error)(&h, &broken);
        let name = case.name;
        assert_eq!(out.code, 1, "malformed: {name}: exit code\n{}", out.stderr);
        assert_eq!(seen, case.requests, "malformed: {name}: the requests sent");
        if case.requests.contains(&CREATE) {
            assert!(
                out.stdout.contains(&error),
                "malformed: {name}:\n{}\nwanted: {error}",
                out.stdout
            );
            assert!(h.emulator.apps().is_empty(), "malformed: {name}");
        } else {
            assert_eq!(out.stderr, format!("error: {error}\n"), "malformed: {name}");
        }
        assert_no_secret(name, &out.stderr);
        assert_no_secret(name, &out.stdout);
    }
}

/// The number in "N scenarios" in the README section under `heading`.
pub fn readme_count(heading: &str) -> usize {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let section = readme
        .split_once(heading)
        .unwrap_or_else(|| panic!("no `{heading}` in the README"))
        .1;
    let section = section.split("\n#").next().unwrap();
    let at = section
        .find("scenarios")
        .unwrap_or_else(|| panic!("no \"N scenarios\" under `{heading}`"));
    // The number may end the line before (the README wraps at 100 columns).
    let digits: String = section[..at]
        .trim_end()
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.chars().rev().collect::<String>().parse().unwrap()
}
