//! A session: what every command that plans or talks to Recall shares, from its options to a
//! computed plan. Load and validate the manifest, resolve its credentials, decide the target,
//! open the lockfile, build the client (or start the sandbox), list, plan.
//!
//! It knows nothing of the command line: `cli/` turns its arguments into [`Options`] and
//! [`Permissions`], calls this, and prints. Long-running parts (the relay) and read-only
//! commands (`status`) open sessions the same way, so there is one way of loading the manifest
//! and of talking to Recall.
//!
//! Order matters for safety: the manifest is validated and every credential resolved before
//! any request is sent, so bad input changes nothing and costs no API call.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use url::Url;

use crate::apply_lock::ApplyLock;
use crate::diagnostic::Diagnostic;
use crate::emulator::{self, Emulator};
use crate::error::Error;
use crate::lockfile::LockStore;
use crate::manifest::{self, Manifest, ReadRules, credentials};
use crate::model::{DesiredApp, Region, RemoteApp, SecretString};
use crate::plan::{self, Guards, Plan};
use crate::recall::target::{Origin, Target, check_api_url};
use crate::recall::{Client, RateLimits};
use crate::saved::{self, Basis, LockPosition};

/// The API key the in-process sandbox requires; not a secret.
const SANDBOX_KEY: &str = "sandbox";

/// What a session reads and how it reaches Recall, as the command line (or a caller such as
/// the relay) sets it.
#[derive(Clone, Debug)]
pub struct Options {
    /// The manifest.
    pub manifest: PathBuf,
    /// The lockfile.
    pub lockfile: PathBuf,
    /// `--api-url` or `RECALL_API_URL`: wins over the manifest's `base_url` and `region`.
    pub api_url: Option<String>,
    /// Whether `api_url` was typed (`--api-url`) rather than taken from `RECALL_API_URL`, for
    /// messages that say where to change it.
    pub api_url_typed: bool,
    /// How long to wait for each answer from Recall.
    pub timeout: Duration,
    /// What the manifest may read.
    pub rules: ReadRules,
    /// `--rate-limit` or `RECALLFORM_RATE_LIMIT`: Recall's limits to pace under; wins over the
    /// manifest's `recall.rate_limit`. `None` leaves it to the manifest, or to Recall's
    /// documented limits.
    pub rate_limit: Option<RateLimits>,
}

/// The permissions and scope that shape a plan (`--allow-delete`, `--allow-replace`,
/// `--force`, `--target`).
#[derive(Clone, Debug, Default)]
pub struct Permissions {
    /// Allow deleting the Recall apps of entries removed from the manifest.
    pub allow_delete: bool,
    /// Allow replacing these apps.
    pub allow_replace: Vec<String>,
    /// Allow more deletes than `policy.max_deletes`.
    pub force: bool,
    /// Limit the plan to these apps.
    pub targets: Vec<String>,
}

/// Loads and validates the manifest at `path` under `rules`; reads no secret.
pub fn load_manifest(path: &Path, rules: &ReadRules) -> Result<Manifest, Error> {
    manifest::load(path, rules).map_err(|diagnostics| manifest_error(path, diagnostics))
}

/// The error for problems found in the manifest at `path`.
pub fn manifest_error(path: &Path, diagnostics: Vec<Diagnostic>) -> Error {
    Error::Manifest {
        file: path.display().to_string(),
        diagnostics,
    }
}

/// Picks the target: `override_url` (`--api-url`, `RECALL_API_URL`), else the manifest's
/// `base_url`, else its `region`. IDs exist in one Recall deployment only, so the lockfile
/// records the target and refuses to be used against another one.
pub fn resolve_target(override_url: Option<&str>, manifest: &Manifest) -> Result<Target, String> {
    if let Some(raw) = override_url {
        return check_api_url(raw)
            .map(Target::remote)
            .map_err(|why| format!("the API URL `{raw}` {why}"));
    }
    if let Some(url) = &manifest.base_url {
        return Ok(Target::remote(url.clone()).with_origin(Origin::BaseUrl));
    }
    let region: Region = manifest
        .region
        .ok_or("the manifest names neither a region nor a base_url")?;
    Ok(
        Target::remote(Url::parse(&region.base_url()).expect("region URLs are valid"))
            .with_origin(Origin::Region),
    )
}

/// A client for `target` with `key`, waiting `options.timeout` for each answer, pacing under
/// `options.rate_limit` (or Recall's documented limits), and able to say where the target's URL
/// came from in its hints. For a command without a manifest (`export`).
pub fn client(options: &Options, target: &Target, key: SecretString) -> Result<Client, Error> {
    let origin = target.origin.describe(options.api_url_typed);
    Ok(Client::new(target.api_url.clone(), key, options.timeout)?
        .with_origin(origin)
        .with_rate_limits(options.rate_limit.unwrap_or_default()))
}

/// The limits a session paces under: `--rate-limit` (or `RECALLFORM_RATE_LIMIT`), else the
/// manifest's `recall.rate_limit`, else Recall's documented limits (60 list calls and 300
/// others a minute).
pub fn rate_limits(options: &Options, manifest: &Manifest) -> RateLimits {
    options
        .rate_limit
        .or(manifest.rate_limit)
        .unwrap_or_default()
}

/// [`client`], pacing under [`rate_limits`].
fn manifest_client(
    options: &Options,
    manifest: &Manifest,
    target: &Target,
    key: SecretString,
) -> Result<Client, Error> {
    Ok(client(options, target, key)?.with_rate_limits(rate_limits(options, manifest)))
}

/// The manifest's Recall and a client for it.
pub struct Connection {
    /// Which Recall: where requests go and what the lockfile records.
    pub target: Target,
    /// The client, with the manifest's API key.
    pub client: Client,
}

/// Resolves the target and the manifest's API key, and builds a client; no app's credentials
/// are read (for `import`, which must not need every app's secrets).
pub fn connect(options: &Options, manifest: &Manifest) -> Result<Connection, Error> {
    let target = resolve_target(options.api_url.as_deref(), manifest).map_err(Error::Usage)?;
    let key = credentials::resolve_api_key(manifest, &credentials::process_env)
        .map_err(|d| manifest_error(&manifest.path, vec![d]))?;
    let client = manifest_client(options, manifest, &target, key)?;
    Ok(Connection { target, client })
}

/// Takes the apply lock of `lockfile` for `holder` (the command, as the lock's record says who
/// holds it), waiting up to `timeout` for the current holder.
pub fn lock(lockfile: &Path, timeout: Duration, holder: &str) -> Result<ApplyLock, Error> {
    Ok(ApplyLock::acquire(lockfile, timeout, holder)?)
}

/// Everything a plan was computed from, ready for apply.
pub struct Session {
    /// The manifest's path.
    pub manifest_path: PathBuf,
    /// The manifest's SHA-256.
    pub manifest_sha256: String,
    /// Its apps with credentials resolved.
    pub desired: Vec<DesiredApp>,
    /// The API key (`None` in the sandbox, which needs none).
    pub api_key: Option<SecretString>,
    /// Which Recall.
    pub target: Target,
    /// The client for it.
    pub client: Arc<Client>,
    /// The lockfile, shared with apply's tasks.
    pub lock: Arc<Mutex<LockStore>>,
    /// Every app Recall has.
    pub remote: Vec<RemoteApp>,
    /// The plan.
    pub plan: Plan,
    /// The manifest's warnings (as `validate` shows them), for the command to print.
    pub warnings: Vec<Diagnostic>,
    /// The in-process emulator, kept alive for the session's length with `--sandbox`.
    sandbox: Option<Emulator>,
    /// Where the in-process emulator keeps its state.
    sandbox_state: Option<PathBuf>,
}

impl Session {
    /// Loads, resolves, lists and plans: the manifest at `options.manifest`, against the
    /// in-process sandbox when `sandbox` is set, shaped by `permissions`.
    pub async fn open(
        options: &Options,
        sandbox: bool,
        permissions: &Permissions,
    ) -> Result<Session, Error> {
        let at = options;
        let mut manifest = load_manifest(&at.manifest, &at.rules)?;

        if sandbox && at.api_url_typed {
            return Err(Error::Usage(
                "`--sandbox` and `--api-url` name two different targets; use one".into(),
            ));
        }
        let credentials::Resolved {
            apps: desired,
            api_key,
        } = credentials::resolve(&manifest, &credentials::process_env, !sandbox)
            .map_err(|d| manifest_error(&at.manifest, d))?;

        let sandbox_state = sandbox.then(|| sandbox_dir(&manifest));
        let (target, sandbox) = if let Some(state) = &sandbox_state {
            let emulator = start_sandbox(state).await?;
            let url = url::Url::parse(&emulator.url()).expect("the emulator's URL is valid");
            (Target::sandbox(url), Some(emulator))
        } else {
            let t = resolve_target(at.api_url.as_deref(), &manifest).map_err(Error::Usage)?;
            (t, None)
        };

        let lock = LockStore::open(&at.lockfile, &target.name)?;
        manifest.check_zoom_endpoints(|name| lock.apps().get(name).map(|a| a.webhook_url.clone()));
        let key = api_key
            .clone()
            .unwrap_or_else(|| SecretString::new(SANDBOX_KEY.into()));
        let client = Arc::new(manifest_client(at, &manifest, &target, key)?);
        // Recall may echo any of them, not only the ones a request carries.
        client.know_secrets(
            desired
                .iter()
                .flat_map(|d| [&d.client_secret, &d.webhook_secret]),
        );
        // Names on the command line are checked before any request.
        let known: BTreeSet<&str> = desired
            .iter()
            .map(|d| d.name.as_str())
            .chain(lock.apps().keys().map(String::as_str))
            .collect();
        for (flag, names) in [
            ("--target", &permissions.targets),
            ("--allow-replace", &permissions.allow_replace),
        ] {
            if let Some(name) = names.iter().find(|n| !known.contains(n.as_str())) {
                return Err(Error::Usage(unknown_name(flag, name, &known)));
            }
        }
        let remote = client.list_apps(None).await?;
        let guards = Guards {
            allow_delete: permissions.allow_delete || manifest.policy.allow_delete,
            allow_replace: permissions.allow_replace.iter().cloned().collect(),
            max_deletes: manifest.policy.max_deletes,
            force: permissions.force,
            targets: permissions.targets.iter().cloned().collect::<BTreeSet<_>>(),
        };
        let fingerprint = |v: &str| lock.fingerprint(v);
        let plan = plan::diff(&plan::Inputs {
            desired: &desired,
            locked: lock.apps(),
            remote: &remote,
            moves: &manifest.moves,
            fingerprint: &fingerprint,
            guards: &guards,
        });
        Ok(Session {
            manifest_path: at.manifest.clone(),
            manifest_sha256: manifest.sha256,
            desired,
            api_key,
            target,
            client,
            lock: Arc::new(Mutex::new(lock)),
            remote,
            plan,
            warnings: manifest.warnings,
            sandbox,
            sandbox_state,
        })
    }

    /// The lockfile, for reading.
    pub fn lock(&self) -> MutexGuard<'_, LockStore> {
        self.lock.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What this session's plan was computed from, with the given salt.
    pub fn basis(&self, salt: &str) -> Basis {
        let inputs = saved::inputs(&self.desired, self.api_key.as_ref());
        let lockfile = self
            .lock()
            .position()
            .map(|(lineage, serial)| LockPosition { lineage, serial });
        saved::basis(&self.manifest_sha256, salt, &inputs, lockfile, &self.remote)
    }

    /// Whether this is the in-process sandbox.
    pub fn is_sandbox(&self) -> bool {
        self.sandbox.is_some()
    }

    /// The folder of the in-process sandbox's state (`.recallform/` beside the manifest).
    pub fn sandbox_state(&self) -> Option<&Path> {
        self.sandbox_state.as_deref()
    }

    /// Stops the in-process sandbox, if any.
    pub async fn close(self) {
        if let Some(emulator) = self.sandbox {
            emulator.shutdown().await;
        }
    }
}

/// The error for a name on the command line that neither the manifest nor the lockfile has,
/// listing the names there are (sorted), since a typo is the likely cause.
fn unknown_name(flag: &str, name: &str, known: &BTreeSet<&str>) -> String {
    let hint = if known.is_empty() {
        "the manifest and the lockfile name no app yet".to_string()
    } else {
        let names: Vec<String> = known.iter().map(|n| format!("`{n}`")).collect();
        format!("the names it takes: {}", names.join(", "))
    };
    format!(
        "`{flag}` names `{name}`, which is neither in the manifest nor in the lockfile\n  = hint: {hint}"
    )
}

/// Starts the emulator on a free loopback port, with its state in `sandbox.json` in `dir` and
/// the knobs of the `RECALLFORM_SANDBOX_*` variables ([`emulator::knobs::from_env`]).
async fn start_sandbox(dir: &Path) -> Result<Emulator, Error> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Other(format!("cannot create `{}`: {e}", dir.display())))?;
    let mut config = emulator::Config {
        api_key: Some(SANDBOX_KEY.into()),
        state_file: Some(dir.join("sandbox.json")),
        ..emulator::Config::default()
    };
    // The same knobs as `sandbox serve`, so a benchmark can run against either.
    emulator::knobs::from_env(&mut config, &|name| std::env::var(name).ok())
        .map_err(|e| Error::Usage(format!("the sandbox cannot start: {e}")))?;
    Emulator::start(([127, 0, 0, 1], 0).into(), config)
        .await
        .map_err(|e| Error::Other(format!("cannot start the sandbox: {e}")))
}

/// The manifest's apps with their credentials resolved, but not the API key: for commands that
/// send to the apps' webhooks rather than to Recall's API (`webhooks verify`, the relay), which
/// need no Recall API key. The reading rules are the manifest's, as for a plan.
pub fn resolve_apps(manifest: &Manifest) -> Result<Vec<DesiredApp>, Error> {
    credentials::resolve(manifest, &credentials::process_env, false)
        .map(|resolved| resolved.apps)
        .map_err(|d| manifest_error(&manifest.path, d))
}

/// Starts the in-process sandbox that `--sandbox` runs, on its state beside `manifest`
/// (`.recallform/`), for commands that reach it other than through [`Session::open`]: its
/// address serves the webhook URLs a `--sandbox` apply recorded.
pub async fn open_sandbox(manifest: &Manifest) -> Result<Emulator, Error> {
    start_sandbox(&sandbox_dir(manifest)).await
}

/// The sandbox's folder beside the manifest: `.recallform` beside `recallform.yaml` (not
/// `./.recallform`, as messages name it).
fn sandbox_dir(manifest: &Manifest) -> PathBuf {
    manifest.path.with_file_name(".recallform")
}

/// The connection of a command that only reads Recall (`status`): the manifest's Recall, as
/// [`connect`] gives it, or with `sandbox` the in-process sandbox beside the manifest, as
/// [`Session::open`] starts it (no API key read). Keep the emulator it returns until the last
/// request, then shut it down.
pub async fn connect_reader(
    options: &Options,
    manifest: &Manifest,
    sandbox: bool,
) -> Result<(Connection, Option<Emulator>), Error> {
    if !sandbox {
        return Ok((connect(options, manifest)?, None));
    }
    if options.api_url_typed {
        return Err(Error::Usage(
            "`--sandbox` and `--api-url` name two different targets; use one".into(),
        ));
    }
    let emulator = open_sandbox(manifest).await?;
    let target = Target::sandbox(Url::parse(&emulator.url()).expect("the emulator's URL is valid"));
    let key = SecretString::new(SANDBOX_KEY.into());
    let client = manifest_client(options, manifest, &target, key)?;
    Ok((Connection { target, client }, Some(emulator)))
}
