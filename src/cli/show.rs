//! `recallform show FILE`: a saved plan, rendered in any format, without touching Recall.

use std::path::PathBuf;

use clap::Args;

use super::{Format, output};
use crate::error::{Error, exit};
use crate::plan::{markdown, render};
use crate::saved::SavedPlan;

/// Options of `show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan written by `recallform plan --out`.
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Renders the saved plan.
pub fn run(args: &ShowArgs) -> Result<u8, Error> {
    let saved = SavedPlan::read(&args.file)?;
    output::data(&render_plan(
        &saved.plan,
        args.format,
        &args.file.display().to_string(),
    ));
    Ok(exit::SUCCESS)
}

/// A plan in the chosen format; `file` is the saved plan's name, cited in Markdown.
pub fn render_plan(plan: &crate::plan::Plan, format: Format, file: &str) -> String {
    match format {
        Format::Text => render::text(plan, output::stdout_style()),
        Format::Json => {
            let mut text =
                serde_json::to_string_pretty(&render::json(plan)).expect("a plan serializes");
            text.push('\n');
            text
        }
        Format::Markdown => markdown::markdown(
            plan,
            markdown::GITHUB_COMMENT_LIMIT,
            Some(file).filter(|f| !f.is_empty()),
        ),
    }
}
