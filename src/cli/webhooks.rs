//! `recallform webhooks verify`: send each app's webhook one signed URL validation, as Zoom's
//! Validate button does, and say whether the answer was made with the manifest's Secret Token.
//!
//! It needs the manifest (for the Secret Tokens) and the lockfile (for the webhook URLs), but
//! no Recall API key: the webhook endpoint takes none. This file picks the apps and where each
//! probe goes; [`report`] words the results. Not for: signing or judging answers
//! ([`crate::webhook`] does both).

mod report;

use std::sync::Arc;

use clap::{Args, Subcommand, ValueEnum};
use url::Url;

use super::{Global, output, target};
use crate::error::{Error, exit, plural};
use crate::lockfile::{LockStore, LockedApp};
use crate::manifest::Manifest;
use crate::model::{DesiredApp, SecretString};
use crate::recall::Redactor;
use crate::recall::target::SANDBOX_NAME;
use crate::session;
use crate::webhook::probe::{self, Probe, Prober};

/// How many probes are in flight at once.
const PARALLEL_PROBES: usize = 8;

/// Webhook commands.
#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Send each app's webhook URL one signed URL validation, as Zoom's Validate button does,
    /// and check that the answer comes within 3 s from the manifest's Secret Token.
    Verify(VerifyArgs),
}

/// Options of `webhooks verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The apps to check [default: every app of the manifest].
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Send the probe to URL instead, your own endpoint that receives Zoom's webhooks and
    /// forwards them to Recall (one app at a time).
    #[arg(long, value_name = "URL")]
    pub via: Option<String>,
    /// Probe the built-in emulator (state in `.recallform/` beside the manifest), where a
    /// `--sandbox` apply created the apps; implied by a lockfile of the sandbox.
    #[arg(long, conflicts_with = "via")]
    pub sandbox: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = VerifyFormat::Text)]
    pub format: VerifyFormat,
}

/// Output formats of `webhooks verify`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum VerifyFormat {
    /// One block per app and a summary.
    #[default]
    Text,
    /// One JSON document (`format_version` 1).
    Json,
}

/// Runs a webhook command.
pub async fn run(global: &Global, cmd: &WebhooksCommand) -> Result<u8, Error> {
    let WebhooksCommand::Verify(args) = cmd;
    verify(global, args).await
}

/// One app to check: where its probe goes, or why it cannot be sent.
struct Check {
    name: String,
    record: Option<LockedApp>,
    /// The URL shown (the recorded one, or `--via`'s).
    shown_url: Option<String>,
    /// Where the probe is sent, or why it is not.
    send_to: Result<Url, Problem>,
    secret: SecretString,
    /// Whether the manifest's Secret Token is the one apply last sent, by the lockfile's
    /// fingerprint; `None` when the lockfile has no fingerprint of one.
    secret_as_sent: Option<bool>,
}

/// Why an app's probe was not sent.
struct Problem {
    message: String,
    hint: String,
}

/// Where the probes go, and what the wording of results depends on.
struct Context {
    /// The lockfile's path, as given.
    lockfile: String,
    /// Whether the apps live in the sandbox.
    sandbox: bool,
    /// `--via`, checked.
    via: Option<Url>,
}

async fn verify(global: &Global, args: &VerifyArgs) -> Result<u8, Error> {
    let via = args
        .via
        .as_deref()
        .map(|raw| {
            probe::check_url(raw).map_err(|why| Error::Usage(format!("`--via {raw}` {why}")))
        })
        .transpose()?;
    let manifest = target::load_manifest(global, &global.manifest)?;
    let names = selected(&manifest, &args.names)?;
    if via.is_some() && names.len() != 1 {
        return Err(Error::Usage(format!(
            "`--via` names one endpoint, but {} are selected\n  = hint: name the app whose webhooks it forwards: `recallform webhooks verify NAME --via URL`",
            plural(names.len(), "app")
        )));
    }
    if names.is_empty() {
        if !global.quiet {
            output::message("the manifest has no app, so there is no webhook to verify");
        }
        return Ok(exit::SUCCESS);
    }
    let apps = session::resolve_apps(&manifest)?;
    let lock = match args.sandbox {
        true => LockStore::open(&global.lockfile_path(), SANDBOX_NAME)?,
        false => LockStore::open_any(&global.lockfile_path())?,
    };
    let at = Context {
        lockfile: lock.path().display().to_string(),
        sandbox: via.is_none() && (args.sandbox || lock.content().api_url == SANDBOX_NAME),
        via,
    };
    let sandbox = match at.sandbox {
        true => Some(session::open_sandbox(&manifest).await?),
        false => None,
    };
    let sandbox_url = sandbox
        .as_ref()
        .map(|e| Url::parse(&e.url()).expect("the emulator's URL is valid"));
    let checks: Vec<Check> = names
        .iter()
        .map(|name| check(name, &apps, &lock, &at, sandbox_url.as_ref()))
        .collect();

    // Recall holds the very secrets being checked, and may say them back.
    let redactor = Redactor::new();
    redactor.learn_all(
        apps.iter()
            .flat_map(|a| [&a.client_secret, &a.webhook_secret]),
    );
    let prober = Arc::new(Prober::new(redactor).map_err(Error::Other)?);
    let probes = probe_all(&prober, &checks).await;
    if let Some(emulator) = sandbox {
        emulator.shutdown().await;
    }
    report::print(&checks, probes, &at, args, global.quiet)
}

/// The apps to check, by name: `names` (each in the manifest, once), or every app.
fn selected(manifest: &Manifest, names: &[String]) -> Result<Vec<String>, Error> {
    let mut known: Vec<&str> = manifest.apps.iter().map(|a| a.name.as_str()).collect();
    known.sort_unstable();
    if let Some(unknown) = names.iter().find(|n| !known.contains(&n.as_str())) {
        let list: Vec<String> = known.iter().map(|n| format!("`{n}`")).collect();
        let hint = match list.is_empty() {
            true => "the manifest names no app yet".to_string(),
            false => format!("the manifest's apps: {}", list.join(", ")),
        };
        return Err(Error::Usage(format!(
            "`{unknown}` is not an app of the manifest, which holds the Secret Token to check\n  = hint: {hint}"
        )));
    }
    let mut chosen: Vec<String> = match names {
        [] => known.iter().map(|n| n.to_string()).collect(),
        _ => names.to_vec(),
    };
    chosen.sort();
    chosen.dedup();
    Ok(chosen)
}

/// What to check for the app `name`: its Secret Token, its record, and where its probe goes.
fn check(
    name: &str,
    apps: &[DesiredApp],
    lock: &LockStore,
    at: &Context,
    sandbox: Option<&Url>,
) -> Check {
    let app = apps
        .iter()
        .find(|a| a.name == name)
        .expect("a manifest app");
    let record = lock.apps().get(name).cloned();
    let (shown_url, send_to) = match (&at.via, &record) {
        (Some(url), _) => (Some(url.to_string()), Ok(url.clone())),
        (None, None) => (None, Err(not_recorded(name, at))),
        (None, Some(r)) => (
            Some(r.webhook_url.clone()),
            recorded_url(&r.webhook_url, sandbox),
        ),
    };
    let secret_as_sent = record
        .as_ref()
        .and_then(|r| r.secrets.get("webhook_secret"))
        .map(|sent| *sent == lock.fingerprint(app.webhook_secret.expose()));
    Check {
        name: name.to_string(),
        record,
        shown_url,
        send_to,
        secret: app.webhook_secret.clone(),
        secret_as_sent,
    }
}

/// The URL a recorded webhook URL is probed at: the sandbox's address for a sandbox URL, else
/// the URL itself once checked (a lockfile can be edited by hand, or in a pull request).
fn recorded_url(recorded: &str, sandbox: Option<&Url>) -> Result<Url, Problem> {
    let checked = match sandbox {
        Some(base) => probe::sandbox_url(recorded, base)
            .ok_or_else(|| "is not a sandbox webhook URL".to_string()),
        None => probe::check_url(recorded),
    };
    checked.map_err(|why| Problem {
        message: format!("the webhook URL the lockfile records, `{recorded}`, {why}"),
        hint: "the lockfile's `webhook_url` is written by apply and import: check how it changed (`git diff`)".into(),
    })
}

/// The problem of an app the lockfile does not record: it has no webhook URL yet.
fn not_recorded(name: &str, at: &Context) -> Problem {
    Problem {
        message: format!(
            "`{name}` is not recorded in the lockfile `{}`, so it has no webhook URL yet",
            at.lockfile
        ),
        hint: format!("`{}` creates it in Recall and records it", at.apply()),
    }
}

impl Context {
    /// The apply command for these apps' target.
    fn apply(&self) -> &'static str {
        match self.sandbox {
            true => "recallform apply --sandbox",
            false => "recallform apply",
        }
    }

    /// The plan command for these apps' target.
    fn plan(&self) -> &'static str {
        match self.sandbox {
            true => "recallform plan --sandbox",
            false => "recallform plan",
        }
    }
}

/// Sends every probe that can be sent, [`PARALLEL_PROBES`] at a time; `None` for the others.
async fn probe_all(prober: &Arc<Prober>, checks: &[Check]) -> Vec<Option<Probe>> {
    let limit = Arc::new(tokio::sync::Semaphore::new(PARALLEL_PROBES));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, check) in checks.iter().enumerate() {
        let Ok(url) = check.send_to.as_ref() else {
            continue;
        };
        let (prober, limit, url, secret) = (
            prober.clone(),
            limit.clone(),
            url.clone(),
            check.secret.clone(),
        );
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.expect("never closed");
            (i, prober.probe(&url, &secret).await)
        });
    }
    let mut probes: Vec<Option<Probe>> = vec![None; checks.len()];
    while let Some(done) = tasks.join_next().await {
        let (i, probe) = done.expect("a probe does not panic");
        probes[i] = Some(probe);
    }
    probes
}
