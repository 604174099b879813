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
            style.yellow(
                "Not handled by this version of recallform (nothing will be done about these):"
            )
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
            if !u.fields.is_empty() {
                render_fields(&mut out, &u.fields, &[], style);
            }
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

    let _ = writeln!(
        out,
        "{} {} to create, {} to adopt, {} unchanged.",
        style.bold("Plan:"),
        summary.create,
        summary.adopt,
        summary.no_op
    );
    out
}

fn render_change(out: &mut String, c: &Change, style: Style) {
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
        Action::NoOp => return,
    };
    let _ = writeln!(out, "  # zoom_oauth_app.{} {why}", c.name);
    let _ = writeln!(out, "  {symbol} zoom_oauth_app \"{}\" {{", c.name);
    // The Recall ID is shown like a field that does not change, aligned with the others.
    let id = c.id.as_deref().map(|id| FieldDiff {
        field: "id".into(),
        before: Some(id.into()),
        after: Some(id.into()),
        sensitive: false,
        change: FieldChange::Unchanged,
        forces_replacement: false,
    });
    let fields: Vec<FieldDiff> = id.into_iter().chain(c.fields.iter().cloned()).collect();
    render_fields(out, &fields, always_show, style);
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
        "unmanaged": plan.unmanaged,
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
