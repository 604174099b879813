//! `recallform status [NAME...]`: how each recorded app is doing on the Zoom side, for people
//! (text) and for monitoring jobs (`--format json`, `--check`).
//!
//! It parses, opens the connection and the lockfile through [`crate::session`], lets
//! [`crate::status`] read Recall and judge, and prints. It only reads: list calls, and no lock
//! is taken, so it can run beside an apply.
//!
//! Not for: changing anything in Recall or the lockfile.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Args, ValueEnum};

use super::{Global, output};
use crate::error::{Error, exit, plural};
use crate::lockfile::{LockStore, LockedApp};
use crate::plan::render::Style;
use crate::session;
use crate::status::{self, AppStatus, DEFAULT_SINCE, Inputs, LIST_LIMIT_PER_MINUTE, Report};

/// Options of `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Only these apps, as the lockfile names them (default: every recorded app).
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: StatusFormat,
    /// Exit 1 when any app needs attention: never or long not validated, unhealthy
    /// credentials, failed meeting syncs, or app log entries newer than `--since`.
    #[arg(long)]
    pub check: bool,
    /// How far back to read the app logs: a number and `s`, `m`, `h` or `d` (`30m`, `7d`).
    #[arg(long, default_value = DEFAULT_SINCE, value_name = "DURATION", value_parser = status::parse_since)]
    pub since: Duration,
    /// Read the built-in Recall emulator (`.recallform/` beside the manifest) instead of Recall.
    #[arg(long)]
    pub sandbox: bool,
}

/// Output formats of `status`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    /// For people.
    #[default]
    Text,
    /// For programs (`format_version` 1).
    Json,
}

/// Reads every chosen app's status from Recall and prints it.
pub async fn run(global: &Global, args: &StatusArgs) -> Result<u8, Error> {
    let options = global.options()?;
    let manifest = session::load_manifest(&options.manifest, &options.rules)?;
    let (connection, sandbox) = session::connect_reader(&options, &manifest, args.sandbox).await?;
    let result = async {
        let store = LockStore::open(&options.lockfile, &connection.target.name)?;
        let apps = chosen(&store, &args.names)?;
        let calls = status::fewest_calls(apps.len());
        if calls > LIST_LIMIT_PER_MINUTE && !global.quiet {
            output::message(&format!(
                "warning: the status of {} takes at least {calls} list calls, more than Recall's {LIST_LIMIT_PER_MINUTE} a minute\n  = hint: recallform waits whenever Recall says so (429, `Retry-After`), so this takes more than a minute; name fewer apps to check them faster",
                plural(apps.len(), "app")
            ));
        }
        let now = now();
        let since = status::logs_since(now, args.since);
        let observed = status::observe(&connection.client, &apps, &since).await?;
        let report = status::report(&Inputs {
            target: &connection.target.name,
            apps: &apps,
            observed: &observed,
            now,
            since: args.since,
        });
        Ok::<_, Error>((report, store))
    }
    .await;
    if let Some(emulator) = sandbox {
        emulator.shutdown().await;
    }
    let (report, store) = result?;
    print(global, args, &report, &store)
}

/// The recorded apps `names` asks for (every one when it is empty), by name; a name the
/// lockfile does not record is a usage error, before any request.
fn chosen(store: &LockStore, names: &[String]) -> Result<Vec<(String, LockedApp)>, Error> {
    let recorded = store.apps();
    if let Some(name) = names.iter().find(|n| !recorded.contains_key(n.as_str())) {
        let file = store.path().display();
        let hint = if recorded.is_empty() {
            "it records no app yet; `recallform apply` creates the manifest's apps and records them"
                .to_string()
        } else {
            let known: Vec<String> = recorded.keys().map(|n| format!("`{n}`")).collect();
            format!("it records {}", known.join(", "))
        };
        return Err(Error::Usage(format!(
            "`{name}` is not recorded in the lockfile `{file}`\n  = hint: {hint}"
        )));
    }
    Ok(recorded
        .iter()
        .filter(|(name, _)| names.is_empty() || names.contains(name))
        .map(|(name, app)| (name.clone(), app.clone()))
        .collect())
}

/// Prints the report and says what `--check` makes of it.
fn print(
    global: &Global,
    args: &StatusArgs,
    report: &Report,
    store: &LockStore,
) -> Result<u8, Error> {
    match args.format {
        StatusFormat::Json => output::data(&format!(
            "{}\n",
            serde_json::to_string_pretty(report).expect("the report serializes")
        )),
        StatusFormat::Text if global.quiet => {}
        StatusFormat::Text => output::data(&text(report, output::stdout_style())),
    }
    let file = store.path().display();
    if report.apps.is_empty() {
        let hint = "`recallform apply` creates the manifest's apps and records them";
        if args.check {
            output::message(&format!(
                "error: the lockfile `{file}` records no app, so `--check` has nothing to check\n  = hint: {hint}"
            ));
            return Ok(exit::ERROR);
        }
        if !global.quiet {
            output::message(&format!(
                "the lockfile `{file}` records no app yet\n  = hint: {hint}"
            ));
        }
        return Ok(exit::SUCCESS);
    }
    let attention: Vec<String> = report
        .apps
        .iter()
        .filter(|a| !a.problems.is_empty())
        .map(|a| format!("`{}`", a.name))
        .collect();
    if args.check && !attention.is_empty() {
        output::message(&format!(
            "error: {} of {} {}: {}",
            attention.len(),
            plural(report.apps.len(), "app"),
            if attention.len() == 1 {
                "needs attention"
            } else {
                "need attention"
            },
            attention.join(", ")
        ));
        return Ok(exit::ERROR);
    }
    Ok(exit::SUCCESS)
}

/// The report for people: a block per app, then a summary line.
pub fn text(report: &Report, style: Style) -> String {
    let mut out = String::new();
    for app in &report.apps {
        out.push_str(&app_text(app, report, style));
        out.push('\n');
    }
    let attention = report
        .apps
        .iter()
        .filter(|a| !a.problems.is_empty())
        .count();
    out.push_str(&format!(
        "Status: {}, {attention} {}.\n",
        plural(report.apps.len(), "app"),
        if attention == 1 {
            "needs attention"
        } else {
            "need attention"
        }
    ));
    out
}

fn app_text(app: &AppStatus, report: &Report, style: Style) -> String {
    let mut out = format!(
        "{}: {}\n",
        style.bold(&format!("zoom_oauth_app.{}", app.name)),
        app.id
    );
    let line = |out: &mut String, label: &str, value: &str| {
        out.push_str(&format!("    {:<14}{value}\n", format!("{label}:")));
    };
    line(&mut out, "webhook URL", &app.webhook_url);
    if !app.in_recall {
        line(&mut out, "in Recall", "no");
    } else {
        let validated = match (&app.webhook_last_validation, app.validated_ago) {
            (None, _) => "never".to_string(),
            (Some(at), Some(ago)) => format!("{} ({})", clean(at), status::ago(ago)),
            (Some(at), None) => format!("{} (not a date-time)", clean(at)),
        };
        line(&mut out, "validated", &validated);
        if let Some(c) = &app.credentials {
            let failed = if c.meeting_sync_failed == 1 {
                "failed meeting sync"
            } else {
                "failed meeting syncs"
            };
            line(
                &mut out,
                "credentials",
                &format!(
                    "{} healthy, {} unhealthy, {} {failed}",
                    c.healthy, c.unhealthy, c.meeting_sync_failed
                ),
            );
        }
        if let Some(logs) = &app.logs {
            let window = status::describe(Duration::from_secs(report.since_seconds));
            let summary = match (logs.entries.len(), logs.more) {
                (0, _) => format!("none in the last {window}"),
                (n, false) => format!(
                    "{} in the last {window}, newest first:",
                    status::entries_count(n)
                ),
                (n, true) => format!(
                    "more than {} in the last {window}, the newest {n}:",
                    status::entries_count(n)
                ),
            };
            line(&mut out, "app logs", &summary);
            for entry in &logs.entries {
                out.push_str(&format!(
                    "{:18}{}  {}\n",
                    "",
                    clean(&entry.created_at),
                    clean(&entry.message)
                ));
            }
        }
    }
    for p in &app.problems {
        out.push_str(&format!(
            "    {}{}\n      {} {}\n",
            style.bold(&style.yellow(&format!("warning[{}]", p.code))),
            style.bold(&format!(": {}", p.message)),
            style.bold("= hint:"),
            p.hint
        ));
    }
    out
}

/// Recall's text with its control characters escaped, so that a message cannot break the
/// layout or send escape sequences to the terminal.
fn clean(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

/// Now, in microseconds since the Unix epoch.
fn now() -> i64 {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RemoteApp;
    use crate::recall::timestamp;
    use crate::recall::{AppLog, AppLogs, Credential};
    use crate::status::Observed;

    /// The README's example, rebuilt from the data it shows, renders as the README shows it.
    #[test]
    fn the_readme_example_is_what_the_renderer_prints() {
        let readme = include_str!("../../README.md");
        let start = readme.find("$ recallform status\n").expect("the example") + 20;
        let shown = &readme[start..start + readme[start..].find("```\n").unwrap()];

        let base = "https://us-east-1.recall.ai/api/v2/zoom-oauth-apps";
        let (dev, prod) = (
            "1c9e4b2a-7d3f-4a8e-9b6c-2f1e0d9c8b7a",
            "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
        );
        let record = |id: &str| LockedApp {
            id: id.into(),
            webhook_url: format!("{base}/{id}/webhook"),
            ..LockedApp::default()
        };
        let remote = |id: &str, validated: Option<&str>| {
            Box::new(RemoteApp {
                id: id.into(),
                webhook_last_validation: validated.map(str::to_string),
                ..RemoteApp::default()
            })
        };
        let credential = |status: &str, sync: &str| Credential {
            id: "c".into(),
            oauth_app: prod.into(),
            status: status.into(),
            user_id: None,
            account_id: None,
            created_at: "2026-01-01T00:00:00Z".into(),
            meeting_sync_status: sync.into(),
        };
        let mut credentials = vec![credential("healthy", "completed"); 41];
        credentials.push(credential("unhealthy", "failed"));
        let apps = [
            ("acme-dev".to_string(), record(dev)),
            ("acme-prod".to_string(), record(prod)),
        ];
        let observed = [
            Observed::Found {
                app: remote(dev, None),
                logs: AppLogs::default(),
                credentials: vec![],
            },
            Observed::Found {
                app: remote(prod, Some("2026-05-04T07:12:44.120311Z")),
                logs: AppLogs {
                    entries: vec![AppLog {
                        oauth_app: prod.into(),
                        message:
                            "Failed to fetch access token from callback URL for credential 0b7c…"
                                .into(),
                        created_at: "2026-05-05T06:02:11.530942Z".into(),
                    }],
                    more: false,
                },
                credentials,
            },
        ];
        let report = status::report(&Inputs {
            target: "https://us-east-1.recall.ai",
            apps: &apps,
            observed: &observed,
            now: timestamp::parse("2026-05-05T08:00:00Z").unwrap(),
            since: Duration::from_secs(86_400),
        });
        assert_eq!(text(&report, Style::new(false)), shown);
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(clean("a\nb\u{1b}[31mc"), "a\\nb\\u{1b}[31mc");
        assert_eq!(clean("Zoom: “ok” ✓"), "Zoom: “ok” ✓");
    }
}
