//! `recallform plan`: show what apply would change, changing nothing; optionally save it for
//! `apply FILE`.

use std::path::{Path, PathBuf};

use clap::Args;

use super::show::render_plan;
use super::target::GuardArgs;
use super::{Format, Global, output};
use crate::error::{Error, exit};
use crate::plan::Plan;
use crate::saved::{self, SavedPlan};
use crate::session::Session;

/// Options of `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Plan against the built-in Recall emulator (state in `.recallform/` beside the manifest).
    #[arg(long)]
    pub sandbox: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 0 when there are no changes and 2 when there are, instead of 0 for both; errors
    /// exit as without it (1, or 64 for a wrong command line).
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Also save the plan to FILE, for `recallform apply FILE` (JSON, no secret values).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Show only what changed outside recallform (drift); with `--detailed-exitcode`, exit 2
    /// when there is any.
    #[arg(long, conflicts_with = "out")]
    pub refresh_only: bool,
    /// Treat the manifest's warnings as errors: report them as errors and exit 1, planning
    /// nothing.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub guards: GuardArgs,
}

/// Computes and prints the plan.
pub async fn run(global: &Global, args: &PlanArgs) -> Result<u8, Error> {
    if global.env_allow.is_empty() && !args.sandbox && !global.quiet && in_ci() {
        output::message(
            "warning: no `--env-allow`: the manifest may read any environment variable of this job\n  = hint: where pull requests change the manifest, set `RECALLFORM_ENV_ALLOW` to the variables it uses (the README's Security section says why)",
        );
    }
    let session =
        Session::open(&global.options()?, args.sandbox, &args.guards.permissions()).await?;
    if args.strict
        && let Some(e) = super::validate::strict_error(&session.manifest_path, &session.warnings)
    {
        session.close().await;
        return Err(e);
    }
    if !global.quiet {
        output::diagnostics(&session.warnings);
    }
    let plan = &session.plan;
    if !plan.targets.is_empty() && !global.quiet {
        output::message(
            "warning: this plan is limited by `--target`; it does not show every change",
        );
    }
    if args.refresh_only {
        match args.format {
            Format::Json => output::data(&format!(
                "{}\n",
                serde_json::to_string_pretty(
                    &serde_json::json!({"format_version": 1, "drift": plan.drift})
                )
                .expect("JSON serializes")
            )),
            _ if global.quiet => {}
            _ => output::data(&crate::plan::render::drift_only(
                plan,
                output::stdout_style(),
            )),
        }
        let drifted = args.detailed_exitcode && !plan.drift.is_empty();
        session.close().await;
        return Ok(if drifted {
            exit::CHANGES
        } else {
            exit::SUCCESS
        });
    }
    if let Some(out) = &args.out {
        let basis = session.basis(&saved::new_salt());
        let file = SavedPlan::new(
            plan.clone(),
            basis,
            session.is_sandbox(),
            &session.target.name,
            (&session.manifest_path, session.lock().path()),
            out,
        );
        file.write(out)?;
        if !global.quiet {
            output::message(&saved_message(plan, out));
        }
    }
    if !global.quiet || args.format != Format::Text {
        let name = args
            .out
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        output::data(&render_plan(plan, args.format, &name));
    }
    let code = if args.detailed_exitcode && plan.has_changes() {
        exit::CHANGES
    } else {
        exit::SUCCESS
    };
    session.close().await;
    Ok(code)
}

/// What to do with the plan just saved to `out`: apply it, unless applying it would refuse
/// (blocked changes) or do nothing (no change apply acts on).
fn saved_message(plan: &Plan, out: &Path) -> String {
    let out = out.display();
    if plan.blocked().next().is_some() {
        format!(
            "saved the plan to `{out}`, but `recallform apply {out}` would refuse it (exit 3): it has blocked changes\n  = hint: plan again with the permissions the blocked changes name, review it, and apply that plan"
        )
    } else if plan.actionable().next().is_none() {
        format!("saved the plan to `{out}`; it has nothing to apply")
    } else {
        format!("saved the plan to `{out}`; apply exactly this plan with `recallform apply {out}`")
    }
}

/// Whether this runs in a CI pipeline (GitHub Actions, GitLab and most others set `CI`), where
/// plans of pull requests run with secrets in the environment.
fn in_ci() -> bool {
    ["CI", "GITHUB_ACTIONS"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|v| v == "true" || v == "1"))
}
