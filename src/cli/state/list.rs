//! `recallform state list`: every app the lockfile records, as a table or as JSON.
//!
//! Not for: what Recall holds now (that is `plan`); this reads the lockfile only.

use clap::Args;
use serde_json::json;

use super::{ELSEWHERE_HINT, StateFormat, cell, pretty, record_json};
use crate::cli::{Global, output, target};
use crate::error::{Error, exit};
use crate::lockfile::LockedApp;

/// Options of `state list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = StateFormat::Text)]
    pub format: StateFormat,
}

/// Prints the records, sorted by name.
pub fn run(global: &Global, args: &ListArgs) -> Result<u8, Error> {
    let store = target::open_recorded(global)?;
    let apps = store.apps();
    match args.format {
        StateFormat::Json => {
            let list: Vec<_> = apps.iter().map(|(n, a)| record_json(n, a)).collect();
            output::data(&pretty(&json!({ "apps": list })));
        }
        StateFormat::Text if global.quiet => {}
        StateFormat::Text if apps.is_empty() => {
            let why = if store.exists() {
                "records no app".to_string()
            } else {
                format!("does not exist: no app is recorded\n  = hint: {ELSEWHERE_HINT}")
            };
            output::message(&format!("the lockfile `{}` {why}", store.path().display()));
        }
        StateFormat::Text => output::data(&table(apps.iter())),
    }
    Ok(exit::SUCCESS)
}

/// An aligned table: name, Recall ID, kind, client ID, then `protected` and the number of
/// deposed apps when there are any.
fn table<'a>(apps: impl Iterator<Item = (&'a String, &'a LockedApp)>) -> String {
    let mut rows = vec![[
        "NAME".to_string(),
        "ID".into(),
        "KIND".into(),
        "CLIENT ID".into(),
        String::new(),
    ]];
    for (name, app) in apps {
        let mut notes = Vec::new();
        if app.protect {
            notes.push("protected".to_string());
        }
        if !app.deposed.is_empty() {
            notes.push(format!("{} deposed", app.deposed.len()));
        }
        rows.push([
            cell(name),
            cell(&app.id),
            cell(&app.kind),
            cell(&app.client_id),
            notes.join(", "),
        ]);
    }
    let mut widths = [0; 5];
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_aligned_and_notes_only_what_is_there() {
        let a = LockedApp {
            id: "id-1".into(),
            kind: "user_level".into(),
            client_id: "Short".into(),
            protect: true,
            deposed: vec!["old-1".into(), "old-2".into()],
            ..LockedApp::default()
        };
        let b = LockedApp {
            id: "id-22".into(),
            kind: "account_level".into(),
            client_id: "LongerClientId".into(),
            ..LockedApp::default()
        };
        let (na, nb) = ("acme-prod".to_string(), "b".to_string());
        assert_eq!(
            table([(&na, &a), (&nb, &b)].into_iter()),
            "NAME       ID     KIND           CLIENT ID\n\
             acme-prod  id-1   user_level     Short           protected, 2 deposed\n\
             b          id-22  account_level  LongerClientId\n"
        );
    }
}
