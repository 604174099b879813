//! Which path is which app, and where each app's events go: built from the manifest (the
//! webhook secrets, `webhook.forward_from`) and the lockfile (the Recall webhook URLs), both
//! read through [`crate::session`] as every command reads them, and swapped whole on a reload.
//!
//! An app is served when the manifest has it (its Secret Token is there) and the lockfile
//! records it (its Recall webhook URL is there); it is served at `/zoom/<name>` and, when
//! `webhook.forward_from` is set, at that URL's path too. An app that only one of them has is
//! not served, and [`Routes::unserved`] says why.
//!
//! Not for: checking or forwarding requests.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use url::Url;

use crate::error::Error;
use crate::lockfile::LockStore;
use crate::manifest::ReadRules;
use crate::model::SecretString;
use crate::recall::Redactor;
use crate::recall::target::SANDBOX_NAME;
use crate::session;
use crate::webhook::probe;

/// Where the relay's configuration is read from.
#[derive(Clone, Debug)]
pub struct Source {
    /// The manifest.
    pub manifest: PathBuf,
    /// The lockfile.
    pub lockfile: PathBuf,
    /// What the manifest may read.
    pub rules: ReadRules,
    /// With a lockfile of the sandbox: the running sandbox, which serves the recorded
    /// (unreachable) `https://sandbox.recallform.invalid/...` URLs at its own address.
    pub sandbox: Option<Url>,
}

/// One app the relay serves.
#[derive(Debug)]
pub struct AppRoute {
    /// Its manifest name.
    pub name: String,
    /// Its Recall ID.
    pub recall_id: String,
    /// Where its events are forwarded: the Recall webhook URL the lockfile records (in the
    /// sandbox, where the sandbox serves it).
    pub recall_url: Url,
    /// The webhook URL as the lockfile records it, for messages.
    pub recorded_url: String,
    /// Its Secret Token, which signs Zoom's requests.
    pub secret: SecretString,
    /// The paths it is served at: `/zoom/<name>`, then the path of `webhook.forward_from`.
    pub paths: Vec<String>,
}

/// An app of the manifest or the lockfile that the relay does not serve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unserved {
    /// Its name.
    pub name: String,
    /// Why, as a message.
    pub why: String,
    /// What to do about it.
    pub hint: String,
}

/// Every app served, by path and by name.
#[derive(Debug, Default)]
pub struct Routes {
    by_path: BTreeMap<String, Arc<AppRoute>>,
    by_name: BTreeMap<String, Arc<AppRoute>>,
    /// The apps not served, and why.
    pub unserved: Vec<Unserved>,
}

impl Routes {
    /// The routes of `apps`; an error names a path two of them claim.
    pub fn new(apps: Vec<AppRoute>) -> Result<Routes, String> {
        let mut routes = Routes::default();
        for app in apps {
            let app = Arc::new(app);
            for path in &app.paths {
                if let Some(other) = routes.by_path.get(path) {
                    return Err(format!(
                        "the path `{path}` would serve both `{}` and `{}`\n  = hint: give each app a `webhook.forward_from` with a path of its own",
                        other.name, app.name
                    ));
                }
                routes.by_path.insert(path.clone(), app.clone());
            }
            routes.by_name.insert(app.name.clone(), app);
        }
        Ok(routes)
    }

    /// The app served at `path`.
    pub fn find(&self, path: &str) -> Option<&Arc<AppRoute>> {
        self.by_path.get(path)
    }

    /// The app named `name`, if it is served (the spool's worker delivers to it).
    pub fn app(&self, name: &str) -> Option<&Arc<AppRoute>> {
        self.by_name.get(name)
    }

    /// The apps served, by name.
    pub fn apps(&self) -> impl Iterator<Item = &Arc<AppRoute>> {
        self.by_name.values()
    }

    /// How many apps are served.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether no app is served.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

/// The routes in force; a reload replaces them whole, and a request keeps the ones it began
/// with.
#[derive(Debug)]
pub struct RouteTable(RwLock<Arc<Routes>>);

impl RouteTable {
    /// A table holding `routes`.
    pub fn new(routes: Routes) -> RouteTable {
        RouteTable(RwLock::new(Arc::new(routes)))
    }

    /// The routes in force.
    pub fn current(&self) -> Arc<Routes> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Puts `routes` in force.
    pub fn replace(&self, routes: Routes) -> Arc<Routes> {
        let routes = Arc::new(routes);
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = routes.clone();
        routes
    }
}

/// Reads the manifest, its secrets and the lockfile from `source`, and builds the routes.
/// `redactor` learns every secret read, so that no log line can show one.
pub fn load(source: &Source, redactor: &Redactor) -> Result<Routes, Error> {
    let manifest = session::load_manifest(&source.manifest, &source.rules)?;
    let apps = session::resolve_apps(&manifest)?;
    redactor.learn_all(
        apps.iter()
            .flat_map(|a| [&a.client_secret, &a.webhook_secret]),
    );
    let lock = open_lock(source)?;
    let mut served = Vec::new();
    let mut unserved = Vec::new();
    for spec in &manifest.apps {
        let app = apps
            .iter()
            .find(|a| a.name == spec.name)
            .expect("resolve_apps resolves every app of the manifest");
        let Some(record) = lock.apps().get(&spec.name) else {
            unserved.push(Unserved {
                name: spec.name.clone(),
                why: format!(
                    "`{}` is not recorded in the lockfile `{}`, so it has no Recall webhook URL to forward to",
                    spec.name,
                    lock.path().display()
                ),
                hint: "`recallform apply` creates it in Recall and records it; then reload the relay (SIGHUP)".into(),
            });
            continue;
        };
        let mut paths = vec![format!("/zoom/{}", spec.name)];
        if let Some(from) = &spec.forward_from
            && !paths.contains(&from.value.path().to_string())
        {
            paths.push(from.value.path().to_string());
        }
        served.push(AppRoute {
            name: spec.name.clone(),
            recall_id: record.id.clone(),
            recall_url: forward_url(&spec.name, &record.webhook_url, source.sandbox.as_ref())?,
            recorded_url: record.webhook_url.clone(),
            secret: app.webhook_secret.clone(),
            paths,
        });
    }
    let mut routes = Routes::new(served).map_err(Error::Other)?;
    routes.unserved = unserved;
    let in_manifest: std::collections::HashSet<&str> =
        manifest.apps.iter().map(|a| a.name.as_str()).collect();
    for name in lock.apps().keys() {
        if !in_manifest.contains(name.as_str()) {
            routes.unserved.push(Unserved {
                name: name.clone(),
                why: format!(
                    "`{name}` is recorded in the lockfile but not in the manifest, which holds its Secret Token"
                ),
                hint: "add it back to the manifest to serve it, or `recallform state rm` it".into(),
            });
        }
    }
    Ok(routes)
}

/// Whether the lockfile at `path` records apps of the sandbox (`--sandbox` is then implied).
pub fn lockfile_is_sandbox(path: &std::path::Path) -> Result<bool, Error> {
    Ok(LockStore::open_any(path)?.content().api_url == SANDBOX_NAME)
}

/// The lockfile, which must be the sandbox's with a sandbox, and must not be without one.
fn open_lock(source: &Source) -> Result<LockStore, Error> {
    if source.sandbox.is_some() {
        return Ok(LockStore::open(&source.lockfile, SANDBOX_NAME)?);
    }
    let lock = LockStore::open_any(&source.lockfile)?;
    if lock.content().api_url == SANDBOX_NAME {
        return Err(Error::Usage(format!(
            "the lockfile `{}` now records apps of the sandbox, which this relay was not started for\n  = hint: restart the relay, with `--sandbox`",
            source.lockfile.display()
        )));
    }
    Ok(lock)
}

/// Where the events of `name`, whose recorded webhook URL is `recorded`, are sent: the URL
/// itself once checked (a lockfile can be edited by hand, or in a pull request), or in the
/// sandbox the sandbox's address.
fn forward_url(name: &str, recorded: &str, sandbox: Option<&Url>) -> Result<Url, Error> {
    let checked = match sandbox {
        Some(base) => probe::sandbox_url(recorded, base)
            .ok_or_else(|| "is not a sandbox webhook URL".to_string()),
        None => probe::check_url(recorded),
    };
    checked.map_err(|why| {
        Error::Other(format!(
            "the webhook URL the lockfile records for `{name}`, `{recorded}`, {why}\n  = hint: the lockfile's `webhook_url` is written by apply and import: check how it changed (`git diff`)"
        ))
    })
}
