//! Plans as pull-request comments (GitHub-flavoured Markdown).
//!
//! The comment starts with a hidden marker so a bot can find and update its own comment, puts
//! what a reviewer must see first (counts, a warning when apps would be replaced, a table of
//! changes), then each app's settings as a unified diff in a collapsed section, then the
//! unmanaged apps. It always fits GitHub's 65,536-character limit: details are left out first,
//! with a note saying how many.
//!
//! Every value that comes from Recall or the manifest is escaped, so a hostile client ID cannot
//! inject Markdown, HTML or a fake end of a code block into the comment.

use std::fmt::Write;

use similar::TextDiff;

use super::{Action, Change, FieldChange, FieldDiff, Plan, render};

/// The first line of every plan comment, for bots that update the comment in place.
pub const MARKER: &str = "<!-- recallform:plan -->";

/// GitHub's limit on a comment's length, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// Room kept for the closing note and the unmanaged section's own truncation note.
const RESERVE: usize = 1_024;

/// The plan as a pull-request comment of at most `limit` characters (normally
/// [`GITHUB_COMMENT_LIMIT`]); `plan_file` names the saved plan in the note about left-out details.
pub fn markdown(plan: &Plan, limit: usize, plan_file: Option<&str>) -> String {
    let mut out = String::new();
    out.push_str(MARKER);
    out.push('\n');
    out.push_str(&title(plan));
    if !plan.targets.is_empty() {
        let targets: Vec<String> = plan.targets.iter().map(|t| code(t)).collect();
        let _ = writeln!(
            out,
            "\n> [!NOTE]\n> This plan is limited to {} (`--target`); other apps' changes are not shown.",
            targets.join(", ")
        );
    }
    if plan.is_destructive() {
        out.push_str(&warning(plan));
    }
    if plan.blocked().next().is_some() {
        out.push_str(&blocked(plan));
    }
    if !plan.drift.is_empty() {
        out.push_str("\n#### Changed outside recallform\n\n");
        for d in &plan.drift {
            let id =
                d.id.as_deref()
                    .map(|id| format!(" ({})", code(id)))
                    .unwrap_or_default();
            let _ = writeln!(out, "- {}{id}: {}", code(&d.name), escape(&d.what));
        }
    }

    let rows = table_rows(plan);
    let unmanaged = unmanaged_section(plan);
    // The table comes first; if even it does not fit, it is cut too.
    let table_budget = limit
        .saturating_sub(out.len() + RESERVE)
        .min(limit / 2 + limit / 4);
    if !rows.is_empty() {
        out.push_str("\n| Action | App | Recall ID | Changes |\n| --- | --- | --- | --- |\n");
        push_rows(&mut out, &rows, table_budget, 4);
    }

    let details: Vec<String> = plan
        .actionable()
        .filter(|c| c.fields.iter().any(FieldDiff::changes))
        .map(change_details)
        .collect();
    let unmanaged_len = unmanaged.iter().map(|r| r.len()).sum::<usize>() + 200;
    let details_budget = limit.saturating_sub(out.len() + RESERVE + unmanaged_len.min(limit / 4));
    let mut used = 0;
    let mut shown = 0;
    for d in &details {
        if used + d.len() > details_budget {
            break;
        }
        out.push('\n');
        out.push_str(d);
        used += d.len() + 1;
        shown += 1;
    }
    if shown < details.len() {
        let left = details.len() - shown;
        let how = match plan_file {
            Some(f) => format!("`recallform show {}`", escape(f)),
            None => "`recallform plan`".to_string(),
        };
        let _ = writeln!(
            out,
            "\n_{left} of {} app details left out to stay under GitHub's comment limit; {how} shows the full plan._",
            details.len()
        );
    }

    if !unmanaged.is_empty() {
        out.push_str("\n### Unmanaged apps in Recall\n\nIn neither the manifest nor the lockfile; recallform never touches them.\n\n| Recall ID | Kind | Client ID |\n| --- | --- | --- |\n");
        let budget = limit.saturating_sub(out.len() + 200);
        push_rows(&mut out, &unmanaged, budget, 3);
    }
    out
}

fn title(plan: &Plan) -> String {
    let s = plan.summary();
    if !plan.has_changes() {
        return format!(
            "### recallform plan: no changes\n\nRecall matches the manifest ({} {}).\n",
            s.no_op,
            if s.no_op == 1 { "app" } else { "apps" }
        );
    }
    let counts = render::plan_counts(plan);
    let mut t = format!("### recallform plan: {}", counts.trim_end_matches('.'));
    if s.unhandled > 0 {
        let _ = write!(t, ", {} not handled", s.unhandled);
    }
    t.push('\n');
    t
}

fn warning(plan: &Plan) -> String {
    let names = |a: Action| -> Vec<String> {
        plan.actionable()
            .filter(|c| c.action == a && c.deletes_an_app())
            .map(|c| code(&c.name))
            .collect()
    };
    let (replaced, deleted) = (names(Action::Replace), names(Action::Delete));
    let mut parts = Vec::new();
    if !replaced.is_empty() {
        parts.push(format!(
            "replaces {} ({}): each gets a new Recall ID and webhook URL, which must be entered in its Zoom app again",
            plural_apps(replaced.len()),
            replaced.join(", ")
        ));
    }
    if !deleted.is_empty() {
        parts.push(format!(
            "deletes {} from Recall ({})",
            plural_apps(deleted.len()),
            deleted.join(", ")
        ));
    }
    format!("\n> [!WARNING]\n> This plan {}.\n", parts.join("; and it "))
}

fn blocked(plan: &Plan) -> String {
    let mut out = String::from(
        "\n> [!CAUTION]\n> `apply` will refuse this plan (exit 3) until these are allowed:\n",
    );
    for c in plan.blocked() {
        let _ = writeln!(
            out,
            "> - {}: {}",
            code(&c.name),
            escape(c.blocked.as_deref().unwrap_or_default())
        );
    }
    out
}

fn plural_apps(n: usize) -> String {
    if n == 1 {
        "1 app".into()
    } else {
        format!("{n} apps")
    }
}

fn table_rows(plan: &Plan) -> Vec<String> {
    let mut rows: Vec<String> = plan
        .actionable()
        .map(|c| {
            let mut what = match c.action {
                Action::Adopt => "recorded in the lockfile; nothing is created".to_string(),
                Action::Create => "new app".to_string(),
                Action::Delete if c.already_gone => "already gone; record removed".to_string(),
                Action::Delete if c.deposed => "left by an interrupted replacement".to_string(),
                Action::Delete => "deleted".to_string(),
                Action::Update | Action::Replace => changed_fields(&c.fields),
                Action::NoOp => "lockfile only".to_string(),
            };
            if let Some(m) = &c.moved_from {
                let _ = write!(what, " (moved from {})", code(m));
            }
            for l in &c.lockfile_changes {
                let _ = write!(what, " (lockfile: {})", escape(l));
            }
            if let Some(d) = &c.drift {
                let _ = write!(what, " (changed outside recallform: {})", escape(d));
            }
            if c.blocked.is_some() {
                what.push_str(" — **blocked**");
            }
            format!(
                "| {} | {} | {} | {what} |\n",
                c.action.as_str(),
                code(&c.name),
                c.id.as_deref().map(code).unwrap_or_else(|| "(new)".into()),
            )
        })
        .collect();
    rows.extend(plan.unhandled.iter().map(|u| {
        format!(
            "| not handled | {} | {} | {} |\n",
            code(&u.name),
            u.id.as_deref().map(code).unwrap_or_default(),
            escape(&u.reason)
        )
    }));
    rows
}

fn changed_fields(fields: &[FieldDiff]) -> String {
    let changed: Vec<String> = fields
        .iter()
        .filter(|f| f.changes())
        .map(|f| code(&f.field))
        .collect();
    if changed.is_empty() {
        "nothing".into()
    } else {
        changed.join(", ")
    }
}

fn unmanaged_section(plan: &Plan) -> Vec<String> {
    plan.unmanaged
        .iter()
        .map(|u| {
            format!(
                "| {} | {} | {} |\n",
                code(&u.id),
                code(&u.kind),
                code(&u.client_id)
            )
        })
        .collect()
}

/// Appends table rows while they fit in `budget`, then one row saying how many were cut.
fn push_rows(out: &mut String, rows: &[String], budget: usize, columns: usize) {
    let mut used = 0;
    for (i, row) in rows.iter().enumerate() {
        if used + row.len() > budget {
            let mut cut = format!("| _{} more left out_ |", rows.len() - i);
            cut.push_str(&" |".repeat(columns - 1));
            cut.push('\n');
            out.push_str(&cut);
            return;
        }
        out.push_str(row);
        used += row.len();
    }
}

fn change_details(c: &Change) -> String {
    details(&c.name, c.action.as_str(), &c.fields, "after apply")
}

/// A collapsed section with the app's settings before and after, as a unified diff.
fn details(name: &str, action: &str, fields: &[FieldDiff], after_label: &str) -> String {
    let before = settings(fields, false);
    let after = settings(fields, true);
    let diff = TextDiff::from_lines(&before, &after)
        .unified_diff()
        .context_radius(10)
        .header(
            &format!("{name} (in Recall now)"),
            &format!("{name} ({after_label})"),
        )
        .to_string();
    let fence = "`".repeat(longest_backtick_run(&diff).max(2) + 1);
    format!(
        "<details><summary>{}: {action}</summary>\n\n{fence}diff\n{diff}{fence}\n\n</details>\n",
        code(name)
    )
}

/// The app's settings on one side (before or after apply) as `field: value` lines.
fn settings(fields: &[FieldDiff], after: bool) -> String {
    let mut text = String::new();
    for f in fields {
        let absent = if after {
            FieldChange::Removed
        } else {
            FieldChange::Added
        };
        if f.change == absent {
            continue;
        }
        let shown = match (f.sensitive, after) {
            // Secrets have no value here; a change is still made visible as a changed line.
            (true, true) if f.change == FieldChange::Changed => "(sensitive, changed)".to_string(),
            (true, _) => "(sensitive)".to_string(),
            (false, true) => f.after.clone().unwrap_or_default(),
            (false, false) => f.before.clone().unwrap_or_default(),
        };
        let _ = writeln!(text, "{}: {}", f.field, one_line(&shown));
    }
    text
}

fn longest_backtick_run(s: &str) -> usize {
    let mut best = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// A value as inline code that no content can break out of: HTML `<code>` with the text
/// escaped, since Markdown backtick spans cannot escape backticks.
pub(crate) fn code(s: &str) -> String {
    format!("<code>{}</code>", escape(s))
}

/// Escapes text for a Markdown table cell or HTML: no tags, no pipes, no line breaks.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("&#124;"),
            '`' => out.push_str("&#96;"),
            '*' | '[' | ']' | '\\' | '#' | '!' => {
                let _ = write!(out, "&#{};", c as u32);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Control characters would split a diff line; show them escaped instead.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_hostile_text() {
        assert_eq!(
            code("a|b<script>`x`"),
            "<code>a&#124;b&lt;script&gt;&#96;x&#96;</code>"
        );
        assert_eq!(
            escape("**bold** [link](x)\n"),
            "&#42;&#42;bold&#42;&#42; &#91;link&#93;(x) "
        );
        assert_eq!(longest_backtick_run("a ```` b ``"), 4);
    }
}
