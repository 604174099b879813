//! `recallform state show NAME`: one app's record, as `key = value` lines or as JSON.
//!
//! Not for: what Recall holds now (that is `plan`); this reads the lockfile only.

use clap::Args;

use super::{StateFormat, pretty, record_json, recorded};
use crate::cli::{Global, output, target};
use crate::error::{Error, exit};
use crate::lockfile::LockedApp;
use crate::plan::render::quoted;

/// Options of `state show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The app's name in the lockfile.
    pub name: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StateFormat::Text)]
    pub format: StateFormat,
}

/// Prints the record of one app; exits 1 if it is not recorded.
pub fn run(global: &Global, args: &ShowArgs) -> Result<u8, Error> {
    let store = target::open_recorded(global)?;
    let app = recorded(&store, &args.name)?;
    match args.format {
        StateFormat::Json => output::data(&pretty(&record_json(&args.name, app))),
        StateFormat::Text if global.quiet => {}
        StateFormat::Text => output::data(&lines(&args.name, app)),
    }
    Ok(exit::SUCCESS)
}

/// `key = value` lines, aligned on `=`; strings quoted and escaped as in plans.
fn lines(name: &str, app: &LockedApp) -> String {
    let list = |items: Vec<&String>| {
        let quoted: Vec<String> = items.into_iter().map(|s| quoted(s)).collect();
        format!("[{}]", quoted.join(", "))
    };
    let fields = [
        ("name", quoted(name)),
        ("id", quoted(&app.id)),
        ("kind", quoted(&app.kind)),
        ("client_id", quoted(&app.client_id)),
        ("created_at", quoted(&app.created_at)),
        ("webhook_url", quoted(&app.webhook_url)),
        ("protect", app.protect.to_string()),
        ("secrets_recorded", list(app.secrets.keys().collect())),
        ("deposed", list(app.deposed.iter().collect())),
    ];
    let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    fields
        .iter()
        .map(|(k, v)| format!("{k:<width$} = {v}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_every_field_and_only_the_names_of_recorded_secrets() {
        let app = LockedApp {
            id: "id-1".into(),
            kind: "user_level".into(),
            client_id: "Abc".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            webhook_url: "https://x/api/v2/zoom-oauth-apps/id-1/webhook".into(),
            secrets: [("client_secret".to_string(), "f1ngerpr1nt".to_string())].into(),
            protect: true,
            deposed: vec!["old".into()],
        };
        assert_eq!(
            lines("acme", &app),
            r#"name             = "acme"
id               = "id-1"
kind             = "user_level"
client_id        = "Abc"
created_at       = "2026-01-01T00:00:00Z"
webhook_url      = "https://x/api/v2/zoom-oauth-apps/id-1/webhook"
protect          = true
secrets_recorded = ["client_secret"]
deposed          = ["old"]
"#
        );
    }
}
