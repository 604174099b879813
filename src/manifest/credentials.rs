//! Resolving credential references (`{env: NAME}`, `{file: PATH}`) into values.
//!
//! This is the only place that reads secrets. Values come back wrapped in
//! [`SecretString`], and no error message ever contains a value: only the reference and the
//! reason it could not be read.

use std::collections::HashMap;
use std::path::Path;

use super::{AppSpec, Located, Manifest, Reference, ValueSource};
use crate::diagnostic::{self, Diagnostic, Location};
use crate::model::{DesiredApp, SecretString};

/// Looks up environment variables; tests pass a map instead of the process environment.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, as an [`EnvLookup`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Resolves every app's client ID and secrets, reporting every unreadable reference at once.
pub fn resolve(manifest: &Manifest, env: EnvLookup) -> Result<Vec<DesiredApp>, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    let mut apps = Vec::new();
    let mut seen: HashMap<String, (String, Option<Location>)> = HashMap::new();
    for spec in &manifest.apps {
        let client_id = resolve_client_id(manifest.dir(), spec, env);
        let client_secret = resolve_secret(manifest.dir(), &spec.client_secret, env);
        let webhook_secret = resolve_secret(manifest.dir(), &spec.webhook_secret, env);
        match (client_id, client_secret, webhook_secret) {
            (Ok(client_id), Ok(client_secret), Ok(webhook_secret)) => {
                if let Some((first, _)) = seen.get(&client_id) {
                    problems.push(
                        Diagnostic::new(
                            "duplicate-client-id",
                            format!(
                                "`{}` and `{first}` resolve to the same client_id `{client_id}`",
                                spec.name
                            ),
                            spec.client_id.location.clone(),
                        )
                        .with_hint("a Zoom app is registered with Recall once"),
                    );
                    continue;
                }
                seen.insert(
                    client_id.clone(),
                    (spec.name.clone(), spec.client_id.location.clone()),
                );
                apps.push(DesiredApp {
                    name: spec.name.clone(),
                    kind: spec.kind,
                    client_id,
                    client_secret,
                    webhook_secret,
                    allow_replace: spec.allow_replace,
                    protect: spec.protect,
                });
            }
            (a, b, c) => problems.extend(a.err().into_iter().chain(b.err()).chain(c.err())),
        }
    }
    if problems.is_empty() {
        Ok(apps)
    } else {
        diagnostic::sort(&mut problems);
        Err(problems)
    }
}

/// Resolves one app's client ID (written inline or as a reference) and nothing else, for
/// commands that need to know which Zoom app an entry is without needing its secrets.
pub fn resolve_client_id(dir: &Path, spec: &AppSpec, env: EnvLookup) -> Result<String, Diagnostic> {
    match &spec.client_id.value {
        ValueSource::Literal(id) => Ok(id.clone()),
        ValueSource::Reference(r) => {
            read(dir, r, &spec.client_id.location, env).map(|s| s.expose().trim().to_string())
        }
    }
}

/// Resolves one secret reference.
pub fn resolve_secret(
    dir: &Path,
    reference: &Located<Reference>,
    env: EnvLookup,
) -> Result<SecretString, Diagnostic> {
    read(dir, &reference.value, &reference.location, env)
}

fn read(
    dir: &Path,
    reference: &Reference,
    at: &Option<Location>,
    env: EnvLookup,
) -> Result<SecretString, Diagnostic> {
    let value = match reference {
        Reference::Env(name) => match env(name) {
            None => {
                return Err(Diagnostic::new(
                    "unset-env",
                    format!("the environment variable `{name}` is not set"),
                    at.clone(),
                )
                .with_hint(format!(
                    "export `{name}` before running recallform (it is read by `{reference}`)"
                )));
            }
            Some(v) => v,
        },
        Reference::File(rel) => {
            let path = dir.join(rel);
            match std::fs::read_to_string(&path) {
                Err(e) => {
                    return Err(Diagnostic::new(
                        "unreadable-file",
                        format!("cannot read `{}`: {e}", path.display()),
                        at.clone(),
                    )
                    .with_hint("`file` paths are relative to the manifest's folder"));
                }
                Ok(text) => strip_one_newline(text),
            }
        }
    };
    if value.trim().is_empty() {
        return Err(Diagnostic::new(
            "empty-secret",
            format!("`{reference}` is empty"),
            at.clone(),
        ));
    }
    Ok(SecretString::new(value))
}

/// Editors end files with a newline; exactly one (`\n` or `\r\n`) is not part of the value.
fn strip_one_newline(mut s: String) -> String {
    if s.ends_with('\n') {
        s.pop();
        if s.ends_with('\r') {
            s.pop();
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::parse;

    const MANIFEST: &str = "version: 1
recall: {region: us-east-1}
zoom_oauth_apps:
  a:
    kind: user_level
    client_id: {env: A_ID}
    client_secret: {env: A_SECRET}
    webhook: {secret: {file: hook}}
  b:
    kind: account_level
    client_id: same
    client_secret: {env: B_SECRET}
    webhook: {secret: {env: B_HOOK}}
";

    #[test]
    fn reports_every_unreadable_reference_without_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("recallform.yaml");
        let m = parse(&path, MANIFEST).unwrap();
        let env = |n: &str| (n == "A_SECRET").then(|| "s3cret-value".to_string());
        let problems = resolve(&m, &env).unwrap_err();
        let codes: Vec<_> = problems.iter().map(|d| d.code).collect();
        assert_eq!(
            codes,
            ["unset-env", "unreadable-file", "unset-env", "unset-env"]
        );
        for p in &problems {
            assert!(!p.to_string().contains("s3cret-value"));
        }
    }

    #[test]
    fn resolves_and_detects_duplicate_client_ids() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("recallform.yaml");
        std::fs::write(dir.path().join("hook"), "tok\r\n").unwrap();
        let m = parse(&path, MANIFEST).unwrap();
        let env = |n: &str| {
            Some(if n == "A_ID" {
                "same".to_string()
            } else {
                format!("v-{n}")
            })
        };
        let problems = resolve(&m, &env).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, "duplicate-client-id");

        let env = |n: &str| Some(format!("v-{n}"));
        let apps = resolve(&m, &env).unwrap();
        assert_eq!(apps[0].client_id, "v-A_ID");
        assert_eq!(apps[0].webhook_secret.expose(), "tok");
    }

    #[test]
    fn strips_exactly_one_newline() {
        assert_eq!(strip_one_newline("a\n\n".into()), "a\n");
        assert_eq!(strip_one_newline("a".into()), "a");
    }
}
