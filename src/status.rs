//! `status`: how each recorded app is doing on the Zoom side, as Recall sees it. Whether Zoom
//! validates its webhook URL, what Recall logged about it lately, and how its Zoom OAuth
//! credentials are: plain data, with its JSON shape (`format_version` 1).
//!
//! Two steps, so the judgement is tested without a network: [`observe`] reads Recall (list calls
//! only, a known number of them, never a change), and [`report`] turns what it read into a
//! [`Report`] with every problem named by a stable code ([`PROBLEM_CODES`]).
//!
//! Not for: printing (that is `cli/status.rs`), opening the manifest, the lockfile or the
//! client (that is [`crate::session`]), or fixing anything: it names what to do.

use std::time::Duration;

use serde::Serialize;

use crate::error::plural;
use crate::lockfile::LockedApp;
use crate::model::RemoteApp;
use crate::recall::timestamp::{self, Micros, SECOND};
use crate::recall::{AppLogs, Client, Credential, CredentialFilter, RecallError};

/// The version of the JSON shape; a change that could break a reader gets a new one.
pub const FORMAT_VERSION: u32 = 1;

/// Recall's limit on each list endpoint: calls per minute per workspace.
pub const LIST_LIMIT_PER_MINUTE: usize = 60;

/// How many of an app's newest log entries are read and shown.
pub const LOG_ENTRIES: usize = 5;

/// Zoom re-validates a webhook URL about every 72 hours; a validation older than this means it
/// has missed at least one.
pub const VALIDATION_MAX_AGE: Duration = Duration::from_secs(4 * 86_400);

/// `--since` when not given: the log entries of the last day.
pub const DEFAULT_SINCE: &str = "24h";

/// Every problem code, as the JSON and the README name them; never renamed or reused.
pub const PROBLEM_CODES: [&str; 6] = [
    "missing-in-recall",
    "never-validated",
    "validation-overdue",
    "unhealthy-credentials",
    "failed-meeting-syncs",
    "recent-app-logs",
];

/// Parses `--since`: a positive whole number and a unit, `s`, `m`, `h` or `d` (`30m`, `24h`,
/// `7d`).
pub fn parse_since(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}` is not a duration such as `30m`, `24h` or `7d`");
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| bad())?;
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    match n.checked_mul(unit) {
        Some(0) => Err(format!(
            "`{text}` is no time at all; give a positive duration"
        )),
        // A century is more than any log Recall keeps.
        Some(secs) if secs <= 36_500 * 86_400 => Ok(Duration::from_secs(secs)),
        _ => Err(format!("`{text}` is longer than a century")),
    }
}

/// A duration as people say it, in its largest whole unit: `24 hours`, `7 days`, `1 minute`.
pub fn describe(duration: Duration) -> String {
    let secs = duration.as_secs();
    let (n, unit) = if secs >= 2 * 86_400 && secs.is_multiple_of(86_400) {
        (secs / 86_400, "day")
    } else if secs >= 3600 && secs.is_multiple_of(3600) {
        (secs / 3600, "hour")
    } else if secs >= 60 && secs.is_multiple_of(60) {
        (secs / 60, "minute")
    } else {
        (secs, "second")
    };
    plural(usize::try_from(n).unwrap_or(usize::MAX), unit)
}

/// How long ago, as people say it: `just now`, `5 minutes ago`, `3 hours ago`, `5 days ago`
/// (rounded down, so `ago` never makes an old time look newer).
pub fn ago(seconds: u64) -> String {
    let count = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    match seconds {
        0..60 => "just now".into(),
        60..3600 => format!("{} ago", plural(count(seconds / 60), "minute")),
        3600..86_400 => format!("{} ago", plural(count(seconds / 3600), "hour")),
        _ => format!("{} ago", plural(count(seconds / 86_400), "day")),
    }
}

/// The fewest list calls [`observe`] makes for `apps` recorded apps, all found in Recall: the
/// apps list, then each app's logs and its credentials, one page each. Every further page (of
/// more apps, entries or credentials than a page holds) is one more.
pub fn fewest_calls(apps: usize) -> usize {
    if apps == 0 { 0 } else { 1 + 2 * apps }
}

/// What Recall says about one recorded app.
#[derive(Clone, Debug)]
pub enum Observed {
    /// Recall has no app with the recorded ID.
    Missing,
    /// The app, its newest log entries since `--since`, and every credential of it.
    Found {
        /// The app as listed (boxed: it is most of the variant's size).
        app: Box<RemoteApp>,
        /// Its newest log entries, at most [`LOG_ENTRIES`].
        logs: AppLogs,
        /// All its Zoom OAuth credentials.
        credentials: Vec<Credential>,
    },
}

/// Reads what [`report`] needs about `apps` (name and record, in the order given), with list
/// calls only and one at a time, in a known order: the apps list, then for each app found its
/// log entries recorded since `since` (RFC 3339), then its credentials. The credentials are read
/// in one list filtered by app and counted by status here, rather than in one filtered list per
/// status: the same pages of healthy and unhealthy ones, and no call more for the failed syncs.
pub async fn observe(
    client: &Client,
    apps: &[(String, LockedApp)],
    since: &str,
) -> Result<Vec<Observed>, RecallError> {
    if apps.is_empty() {
        return Ok(Vec::new());
    }
    let remote = client.list_apps(None).await?;
    let by_id: std::collections::HashMap<&str, &RemoteApp> =
        remote.iter().map(|a| (a.id.as_str(), a)).collect();
    let mut observed = Vec::with_capacity(apps.len());
    for (_, record) in apps {
        let Some(&app) = by_id.get(record.id.as_str()) else {
            observed.push(Observed::Missing);
            continue;
        };
        let logs = client
            .list_app_logs(&app.id, Some(since), LOG_ENTRIES)
            .await?;
        let credentials = client
            .list_credentials(&CredentialFilter {
                oauth_app: Some(&app.id),
                ..CredentialFilter::default()
            })
            .await?;
        observed.push(Observed::Found {
            app: Box::new(app.clone()),
            logs,
            credentials,
        });
    }
    Ok(observed)
}

/// Everything [`report`] judges.
pub struct Inputs<'a> {
    /// The target's name, as the lockfile records it.
    pub target: &'a str,
    /// The apps, by name with their records.
    pub apps: &'a [(String, LockedApp)],
    /// What [`observe`] read about each, in the same order.
    pub observed: &'a [Observed],
    /// When, in microseconds since the Unix epoch.
    pub now: Micros,
    /// `--since`.
    pub since: Duration,
}

/// The status of every app, as `status` prints it and `--format json` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// Which Recall, as the lockfile records it.
    pub target: String,
    /// When the report was made, RFC 3339.
    pub checked_at: String,
    /// `--since`, in seconds.
    pub since_seconds: u64,
    /// The oldest time of a log entry read, RFC 3339 (`checked_at` less `--since`).
    pub logs_since: String,
    /// Whether there are apps and none has a problem: what `--check` exits 0 on.
    pub ok: bool,
    /// Each app, by name.
    pub apps: Vec<AppStatus>,
}

/// One app's status.
#[derive(Clone, Debug, Serialize)]
pub struct AppStatus {
    /// Its name in the lockfile.
    pub name: String,
    /// Recall's ID.
    pub id: String,
    /// Its Recall webhook URL, as recorded.
    pub webhook_url: String,
    /// Whether Recall has the app; when not, nothing else was read.
    pub in_recall: bool,
    /// When Zoom last validated the webhook URL, as Recall says; `null`: never (or missing).
    pub webhook_last_validation: Option<String>,
    /// How many seconds ago that was, for the text.
    #[serde(skip)]
    pub validated_ago: Option<u64>,
    /// Its credentials by health; `null` when the app is missing.
    pub credentials: Option<CredentialCounts>,
    /// Its newest log entries since `logs_since`; `null` when the app is missing.
    pub logs: Option<Logs>,
    /// What needs attention, in the order of [`PROBLEM_CODES`]; empty when all is well.
    pub problems: Vec<Problem>,
}

/// An app's Zoom OAuth credentials, counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CredentialCounts {
    /// Status `healthy`.
    pub healthy: usize,
    /// Any other status (Recall knows `unhealthy`).
    pub unhealthy: usize,
    /// `meeting_sync_status` `failed`, whatever their status.
    pub meeting_sync_failed: usize,
}

/// An app's newest log entries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Logs {
    /// Newest first, at most [`LOG_ENTRIES`].
    pub entries: Vec<LogEntry>,
    /// Whether Recall has more since `logs_since` than these.
    pub more: bool,
}

/// One log entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    /// When, RFC 3339, as Recall wrote it.
    pub created_at: String,
    /// What Recall wrote, secrets cut out.
    pub message: String,
}

/// Something about an app that needs attention.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// One of [`PROBLEM_CODES`].
    pub code: &'static str,
    /// What is wrong, lowercase, names in backticks.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

/// The oldest time of a log entry to read, RFC 3339: `now` less `since`.
pub fn logs_since(now: Micros, since: Duration) -> String {
    rfc3339(since_micros(now, since))
}

fn since_micros(now: Micros, since: Duration) -> Micros {
    now.saturating_sub(i64::try_from(since.as_micros()).unwrap_or(i64::MAX))
}

/// Judges what was observed: the report, with each app's problems.
pub fn report(inputs: &Inputs<'_>) -> Report {
    let since_seconds = inputs.since.as_secs();
    let since = since_micros(inputs.now, inputs.since);
    let apps: Vec<AppStatus> = inputs
        .apps
        .iter()
        .zip(inputs.observed)
        .map(|((name, record), observed)| app_status(name, record, observed, inputs, since))
        .collect();
    Report {
        format_version: FORMAT_VERSION,
        target: inputs.target.to_string(),
        checked_at: rfc3339(inputs.now),
        since_seconds,
        logs_since: rfc3339(since),
        // Nothing to check is not a pass: a monitoring job aimed at the wrong lockfile must
        // not stay green.
        ok: !apps.is_empty() && apps.iter().all(|a| a.problems.is_empty()),
        apps,
    }
}

fn app_status(
    name: &str,
    record: &LockedApp,
    observed: &Observed,
    inputs: &Inputs<'_>,
    since: Micros,
) -> AppStatus {
    let mut status = AppStatus {
        name: name.to_string(),
        id: record.id.clone(),
        webhook_url: record.webhook_url.clone(),
        in_recall: false,
        webhook_last_validation: None,
        validated_ago: None,
        credentials: None,
        logs: None,
        problems: Vec::new(),
    };
    let Observed::Found {
        app,
        logs,
        credentials,
    } = observed
    else {
        status.problems.push(Problem {
            code: "missing-in-recall",
            message: format!(
                "Recall has no app `{}`: it was deleted outside recallform",
                record.id
            ),
            hint: "`recallform plan` shows what apply would do about it; a new app has a new webhook URL to enter in the Zoom app".into(),
        });
        return status;
    };
    status.in_recall = true;
    status.webhook_last_validation = app.webhook_last_validation.clone();
    let validation = validation_problem(&mut status, inputs.now);
    status.problems.extend(validation);

    let mut counts = CredentialCounts::default();
    for c in credentials {
        if c.status == "healthy" {
            counts.healthy += 1;
        } else {
            counts.unhealthy += 1;
        }
        counts.meeting_sync_failed += usize::from(c.meeting_sync_status == "failed");
    }
    status.credentials = Some(counts);
    if counts.unhealthy > 0 {
        let (n, are) = count_of(counts.unhealthy, "credential", "is", "are");
        status.problems.push(Problem {
            code: "unhealthy-credentials",
            message: format!("{n} {are} unhealthy"),
            hint: "their Zoom users removed the app, or Recall disabled them after repeated errors: bots cannot get join tokens for those users' meetings until they authorise the Zoom app again".into(),
        });
    }
    if counts.meeting_sync_failed > 0 {
        let n = plural(counts.meeting_sync_failed, "credential");
        status.problems.push(Problem {
            code: "failed-meeting-syncs",
            message: format!("the meeting sync of {n} failed"),
            hint: "Recall could not list those users' Zoom meetings, so bots ask the host for permission to record; the app logs and Recall's sync-status guide say why".into(),
        });
    }

    // Recall filtered by time already; a time it did not filter is not trusted to be recent,
    // but kept, as Recall chose to list it.
    let entries: Vec<LogEntry> = logs
        .entries
        .iter()
        .filter(|e| timestamp::parse(&e.created_at).is_none_or(|at| at >= since))
        .map(|e| LogEntry {
            created_at: e.created_at.clone(),
            message: e.message.clone(),
        })
        .collect();
    if !entries.is_empty() {
        let more = if logs.more { "more than " } else { "" };
        status.problems.push(Problem {
            code: "recent-app-logs",
            message: format!(
                "Recall logged {more}{} about the app in the last {}",
                entries_count(entries.len()),
                describe(inputs.since)
            ),
            hint: "each entry is a warning or an error Recall recorded; read them above".into(),
        });
    }
    status.logs = Some(Logs {
        entries,
        more: logs.more,
    });
    status
}

/// The problem with when Zoom last validated the webhook URL, if any; sets how long ago it was.
fn validation_problem(status: &mut AppStatus, now: Micros) -> Option<Problem> {
    let url = &status.webhook_url;
    let Some(last) = &status.webhook_last_validation else {
        return Some(Problem {
            code: "never-validated",
            message: "Zoom has never validated the webhook URL".into(),
            hint: format!(
                "in the Zoom app's event subscription, set the event notification endpoint URL to `{url}` and press Validate"
            ),
        });
    };
    let overdue_hint = format!(
        "Zoom re-validates every 72 hours: check that the Zoom app's event subscription is enabled and its endpoint URL is `{url}`; after 6 failed validations in a row Zoom disables the subscription"
    );
    let Some(at) = timestamp::parse(last) else {
        return Some(Problem {
            code: "validation-overdue",
            message: format!(
                "Recall's last validation time `{}` is not a date-time",
                last.escape_debug()
            ),
            hint: overdue_hint,
        });
    };
    // A time ahead of this clock is a skewed clock, not a future validation.
    let ago = u64::try_from((now - at) / SECOND).unwrap_or(0);
    status.validated_ago = Some(ago);
    (ago > VALIDATION_MAX_AGE.as_secs()).then(|| Problem {
        code: "validation-overdue",
        message: format!("Zoom last validated the webhook URL {}", self::ago(ago)),
        hint: overdue_hint,
    })
}

/// `1 entry`, `2 entries`.
pub fn entries_count(n: usize) -> String {
    if n == 1 {
        "1 entry".into()
    } else {
        format!("{n} entries")
    }
}

/// `1 credential is`, `2 credentials are`.
fn count_of(n: usize, word: &str, one: &'static str, many: &'static str) -> (String, &'static str) {
    (plural(n, word), if n == 1 { one } else { many })
}

/// Microseconds since the epoch as Recall writes times; before 1970 (no real case) is 1970.
fn rfc3339(at: Micros) -> String {
    let at = u64::try_from(at).unwrap_or(0);
    crate::time::rfc3339(at / 1_000_000, (at % 1_000_000) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recall::AppLog;

    const NOW: &str = "2026-03-10T12:00:00.000000Z";

    fn now() -> Micros {
        timestamp::parse(NOW).unwrap()
    }

    fn record(id: &str) -> LockedApp {
        LockedApp {
            id: id.into(),
            webhook_url: format!("https://us-east-1.recall.ai/api/v2/zoom-oauth-apps/{id}/webhook"),
            ..LockedApp::default()
        }
    }

    fn found(
        validated: Option<&str>,
        logs: &[(&str, &str)],
        credentials: &[(&str, &str)],
    ) -> Observed {
        Observed::Found {
            app: Box::new(RemoteApp {
                id: "id".into(),
                webhook_last_validation: validated.map(str::to_string),
                ..RemoteApp::default()
            }),
            logs: AppLogs {
                entries: logs
                    .iter()
                    .map(|(at, m)| AppLog {
                        oauth_app: "id".into(),
                        message: m.to_string(),
                        created_at: at.to_string(),
                    })
                    .collect(),
                more: false,
            },
            credentials: credentials
                .iter()
                .map(|(status, sync)| Credential {
                    id: "c".into(),
                    oauth_app: "id".into(),
                    status: status.to_string(),
                    user_id: None,
                    account_id: None,
                    created_at: NOW.into(),
                    meeting_sync_status: sync.to_string(),
                })
                .collect(),
        }
    }

    fn judge(observed: Observed) -> AppStatus {
        let apps = [("acme".to_string(), record("id"))];
        let observed = [observed];
        let mut r = report(&Inputs {
            target: "t",
            apps: &apps,
            observed: &observed,
            now: now(),
            since: Duration::from_secs(86_400),
        });
        assert_eq!(r.ok, r.apps[0].problems.is_empty());
        r.apps.remove(0)
    }

    fn codes(s: &AppStatus) -> Vec<&'static str> {
        s.problems.iter().map(|p| p.code).collect()
    }

    #[test]
    fn a_healthy_app_has_no_problem() {
        let s = judge(found(
            Some("2026-03-09T12:00:00Z"),
            &[("2026-03-08T12:00:00Z", "old news")],
            &[("healthy", "completed"), ("healthy", "in_progress")],
        ));
        assert_eq!(codes(&s), Vec::<&str>::new());
        assert_eq!(s.validated_ago, Some(86_400));
        assert_eq!(
            s.credentials,
            Some(CredentialCounts {
                healthy: 2,
                unhealthy: 0,
                meeting_sync_failed: 0
            })
        );
        assert_eq!(s.logs.unwrap().entries, [], "older than --since");
    }

    #[test]
    fn validation_is_overdue_after_four_days_not_at_them() {
        let at_limit = judge(found(Some("2026-03-06T12:00:00Z"), &[], &[]));
        assert_eq!(codes(&at_limit), Vec::<&str>::new());
        let past = judge(found(Some("2026-03-06T11:59:59Z"), &[], &[]));
        assert_eq!(codes(&past), ["validation-overdue"]);
        assert_eq!(
            past.problems[0].message,
            "Zoom last validated the webhook URL 4 days ago"
        );
        assert_eq!(codes(&judge(found(None, &[], &[]))), ["never-validated"]);
        let skewed = judge(found(Some("2026-03-11T00:00:00Z"), &[], &[]));
        assert_eq!((codes(&skewed), skewed.validated_ago), (vec![], Some(0)));
        let garbled = judge(found(Some("yesterday"), &[], &[]));
        assert_eq!(codes(&garbled), ["validation-overdue"]);
    }

    #[test]
    fn credentials_and_logs_are_counted_and_named() {
        let s = judge(found(
            Some("2026-03-10T11:00:00Z"),
            &[
                ("2026-03-10T11:00:00Z", "token callback failed"),
                ("2026-03-09T12:00:00Z", "exactly a day ago"),
                ("2026-03-09T11:59:59Z", "a day and a second ago"),
            ],
            &[
                ("healthy", "failed"),
                ("unhealthy", "completed"),
                ("revoked", "failed"),
            ],
        ));
        assert_eq!(
            codes(&s),
            [
                "unhealthy-credentials",
                "failed-meeting-syncs",
                "recent-app-logs"
            ]
        );
        let messages: Vec<&str> = s.problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "2 credentials are unhealthy",
                "the meeting sync of 2 credentials failed",
                "Recall logged 2 entries about the app in the last 24 hours",
            ]
        );
        let logs = s.logs.unwrap();
        let logs: Vec<&str> = logs.entries.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(logs, ["token callback failed", "exactly a day ago"]);
    }

    #[test]
    fn a_missing_app_is_a_problem_and_nothing_else_is_judged() {
        let s = judge(Observed::Missing);
        assert_eq!(codes(&s), ["missing-in-recall"]);
        assert!(!s.in_recall && s.credentials.is_none() && s.logs.is_none());
    }

    #[test]
    fn durations_parse_and_read_as_people_say_them() {
        assert_eq!(parse_since("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_since("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_since("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_since("90s"), Ok(Duration::from_secs(90)));
        for bad in ["", "24", "h", "1.5h", "-1h", "24H", "1w", "24 h"] {
            assert_eq!(
                parse_since(bad),
                Err(format!(
                    "`{bad}` is not a duration such as `30m`, `24h` or `7d`"
                )),
                "{bad}"
            );
        }
        assert!(parse_since("0h").is_err());
        assert!(parse_since("99999999999999999999d").is_err());
        assert!(parse_since("36501d").is_err());
        let d = |s: &str| describe(parse_since(s).unwrap());
        assert_eq!(
            [d("24h"), d("1d"), d("7d"), d("30m"), d("90s"), d("60m")],
            [
                "24 hours",
                "24 hours",
                "7 days",
                "30 minutes",
                "90 seconds",
                "1 hour"
            ]
        );
        assert_eq!(
            [
                ago(59),
                ago(60),
                ago(7199),
                ago(86_399),
                ago(5 * 86_400 + 3600)
            ],
            [
                "just now",
                "1 minute ago",
                "1 hour ago",
                "23 hours ago",
                "5 days ago"
            ]
        );
    }

    #[test]
    fn the_fewest_calls_are_one_list_and_two_per_app() {
        assert_eq!(
            [
                fewest_calls(0),
                fewest_calls(1),
                fewest_calls(29),
                fewest_calls(30)
            ],
            [0, 3, 59, 61]
        );
    }
}
