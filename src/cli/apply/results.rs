//! How apply's results read: one line (or block) per app, the `Apply complete:` summary, what
//! to do next, and the JSON document.
//!
//! Not for: printing (the caller does) or counting (that is [`crate::apply::Report::tally`]).

use std::path::Path;

use serde_json::json;

use crate::apply::{self, Outcome, Status};
use crate::error::plural;
use crate::plan::{Action, Plan, render};

/// What the lockfile records after the apply, for the advice that follows the summary.
pub(super) struct Recorded<'a> {
    /// The lockfile.
    pub lockfile: &'a Path,
    /// How many apps it records.
    pub apps: usize,
    /// The sandbox's state folder, with `--sandbox`.
    pub sandbox_state: Option<&'a Path>,
}

/// Every result, by name (as the outcomes come), the summary and, when anything was done,
/// what to do next. Printed once all are done: completion order is an accident of timing.
pub(super) fn text(outcomes: &[Outcome], tally: &apply::Tally, recorded: &Recorded) -> String {
    let sandbox = recorded.sandbox_state.is_some();
    let results: String = outcomes.iter().map(|o| describe(o, sandbox)).collect();
    // A replacement's block ends with a blank line; one is enough before the summary.
    let results = results.trim_end_matches('\n');
    let mut out = format!("\n{results}\n\n{}\n", summary_line(tally));
    if tally.done > 0 {
        out.push_str(&after_apply_hint(
            recorded,
            tally.created + tally.adopted + tally.replaced > 0,
        ));
    }
    out
}

/// One result, with the webhook URL that goes into the Zoom app (none does in the `sandbox`).
fn describe(o: &Outcome, sandbox: bool) -> String {
    let verb = match o.action {
        Action::Create => "created",
        Action::Adopt => "adopted",
        Action::Update => "updated",
        Action::Replace => "replaced",
        Action::Delete => "deleted",
        Action::NoOp => "lockfile record updated",
    };
    // What happened to the record besides the action: a rename, a `protect` change.
    let record: Vec<String> = o
        .moved_from
        .iter()
        .map(|m| format!("renamed from `{m}`"))
        .chain(o.lockfile_changes.iter().cloned())
        .collect();
    let also = match (o.action, record.is_empty()) {
        (_, true) => String::new(),
        (Action::NoOp, false) => format!(": {}", record.join(", ")),
        (_, false) => format!(" (lockfile: {})", record.join(", ")),
    };
    let previous = o.previous_id.as_deref().unwrap_or_default();
    let name = &o.name;
    match &o.status {
        Status::Done(Some(app)) if o.action == Action::Replace => format!(
            "zoom_oauth_app.{name}: replaced `{previous}` with `{}`{also}\n\n    !! NEW webhook URL: {}\n    !! {}: the old URL no longer works\n\n",
            app.id,
            app.webhook_url,
            if sandbox {
                "against Recall, it would go into the Zoom app (a sandbox URL does not)"
            } else {
                "enter it in the Zoom app (event notification endpoint and deauthorization endpoint)"
            }
        ),
        Status::Done(Some(app)) if o.action == Action::NoOp => format!(
            "zoom_oauth_app.{name}: {verb} (`{}`){also}\n    webhook URL: {}\n",
            app.id, app.webhook_url
        ),
        Status::Done(Some(app)) => format!(
            "zoom_oauth_app.{name}: {verb} `{}`{also}\n    webhook URL: {}\n",
            app.id, app.webhook_url
        ),
        Status::Done(None) if o.already_gone => format!(
            "zoom_oauth_app.{name}: record of `{previous}` removed (the app was already gone from Recall)\n"
        ),
        Status::Done(None) => format!("zoom_oauth_app.{name}: {verb} `{previous}`\n"),
        Status::Failed(why) => format!("zoom_oauth_app.{name}: failed: {why}\n"),
        Status::Skipped => format!("zoom_oauth_app.{name}: not started (interrupted)\n"),
    }
}

/// The `Apply complete:` line: every action's count, like the `Plan:` line (`lockfile-only`
/// and `not started` only when there are any).
fn summary_line(t: &apply::Tally) -> String {
    let mut parts = vec![
        format!("{} created", t.created),
        format!("{} adopted", t.adopted),
        format!("{} updated", t.updated),
        format!("{} replaced", t.replaced),
        format!("{} deleted", t.deleted),
        format!("{} moved", t.moved),
    ];
    if t.lockfile_only > 0 {
        parts.push(format!("{} lockfile-only", t.lockfile_only));
    }
    parts.push(format!("{} failed", t.failed));
    if t.skipped > 0 {
        parts.push(format!("{} not started", t.skipped));
    }
    format!("Apply complete: {}.", parts.join(", "))
}

/// What to do next: enter the webhook URLs in Zoom (when apps got one) and commit the
/// lockfile; in the sandbox neither, since its URLs reach nothing and its record is local.
fn after_apply_hint(at: &Recorded, new_urls: bool) -> String {
    let recorded = plural(at.apps, "app");
    let lockfile = at.lockfile.display();
    match at.sandbox_state {
        Some(state) => format!(
            "\n{}The lockfile `{lockfile}` now records {recorded} of the sandbox.\n\
             Like the sandbox's state in `{}/`, it belongs to this machine: do not commit it.\n",
            if new_urls {
                "These are sandbox webhook URLs (`.invalid`): Zoom cannot reach them, so do not enter them in a Zoom app.\n"
            } else {
                ""
            },
            state.display(),
        ),
        None => format!(
            "\n{}The lockfile `{lockfile}` now records {recorded}: commit it.\n",
            if new_urls {
                "In each Zoom app (Features > Access), enter its webhook URL as the event notification endpoint\n\
                 (and as the Deauthorization Endpoint URL), and subscribe to the events `meeting.created` and `user.updated`.\n"
            } else {
                ""
            },
        ),
    }
}

/// Apply's JSON document: the plan and each operation's result, by app name.
pub(super) fn json(
    plan: &Plan,
    outcomes: &[Outcome],
    tally: &apply::Tally,
    plan_file: Option<&Path>,
) -> String {
    let results: Vec<_> = outcomes
        .iter()
        .map(|o| {
            let (status, app, error) = match &o.status {
                Status::Done(app) => ("done", app.as_ref(), None),
                Status::Failed(why) => ("failed", None, Some(why.as_str())),
                Status::Skipped => ("skipped", None, None),
            };
            json!({
                "name": o.name,
                "action": o.action.as_str(),
                "status": status,
                "id": app.map(|a| &a.id),
                "previous_id": o.previous_id,
                "moved_from": o.moved_from,
                "webhook_url": app.map(|a| &a.webhook_url),
                "error": error,
            })
        })
        .collect();
    let doc = json!({
        "format_version": 1,
        "plan_file": plan_file.map(|p| p.display().to_string()),
        "plan": render::json(plan),
        "results": results,
        "summary": tally,
    });
    let mut text = serde_json::to_string_pretty(&doc).expect("JSON serializes");
    text.push('\n');
    text
}
