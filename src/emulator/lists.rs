//! The emulator's three list endpoints: their filters, their order and their cursor pagination.
//!
//! - `GET /api/v2/zoom-oauth-apps/`: `client_id`, `kind`; creation order.
//! - `GET /api/v2/zoom-oauth-app-logs/` (shared/recall-api.md §1.8): `oauth_app`,
//!   `created_at_after`, `created_at_before`, `ordering`.
//! - `GET /api/v2/zoom-oauth-credentials/` (§2): `oauth_app`, `status`, `meeting_sync_status`,
//!   `user_id`, `account_id`, `created_at_after`, `created_at_before`, `ordering`.
//!
//! Filters behave like django-filter's: an unknown parameter is ignored, a bad value is a 400
//! naming the field, and the date bounds are inclusive and compared as instants. `ordering` takes
//! `created_at` or `-created_at`; any other value keeps the default, creation order, as DRF's
//! `OrderingFilter` ignores fields it does not allow (Recall's default and allowed fields are
//! UNCONFIRMED, so recallform always sends the order it wants).
//!
//! Pages are DRF `CursorPagination` pages: `{next, previous, results}` with absolute links that
//! keep the filters, and opaque cursors that hold a position, so an item created or deleted
//! meanwhile moves no other item to another page. A page of apps starts at its cursor in the
//! workspace's creation-order index and reads only its own items (and one more each way, for
//! its links), so that listing 100,000 apps 100 at a time costs the emulator what one listing
//! of them does (issue 12). Logs and credentials, which a test seeds by the handful, are
//! sorted for each page.
//!
//! Not for: auth, rate limits and faults before the list is computed (that is the server).

use serde_json::{Value, json};

use super::FaultKind;
use super::Route;
use super::state::{
    Answer, CREDENTIAL_STATUSES, MEETING_SYNC_STATUSES, StoredApp, StoredCredential, StoredLog,
    Workspace,
};
use crate::recall::timestamp::{self, Micros};

/// Where each list lives.
pub(super) const APPS: &str = "/api/v2/zoom-oauth-apps/";
/// See [`APPS`].
pub(super) const APP_LOGS: &str = "/api/v2/zoom-oauth-app-logs/";
/// See [`APPS`].
pub(super) const CREDENTIALS: &str = "/api/v2/zoom-oauth-credentials/";

/// An item's place in a list's order: its time (0 for apps, which are ordered by creation
/// alone), then its creation number, which no two items share.
type Position = (Micros, u64);

/// A list's query parameters, in the order sent.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(query: &str) -> Params {
        Params(
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One item of a list, turned into JSON only when it is on the page.
#[derive(Clone, Copy)]
enum Item<'a> {
    /// An app, with its secrets or without.
    App(&'a StoredApp, bool),
    Log(&'a StoredLog),
    Credential(&'a StoredCredential),
}

impl Item<'_> {
    fn to_json(self) -> Value {
        match self {
            Item::App(a, with_secrets) => a.to_json(with_secrets),
            Item::Log(l) => l.to_json(),
            Item::Credential(c) => c.to_json(),
        }
    }
}

/// The items of one list, filtered, as a page reads them: in the list's order from a
/// position on, either way.
struct Listing<'a> {
    path: &'static str,
    items: Items<'a>,
}

/// Where a list's items come from.
enum Items<'a> {
    /// Apps, from the workspace's creation-order index (of all apps, or of the client ID's),
    /// filtered by kind as they are read.
    Apps {
        ws: &'a Workspace,
        client_id: Option<&'a str>,
        kind: Option<&'a str>,
        with_secrets: bool,
    },
    /// Logs or credentials, sorted in the list's order, which is newest first when
    /// `descending` (`ordering=-created_at`).
    Sorted {
        items: Vec<(Position, Item<'a>)>,
        descending: bool,
    },
}

/// Some items of a list, in an order, with their positions.
type Run<'s, 'a> = Box<dyn Iterator<Item = (Position, Item<'a>)> + 's>;

impl<'a> Items<'a> {
    /// The items after `pos` (all with `None`), in the list's order.
    fn after<'s>(&'s self, pos: Option<Position>) -> Run<'s, 'a> {
        match self {
            Items::Apps { ws, client_id, .. } => {
                let apps: Box<dyn Iterator<Item = &'a StoredApp>> = match pos {
                    None => Box::new(ws.apps.in_order(*client_id)),
                    Some((_, seq)) => Box::new(ws.apps.after(*client_id, seq)),
                };
                self.apps(apps)
            }
            Items::Sorted { items, descending } => {
                let from = pos.map_or(0, |pos| {
                    items.partition_point(|(p, _)| !later(*descending, *p, pos))
                });
                Box::new(items[from..].iter().copied())
            }
        }
    }

    /// The items before `pos`, nearest first (the list's order reversed).
    fn before<'s>(&'s self, pos: Position) -> Run<'s, 'a> {
        match self {
            Items::Apps { ws, client_id, .. } => {
                self.apps(Box::new(ws.apps.before(*client_id, pos.1)))
            }
            Items::Sorted { items, descending } => {
                let to = items.partition_point(|(p, _)| later(*descending, pos, *p));
                Box::new(items[..to].iter().rev().copied())
            }
        }
    }

    /// `apps`, filtered, as items.
    fn apps<'s>(&'s self, apps: Box<dyn Iterator<Item = &'a StoredApp> + 'a>) -> Run<'s, 'a> {
        let Items::Apps {
            kind, with_secrets, ..
        } = *self
        else {
            unreachable!("only called for apps");
        };
        Box::new(
            apps.filter(move |a| kind.is_none_or(|k| a.kind == k))
                .map(move |a| ((0, a.seq), Item::App(a, with_secrets))),
        )
    }
}

/// Whether `a` comes after `b` in a list's order, newest first when `descending`.
fn later(descending: bool, a: Position, b: Position) -> bool {
    if descending { a < b } else { a > b }
}

/// One page of the list at `route`, with absolute `next`/`previous` links on `host` (or on the
/// base of a [`FaultKind::ForeignNext`]).
pub(super) fn list(
    ws: &Workspace,
    route: Route,
    query: &str,
    host: &str,
    page_size: usize,
    with_secrets: bool,
    fault: &Option<FaultKind>,
) -> Answer {
    let params = Params::parse(query);
    let listing = match route {
        Route::ListAppLogs => logs(ws, &params),
        Route::ListCredentials => credentials(ws, &params),
        _ => Ok(apps(ws, &params, with_secrets)),
    };
    match listing {
        Ok(listing) => page(listing, &params, query, host, page_size, fault),
        Err(errors) => (400, Some(errors)),
    }
}

fn apps<'a>(ws: &'a Workspace, params: &'a Params, with_secrets: bool) -> Listing<'a> {
    Listing {
        path: APPS,
        items: Items::Apps {
            ws,
            client_id: params.get("client_id"),
            kind: params.get("kind"),
            with_secrets,
        },
    }
}

fn logs<'a>(ws: &'a Workspace, params: &Params) -> Result<Listing<'a>, Value> {
    let mut errors = serde_json::Map::new();
    let app = uuid_filter(params, "oauth_app", &mut errors);
    let range = created_at_range(params, &mut errors);
    if !errors.is_empty() {
        return Err(Value::Object(errors));
    }
    let chosen = ws
        .app_logs
        .iter()
        .filter(|l: &&StoredLog| app.is_none_or(|id| l.oauth_app == id))
        .filter_map(|l| Some((in_range(&l.created_at, range)?, l.seq, Item::Log(l))));
    Ok(ordered(APP_LOGS, chosen, params))
}

fn credentials<'a>(ws: &'a Workspace, params: &Params) -> Result<Listing<'a>, Value> {
    let mut errors = serde_json::Map::new();
    let app = uuid_filter(params, "oauth_app", &mut errors);
    let status = choice_filter(params, "status", &CREDENTIAL_STATUSES, &mut errors);
    let sync = choice_filter(
        params,
        "meeting_sync_status",
        &MEETING_SYNC_STATUSES,
        &mut errors,
    );
    let range = created_at_range(params, &mut errors);
    if !errors.is_empty() {
        return Err(Value::Object(errors));
    }
    let (user, account) = (params.get("user_id"), params.get("account_id"));
    let chosen = ws
        .credentials
        .values()
        .filter(|c: &&StoredCredential| app.is_none_or(|id| c.oauth_app == id))
        .filter(|c| status.is_none_or(|s| c.status == s))
        .filter(|c| sync.is_none_or(|s| c.meeting_sync_status == s))
        .filter(|c| user.is_none_or(|u| c.user_id.as_deref() == Some(u)))
        .filter(|c| account.is_none_or(|a| c.account_id.as_deref() == Some(a)))
        .filter_map(|c| Some((in_range(&c.created_at, range)?, c.seq, Item::Credential(c))));
    Ok(ordered(CREDENTIALS, chosen, params))
}

/// Items by time, oldest or (with `ordering=-created_at`) newest first; creation order breaks
/// ties, so the order is total and a cursor always finds its place.
fn ordered<'a>(
    path: &'static str,
    chosen: impl Iterator<Item = (Micros, u64, Item<'a>)>,
    params: &Params,
) -> Listing<'a> {
    let descending = params.get("ordering") == Some("-created_at");
    let by_time = descending || params.get("ordering") == Some("created_at");
    let mut items: Vec<(Position, Item)> = chosen
        .map(|(at, seq, v)| ((if by_time { at } else { 0 }, seq), v))
        .collect();
    items.sort_by_key(|(position, _)| *position);
    if descending {
        items.reverse();
    }
    Listing {
        path,
        items: Items::Sorted { items, descending },
    }
}

/// A UUID filter's value; a value that is not a UUID is django-filter's 400.
fn uuid_filter<'a>(
    params: &'a Params,
    name: &str,
    errors: &mut serde_json::Map<String, Value>,
) -> Option<&'a str> {
    let value = params.get(name)?;
    if uuid::Uuid::parse_str(value).is_err() {
        errors.insert(name.into(), json!(["Enter a valid UUID."]));
    }
    Some(value)
}

/// A choice filter's value; one not among `choices` is django-filter's 400.
fn choice_filter<'a>(
    params: &'a Params,
    name: &str,
    choices: &[&str],
    errors: &mut serde_json::Map<String, Value>,
) -> Option<&'a str> {
    let value = params.get(name)?;
    if !choices.contains(&value) {
        errors.insert(
            name.into(),
            json!([format!(
                "Select a valid choice. {value} is not one of the available choices."
            )]),
        );
    }
    Some(value)
}

/// `created_at_after` and `created_at_before` as instants (both inclusive).
fn created_at_range(
    params: &Params,
    errors: &mut serde_json::Map<String, Value>,
) -> (Option<Micros>, Option<Micros>) {
    let mut bound = |name: &str| {
        let value = params.get(name)?;
        let parsed = timestamp::parse(value);
        if parsed.is_none() {
            errors.insert(name.into(), json!(["Enter a valid date/time."]));
        }
        parsed
    };
    (bound("created_at_after"), bound("created_at_before"))
}

/// The item's time, when it lies within `range`. A time that cannot be read (only a test's
/// seed can write one) sorts first and passes no bound.
fn in_range(created_at: &str, (after, before): (Option<Micros>, Option<Micros>)) -> Option<Micros> {
    let at = timestamp::parse(created_at);
    let passes = |bound: Option<Micros>, ok: fn(Micros, Micros) -> bool| {
        bound.is_none_or(|b| at.is_some_and(|at| ok(at, b)))
    };
    (passes(after, |at, b| at >= b) && passes(before, |at, b| at <= b)).then_some(at.unwrap_or(0))
}

/// One page of `listing`, as DRF's `CursorPagination` cuts it.
fn page(
    listing: Listing,
    params: &Params,
    query: &str,
    host: &str,
    page_size: usize,
    fault: &Option<FaultKind>,
) -> Answer {
    let items = &listing.items;
    let size = page_size.max(1);
    let page: Vec<(Position, Item)> = match params.get("cursor").map(decode_cursor) {
        None => items.after(None).take(size).collect(),
        Some(None) => return (404, Some(json!({"detail": "Invalid cursor"}))),
        Some(Some((true, pos))) => items.after(Some(pos)).take(size).collect(),
        Some(Some((false, pos))) => {
            let mut page: Vec<_> = items.before(pos).take(size).collect();
            page.reverse();
            page
        }
    };
    let base = match fault {
        Some(FaultKind::ForeignNext(base)) => base.trim_end_matches('/').to_string(),
        _ => format!("http://{host}"),
    };
    let path = listing.path;
    let this_page = if query.is_empty() {
        format!("{base}{path}")
    } else {
        format!("{base}{path}?{query}")
    };
    let link = |forward: bool, pos: Position| {
        let mut kept: Vec<(String, String)> = params
            .0
            .iter()
            .filter(|(k, _)| k != "cursor")
            .cloned()
            .collect();
        kept.push(("cursor".into(), encode_cursor(forward, pos)));
        let q = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(kept)
            .finish();
        format!("{base}{path}?{q}")
    };
    let next = match fault {
        Some(FaultKind::LoopingNext) => Some(this_page),
        _ => page
            .last()
            .filter(|(last, _)| items.after(Some(*last)).next().is_some())
            .map(|(last, _)| link(true, *last)),
    };
    let previous = page
        .first()
        .filter(|(first, _)| items.before(*first).next().is_some())
        .map(|(first, _)| link(false, *first));
    let results: Vec<Value> = page.iter().map(|(_, item)| item.to_json()).collect();
    (
        200,
        Some(json!({"next": next, "previous": previous, "results": results})),
    )
}

/// Cursors are opaque to clients; here they are hex of `p=<time>.<seq>` (after) or
/// `r=<time>.<seq>` (before).
fn encode_cursor(forward: bool, (at, seq): Position) -> String {
    let raw = format!("{}={at}.{seq}", if forward { "p" } else { "r" });
    raw.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_cursor(cursor: &str) -> Option<(bool, Position)> {
    if !cursor.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..cursor.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(cursor.get(i..i + 2)?, 16).ok())
        .collect();
    let text = String::from_utf8(bytes?).ok()?;
    let (dir, pos) = text.split_once('=')?;
    let forward = match dir {
        "p" => true,
        "r" => false,
        _ => return None,
    };
    let (at, seq) = pos.split_once('.')?;
    Some((forward, (at.parse().ok()?, seq.parse().ok()?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(
            decode_cursor(&encode_cursor(true, (0, 42))),
            Some((true, (0, 42)))
        );
        assert_eq!(
            decode_cursor(&encode_cursor(false, (-5, 0))),
            Some((false, (-5, 0)))
        );
        assert_eq!(decode_cursor("zz"), None);
        assert_eq!(decode_cursor("703d"), None); // "p=" with no position
        assert_eq!(decode_cursor("703d31"), None); // "p=1" with no creation number
    }

    fn seeded() -> (Workspace, String) {
        let mut ws = Workspace::default();
        let (_, body) = ws.create(
            &json!({"kind": "user_level", "client_id": "c", "client_secret": "s", "webhook_secret": "w"}),
            false,
        );
        let id = body.unwrap()["id"].as_str().unwrap().to_string();
        for (message, at) in [
            ("b", "2026-03-01T10:00:00Z"),
            ("a", "2026-03-01T09:00:00.000000Z"),
            ("c", "2026-03-01T12:30:00+02:00"),
        ] {
            ws.seed_log(&id, message, at);
        }
        ws.seed_log(
            &uuid::Uuid::new_v4().to_string(),
            "other app",
            "2026-03-01T11:00:00Z",
        );
        (ws, id)
    }

    fn messages(ws: &Workspace, query: &str, size: usize) -> (Vec<String>, Option<String>) {
        let (status, body) = list(ws, Route::ListAppLogs, query, "h", size, true, &None);
        assert_eq!(status, 200, "{body:?}");
        let body = body.unwrap();
        let messages = body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["message"].as_str().unwrap().to_string())
            .collect();
        (messages, body["next"].as_str().map(str::to_string))
    }

    #[test]
    fn logs_are_filtered_by_app_and_time_and_ordered_by_instant() {
        let (ws, id) = seeded();
        let app = format!("oauth_app={id}");
        assert_eq!(messages(&ws, &app, 10).0, ["b", "a", "c"], "creation order");
        assert_eq!(
            messages(&ws, &format!("{app}&ordering=-created_at"), 10).0,
            ["c", "b", "a"],
            "12:30+02:00 is 10:30Z, the latest"
        );
        assert_eq!(
            messages(&ws, &format!("{app}&ordering=created_at"), 10).0,
            ["a", "b", "c"]
        );
        // Inclusive bounds, compared as instants whatever their spelling.
        assert_eq!(
            messages(
                &ws,
                &format!("{app}&ordering=created_at&created_at_after=2026-03-01T10%3A00%3A00.000Z"),
                10
            )
            .0,
            ["b", "c"]
        );
        assert_eq!(
            messages(
                &ws,
                &format!("{app}&created_at_before=2026-03-01T11%3A00%3A00%2B01%3A00"),
                10
            )
            .0,
            ["b", "a"]
        );
        assert_eq!(messages(&ws, "", 10).0.len(), 4, "every app's");
    }

    #[test]
    fn descending_pages_follow_their_cursor() {
        let (ws, id) = seeded();
        let query = format!("oauth_app={id}&ordering=-created_at");
        let (first, next) = messages(&ws, &query, 2);
        assert_eq!(first, ["c", "b"]);
        let next = url::Url::parse(&next.unwrap()).unwrap();
        assert_eq!(next.path(), APP_LOGS);
        let (second, last) = messages(&ws, next.query().unwrap(), 2);
        assert_eq!((second, last), (vec!["a".to_string()], None));
    }

    #[test]
    fn bad_filter_values_are_drf_400s() {
        let (ws, _) = seeded();
        let (status, body) = list(
            &ws,
            Route::ListCredentials,
            "oauth_app=nope&status=fine&meeting_sync_status=failed&created_at_after=yesterday",
            "h",
            10,
            true,
            &None,
        );
        assert_eq!(status, 400);
        assert_eq!(
            body.unwrap(),
            json!({
                "oauth_app": ["Enter a valid UUID."],
                "status": ["Select a valid choice. fine is not one of the available choices."],
                "created_at_after": ["Enter a valid date/time."],
            })
        );
    }

    #[test]
    fn credentials_are_filtered_by_every_field() {
        let (mut ws, id) = seeded();
        let a = ws.seed_credential(&id, "healthy", "completed");
        let b = ws.seed_credential(&id, "unhealthy", "failed");
        let c = ws.seed_credential(&id, "healthy", "failed");
        ws.seed_credential(&uuid::Uuid::new_v4().to_string(), "unhealthy", "failed");
        let ids = |query: &str| -> Vec<String> {
            let (status, body) = list(&ws, Route::ListCredentials, query, "h", 10, true, &None);
            assert_eq!(status, 200);
            body.unwrap()["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_string())
                .collect()
        };
        let app = format!("oauth_app={id}");
        assert_eq!(ids(&app), [a.id.clone(), b.id.clone(), c.id.clone()]);
        assert_eq!(
            ids(&format!("{app}&status=healthy")),
            [a.id.clone(), c.id.clone()]
        );
        assert_eq!(
            ids(&format!("{app}&meeting_sync_status=failed")),
            [b.id.clone(), c.id.clone()]
        );
        let user = b.user_id.clone().unwrap();
        assert_eq!(ids(&format!("user_id={user}")), std::slice::from_ref(&b.id));
        assert_eq!(ids(&format!("account_id={user}")), Vec::<String>::new());
        assert_eq!(ids("").len(), 4);
    }
}
