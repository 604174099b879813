//! `recallform apply [FILE]`: lock, plan (or check a saved plan), confirm, carry out, record.
//!
//! Where a saved plan's inputs are is in [`from_file`]; how results read, in [`results`].

mod from_file;
mod results;

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Args, ValueEnum};

use super::target;
use super::target::GuardArgs;
use super::{Global, output};
use crate::apply;
use crate::error::{Error, exit};
use crate::plan::render;
use crate::saved::{self, SavedPlan};
use crate::session::Session;

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
    /// How many operations run at once (1 to 64).
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,
    /// How long to wait for another command (an apply, a `state` edit) to release the lock; 0
    /// fails at once (exit 4).
    #[arg(long, default_value_t = 0, value_name = "SECONDS")]
    pub lock_timeout: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ResultFormat::Text)]
    pub format: ResultFormat,
    /// Exit 0 when there was nothing to do and 2 when changes were applied, instead of 0 for
    /// both; errors exit as without it (1, 3, 4, 5, 64 or 130: see the README's exit codes).
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Treat the manifest's warnings as errors: report them as errors and exit 1, changing
    /// nothing.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub guards: GuardArgs,
}

/// Locks, plans or checks the saved plan, asks, applies and reports.
pub async fn run(global: &Global, args: &ApplyArgs) -> Result<u8, Error> {
    let saved = args.plan_file.as_deref().map(SavedPlan::read).transpose()?;
    let (at, sandbox) = match (&saved, &args.plan_file) {
        (Some(s), Some(file)) => from_file::inputs(global, args, s, file)?,
        _ => (global.options()?, args.sandbox),
    };
    let located = saved::Located {
        manifest: at.manifest.clone(),
        lockfile: at.lockfile.clone(),
    };
    let _lock = target::lock(&at.lockfile, args.lock_timeout)?;
    let session = Session::open(&at, sandbox, &args.guards.permissions()).await?;
    // Under the apply lock: a journal a crash left is folded even when there is nothing to do.
    session.lock().fold()?;
    if args.strict
        && let Some(e) = super::validate::strict_error(&session.manifest_path, &session.warnings)
    {
        session.close().await;
        return Err(e);
    }
    if !global.quiet {
        output::diagnostics(&session.warnings);
    }

    let plan = match (&saved, &args.plan_file) {
        (Some(s), Some(file)) => {
            if let Some(stale) = from_file::stale(s, file, &session, &located) {
                session.close().await;
                return Err(stale);
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
        let hint = match (&saved, &args.plan_file) {
            // `apply FILE` takes no permissions: they shape the plan, which was reviewed.
            (Some(s), Some(file)) => format!(
                "a saved plan is applied exactly as it was made: add the permissions to `{}`, review that plan, and apply it",
                from_file::replan(s, file, &located)
            ),
            _ => "allow them with the options named above, or change the manifest".into(),
        };
        return Err(Error::Blocked {
            reasons: blocked,
            hint,
        });
    }

    let total = plan.actionable().count();
    if total == 0 {
        if args.format == ResultFormat::Json {
            let nothing = apply::Tally::default();
            output::data(&results::json(
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
        ResultFormat::Json => output::data(&results::json(
            &plan,
            outcomes,
            &tally,
            args.plan_file.as_deref(),
        )),
        ResultFormat::Text if text => {
            let lock = session.lock();
            output::data(&results::text(
                outcomes,
                &tally,
                &results::Recorded {
                    lockfile: lock.path(),
                    apps: lock.apps().len(),
                    sandbox_state: session.sandbox_state(),
                },
            ));
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
