//! `recallform apply [FILE]`: lock, plan (or check a saved plan), confirm, carry out, record.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Args, ValueEnum};
use serde_json::json;

use super::session::{GuardArgs, Session, Where};
use super::target;
use super::{Global, output};
use crate::apply::{self, Outcome, Status};
use crate::error::{Error, exit, plural};
use crate::plan::{Action, Plan, render};
use crate::saved::{self, SavedPlan};

/// Above this many operations, a terminal gets a progress bar.
const PROGRESS_THRESHOLD: usize = 5;

/// Output formats for apply's results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ResultFormat {
    /// The plan, each result as it happens, and a summary.
    #[default]
    Text,
    /// One JSON document with the plan and every result (`format_version` 1).
    Json,
}

/// Options of `apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved with `recallform plan --out`: apply exactly it, without asking (it was
    /// reviewed), or refuse with exit 4 if anything changed since it was made.
    #[arg(value_name = "PLAN_FILE")]
    pub plan_file: Option<PathBuf>,
    /// Apply to the built-in Recall emulator (state in `.recallform/` beside the manifest).
    #[arg(long)]
    pub sandbox: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// How many operations run at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,
    /// How long to wait for another apply to release the lock (0: fail at once).
    #[arg(long, default_value_t = 0, value_name = "SECONDS")]
    pub lock_timeout: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ResultFormat::Text)]
    pub format: ResultFormat,
    /// Exit 0 when there was nothing to do and 2 when changes were applied, instead of 0 for
    /// both; errors exit as without it (1, 3, 4, 5, 64 or 130: see the README's exit codes).
    #[arg(long)]
    pub detailed_exitcode: bool,
    #[command(flatten)]
    pub guards: GuardArgs,
}

/// Locks, plans or checks the saved plan, asks, applies and reports.
pub async fn run(global: &Global, args: &ApplyArgs) -> Result<u8, Error> {
    let saved = args.plan_file.as_deref().map(SavedPlan::read).transpose()?;
    let g = &args.guards;
    if saved.is_some()
        && (g.allow_delete || g.force || !g.allow_replace.is_empty() || !g.target.is_empty())
    {
        return Err(Error::Usage(
            "`--allow-delete`, `--allow-replace`, `--force` and `--target` shape a plan: pass them to `recallform plan --out`, where the review sees their effect".into(),
        ));
    }
    let at = match (&saved, &args.plan_file) {
        (Some(s), Some(file)) => saved_where(global, args, s, file)?,
        _ => Where::from_global(global, args.sandbox),
    };
    let located = saved::Located {
        manifest: at.manifest.clone(),
        lockfile: at.lockfile.clone(),
    };
    let _lock = target::lock(&at.lockfile, args.lock_timeout)?;
    let session = Session::open(global, at, &args.guards).await?;

    let plan = match (&saved, &args.plan_file) {
        (Some(s), Some(file)) => {
            let causes = saved::stale_causes(
                s,
                &session.target.name,
                &session.basis(&s.basis.inputs_salt),
                &located,
            );
            if !causes.is_empty() {
                session.close().await;
                return Err(Error::Stale {
                    file: file.display().to_string(),
                    replan: replan(s, file, &located),
                    causes,
                });
            }
            s.plan.clone()
        }
        _ => session.plan.clone(),
    };
    let text = args.format == ResultFormat::Text && !global.quiet;
    if text {
        output::data(&render::text(&plan, output::stdout_style()));
    }
    if !plan.targets.is_empty() && !global.quiet {
        output::message(
            "warning: this apply is limited by `--target`; other changes are left for later",
        );
    }
    let blocked: Vec<String> = plan
        .blocked()
        .map(|c| format!("`{}`: {}", c.name, c.blocked.as_deref().unwrap_or_default()))
        .collect();
    if !blocked.is_empty() {
        session.close().await;
        return Err(Error::Blocked(blocked));
    }

    let total = plan.actionable().count();
    if total == 0 {
        if args.format == ResultFormat::Json {
            let nothing = apply::Tally::default();
            output::data(&results_json(
                &plan,
                &[],
                &nothing,
                args.plan_file.as_deref(),
            ));
        }
        session.close().await;
        return Ok(exit::SUCCESS);
    }
    if saved.is_none() && !args.auto_approve {
        confirm()?;
    }

    let stop = Arc::new(AtomicBool::new(false));
    let interrupts = tokio::spawn(watch_interrupts(stop.clone()));
    let progress = (text && total > PROGRESS_THRESHOLD && std::io::stderr().is_terminal())
        .then(|| progress_bar(total));
    let public_base = session.target.public_base.clone();
    let options = apply::Options {
        public_base: &public_base,
        parallelism: usize::from(args.parallelism),
        stop: stop.clone(),
    };
    let report = apply::apply(
        &plan,
        &session.desired,
        session.client.clone(),
        session.lock.clone(),
        &options,
        |_| {
            if let Some(bar) = &progress {
                bar.inc(1);
            }
        },
    )
    .await;
    interrupts.abort();
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }

    let tally = report.tally();
    let outcomes = &report.outcomes;
    match args.format {
        ResultFormat::Json => output::data(&results_json(
            &plan,
            outcomes,
            &tally,
            args.plan_file.as_deref(),
        )),
        ResultFormat::Text if text => {
            // Printed once all are done, by name: completion order is an accident of timing.
            let sandbox = session.is_sandbox();
            let results: String = outcomes.iter().map(|o| describe(o, sandbox)).collect();
            // A replacement's block ends with a blank line; one is enough before the summary.
            let results = results.trim_end_matches('\n');
            output::data(&format!("\n{results}\n\n{}\n", summary_line(&tally)));
            if tally.done > 0 {
                let lock = session.lock();
                output::data(&after_apply_hint(
                    lock.path(),
                    lock.apps().len(),
                    session.sandbox_state(),
                    tally.created + tally.adopted + tally.replaced > 0,
                ));
            }
        }
        ResultFormat::Text => {}
    }
    let (failed, skipped) = (tally.failed, tally.skipped);
    session.close().await;

    if let Some(conflict) = report.conflict {
        return Err(Error::Lock(conflict));
    }
    if stop.load(Ordering::SeqCst) {
        return Err(Error::Interrupted {
            finished: outcomes.len() - skipped,
            skipped,
        });
    }
    if failed > 0 {
        return Err(Error::ApplyFailed {
            failed,
            total: outcomes.len(),
        });
    }
    Ok(if args.detailed_exitcode {
        exit::CHANGES
    } else {
        exit::SUCCESS
    })
}

/// Where a saved plan's inputs are: where its recorded paths lead from `file`'s folder (or
/// the working folder), unless the command line says otherwise.
fn saved_where(
    global: &Global,
    args: &ApplyArgs,
    saved: &SavedPlan,
    file: &Path,
) -> Result<Where, Error> {
    if args.sandbox && !saved.sandbox {
        return Err(Error::Usage(
            "the plan was not made with `--sandbox`; apply it without `--sandbox`".into(),
        ));
    }
    let manifest = global
        .manifest_on_command_line
        .then(|| global.manifest.clone());
    let recorded = match (&manifest, &global.lockfile) {
        (Some(_), Some(_)) => None,
        _ => Some(saved.locate(file, manifest.is_some())?),
    };
    let from_plan = |pick: fn(saved::Located) -> PathBuf| {
        recorded
            .clone()
            .map(pick)
            .expect("located unless both are given")
    };
    Ok(Where {
        manifest: manifest.unwrap_or_else(|| from_plan(|l| l.manifest)),
        lockfile: global
            .lockfile
            .clone()
            .unwrap_or_else(|| from_plan(|l| l.lockfile)),
        sandbox: saved.sandbox,
    })
}

/// The `plan` command that makes `saved` again from this folder: the same sandbox, manifest,
/// lockfile and targets, written to the same file.
fn replan(saved: &SavedPlan, file: &Path, at: &saved::Located) -> String {
    let mut cmd = vec!["recallform plan".to_string()];
    if saved.sandbox {
        cmd.push("--sandbox".into());
    }
    if at.manifest != Path::new("recallform.yaml") {
        cmd.push(format!("-f {}", shell_word(&at.manifest)));
    }
    let beside = at
        .manifest
        .parent()
        .unwrap_or(Path::new(""))
        .join("recallform.lock.json");
    if at.lockfile != beside {
        cmd.push(format!("--lockfile {}", shell_word(&at.lockfile)));
    }
    for t in &saved.plan.targets {
        cmd.push(format!("--target {}", shell_word(Path::new(t))));
    }
    cmd.push(format!("--out {}", shell_word(file)));
    cmd.join(" ")
}

/// A path as one shell word: quoted when it holds anything but plain path characters.
fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:@,".contains(c))
    {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// The first Ctrl-C lets operations in flight finish and be recorded, and starts no others; the
/// second ends the process at once.
async fn watch_interrupts(stop: Arc<AtomicBool>) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    stop.store(true, Ordering::SeqCst);
    output::message(
        "\ninterrupted: finishing the operations in flight and recording them; press Ctrl-C again to abort at once",
    );
    if tokio::signal::ctrl_c().await.is_ok() {
        output::message(
            "aborted: operations in flight may have completed in Recall; the next plan finds them by client_id",
        );
        std::process::exit(i32::from(exit::INTERRUPTED));
    }
}

fn progress_bar(total: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} operations") {
        bar.set_style(style);
    }
    bar
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
fn after_apply_hint(
    lockfile: &Path,
    apps: usize,
    sandbox_state: Option<&Path>,
    new_urls: bool,
) -> String {
    let recorded = plural(apps, "app");
    let lockfile = lockfile.display();
    match sandbox_state {
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
fn results_json(
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

/// Asks for `yes` on a terminal; without one, refuses (a pipeline must say `--auto-approve`).
fn confirm() -> Result<(), Error> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Error::NotConfirmed(
            "refusing to apply without confirmation: stdin is not a terminal\n  = hint: review the plan and pass `--auto-approve`, or apply a reviewed plan file with `recallform apply FILE`".into(),
        ));
    }
    output::message(
        "\nDo you want to perform these actions?\n  Only 'yes' will be accepted to approve.\n",
    );
    output::prompt("  Enter a value: ");
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::Other(format!("cannot read the answer: {e}")))?;
    if line.trim() == "yes" {
        Ok(())
    } else {
        Err(Error::NotConfirmed(
            "apply cancelled; nothing was changed".into(),
        ))
    }
}
