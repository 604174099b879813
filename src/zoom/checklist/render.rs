//! The checklist's two forms: text for a terminal (values in backticks, control characters
//! escaped) and Markdown for a pull request or a wiki page (a task list per app, every value
//! escaped as HTML `<code>`, as `plan --format markdown` does).
//!
//! Not for: deciding what the checklist says ([`super`] does).

use std::fmt::Write;

use super::{AppChecklist, Piece, notes, steps};
use crate::model::Kind;
use crate::plan::markdown::{code, escape};
use crate::zoom as needs;

/// A line's pieces as text: values in backticks with control characters escaped.
fn text_of(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Ours(s) => s.clone(),
            Piece::Value(v) => format!("`{}`", v.escape_debug()),
            Piece::Url(u) => u.escape_debug().to_string(),
        })
        .collect()
}

/// A line's pieces as Markdown: values as `<code>` with everything escaped.
fn markdown_of(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Ours(s) => s.replace("->", "→"),
            Piece::Value(v) | Piece::Url(v) => code(v),
        })
        .collect()
}

/// The heading of an app's checklist, without the name.
fn heading(app: &AppChecklist) -> String {
    let article = match app.kind {
        Kind::UserLevel => "a",
        Kind::AccountLevel => "an",
    };
    format!(
        ": {article} {} Zoom app with {} scopes",
        needs::app_type(app.kind).to_lowercase(),
        app.model.as_str()
    )
}

/// The checklists as text, for a terminal.
pub fn text(apps: &[AppChecklist]) -> String {
    let mut out = String::new();
    for (n, app) in apps.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "`{}`{}", app.name.escape_debug(), heading(app));
        for (i, step) in steps(app).iter().enumerate() {
            let _ = writeln!(out, "  {}. {}", i + 1, step.screen);
            for l in &step.lines {
                let indent = " ".repeat(5 + 2 * l.level);
                let bullet = if l.bullet { "- " } else { "" };
                let body = text_of(&l.pieces);
                let body = if l.quote { format!("\"{body}\"") } else { body };
                let _ = writeln!(out, "{indent}{bullet}{body}");
            }
        }
        for note in notes(app) {
            let label = if note.warning { "warning: " } else { "" };
            let _ = writeln!(out, "  {label}{}", text_of(&note.pieces));
        }
    }
    out
}

/// The checklists as Markdown, for a pull request or a wiki page: one task list per app.
pub fn markdown(apps: &[AppChecklist]) -> String {
    let mut out = String::from("## Zoom Marketplace checklist\n");
    for app in apps {
        let _ = writeln!(out, "\n### {}{}\n", code(&app.name), escape(&heading(app)));
        for (i, step) in steps(app).iter().enumerate() {
            let _ = writeln!(out, "- [ ] **{}. {}**", i + 1, step.screen);
            for l in &step.lines {
                let indent = "  ".repeat(l.level + 1);
                let body = markdown_of(&l.pieces);
                let _ = if l.quote {
                    writeln!(out, "{indent}> {body}")
                } else {
                    writeln!(out, "{indent}- {body}")
                };
            }
        }
        for note in notes(app) {
            if note.warning {
                let _ = writeln!(out, "\n> [!WARNING]\n> {}", markdown_of(&note.pieces));
            } else {
                let _ = writeln!(out, "\n{}", markdown_of(&note.pieces));
            }
        }
    }
    out
}
