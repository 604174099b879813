//! Carrying out a plan: creates run concurrently, adoptions need no call, and every success is
//! written to the lockfile the moment it is known.
//!
//! Results are recorded one at a time by the task that collects them, so the lockfile has a
//! single writer, and an interrupted apply loses at most the operations still in flight (whose
//! apps the next plan finds again by client ID).
//!
//! Not for: deciding what to do (that is `plan`) or printing (the caller gets each result
//! through a callback).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::lockfile::{LockError, LockStore, LockedApp};
use crate::model::{self, DesiredApp, RemoteApp};
use crate::plan::{Action, Change, Plan};
use crate::recall::{Client, NewApp};

/// How one operation ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Done, and recorded in the lockfile as this.
    Done(LockedApp),
    /// Failed, for this reason.
    Failed(String),
    /// Never started, because the apply was interrupted.
    Skipped,
}

/// The result of one operation.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The app's manifest name.
    pub name: String,
    /// What was attempted.
    pub action: Action,
    /// How it ended.
    pub status: Status,
}

/// How to run an apply.
pub struct Options<'a> {
    /// The base of the webhook URLs recorded for each app.
    pub public_base: &'a str,
    /// At most this many requests in flight.
    pub parallelism: usize,
    /// Once set, no operation starts; those in flight finish and are recorded.
    pub stop: Arc<AtomicBool>,
}

/// What an operation produced, before it is recorded: `Err(None)` means it never started.
type Produced = Result<RemoteApp, Option<String>>;

/// What an apply did.
#[derive(Debug)]
pub struct Report {
    /// Every operation's result, in the order they finished.
    pub outcomes: Vec<Outcome>,
    /// Set when the lockfile changed under the apply: it then started nothing more, because
    /// nothing more could be recorded.
    pub conflict: Option<LockError>,
}

/// Carries out `plan`, calling `on_done` as each operation finishes. `desired` supplies the
/// secrets that creates send.
pub async fn apply(
    plan: &Plan,
    desired: &[DesiredApp],
    client: Arc<Client>,
    lock: &mut LockStore,
    options: &Options<'_>,
    mut on_done: impl FnMut(&Outcome),
) -> Report {
    let by_name: HashMap<&str, &DesiredApp> =
        desired.iter().map(|d| (d.name.as_str(), d)).collect();
    let limit = Arc::new(Semaphore::new(options.parallelism.max(1)));
    let mut tasks = JoinSet::new();
    let mut outcomes = Vec::new();
    let mut conflict = None;
    let mut finish = |name: String, action, produced: Produced, lock: &mut LockStore| {
        let (outcome, error) = record(lock, options.public_base, name, action, produced);
        if let Some(e @ LockError::Conflict { .. }) = error {
            options.stop.store(true, Ordering::SeqCst);
            conflict.get_or_insert(e);
        }
        on_done(&outcome);
        outcomes.push(outcome);
    };

    for change in plan.actionable() {
        let stopped = || options.stop.load(Ordering::SeqCst);
        match change.action {
            Action::Adopt => {
                let produced = if stopped() {
                    Err(None)
                } else {
                    Ok(adopted(change))
                };
                finish(change.name.clone(), Action::Adopt, produced, lock);
            }
            Action::Create => {
                let Some(app) = by_name.get(change.name.as_str()) else {
                    let why = "the app is not in the manifest".to_string();
                    finish(change.name.clone(), Action::Create, Err(Some(why)), lock);
                    continue;
                };
                let app = (*app).clone();
                let client = client.clone();
                let limit = limit.clone();
                let stop = options.stop.clone();
                tasks.spawn(async move {
                    let _permit = limit
                        .acquire_owned()
                        .await
                        .expect("the semaphore is never closed");
                    // Checked after waiting for a slot: an interrupt while queued starts nothing.
                    if stop.load(Ordering::SeqCst) {
                        return (app.name, Err(None));
                    }
                    let produced = create(&client, &app).await.map_err(Some);
                    (app.name, produced)
                });
            }
            Action::NoOp => {}
        }
    }

    while let Some(joined) = tasks.join_next().await {
        let (name, produced) = joined.unwrap_or_else(|e| {
            let why = format!("the operation panicked: {e}");
            ("(unknown)".to_string(), Err(Some(why)))
        });
        finish(name, Action::Create, produced, lock);
    }
    Report { outcomes, conflict }
}

async fn create(client: &Client, app: &DesiredApp) -> Result<RemoteApp, String> {
    client
        .create_app(&NewApp {
            kind: app.kind,
            client_id: &app.client_id,
            client_secret: &app.client_secret,
            webhook_secret: &app.webhook_secret,
        })
        .await
        .map_err(|e| e.to_string())
}

/// The app an adoption records, from what the plan saw in Recall.
fn adopted(change: &Change) -> RemoteApp {
    RemoteApp {
        id: change.id.clone().unwrap_or_default(),
        kind: change.kind.as_str().to_string(),
        client_id: change.client_id.clone(),
        created_at: change.created_at.clone().unwrap_or_default(),
        ..RemoteApp::default()
    }
}

/// Records a finished operation in the lockfile; a lockfile error comes back beside the outcome.
fn record(
    lock: &mut LockStore,
    public_base: &str,
    name: String,
    action: Action,
    produced: Produced,
) -> (Outcome, Option<LockError>) {
    let mut error = None;
    let status = match produced {
        Err(None) => Status::Skipped,
        Err(Some(why)) => Status::Failed(why),
        Ok(remote) => {
            let locked = LockedApp {
                webhook_url: model::webhook_url(public_base, &remote.id),
                id: remote.id,
                kind: remote.kind,
                client_id: remote.client_id,
                created_at: remote.created_at,
                ..LockedApp::default()
            };
            match lock.record(&name, locked.clone()) {
                Ok(_) => Status::Done(locked),
                // The app exists in Recall now; say its ID so it is not lost with the lockfile.
                Err(e) => {
                    let why = format!(
                        "Recall has the app as `{}`, but recording it failed: {e}; the next plan will adopt it by client_id",
                        locked.id
                    );
                    error = Some(e);
                    Status::Failed(why)
                }
            }
        }
    };
    let outcome = Outcome {
        name,
        action,
        status,
    };
    (outcome, error)
}
