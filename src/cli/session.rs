//! What plan and apply share: from the command line to a computed plan.
//!
//! Order matters for safety: the manifest is validated and every credential resolved before
//! any request is sent, so bad input changes nothing and costs no API call.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use clap::Args;

use super::Global;
use crate::emulator::{self, Emulator};
use crate::error::Error;
use crate::lockfile::LockStore;
use crate::manifest::credentials;
use crate::model::{DesiredApp, RemoteApp, SecretString};
use crate::plan::{self, Guards, Plan};
use crate::recall::Client;
use crate::recall::target::{self, Target};
use crate::saved::{self, Basis, LockPosition};

/// The API key the in-process sandbox requires; not a secret.
const SANDBOX_KEY: &str = "sandbox";

/// Where a session's inputs are and which Recall it talks to.
pub struct Where {
    /// The manifest.
    pub manifest: PathBuf,
    /// The lockfile.
    pub lockfile: PathBuf,
    /// Whether to use the in-process sandbox.
    pub sandbox: bool,
}

impl Where {
    /// What the command line says.
    pub fn from_global(global: &Global, sandbox: bool) -> Where {
        Where {
            manifest: global.manifest.clone(),
            lockfile: global.lockfile_path(),
            sandbox,
        }
    }
}

/// The guard and scope options plan and apply share.
#[derive(Debug, Default, Args)]
pub struct GuardArgs {
    /// Allow deleting the Recall apps of entries removed from the manifest.
    #[arg(long)]
    pub allow_delete: bool,
    /// Allow replacing NAME (a new Recall ID and webhook URL) when its kind or client_id changed.
    #[arg(long, value_name = "NAME")]
    pub allow_replace: Vec<String>,
    /// Allow more deletes than `policy.max_deletes`.
    #[arg(long)]
    pub force: bool,
    /// Limit the plan to NAME (repeatable); the result is partial.
    #[arg(long, value_name = "NAME")]
    pub target: Vec<String>,
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
    pub warnings: Vec<crate::diagnostic::Diagnostic>,
    /// The in-process emulator, kept alive for the session's length with `--sandbox`.
    sandbox: Option<Emulator>,
    /// Where the in-process emulator keeps its state.
    sandbox_state: Option<PathBuf>,
}

impl Session {
    /// Loads, resolves, lists and plans.
    pub async fn open(
        global: &Global,
        at: Where,
        guard_args: &GuardArgs,
    ) -> Result<Session, Error> {
        let manifest = super::target::load_manifest(global, &at.manifest)?;

        if at.sandbox && global.api_url_on_command_line {
            return Err(Error::Usage(
                "`--sandbox` and `--api-url` name two different targets; use one".into(),
            ));
        }
        let credentials::Resolved {
            apps: desired,
            api_key,
        } = credentials::resolve(&manifest, &credentials::process_env, !at.sandbox)
            .map_err(|d| super::target::manifest_error(&at.manifest, d))?;

        // Beside `recallform.yaml` this is `.recallform`, as the messages name it, not
        // `./.recallform`.
        let sandbox_state = at
            .sandbox
            .then(|| manifest.path.with_file_name(".recallform"));
        let (target, sandbox) = if let Some(state) = &sandbox_state {
            let emulator = start_sandbox(state).await?;
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
        let client = Arc::new(super::target::client(global, &target, key)?);
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
            ("--target", &guard_args.target),
            ("--allow-replace", &guard_args.allow_replace),
        ] {
            if let Some(name) = names.iter().find(|n| !known.contains(n.as_str())) {
                return Err(Error::Usage(unknown_name(flag, name, &known)));
            }
        }
        let remote = client.list_apps(None).await?;
        let guards = Guards {
            allow_delete: guard_args.allow_delete || manifest.policy.allow_delete,
            allow_replace: guard_args.allow_replace.iter().cloned().collect(),
            max_deletes: manifest.policy.max_deletes,
            force: guard_args.force,
            targets: guard_args.target.iter().cloned().collect::<BTreeSet<_>>(),
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
            manifest_path: at.manifest,
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

/// Starts the emulator on a free loopback port, with its state in `sandbox.json` in `dir`.
async fn start_sandbox(dir: &Path) -> Result<Emulator, Error> {
    std::fs::create_dir_all(dir)
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
