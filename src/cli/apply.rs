//! `recallform apply`: plan, confirm, carry out, record.

use std::io::{BufRead, IsTerminal};

use clap::Args;

use super::session::Session;
use super::{Global, output};
use crate::apply::{self, Outcome};
use crate::error::{Error, exit, plural};
use crate::plan::{Action, render};

/// Options of `apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Apply to the built-in Recall emulator (state in `.recallform/` beside the manifest).
    #[arg(long)]
    pub sandbox: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// How many operations run at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,
}

/// Plans, asks, applies and reports.
pub async fn run(global: &Global, args: &ApplyArgs) -> Result<u8, Error> {
    let mut session = Session::open(global, args.sandbox).await?;
    let style = output::stdout_style();
    output::data(&render::text(&session.plan, style));

    if session.plan.actionable().next().is_none() {
        session.close().await;
        return Ok(exit::SUCCESS);
    }
    if !args.auto_approve {
        confirm()?;
    }

    let public_base = session.target.public_base.clone();
    let outcomes = apply::apply(
        &session.plan,
        &session.desired,
        session.client.clone(),
        &mut session.lock,
        &public_base,
        usize::from(args.parallelism),
        |o| output::data(&describe(o)),
    )
    .await;

    let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
    let count = |a| {
        outcomes
            .iter()
            .filter(|o| o.action == a && o.result.is_ok())
            .count()
    };
    output::data(&format!(
        "\nApply complete: {} created, {} adopted, {} failed.\n",
        count(Action::Create),
        count(Action::Adopt),
        failed
    ));
    if outcomes.iter().any(|o| o.result.is_ok()) {
        output::data(&format!(
            "\nIn each Zoom app (Features > Access), enter its webhook URL as the event notification endpoint\n\
             (and as the Deauthorization Endpoint URL), and subscribe to the events `meeting.created` and `user.updated`.\n\
             The lockfile `{}` now records {}: commit it.\n",
            session.lock.path().display(),
            plural(session.lock.apps().len(), "app")
        ));
    }
    session.close().await;
    if failed > 0 {
        return Err(Error::ApplyFailed {
            failed,
            total: outcomes.len(),
        });
    }
    Ok(exit::SUCCESS)
}

/// One result, with the webhook URL that goes into the Zoom app.
fn describe(o: &Outcome) -> String {
    let verb = match o.action {
        Action::Create => "created",
        Action::Adopt => "adopted",
        Action::NoOp => "unchanged",
    };
    match &o.result {
        Ok(app) => format!(
            "zoom_oauth_app.{}: {verb} `{}`\n    webhook URL: {}\n",
            o.name, app.id, app.webhook_url
        ),
        Err(why) => format!("zoom_oauth_app.{}: failed: {why}\n", o.name),
    }
}

/// Asks for `yes` on a terminal; without one, refuses (a pipeline must say `--auto-approve`).
fn confirm() -> Result<(), Error> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Error::NotConfirmed(
            "refusing to apply without confirmation: stdin is not a terminal\n  = hint: review the plan and pass `--auto-approve` to apply it non-interactively".into(),
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
