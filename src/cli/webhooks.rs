//! `recallform webhooks verify`: send each app's webhook one signed URL validation, as Zoom's
//! Validate button does, and say whether the answer was made with the manifest's Secret Token.
//!
//! It needs the manifest (for the Secret Tokens) and the lockfile (for the webhook URLs), but
//! no Recall API key: the webhook endpoint takes none. Not for: signing or judging answers
//! ([`crate::webhook`] does both); this file picks the apps and the URLs, and words the result.

use std::collections::BTreeMap;
use std::sync::Arc;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use url::Url;

use super::{Global, output, target};
use crate::error::{Error, exit, plural};
use crate::lockfile::{LockStore, LockedApp};
use crate::model::SecretString;
use crate::recall::Redactor;
use crate::recall::target::SANDBOX_NAME;
use crate::session;
use crate::webhook::probe::{self, DEADLINE, Mismatch, Probe, Prober, Verdict};

/// How many probes are in flight at once.
const PARALLEL_PROBES: usize = 8;

/// Webhook commands.
#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Send each app's webhook URL one signed URL validation, as Zoom's Validate button does,
    /// and check that the answer comes within 3 s from the manifest's Secret Token.
    Verify(VerifyArgs),
}

/// Options of `webhooks verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The apps to check [default: every app of the manifest].
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Send the probe to URL instead, your own endpoint that receives Zoom's webhooks and
    /// forwards them to Recall (one app at a time).
    #[arg(long, value_name = "URL")]
    pub via: Option<String>,
    /// Probe the built-in emulator (state in `.recallform/` beside the manifest), where a
    /// `--sandbox` apply created the apps; implied by a lockfile of the sandbox.
    #[arg(long, conflicts_with = "via")]
    pub sandbox: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = VerifyFormat::Text)]
    pub format: VerifyFormat,
}

/// Output formats of `webhooks verify`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum VerifyFormat {
    /// One block per app and a summary.
    #[default]
    Text,
    /// One JSON document (`format_version` 1).
    Json,
}

/// Runs a webhook command.
pub async fn run(global: &Global, cmd: &WebhooksCommand) -> Result<u8, Error> {
    let WebhooksCommand::Verify(args) = cmd;
    verify(global, args).await
}

/// One app to check: where its probe goes, or why it cannot be sent.
struct Check {
    name: String,
    record: Option<LockedApp>,
    /// The URL shown (the recorded one, or `--via`'s).
    shown_url: Option<String>,
    /// Where the probe is sent, or why it is not.
    send_to: Result<Url, Problem>,
    secret: SecretString,
}

/// Why an app's probe was not sent.
struct Problem {
    message: String,
    hint: String,
}

/// One app's result, as printed.
struct Row {
    name: String,
    id: Option<String>,
    url: Option<String>,
    result: &'static str,
    status: Option<u16>,
    latency_ms: Option<u128>,
    message: Option<String>,
    hint: Option<String>,
}

async fn verify(global: &Global, args: &VerifyArgs) -> Result<u8, Error> {
    let via = args
        .via
        .as_deref()
        .map(|raw| {
            probe::check_url(raw).map_err(|why| Error::Usage(format!("`--via {raw}` {why}")))
        })
        .transpose()?;
    let manifest = target::load_manifest(global, &global.manifest)?;
    let names = selected(&manifest, &args.names)?;
    if via.is_some() && names.len() != 1 {
        return Err(Error::Usage(format!(
            "`--via` names one endpoint, but {} are selected\n  = hint: name the app whose webhooks it forwards: `recallform webhooks verify NAME --via URL`",
            plural(names.len(), "app")
        )));
    }
    if names.is_empty() {
        if !global.quiet {
            output::message("the manifest has no app, so there is no webhook to verify");
        }
        return Ok(exit::SUCCESS);
    }
    let apps = session::resolve_apps(&manifest)?;
    let lockfile = global.lockfile_path();
    let lock = if args.sandbox {
        LockStore::open(&lockfile, SANDBOX_NAME)?
    } else {
        LockStore::open_any(&lockfile)?
    };
    let in_sandbox = via.is_none() && (args.sandbox || lock.content().api_url == SANDBOX_NAME);
    let sandbox = match in_sandbox {
        true => Some(session::open_sandbox(&manifest).await?),
        false => None,
    };
    let sandbox_base = sandbox
        .as_ref()
        .map(|e| Url::parse(&e.url()).expect("the emulator's URL is valid"));

    let redactor = Redactor::new();
    redactor.learn_all(
        apps.iter()
            .flat_map(|a| [&a.client_secret, &a.webhook_secret]),
    );
    let prober = Arc::new(Prober::new(redactor).map_err(Error::Other)?);
    let context = Context {
        lockfile: lock.path().display().to_string(),
        sandbox: in_sandbox,
        via: via.is_some(),
    };
    let checks: Vec<Check> = names
        .iter()
        .map(|name| {
            let app = apps
                .iter()
                .find(|a| &a.name == name)
                .expect("a manifest app");
            let record = lock.apps().get(name).cloned();
            let (shown_url, send_to) = match (&via, &record) {
                (Some(url), _) => (Some(url.to_string()), Ok(url.clone())),
                (None, None) => (None, Err(not_recorded(name, &context))),
                (None, Some(r)) => (
                    Some(r.webhook_url.clone()),
                    recorded_url(&r.webhook_url, sandbox_base.as_ref()),
                ),
            };
            Check {
                name: name.clone(),
                record,
                shown_url,
                send_to,
                secret: app.webhook_secret.clone(),
            }
        })
        .collect();

    let probes = probe_all(&prober, &checks).await;
    if let Some(emulator) = sandbox {
        emulator.shutdown().await;
    }
    let rows: Vec<Row> = checks
        .iter()
        .zip(probes)
        .map(|(check, probe)| row(check, probe, &lock, &context))
        .collect();

    match args.format {
        VerifyFormat::Json => output::data(&format!(
            "{}\n",
            serde_json::to_string_pretty(&document(&rows, args.via.as_deref()))
                .expect("JSON serializes")
        )),
        VerifyFormat::Text if global.quiet => {}
        VerifyFormat::Text => output::data(&text(&rows, in_sandbox)),
    }
    let failed = rows.iter().filter(|r| r.result != "matches").count();
    if failed > 0 {
        let which = match rows.len() {
            1 => "the webhook".to_string(),
            n => format!("{failed} of {n} webhooks"),
        };
        return Err(Error::Other(format!("{which} failed verification")));
    }
    Ok(exit::SUCCESS)
}

/// What the wording of results depends on.
struct Context {
    /// The lockfile's path, as given.
    lockfile: String,
    /// Whether the apps live in the sandbox.
    sandbox: bool,
    /// Whether the probes went to `--via`.
    via: bool,
}

/// The apps to check, by name: `names` (each in the manifest, once), or every app.
fn selected(manifest: &crate::manifest::Manifest, names: &[String]) -> Result<Vec<String>, Error> {
    let known: Vec<&str> = manifest.apps.iter().map(|a| a.name.as_str()).collect();
    if names.is_empty() {
        let mut all: Vec<String> = known.iter().map(|n| n.to_string()).collect();
        all.sort();
        return Ok(all);
    }
    if let Some(unknown) = names.iter().find(|n| !known.contains(&n.as_str())) {
        let mut sorted = known.clone();
        sorted.sort_unstable();
        let list: Vec<String> = sorted.iter().map(|n| format!("`{n}`")).collect();
        let hint = match list.is_empty() {
            true => "the manifest names no app yet".to_string(),
            false => format!("the manifest's apps: {}", list.join(", ")),
        };
        return Err(Error::Usage(format!(
            "`{unknown}` is not an app of the manifest, which holds the Secret Token to check\n  = hint: {hint}"
        )));
    }
    let mut chosen: Vec<String> = names.to_vec();
    chosen.sort();
    chosen.dedup();
    Ok(chosen)
}

/// The URL a recorded webhook URL is probed at: the sandbox's address for a sandbox URL, else
/// the URL itself once checked (a lockfile can be edited by hand, or in a pull request).
fn recorded_url(recorded: &str, sandbox: Option<&Url>) -> Result<Url, Problem> {
    let checked = match sandbox {
        Some(base) => probe::sandbox_url(recorded, base)
            .ok_or_else(|| "is not a sandbox webhook URL".to_string()),
        None => probe::check_url(recorded),
    };
    checked.map_err(|why| Problem {
        message: format!("the webhook URL the lockfile records, `{recorded}`, {why}"),
        hint: "the lockfile's `webhook_url` is written by apply and import: check how it changed (`git diff`)".into(),
    })
}

/// The problem of an app the lockfile does not record: it has no webhook URL yet.
fn not_recorded(name: &str, at: &Context) -> Problem {
    let apply = match at.sandbox {
        true => "recallform apply --sandbox",
        false => "recallform apply",
    };
    Problem {
        message: format!(
            "`{name}` is not recorded in the lockfile `{}`, so it has no webhook URL yet",
            at.lockfile
        ),
        hint: format!("`{apply}` creates it in Recall and records it"),
    }
}

/// Sends every probe that can be sent, [`PARALLEL_PROBES`] at a time; `None` for the others.
async fn probe_all(prober: &Arc<Prober>, checks: &[Check]) -> Vec<Option<Probe>> {
    let limit = Arc::new(tokio::sync::Semaphore::new(PARALLEL_PROBES));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, check) in checks.iter().enumerate() {
        let Ok(url) = check.send_to.as_ref() else {
            continue;
        };
        let (prober, limit, url, secret) = (
            prober.clone(),
            limit.clone(),
            url.clone(),
            check.secret.clone(),
        );
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.expect("never closed");
            (i, prober.probe(&url, &secret).await)
        });
    }
    let mut probes: Vec<Option<Probe>> = vec![None; checks.len()];
    while let Some(done) = tasks.join_next().await {
        let (i, probe) = done.expect("a probe does not panic");
        probes[i] = Some(probe);
    }
    probes
}

/// One app's result, worded.
fn row(check: &Check, probe: Option<Probe>, lock: &LockStore, at: &Context) -> Row {
    let mut row = Row {
        name: check.name.clone(),
        id: check.record.as_ref().map(|r| r.id.clone()),
        url: check.shown_url.clone(),
        result: "error",
        status: None,
        latency_ms: None,
        message: None,
        hint: None,
    };
    let probe = match (probe, &check.send_to) {
        (Some(probe), _) => probe,
        (None, Err(problem)) => {
            row.message = Some(problem.message.clone());
            row.hint = Some(problem.hint.clone());
            return row;
        }
        (None, Ok(_)) => unreachable!("every sendable probe was sent"),
    };
    row.status = probe.status;
    row.latency_ms = probe.latency.map(|l| l.as_millis());
    let who = if at.via { "the endpoint" } else { "Recall" };
    let (result, message, hint) = match &probe.verdict {
        Verdict::Matches => ("matches", None, None),
        Verdict::Mismatch(how) => {
            let message = match how {
                Mismatch::WrongToken => format!(
                    "{who} answered with an `encryptedToken` made with another Secret Token than the manifest's"
                ),
                Mismatch::SignatureRefused(detail) => format!(
                    "{who} refused the probe's signature (401{}), so it holds another Secret Token than the manifest's",
                    detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
                ),
            };
            ("mismatch", Some(message), Some(mismatch_hint(check, lock, at)))
        }
        Verdict::TooSlow => (
            "too_slow",
            Some(format!(
                "no answer within {} s, after which Zoom fails the validation",
                DEADLINE.as_secs()
            )),
            Some(match at.via {
                true => "your endpoint must answer within 3 s: forward URL validations at once and pass Recall's answer back, answering 503 (never 408 or 429) when Recall is slow".to_string(),
                false => format!("Recall did not answer in time; {UNCONFIRMED}"),
            }),
        ),
        Verdict::Unanswered => (
            "unanswered",
            Some(format!(
                "{who} answered {} but not with a URL-validation answer (`plainToken` and `encryptedToken`), so the Secret Token is unchecked",
                probe.status.unwrap_or_default()
            )),
            Some(match at.via {
                true => "your endpoint must pass Recall's answer back unchanged, body included".to_string(),
                false => format!("the URL is reachable; {UNCONFIRMED}"),
            }),
        ),
        Verdict::Failed(why) => ("error", Some(why.clone()), Some(failed_hint(check, &probe, at))),
    };
    row.result = result;
    row.message = message;
    row.hint = hint;
    row
}

/// What to do when Recall did not answer as Zoom expects: it may answer Zoom alone.
const UNCONFIRMED: &str = "Recall may not answer validations that Zoom did not send (this is unconfirmed): press Validate in the Zoom app, then `recallform status` shows when Recall last answered Zoom";

/// What to do about a mismatch: send the manifest's Secret Token to Recall, saying why Recall
/// has another one as far as the lockfile's fingerprint of the last one sent tells.
fn mismatch_hint(check: &Check, lock: &LockStore, at: &Context) -> String {
    let name = &check.name;
    if at.via {
        return format!(
            "run `recallform webhooks verify {name}` without `--via`: if that matches, your endpoint does not pass Recall's answer back unchanged (or answers with a Secret Token of its own)"
        );
    }
    let apply = match at.sandbox {
        true => "recallform apply --sandbox",
        false => "recallform apply",
    };
    let recorded = check
        .record
        .as_ref()
        .and_then(|r| r.secrets.get("webhook_secret"));
    match recorded {
        None => format!(
            "recallform has no record of sending this app's Secret Token (it was imported): run `{apply}` to send the manifest's"
        ),
        Some(f) if *f != lock.fingerprint(check.secret.expose()) => format!(
            "the manifest's Secret Token changed since the last apply: run `{apply}` to send it to Recall"
        ),
        Some(_) => format!(
            "recallform last sent this very Secret Token, so Recall's was changed since: check that the manifest's is the Zoom app's, then run `{apply}` to rotate it (the README says what to do when its plan shows no change)"
        ),
    }
}

/// What to do when the probe failed.
fn failed_hint(check: &Check, probe: &Probe, at: &Context) -> String {
    let url = check.shown_url.as_deref().unwrap_or_default();
    match (at.via, probe.status) {
        (true, None) => format!("is your endpoint running, and is `{url}` its address?"),
        (true, Some(_)) => "your endpoint must forward the probe to the app's Recall webhook URL, body and `x-zm-*` headers unchanged, and pass Recall's answer back".into(),
        (false, Some(404)) => "Recall has no app with this ID: `recallform plan` shows whether it was deleted outside recallform".into(),
        (false, None) => format!("check the network between here and `{url}`"),
        (false, Some(_)) => UNCONFIRMED.into(),
    }
}

/// The text output: one block per app, then the summary.
fn text(rows: &[Row], sandbox: bool) -> String {
    let mut out = String::new();
    for r in rows {
        let timing = r
            .latency_ms
            .map(|ms| format!(" ({ms} ms)"))
            .unwrap_or_default();
        let head = match r.result {
            "matches" => "matches".to_string(),
            "too_slow" => "too slow".to_string(),
            other => other.to_string(),
        };
        let message = r
            .message
            .as_deref()
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "zoom_oauth_app.{}: {head}{message}{timing}\n",
            r.name
        ));
        if let Some(url) = &r.url {
            let served = if sandbox {
                " (served by the sandbox)"
            } else {
                ""
            };
            out.push_str(&format!("    sent to: {url}{served}\n"));
        }
        if let Some(hint) = &r.hint {
            out.push_str(&format!("  = hint: {hint}\n"));
        }
    }
    let count = |result: &str| rows.iter().filter(|r| r.result == result).count();
    let mut parts = vec![
        format!("{} matched", count("matches")),
        format!("{} mismatched", count("mismatch")),
        format!("{} too slow", count("too_slow")),
    ];
    if count("unanswered") > 0 {
        parts.push(format!("{} unanswered", count("unanswered")));
    }
    parts.push(format!("{} failed", count("error")));
    out.push_str(&format!("\nVerify complete: {}.\n", parts.join(", ")));
    out
}

/// The JSON document (`format_version` 1): one entry per app, sorted by name, and the counts.
fn document(rows: &[Row], via: Option<&str>) -> serde_json::Value {
    let mut summary: BTreeMap<&str, usize> = [
        ("matched", 0),
        ("mismatched", 0),
        ("too_slow", 0),
        ("unanswered", 0),
        ("failed", 0),
    ]
    .into_iter()
    .collect();
    for r in rows {
        let key = match r.result {
            "matches" => "matched",
            "mismatch" => "mismatched",
            "too_slow" => "too_slow",
            "unanswered" => "unanswered",
            _ => "failed",
        };
        *summary.get_mut(key).expect("every key is there") += 1;
    }
    let apps: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            json!({
                "name": r.name,
                "id": r.id,
                "url": r.url,
                "result": r.result,
                "status": r.status,
                "latency_ms": r.latency_ms.map(|ms| u64::try_from(ms).unwrap_or(u64::MAX)),
                "message": r.message,
                "hint": r.hint,
            })
        })
        .collect();
    json!({
        "format_version": 1,
        "via": via,
        "ok": rows.iter().all(|r| r.result == "matches"),
        "apps": apps,
        "summary": summary,
    })
}
