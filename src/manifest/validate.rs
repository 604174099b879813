//! The offline checks that turn a [`RawManifest`] into a [`Manifest`].
//!
//! Every check runs and every problem is collected, so one `validate` run shows them all. No
//! check reads a secret or an environment variable: those are read at plan time in
//! [`super::credentials`]. The one file read here is an app's `zoom.manifest` (Zoom's app
//! manifest, not a secret), through the same reader and under the same rules ([`super::zoom`]). The reading rules ([`ReadRules`]) are checked here on the
//! text, so a reference the rules forbid is refused before anything is read.

use std::collections::HashMap;
use std::path::Path;

use serde_saphyr::Spanned;

use super::names::{base_name, is_valid_name, secret_env_names};
use super::raw::{
    APP_NAME_PATTERN, RawApp, RawManifest, RawMove, RawRateLimit, RawSource, Reference, ScalarKind,
    ValueSource,
};
use super::rules::{self, DEFAULT_API_KEY_ENV, ReadRules};
use super::{AppSpec, Located, Manifest, Policy, backticked};
use crate::diagnostic::{self, Diagnostic, Location, did_you_mean};
use crate::model::{Kind, Region};
use crate::recall::target;
use crate::recall::{Class, Limit, RateLimits};

/// Longest client ID Recall accepts.
const MAX_CLIENT_ID_LEN: usize = 200;

/// The state of one validation run: the manifest, the rules, and every problem found so far.
pub(super) struct Checker<'a> {
    pub(super) path: &'a Path,
    /// The manifest's lines, for quoting a client ID as it is written and finding a list's
    /// key.
    pub(super) lines: super::source::Lines<'a>,
    pub(super) rules: &'a ReadRules,
    /// The variables that hold the Recall API key: `RECALL_API_KEY`, and the one
    /// `recall.api_key` names. No app field may read them.
    api_key_vars: Vec<String>,
    /// The file `recall.api_key` names, if it names one; no app field may read it either.
    api_key_file: Option<Reference>,
    problems: Vec<Diagnostic>,
}

impl Checker<'_> {
    pub(super) fn at<T>(&self, spanned: &Spanned<T>) -> Location {
        Location::new(
            self.path,
            spanned.referenced.line(),
            spanned.referenced.column(),
        )
    }

    pub(super) fn report(&mut self, d: Diagnostic) {
        self.problems.push(d);
    }
}

/// Checks everything that can be checked offline, under the reading rules of this run. The
/// manifest it returns carries the warnings; an error returns every error and warning.
pub(super) fn validate(
    path: &Path,
    text: &str,
    raw: RawManifest,
    rules: &ReadRules,
) -> Result<Manifest, Vec<Diagnostic>> {
    let mut c = Checker {
        path,
        lines: super::source::Lines::new(text),
        rules,
        api_key_vars: vec![DEFAULT_API_KEY_ENV.to_string()],
        api_key_file: None,
        problems: Vec::new(),
    };

    if raw.version.value != 1 {
        let at = c.at(&raw.version);
        c.report(
            Diagnostic::new(
                "unsupported-version",
                format!("manifest version `{}` is not supported", raw.version.value),
                Some(at),
            )
            .with_hint("this recallform reads `version: 1`"),
        );
    }

    let region = raw.recall.value.region.as_ref().and_then(|r| {
        let parsed = Region::parse(&r.value);
        if parsed.is_none() {
            let at = c.at(r);
            let names: Vec<&str> = Region::ALL.iter().map(|r| r.as_str()).collect();
            let hint = match did_you_mean(&r.value, &names) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("use one of {}", backticked(&names)),
            };
            c.report(
                Diagnostic::new(
                    "invalid-region",
                    format!("unknown region `{}`", r.value),
                    Some(at),
                )
                .with_hint(hint),
            );
        }
        parsed
    });

    let base_url =
        raw.recall
            .value
            .base_url
            .as_ref()
            .and_then(|b| match check_base_url(&b.value) {
                Ok(url) => Some(url),
                Err(why) => {
                    let at = c.at(b);
                    c.report(Diagnostic::new(
                        "invalid-base-url",
                        format!("`base_url` {why}"),
                        Some(at),
                    ));
                    None
                }
            });
    if raw.recall.value.region.is_none() && raw.recall.value.base_url.is_none() {
        c.report(
            Diagnostic::new(
                "missing-region",
                "`recall` names neither a `region` nor a `base_url`",
                Some(c.at(&raw.recall)),
            )
            .with_hint("add `region: us-east-1` (or us-west-2, eu-central-1, ap-northeast-1) under `recall`"),
        );
    }

    let api_key = match &raw.recall.value.api_key {
        None => Located {
            value: Reference::Env(DEFAULT_API_KEY_ENV.into()),
            location: None,
        },
        Some(key) => Located {
            value: secret_reference(
                &mut c,
                key,
                ("recall.api_key", None),
                DEFAULT_API_KEY_ENV,
                "recall-api-key",
            )
            .unwrap_or(Reference::Env(DEFAULT_API_KEY_ENV.into())),
            location: Some(c.at(key)),
        },
    };
    match &api_key.value {
        Reference::Env(name) if name != DEFAULT_API_KEY_ENV => c.api_key_vars.push(name.clone()),
        Reference::File(_) => c.api_key_file = Some(api_key.value.clone()),
        Reference::Env(_) => {}
    }

    let rate_limit = raw
        .recall
        .value
        .rate_limit
        .as_ref()
        .map(|r| check_rate_limit(&mut c, r));

    let mut apps = Vec::new();
    let mut client_ids: HashMap<String, Location> = HashMap::new();
    for (name, app) in raw.zoom_oauth_apps.map(|m| m.value.0).unwrap_or_default() {
        if let Some(spec) = check_app(&mut c, &name, app, &mut client_ids) {
            apps.push(spec);
        }
    }

    check_client_id_sources(&mut c, &apps, &api_key.value);
    let moves = check_moves(&mut c, raw.moved.unwrap_or_default(), &apps);
    let policy = raw
        .policy
        .map(|p| Policy {
            allow_delete: p.allow_delete.unwrap_or(false),
            max_deletes: p.max_deletes.map_or(3, |n| n as usize),
        })
        .unwrap_or_default();

    diagnostic::sort(&mut c.problems);
    if !c.problems.iter().any(Diagnostic::is_error) {
        Ok(Manifest {
            path: path.to_path_buf(),
            region,
            base_url,
            api_key,
            apps,
            moves,
            policy,
            rate_limit,
            sha256: String::new(),
            rules: rules.clone(),
            warnings: c.problems,
            text: String::new(),
        })
    } else {
        Err(c.problems)
    }
}

/// `recall.rate_limit`: each class's rate as `--rate-limit` reads it; a class not written keeps
/// Recall's documented limit.
fn check_rate_limit(c: &mut Checker, raw: &RawRateLimit) -> RateLimits {
    let mut limits = RateLimits::default();
    for (class, rate) in [(Class::List, &raw.list), (Class::Write, &raw.write)] {
        let Some(rate) = rate else { continue };
        match Limit::parse(&rate.value.0) {
            Ok(limit) if class == Class::List => limits.list = limit,
            Ok(limit) => limits.write = limit,
            Err(why) => {
                let at = c.at(rate);
                c.report(
                    Diagnostic::new(
                        "invalid-rate-limit",
                        format!("`recall.rate_limit.{class}`: {why}"),
                        Some(at),
                    )
                    .with_hint(format!(
                        "write Recall's limit as requests a minute or a second, such as `{class}: {}`, or `off` for no pacing",
                        RateLimits::default().of(class)
                    )),
                );
            }
        }
    }
    limits
}

/// Each rename goes from a name not in the manifest to one that is, once per name.
fn check_moves(c: &mut Checker, moves: Vec<RawMove>, apps: &[AppSpec]) -> Vec<(String, String)> {
    let names: std::collections::HashSet<&str> = apps.iter().map(|a| a.name.as_str()).collect();
    let in_manifest = |n: &str| names.contains(n);
    let mut seen_from = HashMap::new();
    let mut seen_to = HashMap::new();
    let mut out = Vec::new();
    for m in moves {
        let (from, to) = (&m.from.value, &m.to.value);
        let problem = if !is_valid_name(from) || !is_valid_name(to) {
            Some((
                c.at(&m.from),
                format!("`{from}` -> `{to}` is not a move between valid app names"),
            ))
        } else if from == to {
            Some((c.at(&m.to), format!("`{from}` is moved to itself")))
        } else if in_manifest(from) {
            Some((
                c.at(&m.from),
                format!("`{from}` is moved away, but the manifest still has an app with that name"),
            ))
        } else if !in_manifest(to) {
            Some((
                c.at(&m.to),
                format!("`{from}` is moved to `{to}`, which is not in `zoom_oauth_apps`"),
            ))
        } else if seen_from.insert(from.clone(), ()).is_some() {
            Some((c.at(&m.from), format!("`{from}` is moved twice")))
        } else if seen_to.insert(to.clone(), ()).is_some() {
            Some((c.at(&m.to), format!("two apps are moved to `{to}`")))
        } else {
            None
        };
        match problem {
            Some((at, message)) => c.report(
                Diagnostic::new("invalid-move", message, Some(at))
                    .with_hint("write `moved: [{from: OLD_NAME, to: NEW_NAME}]`, where NEW_NAME is an app of the manifest and OLD_NAME is not"),
            ),
            None => out.push((from.clone(), to.clone())),
        }
    }
    out
}

fn check_app(
    c: &mut Checker,
    name: &Spanned<String>,
    app: RawApp,
    client_ids: &mut HashMap<String, Location>,
) -> Option<AppSpec> {
    let name_at = c.at(name);
    let mut ok = true;
    if !is_valid_name(&name.value) {
        ok = false;
        c.report(
            Diagnostic::new(
                "invalid-app-name",
                format!("invalid app name `{}`", name.value),
                Some(name_at.clone()),
            )
            .with_hint(format!(
                "names use lowercase letters, digits and '-', 1 to 63 characters (pattern `{APP_NAME_PATTERN}`); try `{}`",
                base_name(&name.value)
            )),
        );
    }

    let kind = Kind::parse(&app.kind.value);
    if kind.is_none() {
        let at = c.at(&app.kind);
        let guess = app
            .kind
            .value
            .trim()
            .to_lowercase()
            .replace(['-', ' '], "_");
        let close = Kind::parse(&guess)
            .map(|k| k.to_string())
            .or_else(|| did_you_mean(&guess, &["user_level", "account_level"]).map(String::from));
        let hint = match close {
            Some(k) => format!("did you mean `{k}`?"),
            None => "use `user_level` (user-managed Zoom app) or `account_level` (admin-managed Zoom app)".into(),
        };
        c.report(
            Diagnostic::new(
                "invalid-kind",
                format!("unknown kind `{}`", app.kind.value),
                Some(at),
            )
            .with_hint(hint),
        );
    }

    let client_id_at = c.at(&app.client_id);
    let client_id = client_id_source(c, &app.client_id, &name.value);
    ok &= client_id.is_some();
    match &client_id {
        None => {}
        Some(ValueSource::Literal(id)) => match check_client_id(id) {
            Err(why) => {
                ok = false;
                c.report(Diagnostic::new(
                    "invalid-client-id",
                    format!("`client_id` of `{}` {why}", name.value),
                    Some(client_id_at.clone()),
                ));
            }
            Ok(()) => {
                if let Some(first) = client_ids.get(id) {
                    ok = false;
                    let d = Diagnostic::new(
                        "duplicate-client-id",
                        format!(
                            "`{}` has the client_id `{id}` of an app listed before it",
                            name.value
                        ),
                        Some(client_id_at.clone()),
                    )
                    .with_hint(format!(
                        "a Zoom app is registered with Recall once; the first use is at {first}"
                    ));
                    c.report(d);
                } else {
                    client_ids.insert(id.clone(), client_id_at.clone());
                }
                if is_placeholder_client_id(id) {
                    c.report(
                        Diagnostic::warning(
                            "placeholder-client-id",
                            format!(
                                "`client_id` of `{}` is the placeholder `{id}`",
                                name.value
                            ),
                            Some(client_id_at.clone()),
                        )
                        .with_hint("write your Zoom app's Client ID here (Zoom App Marketplace > your app > App Credentials); `plan` and `apply` refuse a placeholder, and `--sandbox` tries the manifest without a Recall account"),
                    );
                }
            }
        },
        Some(ValueSource::Reference(r)) => {
            ok &= check_reference(c, r, &client_id_at, Some(&name.value), "client_id");
        }
    }

    // The suggestions name the variables and files the way `export` does.
    let slug = base_name(&name.value);
    let (client_secret_env, webhook_secret_env) = secret_env_names(&slug);
    let client_secret = secret_reference(
        c,
        &app.client_secret,
        ("client_secret", Some(&name.value)),
        &client_secret_env,
        &format!("{slug}-zoom-client-secret"),
    );
    let webhook_secret = secret_reference(
        c,
        &app.webhook.secret,
        ("webhook.secret", Some(&name.value)),
        &webhook_secret_env,
        &format!("{slug}-zoom-webhook-secret"),
    );

    let forward_from = app
        .webhook
        .forward_from
        .as_ref()
        .and_then(|f| check_forward_from(c, f, &name.value));
    ok &= app.webhook.forward_from.is_none() || forward_from.is_some();
    let zoom = app
        .zoom
        .map(|z| super::zoom::check(c, &name.value, kind, z));
    ok &= zoom.as_ref().is_none_or(Option::is_some);

    let lifecycle = app.lifecycle.unwrap_or_default();
    Some(AppSpec {
        forward_from,
        zoom: zoom.flatten(),
        allow_replace: lifecycle.allow_replace.unwrap_or(false),
        protect: lifecycle.protect.unwrap_or(false),
        name: name.value.clone(),
        location: name_at,
        kind: kind?,
        client_id: Located {
            value: client_id?,
            location: Some(client_id_at),
        },
        client_secret: Located {
            location: Some(c.at(&app.client_secret)),
            value: client_secret?,
        },
        webhook_secret: Located {
            location: Some(c.at(&app.webhook.secret)),
            value: webhook_secret?,
        },
    })
    .filter(|_| ok)
}

/// A client ID as written: text or a reference. A value YAML reads as something else is
/// reported with the fix, quoting it as written (a client ID is not secret).
fn client_id_source(
    c: &mut Checker,
    source: &Spanned<RawSource>,
    app: &str,
) -> Option<ValueSource> {
    let at = c.at(source);
    let problem = match &source.value {
        RawSource::Text(id) => return Some(ValueSource::Literal(id.clone())),
        RawSource::Reference(r) => return Some(ValueSource::Reference(r.clone())),
        RawSource::NotText(ScalarKind::Null) => {
            Diagnostic::new("invalid-client-id", format!("`client_id` of `{app}` is empty"), Some(at))
                .with_hint(format!(
                    "write the Zoom app's Client ID (App Credentials page), or a reference such as `{{env: {}_ZOOM_CLIENT_ID}}`",
                    base_name(app).to_ascii_uppercase().replace('-', "_")
                ))
        }
        RawSource::NotText(kind) => {
            match super::source::value_at(&c.lines, at.line, at.column) {
                Some(written) => Diagnostic::new(
                    "invalid-type",
                    format!("YAML reads `{written}` as {}, not text", kind.described()),
                    Some(at),
                )
                .with_hint(format!("quote it: `\"{written}\"`")),
                None => Diagnostic::new(
                    "invalid-type",
                    format!("`client_id` of `{app}` is {}, not text", kind.described()),
                    Some(at),
                )
                .with_hint("quote it"),
            }
        }
        RawSource::List => Diagnostic::new(
            "invalid-type",
            format!("`client_id` of `{app}` is a list; expected a string, `{{env: NAME}}` or `{{file: PATH}}`"),
            Some(at),
        ),
        RawSource::Malformed { why, suggestion } => malformed(why, *suggestion, at),
    };
    c.report(problem);
    None
}

/// The diagnostic for a mapping that is not a reference.
fn malformed(why: &str, suggestion: Option<&str>, at: Location) -> Diagnostic {
    Diagnostic::new("invalid-reference", why, Some(at)).with_hint(match suggestion {
        Some(kind) => format!("did you mean `{kind}`?"),
        None => "write `{env: NAME}` or `{file: PATH}`".into(),
    })
}

/// A secret must be a reference; anything else (a string, a number, a list, nothing) is
/// `literal-secret`, reported with the exact fix and without the value. `field` is the key
/// and, for an app's secrets, the app's name.
fn secret_reference(
    c: &mut Checker,
    source: &Spanned<RawSource>,
    (field, app): (&str, Option<&str>),
    env_suggestion: &str,
    file_suggestion: &str,
) -> Option<Reference> {
    let at = c.at(source);
    let literal = |message: String, hint: String| {
        Diagnostic::new("literal-secret", message, Some(at.clone())).with_hint(hint)
    };
    let problem = match &source.value {
        RawSource::Reference(r) => {
            return check_reference(c, r, &at, app, field).then(|| r.clone());
        }
        RawSource::NotText(ScalarKind::Null) => literal(
            format!("`{field}` has no value; secrets must be references"),
            format!("write `{{env: {env_suggestion}}}` or `{{file: secrets/{file_suggestion}}}`"),
        ),
        RawSource::Text(_) | RawSource::NotText(_) | RawSource::List => literal(
            format!("`{field}` is written in the manifest; secrets must be references"),
            format!(
                "move the value out of the file (and out of git history) and write `{{env: {env_suggestion}}}` or `{{file: secrets/{file_suggestion}}}`"
            ),
        ),
        RawSource::Malformed { why, suggestion } => malformed(why, *suggestion, at.clone()),
    };
    c.report(problem);
    None
}

/// Whether a client ID is a placeholder left to fill in: `REPLACE_WITH_...` (as `init`
/// writes) or `<...>` (as documentation often does).
pub fn is_placeholder_client_id(id: &str) -> bool {
    let id = id.trim();
    id.to_ascii_uppercase().starts_with("REPLACE_WITH")
        || (id.len() > 2 && id.starts_with('<') && id.ends_with('>'))
}

/// Checks a reference's form and the reading rules: the allowlist, the API key's variables
/// (never readable by an app's field), and the manifest's folder.
pub(super) fn check_reference(
    c: &mut Checker,
    r: &Reference,
    at: &Location,
    app: Option<&str>,
    field: &str,
) -> bool {
    let whose = match app {
        Some(app) => format!("`{field}` of `{app}`"),
        None => format!("`{field}`"),
    };
    let problem = match r {
        Reference::Env(name) if !is_env_name(name) => Some(Diagnostic::new(
            "invalid-reference",
            format!(
                "`{name}` is not an environment variable name (letters, digits and '_', not starting with a digit)"
            ),
            Some(at.clone()),
        )),
        Reference::File(p) if p.trim().is_empty() => Some(Diagnostic::new(
            "invalid-reference",
            "`file` needs a path",
            Some(at.clone()),
        )),
        Reference::Env(name) if app.is_some() && c.api_key_vars.contains(name) => Some(
            Diagnostic::new(
                "api-key-reference",
                format!("{whose} reads `{name}`, which holds the Recall API key"),
                Some(at.clone()),
            )
            .with_hint("the API key is read as `recall.api_key` only; give this field a variable of its own"),
        ),
        Reference::File(p)
            if app.is_some() && c.api_key_file.as_ref().is_some_and(|k| source_key(k) == source_key(r)) =>
        {
            Some(
                Diagnostic::new(
                    "api-key-reference",
                    format!("{whose} reads `{p}`, which holds the Recall API key"),
                    Some(at.clone()),
                )
                .with_hint("the API key is read as `recall.api_key` only; give this field a file of its own"),
            )
        }
        Reference::Env(name) => match &c.rules.env_allow {
            Some(allow) if !allow.allows(name) => Some(
                Diagnostic::new(
                    "env-not-allowed",
                    format!("{whose} reads `{name}`, which this run does not allow (allowed: {allow})"),
                    Some(at.clone()),
                )
                .with_hint("the variables a manifest may read come from `--env-allow` or `RECALLFORM_ENV_ALLOW`, never from the manifest; add a pattern there if this variable is meant to be read"),
            ),
            _ => None,
        },
        Reference::File(p) if !c.rules.allow_external_files && !rules::stays_inside(p) => Some(
            Diagnostic::new(
                "file-outside-manifest",
                format!("{whose} reads `{p}`, which is outside the manifest's folder"),
                Some(at.clone()),
            )
            .with_hint("`file` paths are relative to the manifest's folder and stay inside it; a trusted pipeline can lift this with `--allow-external-files`"),
        ),
        Reference::File(_) => None,
    };
    match problem {
        Some(d) => {
            c.report(d);
            false
        }
        None => true,
    }
}

/// A client ID is printed in every plan, so it must not be read from where a secret is: not
/// from a reference a secret field (or `recall.api_key`) uses, and not from a variable or file
/// whose name says it holds a secret. Otherwise a pull request could move a secret into the
/// plan comment. (Equal values read from different places are caught when they are read.)
fn check_client_id_sources(c: &mut Checker, apps: &[AppSpec], api_key: &Reference) {
    // Whose each source is, by where it reads (see [`source_key`]); the first reader named.
    let mut secrets: HashMap<SourceKey, String> = HashMap::new();
    secrets.insert(source_key(api_key), "`recall.api_key`".into());
    for a in apps {
        for (r, field) in [
            (&a.client_secret.value, "client_secret"),
            (&a.webhook_secret.value, "webhook.secret"),
        ] {
            secrets
                .entry(source_key(r))
                .or_insert_with(|| format!("`{field}` of `{}`", a.name));
        }
    }
    for a in apps {
        let ValueSource::Reference(r) = &a.client_id.value else {
            continue;
        };
        let named = match r {
            Reference::Env(name) => name.as_str(),
            Reference::File(p) => Path::new(p)
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or(p),
        };
        let message = if let Some(whose) = secrets.get(&source_key(r)) {
            format!(
                "the `client_id` of `{}` reads `{r}`, which {whose} also reads",
                a.name
            )
        } else if rules::names_a_secret(named) {
            format!(
                "the `client_id` of `{}` reads `{r}`, whose name says it holds a secret",
                a.name
            )
        } else {
            continue;
        };
        c.report(
            Diagnostic::new("secret-as-client-id", message, a.client_id.location.clone())
                .with_hint("a client ID is shown in every plan; write it inline (it is not a secret) or read it from a variable of its own, such as `ACME_ZOOM_CLIENT_ID`"),
        );
    }
}

/// Where a reference reads, as a key that two references share when they read the same
/// source: the variable's name, or the file's path without `.` components (`./s/a` is `s/a`).
#[derive(PartialEq, Eq, Hash)]
enum SourceKey {
    Env(String),
    File(Vec<String>),
}

/// The [`SourceKey`] of `r`: two references have the same when they read the same variable or
/// (lexically) the same file.
fn source_key(r: &Reference) -> SourceKey {
    match r {
        Reference::Env(name) => SourceKey::Env(name.clone()),
        Reference::File(p) => SourceKey::File(
            Path::new(p)
                .components()
                .filter(|c| *c != std::path::Component::CurDir)
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect(),
        ),
    }
}

/// The manifest's `base_url`: a valid API URL that a manifest may name
/// ([`rules::may_name_base_url`]).
fn check_base_url(raw: &str) -> Result<url::Url, String> {
    let url = target::check_api_url(raw)?;
    if rules::may_name_base_url(&url) {
        Ok(url)
    } else {
        Err(format!(
            "points at `{}`, which is neither Recall (`https://<region>.recall.ai`) nor a loopback address; the API key would be sent there. Name another host (a proxy, say) with `--api-url` or `RECALL_API_URL` in the pipeline instead",
            url.host_str().unwrap_or_default()
        ))
    }
}

/// `webhook.forward_from`: an `https://` URL (Zoom sends webhooks to `https://` endpoints only).
fn check_forward_from(
    c: &mut Checker,
    raw: &Spanned<String>,
    app: &str,
) -> Option<Located<url::Url>> {
    let at = c.at(raw);
    let problem = match url::Url::parse(raw.value.trim()) {
        Ok(url) if url.scheme() == "https" && url.host_str().is_some() => {
            return Some(Located {
                value: url,
                location: Some(at),
            });
        }
        Ok(url) => format!(
            "`webhook.forward_from` of `{app}` is a `{}:` URL; Zoom sends webhooks to `https://` endpoints only",
            url.scheme()
        ),
        Err(e) => format!("`webhook.forward_from` of `{app}` is not a valid URL ({e})"),
    };
    c.report(
        Diagnostic::new("invalid-forward-from", problem, Some(at)).with_hint(
            "write the `https://` URL of your own endpoint that forwards Zoom's webhooks to the app's Recall webhook URL, or leave `forward_from` out",
        ),
    );
    None
}

fn check_client_id(id: &str) -> Result<(), String> {
    if id.trim().is_empty() {
        Err("is empty".into())
    } else if id.chars().count() > MAX_CLIENT_ID_LEN {
        Err(format!("is longer than {MAX_CLIENT_ID_LEN} characters"))
    } else if id.trim() != id {
        Err("has leading or trailing spaces".into())
    } else {
        Ok(())
    }
}

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names() {
        assert!(is_env_name("RECALL_API_KEY"));
        assert!(is_env_name("_x1"));
        assert!(!is_env_name("1X"));
        assert!(!is_env_name("A-B"));
        assert!(!is_env_name(""));
    }
}
