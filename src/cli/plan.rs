//! `recallform plan`: show what apply would change, changing nothing.

use clap::Args;

use super::session::Session;
use super::{Format, Global, output};
use crate::error::{Error, exit};
use crate::plan::render;

/// Options of `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Plan against the built-in Recall emulator (state in `.recallform/` beside the manifest).
    #[arg(long)]
    pub sandbox: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
}

/// Computes and prints the plan.
pub async fn run(global: &Global, args: &PlanArgs) -> Result<u8, Error> {
    let session = Session::open(global, args.sandbox).await?;
    let plan = &session.plan;
    match args.format {
        Format::Text => output::data(&render::text(plan, output::stdout_style())),
        Format::Json => {
            let mut text =
                serde_json::to_string_pretty(&render::json(plan)).expect("a plan serializes");
            text.push('\n');
            output::data(&text);
        }
    }
    let code = if args.detailed_exitcode && plan.has_changes() {
        exit::CHANGES
    } else {
        exit::SUCCESS
    };
    session.close().await;
    Ok(code)
}
