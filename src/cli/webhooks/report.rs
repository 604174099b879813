//! How `webhooks verify` reads: one block per app (the result, where the probe went, what to do),
//! the `Verify complete:` summary, and the JSON document; and the exit it ends with.
//!
//! Not for: deciding a result (that is [`crate::webhook::probe`]'s verdict); this words it.

use std::collections::BTreeMap;

use serde_json::json;

use super::{Check, Context, VerifyArgs, VerifyFormat};
use crate::cli::output;
use crate::error::{Error, exit};
use crate::webhook::probe::{DEADLINE, Mismatch, Probe, Verdict};

/// What to do when Recall did not answer as Zoom expects: it may answer Zoom alone.
const UNCONFIRMED: &str = "Recall may not answer validations that Zoom did not send (this is unconfirmed): press Validate in the Zoom app, then `recallform status` shows when Recall last answered Zoom";

/// One app's result, as printed.
struct Row {
    name: String,
    id: Option<String>,
    url: Option<String>,
    /// `matches`, `mismatch`, `too_slow`, `unanswered` or `error`.
    result: &'static str,
    status: Option<u16>,
    latency_ms: Option<u128>,
    message: Option<String>,
    hint: Option<String>,
}

/// Prints the results of `checks` (`None` where no probe was sent) as `args` asks, and returns
/// the exit: success when every app matched, otherwise an error saying how many did not.
pub(super) fn print(
    checks: &[Check],
    probes: Vec<Option<Probe>>,
    at: &Context,
    args: &VerifyArgs,
    quiet: bool,
) -> Result<u8, Error> {
    let rows: Vec<Row> = checks
        .iter()
        .zip(probes)
        .map(|(check, probe)| row(check, probe, at))
        .collect();
    match args.format {
        VerifyFormat::Json => output::data(&format!(
            "{}\n",
            serde_json::to_string_pretty(&document(&rows, args.via.as_deref()))
                .expect("JSON serializes")
        )),
        VerifyFormat::Text if quiet => {}
        VerifyFormat::Text => output::data(&text(&rows, at.sandbox)),
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

/// One app's result, worded.
fn row(check: &Check, probe: Option<Probe>, at: &Context) -> Row {
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
    let (result, message, hint) = words(check, &probe, at);
    row.status = probe.status;
    row.latency_ms = probe.latency.map(|l| l.as_millis());
    row.result = result;
    row.message = message;
    row.hint = hint;
    row
}

/// The result, the message and the hint for a probe's verdict.
fn words(
    check: &Check,
    probe: &Probe,
    at: &Context,
) -> (&'static str, Option<String>, Option<String>) {
    let via = at.via.is_some();
    let who = if via { "the endpoint" } else { "Recall" };
    match &probe.verdict {
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
            ("mismatch", Some(message), Some(mismatch_hint(check, at)))
        }
        Verdict::TooSlow => (
            "too_slow",
            Some(format!(
                "no answer within {} s, after which Zoom fails the validation",
                DEADLINE.as_secs()
            )),
            Some(match via {
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
            Some(match via {
                true => "your endpoint must pass Recall's answer back unchanged, body included".to_string(),
                false => format!("the URL is reachable; {UNCONFIRMED}"),
            }),
        ),
        Verdict::Failed(why) => ("error", Some(why.clone()), Some(failed_hint(check, probe, at))),
    }
}

/// What to do about a mismatch: send the manifest's Secret Token to Recall, saying why Recall
/// has another one as far as the lockfile's fingerprint of the last one sent tells.
fn mismatch_hint(check: &Check, at: &Context) -> String {
    let (name, apply) = (&check.name, at.apply());
    if at.via.is_some() {
        return format!(
            "run `recallform webhooks verify {name}` without `--via`: if that matches, your endpoint does not pass Recall's answer back unchanged (or answers with a Secret Token of its own)"
        );
    }
    match check.secret_as_sent {
        None => format!(
            "recallform has no record of sending this app's Secret Token (it was imported): run `{apply}` to send the manifest's"
        ),
        Some(false) => format!(
            "the manifest's Secret Token changed since the last apply: run `{apply}` to send it to Recall"
        ),
        Some(true) => format!(
            "recallform last sent this very Secret Token, so Recall's was changed since: check that the manifest's is the Zoom app's, then run `{apply}` to rotate it (the README says what to do when its plan shows no change)"
        ),
    }
}

/// What to do when the probe failed.
fn failed_hint(check: &Check, probe: &Probe, at: &Context) -> String {
    let url = check.shown_url.as_deref().unwrap_or_default();
    match (at.via.is_some(), probe.status) {
        (true, None) => format!("is your endpoint running, and is `{url}` its address?"),
        (true, Some(_)) => "your endpoint must forward the probe to the app's Recall webhook URL, body and `x-zm-*` headers unchanged, and pass Recall's answer back".into(),
        (false, Some(404)) => format!(
            "Recall has no app with this ID: `{}` shows whether it was deleted outside recallform",
            at.plan()
        ),
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
