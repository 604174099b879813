//! Carrying out a plan: creates run concurrently, adoptions need no call, and every success is
//! written to the lockfile the moment it is known.
//!
//! Results are recorded one at a time by the task that collects them, so the lockfile has a
//! single writer and an interrupted apply loses at most the operations still in flight.
//!
//! Not for: deciding what to do (that is `plan`) or printing (the caller gets each result
//! through a callback).

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::lockfile::{LockStore, LockedApp};
use crate::model::{self, DesiredApp, RemoteApp};
use crate::plan::{Action, Change, Plan};
use crate::recall::{Client, NewApp};

/// The result of one operation.
#[derive(Debug)]
pub struct Outcome {
    /// The app's manifest name.
    pub name: String,
    /// What was attempted.
    pub action: Action,
    /// What was recorded, or why it failed.
    pub result: Result<LockedApp, String>,
}

/// Carries out `plan` with at most `parallelism` requests in flight, calling `on_done` as each
/// operation finishes. `desired` supplies the secrets that creates send.
pub async fn apply(
    plan: &Plan,
    desired: &[DesiredApp],
    client: Arc<Client>,
    lock: &mut LockStore,
    public_base: &str,
    parallelism: usize,
    mut on_done: impl FnMut(&Outcome),
) -> Vec<Outcome> {
    let by_name: HashMap<&str, &DesiredApp> =
        desired.iter().map(|d| (d.name.as_str(), d)).collect();
    let limit = Arc::new(Semaphore::new(parallelism.max(1)));
    let mut tasks = JoinSet::new();
    let mut outcomes = Vec::new();
    let mut finish = |outcome: Outcome, outcomes: &mut Vec<Outcome>| {
        on_done(&outcome);
        outcomes.push(outcome);
    };

    for change in plan.actionable() {
        match change.action {
            Action::Adopt => {
                let remote = adopted(change);
                let outcome = record(
                    lock,
                    public_base,
                    change.name.clone(),
                    Action::Adopt,
                    Ok(remote),
                );
                finish(outcome, &mut outcomes);
            }
            Action::Create => {
                let Some(app) = by_name.get(change.name.as_str()) else {
                    let outcome = Outcome {
                        name: change.name.clone(),
                        action: Action::Create,
                        result: Err("the app is not in the manifest".into()),
                    };
                    finish(outcome, &mut outcomes);
                    continue;
                };
                let app = (*app).clone();
                let client = client.clone();
                let limit = limit.clone();
                tasks.spawn(async move {
                    let _permit = limit
                        .acquire_owned()
                        .await
                        .expect("the semaphore is never closed");
                    let result = create(&client, &app).await;
                    (app.name, result)
                });
            }
            Action::NoOp => {}
        }
    }

    while let Some(joined) = tasks.join_next().await {
        let (name, result) = match joined {
            Ok(r) => r,
            Err(e) => (
                String::from("(unknown)"),
                Err(format!("the operation panicked: {e}")),
            ),
        };
        let outcome = record(lock, public_base, name, Action::Create, result);
        finish(outcome, &mut outcomes);
    }
    outcomes
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
        webhook_last_validation: None,
    }
}

fn record(
    lock: &mut LockStore,
    public_base: &str,
    name: String,
    action: Action,
    result: Result<RemoteApp, String>,
) -> Outcome {
    let result = result.and_then(|remote| {
        let locked = LockedApp {
            webhook_url: model::webhook_url(public_base, &remote.id),
            id: remote.id,
            kind: remote.kind,
            client_id: remote.client_id,
            created_at: remote.created_at,
        };
        match lock.record(&name, locked.clone()) {
            Ok(_) => Ok(locked),
            // The app exists in Recall now; say its ID so it is not lost with the lockfile.
            Err(e) => Err(format!(
                "Recall has the app as `{}`, but recording it failed: {e}; the next plan will adopt it by client_id",
                locked.id
            )),
        }
    });
    Outcome {
        name,
        action,
        result,
    }
}
