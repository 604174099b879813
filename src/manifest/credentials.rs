//! Resolving credential references (`{env: NAME}`, `{file: PATH}`) into values.
//!
//! This is the only place that reads secrets. Values come back wrapped in
//! [`SecretString`], and no error message ever contains a value: only the reference and the
//! reason it could not be read. Every read follows the manifest's [`ReadRules`]: files are
//! confined to the manifest's folder on the canonical path at the moment they are read (so a
//! symlink cannot lead out), must be regular files of at most
//! [`MAX_FILE_BYTES`](super::rules::MAX_FILE_BYTES) of UTF-8, and a client ID (which plans
//! print) may not carry the value of any secret.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::rules::{self, MAX_FILE_BYTES, ReadRules};
use super::{AppSpec, Located, Manifest, Reference, ValueSource};
use crate::diagnostic::{self, Diagnostic, Location};
use crate::model::{DesiredApp, SecretString};

/// Looks up environment variables; tests pass a map instead of the process environment.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Result<String, EnvError>;

/// Why a variable has no usable value. It carries nothing of the value, which may be secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnvError {
    /// The variable is not set.
    NotSet,
    /// The variable is set, but its value is not valid UTF-8.
    NotUnicode,
}

/// The process environment, as an [`EnvLookup`].
pub fn process_env(name: &str) -> Result<String, EnvError> {
    std::env::var(name).map_err(|e| match e {
        std::env::VarError::NotPresent => EnvError::NotSet,
        std::env::VarError::NotUnicode(_) => EnvError::NotUnicode,
    })
}

/// What plan and apply need from the manifest's references.
#[derive(Debug)]
pub struct Resolved {
    /// The apps, with their credentials.
    pub apps: Vec<DesiredApp>,
    /// The Recall API key; `None` when it was not asked for (the sandbox needs none).
    pub api_key: Option<SecretString>,
}

/// Resolves every app's client ID and secrets and, with `need_api_key`, the API key, reporting
/// every unreadable reference at once. Without `need_api_key` (the sandbox) the key is still
/// read when it can be, but only to check that no client ID carries it; with it (a real
/// Recall) a placeholder client ID is refused, since no Zoom app has it.
pub fn resolve(
    manifest: &Manifest,
    env: EnvLookup,
    need_api_key: bool,
) -> Result<Resolved, Vec<Diagnostic>> {
    let reader = Reader {
        dir: manifest.dir(),
        rules: &manifest.rules,
        env,
    };
    let mut problems = Vec::new();
    let api_key = match resolve_api_key(manifest, env) {
        Ok(key) => Some(key),
        Err(d) if need_api_key => {
            problems.push(d);
            None
        }
        Err(_) => None,
    };
    let mut apps = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for spec in &manifest.apps {
        let client_id = reader.client_id(spec);
        let client_secret = reader.secret(&spec.client_secret);
        let webhook_secret = reader.secret(&spec.webhook_secret);
        match (client_id, client_secret, webhook_secret) {
            (Ok(client_id), Ok(client_secret), Ok(webhook_secret)) => {
                if let Some(first) = seen.get(&client_id) {
                    problems.push(
                        Diagnostic::new(
                            "duplicate-client-id",
                            // Without the value: it was read from a reference, and the
                            // secret check below has not looked at it yet.
                            format!(
                                "`{}` and `{first}` resolve to the same client_id",
                                spec.name
                            ),
                            spec.client_id.location.clone(),
                        )
                        .with_hint("a Zoom app is registered with Recall once"),
                    );
                    continue;
                }
                seen.insert(client_id.clone(), spec.name.clone());
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
    problems.extend(secrets_as_client_ids(manifest, &apps, api_key.as_ref()));
    if need_api_key {
        problems.extend(placeholders(manifest, &apps));
    }
    if problems.is_empty() {
        Ok(Resolved {
            apps,
            api_key: api_key.filter(|_| need_api_key),
        })
    } else {
        diagnostic::sort(&mut problems);
        Err(with_lines(manifest, problems))
    }
}

/// The diagnostics with the manifest's lines they point at.
fn with_lines(manifest: &Manifest, mut problems: Vec<Diagnostic>) -> Vec<Diagnostic> {
    super::source::attach(&mut problems, &manifest.path, &manifest.text);
    problems
}

/// A client ID still a placeholder (as `init` writes it) names no Zoom app: Recall would
/// accept it and the app would never work. `validate` warns; a real plan refuses. A literal
/// one is reported even when the app's secrets could not be read, so all show at once.
fn placeholders(manifest: &Manifest, apps: &[DesiredApp]) -> Vec<Diagnostic> {
    let resolved: HashMap<&str, &str> = apps
        .iter()
        .map(|a| (a.name.as_str(), a.client_id.as_str()))
        .collect();
    manifest
        .apps
        .iter()
        .filter_map(|spec| {
            let message = match &spec.client_id.value {
                ValueSource::Literal(id) if super::is_placeholder_client_id(id) => {
                    format!("`client_id` of `{}` is the placeholder `{id}`", spec.name)
                }
                ValueSource::Reference(r)
                    if resolved
                        .get(spec.name.as_str())
                        .is_some_and(|id| super::is_placeholder_client_id(id)) =>
                {
                    format!("`client_id` of `{}` is a placeholder, read from `{r}`", spec.name)
                }
                _ => return None,
            };
            Some(
                Diagnostic::new("placeholder-client-id", message, spec.client_id.location.clone())
                    .with_hint("write your Zoom app's Client ID (Zoom App Marketplace > your app > App Credentials); to try the manifest without a Recall account, add `--sandbox`"),
            )
        })
        .collect()
}

/// A client ID whose value is a secret's, wherever each was read from, would print that secret
/// in the plan: refused, naming where the secret is read but never either value. The secrets
/// are looked up by value, so that the check costs the same for each app however many there
/// are.
fn secrets_as_client_ids(
    manifest: &Manifest,
    apps: &[DesiredApp],
    api_key: Option<&SecretString>,
) -> Vec<Diagnostic> {
    // Whose each secret is: the field and the app, or the API key (`None`); the first reader
    // of a value is the one named.
    let mut secrets: HashMap<&str, (&str, Option<&str>)> = HashMap::new();
    if let Some(key) = api_key {
        secrets.insert(key.expose().trim(), ("the Recall API key", None));
    }
    for a in apps {
        for (secret, field) in [
            (&a.client_secret, "client_secret"),
            (&a.webhook_secret, "webhook.secret"),
        ] {
            secrets
                .entry(secret.expose().trim())
                .or_insert((field, Some(&a.name)));
        }
    }
    let written: HashMap<&str, &AppSpec> =
        manifest.apps.iter().map(|s| (s.name.as_str(), s)).collect();
    apps.iter()
        .filter_map(|a| {
            let whose = match secrets.get(a.client_id.as_str())? {
                (key, None) => key.to_string(),
                (field, Some(app)) => format!("the `{field}` of `{app}`"),
            };
            let at = written
                .get(a.name.as_str())
                .and_then(|s| s.client_id.location.clone());
            Some(
                Diagnostic::new(
                    "secret-as-client-id",
                    format!(
                        "the `client_id` of `{}` has the value of {whose}; neither is shown",
                        a.name
                    ),
                    at,
                )
                .with_hint("a client ID is shown in every plan, a secret never: check which value each reference reads"),
            )
        })
        .collect()
}

/// Resolves one app's client ID (written inline or as a reference) and nothing else, for
/// commands that need to know which Zoom app an entry is without needing its secrets.
pub fn resolve_client_id(
    manifest: &Manifest,
    spec: &AppSpec,
    env: EnvLookup,
) -> Result<String, Diagnostic> {
    Reader {
        dir: manifest.dir(),
        rules: &manifest.rules,
        env,
    }
    .client_id(spec)
    .map_err(|d| with_lines(manifest, vec![d]).remove(0))
}

/// Resolves the manifest's Recall API key. The default, `{env: RECALL_API_KEY}`, is not
/// written in the manifest, so the allowlist (which limits what the manifest names) does not
/// apply to it; a `recall.api_key` the manifest writes is read under the rules like any other.
pub fn resolve_api_key(manifest: &Manifest, env: EnvLookup) -> Result<SecretString, Diagnostic> {
    let defaulted = ReadRules {
        env_allow: None,
        ..manifest.rules.clone()
    };
    let rules = match manifest.api_key.location {
        None => &defaulted,
        Some(_) => &manifest.rules,
    };
    Reader {
        dir: manifest.dir(),
        rules,
        env,
    }
    .secret(&manifest.api_key)
    .map_err(|d| with_lines(manifest, vec![d]).remove(0))
}

/// Reads a file the manifest names that holds no secret (Zoom's app manifest, which `validate`
/// reads), with every check a secret file gets: confined to the manifest's folder `dir` on its
/// canonical path, a regular file, at most [`MAX_FILE_BYTES`] of UTF-8. There is one file
/// reader, so the rules cannot differ between the two.
pub(super) fn read_plain_file(
    dir: &Path,
    rules: &ReadRules,
    rel: &str,
    at: &Option<Location>,
) -> Result<String, Diagnostic> {
    let no_env = |_: &str| Err(EnvError::NotSet);
    Reader {
        dir,
        rules,
        env: &no_env,
    }
    .read_file(rel, at, "the most recallform reads from a file")
}

/// Reads references under one manifest's rules.
struct Reader<'a> {
    dir: &'a Path,
    rules: &'a ReadRules,
    env: EnvLookup<'a>,
}

impl Reader<'_> {
    fn client_id(&self, spec: &AppSpec) -> Result<String, Diagnostic> {
        match &spec.client_id.value {
            ValueSource::Literal(id) => Ok(id.clone()),
            ValueSource::Reference(r) => self
                .read(r, &spec.client_id.location)
                .map(|s| s.expose().trim().to_string()),
        }
    }

    fn secret(&self, reference: &Located<Reference>) -> Result<SecretString, Diagnostic> {
        self.read(&reference.value, &reference.location)
    }

    fn read(
        &self,
        reference: &Reference,
        at: &Option<Location>,
    ) -> Result<SecretString, Diagnostic> {
        let value = match reference {
            Reference::Env(name) => {
                // `validate` refused this already; checked again so that no caller can read
                // a variable the rules forbid.
                if let Some(allow) = &self.rules.env_allow
                    && !allow.allows(name)
                {
                    return Err(Diagnostic::new(
                        "env-not-allowed",
                        format!("`{name}` is not allowed (allowed: {allow})"),
                        at.clone(),
                    ));
                }
                (self.env)(name).map_err(|e| match e {
                    EnvError::NotSet => Diagnostic::new(
                        "unset-env",
                        format!("the environment variable `{name}` is not set"),
                        at.clone(),
                    )
                    .with_hint(format!(
                        "export `{name}` before running recallform (it is read by `{reference}`)"
                    )),
                    EnvError::NotUnicode => Diagnostic::new(
                        "unset-env",
                        format!(
                            "the environment variable `{name}` is set, but its value is not valid UTF-8"
                        ),
                        at.clone(),
                    )
                    .with_hint(format!("set `{name}` to the value as UTF-8 text")),
                })?
            }
            Reference::File(rel) => self.read_file(rel, at, "which no secret is")?,
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

    /// Reads a `{file: ...}`: inside the manifest's folder on its canonical path (unless
    /// external files are allowed), a regular file, at most [`MAX_FILE_BYTES`], UTF-8.
    /// `too_large` ends the message for a larger file.
    fn read_file(
        &self,
        rel: &str,
        at: &Option<Location>,
        too_large: &str,
    ) -> Result<String, Diagnostic> {
        let path = self.dir.join(rel);
        let unreadable = |why: String| {
            Diagnostic::new(
                "unreadable-file",
                format!("cannot read `{}`: {why}", path.display()),
                at.clone(),
            )
        };
        let outside = |why: String| {
            Diagnostic::new(
                "file-outside-manifest",
                format!("`{{file: {rel}}}` {why}"),
                at.clone(),
            )
            .with_hint("`file` paths are relative to the manifest's folder and stay inside it; a trusted pipeline can lift this with `--allow-external-files`")
        };
        let real: PathBuf = if self.rules.allow_external_files {
            path.clone()
        } else {
            if !rules::stays_inside(rel) {
                return Err(outside("is outside the manifest's folder".into()));
            }
            let root = self
                .dir
                .canonicalize()
                .map_err(|e| unreadable(format!("the manifest's folder: {e}")))?;
            let real = path
                .canonicalize()
                .map_err(|e| not_found_hint(unreadable(e.to_string()), &e))?;
            if !real.starts_with(&root) {
                return Err(outside(format!(
                    "leads through a symlink to `{}`, outside the manifest's folder `{}`",
                    real.display(),
                    root.display()
                )));
            }
            real
        };
        // Checked before opening: opening a FIFO would wait for a writer.
        let meta =
            std::fs::metadata(&real).map_err(|e| not_found_hint(unreadable(e.to_string()), &e))?;
        if !meta.is_file() {
            return Err(unreadable("not a regular file".into()));
        }
        let mut bytes = Vec::new();
        std::fs::File::open(&real)
            .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|e| unreadable(e.to_string()))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(unreadable(format!(
                "larger than {} KiB, {too_large}",
                MAX_FILE_BYTES / 1024
            )));
        }
        let text = String::from_utf8(bytes).map_err(|_| unreadable("not valid UTF-8".into()))?;
        Ok(strip_one_newline(text))
    }
}

/// Adds the reminder of where `file` paths start, for a file that is not there (and only then:
/// for a file that is there but unreadable, the path was right).
fn not_found_hint(d: Diagnostic, e: &std::io::Error) -> Diagnostic {
    if e.kind() == std::io::ErrorKind::NotFound {
        d.with_hint("`file` paths are relative to the manifest's folder")
    } else {
        d
    }
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
    use crate::manifest::{EnvAllowlist, parse};

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
        let m = parse(&path, MANIFEST, &ReadRules::default()).unwrap();
        let env = |n: &str| {
            (n == "A_SECRET")
                .then(|| "s3cret-value".to_string())
                .ok_or(EnvError::NotSet)
        };
        let problems = resolve(&m, &env, false).unwrap_err();
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
        let m = parse(&path, MANIFEST, &ReadRules::default()).unwrap();
        let env = |n: &str| {
            Ok(if n == "A_ID" {
                "same".to_string()
            } else {
                format!("v-{n}")
            })
        };
        let problems = resolve(&m, &env, false).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, "duplicate-client-id");

        let env = |n: &str| Ok(format!("v-{n}"));
        let apps = resolve(&m, &env, false).unwrap().apps;
        assert_eq!(apps[0].client_id, "v-A_ID");
        assert_eq!(apps[0].webhook_secret.expose(), "tok");
    }

    #[test]
    fn strips_exactly_one_newline() {
        assert_eq!(strip_one_newline("a\n\n".into()), "a\n");
        assert_eq!(strip_one_newline("a".into()), "a");
    }

    /// A manifest with one app whose webhook secret is `{file: FILE}`, in a fresh folder.
    fn with_file(file: &str, rules: ReadRules) -> (tempfile::TempDir, Manifest) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("recallform.yaml");
        let text = format!(
            "version: 1\nrecall: {{region: us-east-1}}\nzoom_oauth_apps:\n  a:\n    kind: user_level\n    client_id: cid\n    client_secret: {{env: S}}\n    webhook: {{secret: {{file: '{file}'}}}}\n"
        );
        let m = parse(&path, &text, &rules).unwrap();
        (dir, m)
    }

    fn codes(m: &Manifest) -> Vec<&'static str> {
        let env = |_: &str| Ok("value".to_string());
        match resolve(m, &env, false) {
            Ok(_) => vec![],
            Err(ds) => ds.iter().map(|d| d.code).collect(),
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_out_of_the_folder_is_refused_at_read_time() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("stolen"), "s3cret-outside").unwrap();
        let (dir, m) = with_file("secrets/hook", ReadRules::default());
        std::fs::create_dir(dir.path().join("secrets")).unwrap();
        // A symlinked folder, not only a symlinked file: every level counts.
        std::os::unix::fs::symlink(outside.path(), dir.path().join("secrets/real")).unwrap();
        std::os::unix::fs::symlink("real/stolen", dir.path().join("secrets/hook")).unwrap();
        let env = |_: &str| Ok("value".to_string());
        let problems = resolve(&m, &env, false).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, "file-outside-manifest");
        assert!(!problems[0].to_string().contains("s3cret-outside"));
        // A symlink that stays inside is fine.
        std::fs::remove_file(dir.path().join("secrets/hook")).unwrap();
        std::fs::write(dir.path().join("secrets/token"), "tok\n").unwrap();
        std::os::unix::fs::symlink("token", dir.path().join("secrets/hook")).unwrap();
        assert!(codes(&m).is_empty());
    }

    #[test]
    fn large_binary_and_special_files_are_refused() {
        let (dir, m) = with_file("hook", ReadRules::default());
        std::fs::write(dir.path().join("hook"), vec![b'a'; MAX_FILE_BYTES as usize]).unwrap();
        assert!(codes(&m).is_empty(), "exactly the cap is fine");
        std::fs::write(
            dir.path().join("hook"),
            vec![b'a'; MAX_FILE_BYTES as usize + 1],
        )
        .unwrap();
        assert_eq!(codes(&m), ["unreadable-file"]);
        std::fs::write(dir.path().join("hook"), [0xff, 0xfe, 0x00]).unwrap();
        assert_eq!(codes(&m), ["unreadable-file"]);
        std::fs::remove_file(dir.path().join("hook")).unwrap();
        std::fs::create_dir(dir.path().join("hook")).unwrap();
        assert_eq!(codes(&m), ["unreadable-file"]);
    }

    #[cfg(unix)]
    #[test]
    fn external_files_only_when_allowed_and_never_devices() {
        let rules = ReadRules {
            allow_external_files: true,
            ..ReadRules::default()
        };
        let (_dir, m) = with_file("/dev/zero", rules);
        let env = |_: &str| Ok("value".to_string());
        let problems = resolve(&m, &env, false).unwrap_err();
        assert_eq!(problems[0].code, "unreadable-file");
        assert!(
            problems[0].message.contains("not a regular file"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn a_client_id_with_a_secrets_value_is_refused_without_either() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("recallform.yaml");
        let text = "version: 1\nrecall: {region: us-east-1}\nzoom_oauth_apps:\n  a:\n    kind: user_level\n    client_id: {env: A_ID}\n    client_secret: {env: A_S}\n    webhook: {secret: {env: A_W}}\n";
        let m = parse(&path, text, &ReadRules::default()).unwrap();
        for (same_as, whose) in [
            ("A_S", "the `client_secret` of `a`"),
            ("A_W", "the `webhook.secret` of `a`"),
            ("RECALL_API_KEY", "the Recall API key"),
        ] {
            let env = |n: &str| {
                Ok(if n == "A_ID" || n == same_as {
                    "sk_live_stolen_42".to_string()
                } else {
                    format!("v-{n}")
                })
            };
            for need_key in [true, false] {
                let problems = resolve(&m, &env, need_key).unwrap_err();
                assert_eq!(problems.len(), 1, "{problems:?}");
                let shown = problems[0].to_string();
                assert_eq!(problems[0].code, "secret-as-client-id");
                assert!(shown.contains(whose), "{shown}");
                assert!(!shown.contains("sk_live_stolen_42"), "{shown}");
            }
        }
    }

    #[test]
    fn the_allowlist_is_enforced_when_reading_too() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("recallform.yaml");
        let allowed = ReadRules {
            env_allow: Some(EnvAllowlist::new(vec!["A_*".into()]).unwrap()),
            ..ReadRules::default()
        };
        let text = "version: 1\nrecall: {region: us-east-1}\nzoom_oauth_apps:\n  a:\n    kind: user_level\n    client_id: cid\n    client_secret: {env: A_S}\n    webhook: {secret: {env: A_W}}\n";
        let mut m = parse(&path, text, &allowed).unwrap();
        m.rules.env_allow = Some(EnvAllowlist::new(vec!["B_*".into()]).unwrap());
        let read = std::cell::RefCell::new(Vec::new());
        let env = |n: &str| {
            read.borrow_mut().push(n.to_string());
            Ok("v".to_string())
        };
        let problems = resolve(&m, &env, false).unwrap_err();
        assert!(problems.iter().all(|d| d.code == "env-not-allowed"));
        assert!(
            !read.borrow().iter().any(|n| n.starts_with("A_")),
            "{read:?}"
        );
    }
}
