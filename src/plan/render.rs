//! Plans as people and programs read them: Terraform-like text, and JSON.
//!
//! Rendering returns strings; printing is `cli`'s job. Secrets never appear: the plan holds
//! none, and the text shows them only as `(sensitive)`.

use std::fmt::Write;

use serde_json::{Value, json};

use super::{Action, Change, Plan};

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
    /// Yellow, for warnings and things not handled.
    pub fn yellow(self, text: &str) -> String {
        self.paint("33", text)
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
        }
        out.push('\n');
    }

    if !plan.unmanaged.is_empty() {
        out.push_str("Unmanaged apps in Recall (in neither the manifest nor the lockfile; never touched):\n\n");
        for u in &plan.unmanaged {
            let _ = writeln!(
                out,
                "  ? {}  {}  client_id = \"{}\"",
                u.id, u.kind, u.client_id
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
    match c.action {
        Action::Create => {
            let why = match &c.drift {
                Some(drift) => format!("will be created again: {drift}"),
                None => "will be created".into(),
            };
            let _ = writeln!(out, "  # zoom_oauth_app.{} {why}", c.name);
            let plus = style.green("+");
            let _ = writeln!(out, "  {plus} zoom_oauth_app \"{}\" {{", c.name);
            let fields = [
                ("kind", format!("\"{}\"", c.kind)),
                ("client_id", format!("\"{}\"", c.client_id)),
                ("client_secret", "(sensitive)".into()),
                ("webhook_secret", "(sensitive)".into()),
            ];
            for (k, v) in fields {
                let _ = writeln!(out, "      {plus} {k:<14} = {v}");
            }
            out.push_str("    }\n\n");
        }
        Action::Adopt => {
            let why = match &c.drift {
                Some(drift) => format!("will be adopted: {drift}"),
                None => "exists in Recall with the same client_id and will be adopted".into(),
            };
            let _ = writeln!(out, "  # zoom_oauth_app.{} {why}", c.name);
            let _ = writeln!(
                out,
                "  {} zoom_oauth_app \"{}\" {{",
                style.cyan("="),
                c.name
            );
            let fields = [
                ("id", c.id.clone().unwrap_or_default()),
                ("kind", c.kind.to_string()),
                ("client_id", c.client_id.clone()),
            ];
            for (k, v) in fields {
                let _ = writeln!(out, "        {k:<9} = \"{v}\"");
            }
            out.push_str("    }\n\n");
        }
        Action::NoOp => {}
    }
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
