//! What plan and apply share: from the command line to a computed plan.
//!
//! Order matters for safety: the manifest is validated and every credential resolved before
//! any request is sent, so bad input changes nothing and costs no API call.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::Global;
use crate::emulator::{self, Emulator};
use crate::error::Error;
use crate::lockfile::LockStore;
use crate::manifest::{self, Manifest, credentials};
use crate::model::{DesiredApp, RemoteApp, SecretString};
use crate::plan::{self, Plan};
use crate::recall::Client;
use crate::recall::target::{self, Target};
use crate::saved::{self, Basis, LockPosition};

/// The API key the in-process sandbox requires; not a secret.
const SANDBOX_KEY: &str = "sandbox";

/// Where a session's inputs are and which Recall it talks to.
pub struct Where<'a> {
    /// The manifest.
    pub manifest: &'a Path,
    /// The lockfile.
    pub lockfile: PathBuf,
    /// Whether to use the in-process sandbox.
    pub sandbox: bool,
}

impl<'a> Where<'a> {
    /// What the command line says.
    pub fn from_global(global: &'a Global, sandbox: bool) -> Where<'a> {
        Where {
            manifest: &global.manifest,
            lockfile: global.lockfile_path(),
            sandbox,
        }
    }
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
    /// The lockfile.
    pub lock: LockStore,
    /// Every app Recall has.
    pub remote: Vec<RemoteApp>,
    /// The plan.
    pub plan: Plan,
    /// Whether this is the in-process sandbox.
    pub is_sandbox: bool,
    /// The in-process emulator, kept alive for the session's length with `--sandbox`.
    sandbox: Option<Emulator>,
}

impl Session {
    /// Loads, resolves, lists and plans.
    pub async fn open(global: &Global, at: Where<'_>) -> Result<Session, Error> {
        let manifest_error = |diagnostics| Error::Manifest {
            file: at.manifest.display().to_string(),
            diagnostics,
        };
        let manifest = manifest::load(at.manifest).map_err(manifest_error)?;

        if at.sandbox && global.api_url_on_command_line {
            return Err(Error::Usage(
                "`--sandbox` and `--api-url` name two different targets; use one".into(),
            ));
        }
        let (desired, api_key) = resolve(&manifest, at.sandbox).map_err(manifest_error)?;

        let (target, sandbox) = if at.sandbox {
            let emulator = start_sandbox(&manifest).await?;
            let url = url::Url::parse(&emulator.url()).expect("the emulator's URL is valid");
            (Target::sandbox(url), Some(emulator))
        } else {
            let t = target::resolve(global.api_url.as_deref(), &manifest).map_err(Error::Usage)?;
            (t, None)
        };

        let lock = LockStore::open(&at.lockfile, &target.name)?;
        let key = api_key
            .clone()
            .unwrap_or_else(|| SecretString::new(SANDBOX_KEY.into()));
        let timeout = Duration::from_secs(global.timeout);
        let client = Arc::new(Client::new(target.api_url.clone(), key, timeout)?);
        let remote = client.list_apps(None).await?;
        let plan = plan::diff(&desired, lock.apps(), &remote);
        Ok(Session {
            manifest_path: at.manifest.to_path_buf(),
            manifest_sha256: manifest.sha256,
            desired,
            api_key,
            target,
            client,
            lock,
            remote,
            plan,
            is_sandbox: at.sandbox,
            sandbox,
        })
    }

    /// What this session's plan was computed from, with the given salt.
    pub fn basis(&self, salt: &str) -> Basis {
        let inputs = saved::inputs(&self.desired, self.api_key.as_ref());
        let lockfile = self
            .lock
            .position()
            .map(|(lineage, serial)| LockPosition { lineage, serial });
        saved::basis(&self.manifest_sha256, salt, &inputs, lockfile, &self.remote)
    }

    /// Stops the in-process sandbox, if any.
    pub async fn close(self) {
        if let Some(emulator) = self.sandbox {
            emulator.shutdown().await;
        }
    }
}

/// Resolves every credential, reporting every missing one at once.
fn resolve(
    manifest: &Manifest,
    sandbox: bool,
) -> Result<(Vec<DesiredApp>, Option<SecretString>), Vec<crate::diagnostic::Diagnostic>> {
    let env = credentials::process_env;
    let apps = credentials::resolve(manifest, &env);
    let api_key = if sandbox {
        Ok(None)
    } else {
        credentials::resolve_secret(manifest.dir(), &manifest.api_key, &env).map(Some)
    };
    match (apps, api_key) {
        (Ok(d), Ok(k)) => Ok((d, k)),
        (apps, key) => {
            let mut all: Vec<_> = key.err().into_iter().collect();
            all.extend(apps.err().unwrap_or_default());
            Err(all)
        }
    }
}

/// Starts the emulator on a free loopback port, with its state in `.recallform/sandbox.json`
/// beside the manifest.
async fn start_sandbox(manifest: &Manifest) -> Result<Emulator, Error> {
    let dir = manifest.dir().join(".recallform");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::Other(format!("cannot create `{}`: {e}", dir.display())))?;
    let config = emulator::Config {
        api_key: Some(SANDBOX_KEY.into()),
        state_file: Some(dir.join("sandbox.json")),
        ..emulator::Config::default()
    };
    Emulator::start(([127, 0, 0, 1], 0).into(), config)
        .await
        .map_err(|e| Error::Other(format!("cannot start the sandbox: {e}")))
}
