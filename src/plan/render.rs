//! Plans as people and programs read them: Terraform-like text, and JSON.
//!
//! Rendering returns strings; printing is `cli`'s job. Secrets never appear: the plan holds
//! none, and the text shows them only as `(sensitive)` or `(sensitive value changed)`.

use std::fmt::Write;

use serde_json::{Value, json};

use super::{Action, Change, FieldChange, FieldDiff, Plan};

/// The `format_version` of the JSON plan; bumped only on incompatible changes.
pub const JSON_FORMAT_VERSION: u32 = 1;

/// ANSI styling, or none.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    color: bool,
}

impl Style {
    /// Colour when `color` is true (the caller decides: a terminal, and no `NO_COLOR`).
    pub fn new(color: bool) -> Style {
        Style { color }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// Green, for creations.
    pub fn green(self, text: &str) -> String {
        self.paint("32", text)
    }
    /// Cyan, for adoptions.
    pub fn cyan(self, text: &str) -> String {
        self.paint("36", text)
    }
    /// Yellow, for changes, warnings and things not handled.
    pub fn yellow(self, text: &str) -> String {
        self.paint("33", text)
    }
    /// Red, for removals.
    pub fn red(self, text: &str) -> String {
        self.paint("31", text)
    }
    /// Bold, for headings.
    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }
}

/// The plan as text, ending with the `Plan: ...` line.
pub fn text(plan: &Plan, style: Style) -> String {
    let mut out = String::new();
    let summary = plan.summary();
    let actionable: Vec<&Change> = plan.actionable().collect();

    if !plan.targets.is_empty() {
        let _ = writeln!(
            out,
            "{} this plan is limited to {} (`--target`); other apps' changes are not shown.\n",
            style.yellow("Warning:"),
            plan.targets
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    out.push_str(&drift_text(plan, style));

    if actionable.is_empty() {
        if plan.unhandled.is_empty() {
            let _ = writeln!(
                out,
                "{} Recall matches the manifest ({} {}).\n",
                style.bold("No changes."),
                summary.no_op,
                if summary.no_op == 1 { "app" } else { "apps" }
            );
        }
    } else {
        out.push_str("recallform will perform the following actions:\n\n");
        for change in &actionable {
            render_change(&mut out, change, style);
        }
    }

    if !plan.unhandled.is_empty() {
        let _ = writeln!(
            out,
            "{}\n",
            style.yellow("Not handled by recallform (nothing will be done about these):")
        );
        for u in &plan.unhandled {
            let id =
                u.id.as_deref()
                    .map(|id| format!(" ({id})"))
                    .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} zoom_oauth_app.{}{id}: {}",
                style.yellow("!"),
                u.name,
                u.reason
            );
        }
        out.push('\n');
    }

    if !plan.unmanaged.is_empty() {
        out.push_str(
            "Unmanaged apps in Recall (in neither the manifest nor the lockfile; never touched):\n\n",
        );
        for u in &plan.unmanaged {
            let _ = writeln!(
                out,
                "  ? {}  {}  client_id = {}",
                u.id,
                u.kind,
                quoted(&u.client_id)
            );
        }
        out.push('\n');
    }

    let blocked: Vec<&Change> = plan.blocked().collect();
    if !blocked.is_empty() {
        let _ = writeln!(
            out,
            "{}\n",
            style.red("Blocked: apply refuses this plan (exit 3) and changes nothing until these are allowed:")
        );
        for c in blocked {
            let _ = writeln!(
                out,
                "  - zoom_oauth_app.{}: {}",
                c.name,
                c.blocked.as_deref().unwrap_or_default()
            );
        }
        out.push('\n');
    }

    let _ = writeln!(out, "{} {}", style.bold("Plan:"), plan_counts(plan));
    out
}

/// `N to create, N to adopt, [N to update, N to replace, N to delete, N to move, N
/// lockfile-only, ]N unchanged.`: the counts of actions that occur, besides the three that
/// always show. Every app is counted once by what happens to it (`lockfile-only` for a no-op
/// whose record changes, `unchanged` for the other no-ops); `to move` also counts the apps a
/// `moved` entry renames, whatever else happens to them.
pub fn plan_counts(plan: &Plan) -> String {
    let s = plan.summary();
    let mut parts = vec![
        format!("{} to create", s.create),
        format!("{} to adopt", s.adopt),
    ];
    for (n, what) in [
        (s.update, "to update"),
        (s.replace, "to replace"),
        (s.delete, "to delete"),
        (s.moves, "to move"),
        (s.lockfile_only, "lockfile-only"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    parts.push(format!("{} unchanged", s.no_op - s.lockfile_only));
    format!("{}.", parts.join(", "))
}

/// The section "changed outside recallform", or nothing.
fn drift_text(plan: &Plan, style: Style) -> String {
    if plan.drift.is_empty() {
        return String::new();
    }
    let mut out = format!("{}\n\n", style.yellow("Changed outside recallform:"));
    for d in &plan.drift {
        let id =
            d.id.as_deref()
                .map(|id| format!(" ({id})"))
                .unwrap_or_default();
        let _ = writeln!(out, "  ~ zoom_oauth_app.{}{id}: {}", d.name, d.what);
    }
    out.push('\n');
    out
}

/// Only the drift section, for `plan --refresh-only`.
pub fn drift_only(plan: &Plan, style: Style) -> String {
    match drift_text(plan, style) {
        text if text.is_empty() => "No changes outside recallform.\n".to_string(),
        text => format!(
            "{text}Drift: {} found.\n",
            crate::error::plural(plan.drift.len(), "change")
        ),
    }
}

fn render_change(out: &mut String, c: &Change, style: Style) {
    let moved = c
        .moved_from
        .as_deref()
        .map(|m| format!(" (moved from `{m}`)"))
        .unwrap_or_default();
    let (symbol, why, always_show): (String, String, &[&str]) = match c.action {
        Action::Create => (
            style.green("+"),
            match &c.drift {
                Some(drift) => format!("will be created again: {drift}"),
                None => "will be created".into(),
            },
            &[],
        ),
        Action::Adopt => (
            style.cyan("="),
            match &c.drift {
                Some(drift) => format!("will be adopted: {drift}"),
                None => "exists in Recall with the same client_id and will be adopted".into(),
            },
            &["id", "client_id"],
        ),
        Action::Update => (
            style.yellow("~"),
            "will be updated in place".into(),
            &["id"],
        ),
        Action::Replace => (
            format!("{}/{}", style.red("-"), style.green("+")),
            format!(
                "must be replaced: {}; it gets a new Recall ID and webhook URL",
                c.reason
            ),
            &["id"],
        ),
        Action::Delete if c.deposed => (
            style.red("-"),
            format!(
                "app `{}`, left behind by an interrupted replacement, will be deleted",
                c.id.as_deref().unwrap_or_default()
            ),
            &["id"],
        ),
        Action::Delete if c.already_gone => (
            style.red("-"),
            "is already gone from Recall; its lockfile record will be removed".into(),
            &["id"],
        ),
        Action::Delete => (style.red("-"), "will be deleted".into(), &["id"]),
        Action::NoOp => (
            style.yellow("~"),
            "only its lockfile record changes".into(),
            &["id"],
        ),
    };
    let _ = writeln!(out, "  # zoom_oauth_app.{}{moved} {why}", c.name);
    if let Some(blocked) = &c.blocked {
        let _ = writeln!(out, "  # {} {blocked}", style.red("BLOCKED:"));
    }
    let _ = writeln!(out, "  {symbol} zoom_oauth_app \"{}\" {{", c.name);
    // The Recall ID is shown like a field that does not change, aligned with the others.
    let id =
        c.id.as_deref()
            .map(|id| FieldDiff::plain("id", Some(id), Some(id)));
    let fields: Vec<FieldDiff> = id.into_iter().chain(c.fields.iter().cloned()).collect();
    render_fields(out, &fields, always_show, style);
    for l in c
        .moved_from
        .iter()
        .map(|m| format!("renamed from `{m}`"))
        .chain(c.lockfile_changes.iter().cloned())
    {
        let _ = writeln!(out, "      {} lockfile: {l}", style.yellow("~"));
    }
    out.push_str("    }\n\n");
}

/// Field lines: additions `+`, changes `~ old -> new`, removals `-`; unchanged fields are
/// folded into a count unless listed in `always_show`.
fn render_fields(out: &mut String, fields: &[FieldDiff], always_show: &[&str], style: Style) {
    let shown: Vec<&FieldDiff> = fields
        .iter()
        .filter(|f| f.changes() || always_show.contains(&f.field.as_str()))
        .collect();
    let width = shown.iter().map(|f| f.field.len()).max().unwrap_or(0);
    for f in &shown {
        let (symbol, value) = field_line(f, style);
        let note = if f.forces_replacement {
            style.red(" # forces replacement")
        } else {
            String::new()
        };
        let _ = writeln!(out, "      {symbol} {:<width$} = {value}{note}", f.field);
    }
    let hidden = fields.len() - shown.len();
    if hidden > 0 {
        let noun = if hidden == 1 { "field" } else { "fields" };
        let _ = writeln!(out, "        # ({hidden} unchanged {noun} hidden)");
    }
}

/// The symbol and value text of one field.
fn field_line(f: &FieldDiff, style: Style) -> (String, String) {
    let value = |v: &Option<String>| match (f.sensitive, v) {
        (true, _) => "(sensitive)".to_string(),
        (false, Some(v)) => quoted(v),
        (false, None) => "(none)".to_string(),
    };
    if let (true, Some(note)) = (f.sensitive, &f.note) {
        return (style.yellow("~"), format!("({note})"));
    }
    match f.change {
        FieldChange::Unchanged => (" ".into(), value(&f.after)),
        FieldChange::Added => (style.green("+"), value(&f.after)),
        FieldChange::Removed => (style.red("-"), value(&f.before)),
        FieldChange::Changed if f.sensitive => {
            (style.yellow("~"), "(sensitive value changed)".into())
        }
        FieldChange::Changed => (
            style.yellow("~"),
            format!("{} -> {}", value(&f.before), value(&f.after)),
        ),
    }
}

/// A value in double quotes, with quotes, backslashes and control characters escaped, so a
/// hostile value from Recall cannot fake plan lines or terminal escapes.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The plan as JSON (`format_version` 1).
pub fn json(plan: &Plan) -> Value {
    json!({
        "format_version": JSON_FORMAT_VERSION,
        "changes": plan.changes,
        "summary": plan.summary(),
        "unhandled": plan.unhandled,
        "drift": plan.drift,
        "unmanaged": plan.unmanaged,
        "targets": plan.targets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_neutralises_control_characters() {
        assert_eq!(quoted("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quoted("x\n+ fake\x1b[31m"), r#""x\u{a}+ fake\u{1b}[31m""#);
    }

    #[test]
    fn field_lines() {
        let s = Style::new(false);
        let f = |before: Option<&str>, after: Option<&str>, sensitive, change| FieldDiff {
            field: "f".into(),
            before: before.map(Into::into),
            after: after.map(Into::into),
            sensitive,
            change,
            note: None,
            forces_replacement: false,
        };
        use FieldChange::*;
        let line = |d: FieldDiff| field_line(&d, s);
        assert_eq!(
            line(f(None, Some("a"), false, Added)),
            ("+".into(), "\"a\"".into())
        );
        assert_eq!(
            line(f(Some("a"), Some("b"), false, Changed)),
            ("~".into(), "\"a\" -> \"b\"".into())
        );
        assert_eq!(
            line(f(Some("a"), None, false, Removed)),
            ("-".into(), "\"a\"".into())
        );
        assert_eq!(
            line(f(None, None, true, Added)),
            ("+".into(), "(sensitive)".into())
        );
        assert_eq!(
            line(f(None, None, true, Changed)),
            ("~".into(), "(sensitive value changed)".into())
        );
        assert_eq!(
            line(f(None, None, true, Unchanged)),
            (" ".into(), "(sensitive)".into())
        );
    }
}
