//! `recallform init`: a commented starter manifest, its JSON Schema and a `.gitignore` entry,
//! so that a new user's first `validate` passes and their editor completes keys offline.
//!
//! It writes files and nothing else: no network, no secret. It never replaces a manifest
//! without `--force`, and never replaces a schema file or a `.gitignore` someone already has.

use std::path::Path;

use clap::Args;

use super::{Global, output, schema};
use crate::error::{Error, exit};
use crate::fsutil;

/// Options of `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Replace the manifest if it already exists.
    #[arg(long)]
    pub force: bool,
}

/// The schema's file name, beside the manifest; the manifest's first line points at it.
const SCHEMA_FILE: &str = "recallform.schema.json";

/// The `.gitignore` rules recallform needs: the sandbox state (which holds the secrets it was
/// given), apply's lock file (which says who holds the lock) and the lockfile's journal (a
/// work file while an apply runs).
const IGNORE_LINES: &[&str] = &[".recallform/", "*.lock.json.lock", "*.lock.json.journal"];

/// The allowlist that matches the starter manifest's variables (the README's CI section says
/// why a pipeline sets one).
const ENV_ALLOW: &str = "--env-allow 'EXAMPLE_APP_ZOOM_*'";

/// The starter manifest. `{validate}`, `{sandbox}` and `{plan}` become the commands for this
/// manifest's path.
const TEMPLATE: &str = r#"# yaml-language-server: $schema=./recallform.schema.json
#
# The Zoom OAuth apps that recallform keeps registered in Recall.ai. The line
# above lets editors with the YAML language server (VS Code's YAML extension)
# complete and check keys with recallform.schema.json, beside this file.
#
# Next steps:
#   1. Check this file offline (reads no secret):  {validate}
#   2. Try it without a Recall account or a Zoom app: set the two variables
#      named below to any value, then run  {sandbox}
#      (a local Recall emulator; `apply --sandbox` creates the app there).
#   3. Replace REPLACE_WITH_ZOOM_CLIENT_ID below with your Zoom app's Client ID
#      (plan and apply refuse the placeholder, except with --sandbox).
#   4. Set the environment variables named below (and RECALL_API_KEY), then see
#      what apply would change in Recall:  {plan}

# The manifest format version. Only 1 exists.
version: 1

recall:
  # The Recall region of your workspace: us-east-1 | us-west-2 | eu-central-1 |
  # ap-northeast-1. The API is then https://<region>.recall.ai. App IDs belong
  # to one region, so one manifest covers one region.
  region: us-east-1

  # Optional: a URL that replaces the region's, for example a local
  # `recallform sandbox serve`. http:// is accepted only for loopback addresses.
  # base_url: http://127.0.0.1:8787

  # Optional: where the Recall API key (made in the Recall dashboard) is read
  # from. Always a reference, never the key itself. This is the default:
  # api_key: {env: RECALL_API_KEY}

# One entry per Zoom OAuth app. The key is the app's name inside recallform: it
# appears in plans and in the lockfile and is not sent to Recall. Lowercase
# letters, digits and '-', 1 to 63 characters, starting with a letter or digit.
zoom_oauth_apps:
  example-app:
    # user_level for a user-managed Zoom app, account_level for an
    # admin-managed one. Recall cannot change it on an existing app.
    kind: user_level

    # The Zoom app's Client ID: Zoom App Marketplace > your app > App
    # Credentials. Not a secret, so a plain string is fine. Zoom gives the
    # development and production versions different IDs: one entry for each.
    client_id: REPLACE_WITH_ZOOM_CLIENT_ID

    # The Zoom app's Client Secret, on the same App Credentials page.
    # Secrets must be references, never the value itself (a literal is an
    # error): {env: NAME} reads an environment variable, {file: PATH} reads a
    # file relative to this manifest's folder (keep it out of git).
    client_secret: {env: EXAMPLE_APP_ZOOM_CLIENT_SECRET}

    webhook:
      # The Zoom app's Secret Token: Features > Access. Recall uses it to
      # answer Zoom's webhook validation. Also a reference.
      secret: {env: EXAMPLE_APP_ZOOM_WEBHOOK_SECRET}
      # Optional: when your own server receives the Zoom app's webhooks and
      # forwards each one, unchanged, to the app's Recall webhook URL, its
      # https:// URL (entered in the Zoom app instead of Recall's):
      # forward_from: https://hooks.example.com/zoom/example-app

    # Optional: the Zoom side, checked by `validate` against what Recall needs
    # (warnings; errors with --strict). `recallform zoom checklist` prints
    # what to set in the Zoom Marketplace, step by step.
    # zoom:
    #   # granular (Zoom apps created after 2024-03-21, the default) | legacy
    #   scopes: granular
    #   # The scopes the Zoom app is granted; not checked when left out.
    #   granted: [meeting:read:local_recording_token, meeting:read:list_meetings, user:read:user]
    #   # The events its event subscription sends; not checked when left out.
    #   events: [meeting.created, user.updated]
    #   # true when the same Zoom app also supplies the bots' Meeting SDK
    #   # credentials (adds user:read:zak)
    #   sdk: false
    #   # Or: the app manifest JSON downloaded from Zoom's build flow, whose
    #   # scopes, events and endpoint URLs are checked instead.
    #   manifest: {file: zoom/example-app.manifest.json}
"#;

/// Writes the schema (if missing), the manifest and the `.gitignore` entry.
pub fn run(global: &Global, args: &InitArgs) -> Result<u8, Error> {
    let manifest = &global.manifest;
    let existed = check_target(manifest, args.force)?;
    let dir = folder_of(manifest);
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Other(format!("cannot create `{}`: {e}", dir.display())))?;

    // The schema first, so the manifest never points at a file that is not there.
    let schema_path = dir.join(SCHEMA_FILE);
    let new_schema = !exists(&schema_path)?;
    if new_schema {
        write(&schema_path, &schema::schema_json())?;
    }
    write(manifest, &starter_manifest(manifest))?;

    let verb = if existed { "replaced" } else { "created" };
    let mut written = vec![format!("{verb} `{}`", manifest.display())];
    if new_schema {
        written.push(format!("created `{}`", schema_path.display()));
    }
    if let Some(line) = ignore_sandbox_state(&dir.join(".gitignore"))? {
        written.push(line);
    }

    output::data(&written.iter().map(|w| format!("{w}\n")).collect::<String>());
    output::message(&next_steps(manifest));
    Ok(exit::SUCCESS)
}

/// Refuses an existing manifest unless `force`, and a folder always; says whether it existed.
fn check_target(manifest: &Path, force: bool) -> Result<bool, Error> {
    if manifest.is_dir() {
        return Err(Error::Other(format!(
            "`{}` is a folder, not a manifest file\n  = hint: name a file with `-f`, for example `-f {}`",
            manifest.display(),
            manifest.join("recallform.yaml").display()
        )));
    }
    let existed = exists(manifest)?;
    if existed && !force {
        return Err(Error::Other(format!(
            "`{}` already exists; nothing was written\n  = hint: pass `--force` to replace it with the starter manifest",
            manifest.display()
        )));
    }
    Ok(existed)
}

/// The folder the manifest's neighbours go in; `""` (the current folder) for a bare name.
fn folder_of(manifest: &Path) -> &Path {
    manifest.parent().unwrap_or_else(|| Path::new(""))
}

/// The template, with the commands spelled for this manifest's path.
fn starter_manifest(manifest: &Path) -> String {
    TEMPLATE
        .replace("{validate}", &command_for("validate", manifest))
        .replace("{sandbox}", &command_for("plan --sandbox", manifest))
        .replace("{plan}", &command_for("plan", manifest))
}

/// Appends each of [`IGNORE_LINES`] to the `.gitignore` at `path` unless it is already there;
/// returns what was done, if anything.
fn ignore_sandbox_state(path: &Path) -> Result<Option<String>, Error> {
    let current = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(Error::Other(format!(
                "cannot read `{}`: {e}",
                path.display()
            )));
        }
    };
    let Some(mut text) = current else {
        write(
            path,
            &IGNORE_LINES
                .iter()
                .map(|l| format!("{l}\n"))
                .collect::<String>(),
        )?;
        return Ok(Some(format!("created `{}`", path.display())));
    };
    // Any of git's spellings of the same rule counts: with or without the leading or
    // trailing slash, with trailing spaces (git ignores those; leading ones it does not).
    let normal = |l: &str| {
        let l = l.trim_end();
        let l = l.strip_prefix('/').unwrap_or(l);
        l.strip_suffix('/').unwrap_or(l).to_string()
    };
    let missing: Vec<&str> = IGNORE_LINES
        .iter()
        .copied()
        .filter(|rule| !text.lines().any(|l| normal(l) == normal(rule)))
        .collect();
    if missing.is_empty() {
        return Ok(None);
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    for rule in &missing {
        text.push_str(rule);
        text.push('\n');
    }
    write(path, &text)?;
    let mut rules: Vec<String> = missing.iter().map(|r| format!("`{r}`")).collect();
    let last = rules.pop().expect("something is missing");
    let rules = match rules.is_empty() {
        true => last,
        false => format!("{} and {last}", rules.join(", ")),
    };
    Ok(Some(format!("added {rules} to `{}`", path.display())))
}

/// What to do after `init`, for stderr: check it, try it in the sandbox (no account needed),
/// then fill it in for the real Recall.
fn next_steps(manifest: &Path) -> String {
    format!(
        "next steps:\n  \
         1. `{validate}` checks the manifest offline\n  \
         2. to try it without a Recall account or a Zoom app, set `EXAMPLE_APP_ZOOM_CLIENT_SECRET` and `EXAMPLE_APP_ZOOM_WEBHOOK_SECRET` to any value:\n     \
         `{sandbox}` plans against a local Recall emulator, and `{apply_sandbox}` creates the app there\n  \
         3. replace `REPLACE_WITH_ZOOM_CLIENT_ID` in `{m}` with your Zoom app's Client ID (until then, only `--sandbox` accepts it)\n  \
         4. set `RECALL_API_KEY`, `EXAMPLE_APP_ZOOM_CLIENT_SECRET` and `EXAMPLE_APP_ZOOM_WEBHOOK_SECRET` to the real values\n  \
         5. `{plan}` shows what apply would change in Recall\n  \
         6. in CI, where pull requests change the manifest, let it read only its own variables:\n     \
         `{plan} {ENV_ALLOW}`",
        m = manifest.display(),
        validate = command_for("validate", manifest),
        sandbox = command_for("plan --sandbox", manifest),
        apply_sandbox = command_for("apply --sandbox", manifest),
        plan = command_for("plan", manifest),
    )
}

/// `recallform <command>`, with `-f PATH` when the manifest is not the default one.
fn command_for(command: &str, manifest: &Path) -> String {
    if manifest == Path::new("recallform.yaml") {
        format!("recallform {command}")
    } else {
        format!(
            "recallform {command} -f {}",
            shell_word(&manifest.display().to_string())
        )
    }
}

/// `word` as one shell word: as it is when that is safe, else in single quotes.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./+,:@%=".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Whether `path` exists; an error when that cannot be told (a folder without permission).
fn exists(path: &Path) -> Result<bool, Error> {
    path.try_exists()
        .map_err(|e| Error::Other(format!("cannot check `{}`: {e}", path.display())))
}

/// Writes `text` to `path` atomically, readable by everyone: none of these files holds a secret.
fn write(path: &Path, text: &str) -> Result<(), Error> {
    fsutil::write_atomically(path, text.as_bytes(), fsutil::Mode::Shared)
        .map_err(|e| Error::Other(format!("cannot write `{}`: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_name_the_manifest_only_when_it_is_not_the_default() {
        assert_eq!(
            command_for("plan", Path::new("recallform.yaml")),
            "recallform plan"
        );
        assert_eq!(
            command_for("plan", Path::new("infra/recall.yaml")),
            "recallform plan -f infra/recall.yaml"
        );
        assert_eq!(
            command_for("plan", Path::new("my apps/it's.yaml")),
            r"recallform plan -f 'my apps/it'\''s.yaml'"
        );
    }

    #[test]
    fn the_template_starts_with_the_schema_line_and_has_no_placeholder_left() {
        let text = starter_manifest(Path::new("recallform.yaml"));
        assert!(text.starts_with("# yaml-language-server: $schema=./recallform.schema.json\n"));
        assert!(
            !text.contains("{validate}") && !text.contains("{plan}") && !text.contains("{sandbox}"),
            "{text}"
        );
        assert!(
            text.contains(
                "#   1. Check this file offline (reads no secret):  recallform validate\n"
            )
        );
        assert!(
            text.contains("then run  recallform plan --sandbox\n"),
            "{text}"
        );
    }

    #[test]
    fn every_spelling_of_the_ignore_rule_counts_as_present() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".gitignore");
        for existing in [
            ".recallform/",
            "/.recallform",
            ".recallform  ",
            "/.recallform/",
        ] {
            let before = format!("target\n{existing}\n*.lock.json.lock\n*.lock.json.journal\n");
            std::fs::write(&path, &before).unwrap();
            assert_eq!(ignore_sandbox_state(&path).unwrap(), None, "{existing:?}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
        }
        std::fs::write(&path, "target").unwrap();
        assert!(ignore_sandbox_state(&path).unwrap().is_some());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "target\n.recallform/\n*.lock.json.lock\n*.lock.json.journal\n"
        );
    }
}
