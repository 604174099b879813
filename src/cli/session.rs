//! What plan and apply share: from the command line to a computed plan.
//!
//! Order matters for safety: the manifest is validated and every credential resolved before
//! any request is sent, so bad input changes nothing and costs no API call.

use std::sync::Arc;

use super::Global;
use crate::emulator::{self, Emulator};
use crate::error::Error;
use crate::lockfile::LockStore;
use crate::manifest::{self, Manifest, credentials};
use crate::model::{DesiredApp, SecretString};
use crate::plan::{self, Plan};
use crate::recall::Client;
use crate::recall::target::{self, Target};

/// The API key the in-process sandbox requires; not a secret.
const SANDBOX_KEY: &str = "sandbox";

/// Everything a plan was computed from, ready for apply.
pub struct Session {
    /// Its apps with credentials resolved.
    pub desired: Vec<DesiredApp>,
    /// Which Recall.
    pub target: Target,
    /// The client for it.
    pub client: Arc<Client>,
    /// The lockfile.
    pub lock: LockStore,
    /// The plan.
    pub plan: Plan,
    /// The in-process emulator, kept alive for the session's length with `--sandbox`.
    pub sandbox: Option<Emulator>,
}

impl Session {
    /// Loads, resolves, lists and plans.
    pub async fn open(global: &Global, use_sandbox: bool) -> Result<Session, Error> {
        let manifest_error = |diagnostics| Error::Manifest {
            file: global.manifest.display().to_string(),
            diagnostics,
        };
        let manifest = manifest::load(&global.manifest).map_err(manifest_error)?;

        if use_sandbox && global.api_url_on_command_line {
            return Err(Error::Usage(
                "`--sandbox` and `--api-url` name two different targets; use one".into(),
            ));
        }
        let override_url = if use_sandbox {
            None
        } else {
            global.api_url.as_deref()
        };
        let env = credentials::process_env;

        // Resolve every credential first, so one run reports every missing one.
        let apps = credentials::resolve(&manifest, &env);
        let api_key = if use_sandbox {
            Ok(SecretString::new(SANDBOX_KEY.into()))
        } else {
            credentials::resolve_secret(manifest.dir(), &manifest.api_key, &env)
        };
        let (desired, api_key) = match (apps, api_key) {
            (Ok(d), Ok(k)) => (d, k),
            (apps, key) => {
                let mut all: Vec<_> = key.err().into_iter().collect();
                all.extend(apps.err().unwrap_or_default());
                return Err(manifest_error(all));
            }
        };

        let (target, sandbox) = if use_sandbox {
            let emulator = start_sandbox(&manifest).await?;
            let url = url::Url::parse(&emulator.url()).expect("the emulator's URL is valid");
            (Target::sandbox(url), Some(emulator))
        } else {
            let t = target::resolve(override_url, &manifest).map_err(Error::Usage)?;
            (t, None)
        };

        let lock = LockStore::open(&global.lockfile_path(), &target.name)?;
        let client = Arc::new(Client::new(
            target.api_url.clone(),
            api_key,
            std::time::Duration::from_secs(global.timeout),
        )?);
        let remote = client.list_apps(None).await?;
        let plan = plan::diff(&desired, lock.apps(), &remote);
        Ok(Session {
            desired,
            target,
            client,
            lock,
            plan,
            sandbox,
        })
    }

    /// Stops the in-process sandbox, if any.
    pub async fn close(self) {
        if let Some(emulator) = self.sandbox {
            emulator.shutdown().await;
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
