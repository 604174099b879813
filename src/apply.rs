//! Carrying out a plan: renames first, then every app's operation concurrently, each result
//! recorded the moment it is known: one fsynced line in the lockfile's journal, folded into the
//! lockfile once at the end (see [`crate::lockfile::journal`]), so recording stays O(1).
//!
//! `--parallelism` operations send requests at a time. Each frees its place once its last
//! request is answered, before it records the result, so that the next operation's request is
//! not held up behind the fsync (the result is still durable before it is reported). No more
//! than twice `--parallelism` operations are started and not yet recorded, however slow the
//! disk is next to Recall.
//!
//! The lockfile is shared behind a mutex, so it has one writer at a time, and an interrupted
//! apply loses at most the operations still in flight or answered and not yet recorded, twice
//! `--parallelism` at most (whose apps the next plan finds again by client ID). A replacement
//! that creates first records the old app as `deposed` before deleting it, so an interruption
//! between the two leaves a record the next plan cleans up.
//!
//! Not for: deciding what to do (that is `plan`), checking guards (the caller refuses a blocked
//! plan before calling this), or printing (the caller gets each result through a callback).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use crate::lockfile::{LockError, LockStore, LockedApp};
use crate::model::{self, DesiredApp, RemoteApp};
use crate::plan::{Action, Change, FieldChange, Plan};
use crate::recall::{Client, NewApp};

/// How one operation ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Done; the app is recorded as this (`None` when its record was removed).
    Done(Option<LockedApp>),
    /// Failed, for this reason.
    Failed(String),
    /// Never started, because the apply was interrupted.
    Skipped,
}

/// The result of one operation.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The app's name.
    pub name: String,
    /// What was attempted.
    pub action: Action,
    /// The Recall ID it had before (deletes, replacements).
    pub previous_id: Option<String>,
    /// The name its record had before a `moved` entry renamed it.
    pub moved_from: Option<String>,
    /// The record-only changes it carries (e.g. `protect: false -> true`).
    pub lockfile_changes: Vec<String>,
    /// For a delete: the app was already gone from Recall, so only its record went.
    pub already_gone: bool,
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

/// What an apply did.
#[derive(Debug)]
pub struct Report {
    /// Every operation's result, in the plan's order (by app name), whatever order they
    /// finished in: a reader finds an app where they expect it, and two runs compare line by
    /// line.
    pub outcomes: Vec<Outcome>,
    /// Set when the lockfile changed under the apply (it then started nothing more, because
    /// nothing more could be recorded), or when the journal could not be folded into it at the
    /// end (the records stay in the journal, which the next command folds).
    pub conflict: Option<LockError>,
}

/// How many operations ended how: the `Apply complete:` line and apply's JSON `summary`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    /// Operations that succeeded, of any action.
    pub done: usize,
    /// Apps created.
    pub created: usize,
    /// Apps adopted.
    pub adopted: usize,
    /// Apps whose secrets were sent again.
    pub updated: usize,
    /// Apps replaced by a new one.
    pub replaced: usize,
    /// Apps deleted (or whose record was dropped, when the app was already gone).
    pub deleted: usize,
    /// Records renamed by a `moved` entry (whatever else happened to the app).
    pub moved: usize,
    /// Records changed without a call to Recall, besides renames (e.g. `protect`).
    pub lockfile_only: usize,
    /// Operations that failed.
    pub failed: usize,
    /// Operations never started, because the apply was interrupted.
    pub skipped: usize,
}

impl Report {
    /// Counts the outcomes; each successful operation counts under its action.
    pub fn tally(&self) -> Tally {
        let mut t = Tally::default();
        for o in &self.outcomes {
            match o.status {
                Status::Failed(_) => t.failed += 1,
                Status::Skipped => t.skipped += 1,
                Status::Done(_) => {
                    t.done += 1;
                    if o.moved_from.is_some() {
                        t.moved += 1;
                    }
                    match o.action {
                        Action::Create => t.created += 1,
                        Action::Adopt => t.adopted += 1,
                        Action::Update => t.updated += 1,
                        Action::Replace => t.replaced += 1,
                        Action::Delete => t.deleted += 1,
                        Action::NoOp if !o.lockfile_changes.is_empty() => t.lockfile_only += 1,
                        Action::NoOp => {}
                    }
                }
            }
        }
        t
    }
}

/// What every task shares.
struct Shared {
    client: Arc<Client>,
    lock: Arc<Mutex<LockStore>>,
    public_base: String,
    stop: Arc<AtomicBool>,
    conflict: Mutex<Option<LockError>>,
}

impl Shared {
    /// Runs `edit` on the lockfile; a conflict stops the apply (nothing more could be recorded).
    fn record<T>(
        &self,
        edit: impl FnOnce(&mut LockStore) -> Result<T, LockError>,
    ) -> Result<T, String> {
        let mut lock = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        edit(&mut lock).map_err(|e| {
            let why = format!("recording it in the lockfile failed: {e}");
            if matches!(e, LockError::Conflict { .. }) {
                self.stop.store(true, Ordering::SeqCst);
                self.conflict
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get_or_insert(e);
            }
            why
        })
    }

    /// The record of `remote`, with the fingerprints of the secrets just sent (or known equal).
    /// It keeps the `deposed` IDs the current record has (another task may be deleting them),
    /// plus `also_deposed`.
    fn entry(&self, remote: &RemoteApp, app: &DesiredApp, also_deposed: Option<&str>) -> LockedApp {
        let lock = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut deposed = lock
            .apps()
            .get(&app.name)
            .map(|e| e.deposed.clone())
            .unwrap_or_default();
        deposed.extend(also_deposed.map(str::to_string));
        LockedApp {
            id: remote.id.clone(),
            kind: remote.kind.clone(),
            client_id: remote.client_id.clone(),
            created_at: remote.created_at.clone(),
            webhook_url: model::webhook_url(&self.public_base, &remote.id),
            secrets: [
                (
                    "client_secret".to_string(),
                    lock.fingerprint(app.client_secret.expose()),
                ),
                (
                    "webhook_secret".to_string(),
                    lock.fingerprint(app.webhook_secret.expose()),
                ),
            ]
            .into(),
            protect: app.protect,
            deposed,
        }
    }

    /// Drops `id` from `name`'s deposed IDs, once it is deleted.
    fn undepose(&self, name: &str, id: &str) -> Result<bool, String> {
        self.record(|l| l.edit(name, |entry| entry.deposed.retain(|d| d != id)))
    }
}

/// Carries out `plan`, calling `on_done` as each operation finishes (in completion order, for
/// progress). `desired` supplies the secrets that creates and updates send.
pub async fn apply(
    plan: &Plan,
    desired: &[DesiredApp],
    client: Arc<Client>,
    lock: Arc<Mutex<LockStore>>,
    options: &Options<'_>,
    mut on_done: impl FnMut(&Outcome),
) -> Report {
    let by_name: HashMap<&str, &DesiredApp> =
        desired.iter().map(|d| (d.name.as_str(), d)).collect();
    let shared = Arc::new(Shared {
        client,
        lock,
        public_base: options.public_base.to_string(),
        stop: options.stop.clone(),
        conflict: Mutex::new(None),
    });
    // Each result from now on is one fsynced append to the journal, whatever the lockfile's
    // size; a journal a crash left is folded first (the caller holds the apply lock).
    let begun = shared.record(LockStore::begin_journal);
    let mut outcomes = Vec::new();
    let mut finish = |o: Outcome| {
        on_done(&o);
        outcomes.push(o);
    };

    // Renames and other record-only changes first: the operations below record under the new
    // names. An app whose rename failed gets no operation: it would record under a name its
    // record does not have.
    let mut not_renamed = std::collections::HashSet::new();
    if let Err(why) = &begun {
        // Nothing can be recorded, so nothing is started.
        for c in plan.actionable() {
            finish(outcome(c, Status::Failed(why.clone())));
        }
        return finished(outcomes, &shared);
    }
    for c in plan.actionable() {
        if let Some(from) = &c.moved_from
            && let Err(why) = shared.record(|l| l.rename(from, &c.name))
        {
            finish(outcome(c, Status::Failed(why)));
            not_renamed.insert(c.name.as_str());
        }
    }

    let parallelism = options.parallelism.max(1);
    let limit = Arc::new(Semaphore::new(parallelism));
    let unrecorded = Arc::new(Semaphore::new(2 * parallelism));
    let mut tasks = JoinSet::new();
    for c in plan
        .actionable()
        .filter(|c| !not_renamed.contains(&c.name.as_str()))
    {
        let app = by_name.get(c.name.as_str()).map(|a| (*a).clone());
        let (c, shared) = (c.clone(), shared.clone());
        let (limit, unrecorded) = (limit.clone(), unrecorded.clone());
        tasks.spawn(async move {
            // Held until the result is recorded, when the task ends.
            let _unrecorded = unrecorded
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            let mut slot = Slot(Some(
                limit
                    .acquire_owned()
                    .await
                    .expect("the semaphore is never closed"),
            ));
            // Checked after waiting for a slot: an interrupt while queued starts nothing.
            if shared.stop.load(Ordering::SeqCst) {
                return outcome(&c, Status::Skipped);
            }
            let status = run(&c, app.as_ref(), &shared, &mut slot).await;
            outcome(&c, status)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        finish(joined.unwrap_or_else(|e| Outcome {
            name: "(unknown)".into(),
            action: Action::NoOp,
            previous_id: None,
            moved_from: None,
            lockfile_changes: Vec::new(),
            already_gone: false,
            status: Status::Failed(format!("the operation panicked: {e}")),
        }));
    }
    // The plan's changes are sorted by name (a deposed delete after its app's other change);
    // a stable sort on that position keeps this order, and puts what has no place last. The
    // positions are indexed by name first: an app has one or two changes, and looking each
    // outcome up among all of them would cost N² (issue 12).
    let mut places: HashMap<&str, Vec<(usize, &Change)>> = HashMap::new();
    for (i, c) in plan.actionable().enumerate() {
        places.entry(c.name.as_str()).or_default().push((i, c));
    }
    let position = |o: &Outcome| {
        places
            .get(o.name.as_str())
            .and_then(|cs| {
                cs.iter().find(|(_, c)| {
                    c.action == o.action && (o.previous_id.is_none() || o.previous_id == c.id)
                })
            })
            .map_or(usize::MAX, |(i, _)| *i)
    };
    outcomes.sort_by_cached_key(position);
    finished(outcomes, &shared)
}

/// Folds the journal into the lockfile (one write for the whole apply) and says what recording
/// cost the disk (at `-vv`, for benchmarks); a fold that fails is reported like a conflict,
/// with every record still safe in the journal.
fn finished(outcomes: Vec<Outcome>, shared: &Shared) -> Report {
    let fold = {
        let mut lock = shared.lock.lock().unwrap_or_else(|e| e.into_inner());
        let fold = lock.fold();
        let w = lock.written();
        tracing::debug!(
            "recorded {} results: {} bytes appended to the journal, {} bytes of lockfile written, {} bytes per result; {} bytes written to files in all",
            w.records,
            w.journal_bytes,
            w.lockfile_bytes,
            (w.journal_bytes + w.lockfile_bytes)
                .checked_div(w.records)
                .unwrap_or(0),
            crate::fsutil::bytes_written()
        );
        fold
    };
    let mut conflict = shared
        .conflict
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    if let Err(e) = fold
        && conflict.is_none()
    {
        conflict = Some(e);
    }
    Report { outcomes, conflict }
}

fn outcome(c: &Change, status: Status) -> Outcome {
    Outcome {
        name: c.name.clone(),
        action: c.action,
        previous_id: c
            .id
            .clone()
            .filter(|_| matches!(c.action, Action::Replace | Action::Delete)),
        moved_from: c.moved_from.clone(),
        lockfile_changes: c.lockfile_changes.clone(),
        already_gone: c.already_gone,
        status,
    }
}

/// An operation's place among the `--parallelism` that send requests at a time.
struct Slot(Option<OwnedSemaphorePermit>);

impl Slot {
    /// Gives the place to the next operation once this one's last request is answered, and
    /// lets that operation send its request before this one goes on to record its result.
    async fn free(&mut self) {
        if self.0.take().is_some() {
            tokio::task::yield_now().await;
        }
    }
}

/// One app's operation, from the first request to the last record.
async fn run(c: &Change, app: Option<&DesiredApp>, s: &Shared, slot: &mut Slot) -> Status {
    let result = match (c.action, app) {
        (Action::Delete, _) => delete(c, s, slot).await,
        (_, None) => Err(format!("`{}` is not in the manifest", c.name)),
        (Action::Create, Some(app)) => create(app, s, slot).await,
        (Action::Adopt | Action::Update, Some(app)) => update(c, app, s, slot).await,
        (Action::Replace, Some(app)) => replace(c, app, s, slot).await,
        (Action::NoOp, Some(app)) => refresh(c, app, s),
    };
    match result {
        Ok(entry) => Status::Done(entry),
        Err(why) => Status::Failed(why),
    }
}

async fn create(
    app: &DesiredApp,
    s: &Shared,
    slot: &mut Slot,
) -> Result<Option<LockedApp>, String> {
    let remote = create_remote(app, s).await?;
    slot.free().await;
    let entry = s.entry(&remote, app, None);
    record_new(s, &app.name, &entry)?;
    Ok(Some(entry))
}

async fn create_remote(app: &DesiredApp, s: &Shared) -> Result<RemoteApp, String> {
    s.client
        .create_app(&NewApp {
            kind: app.kind,
            client_id: &app.client_id,
            client_secret: &app.client_secret,
            webhook_secret: &app.webhook_secret,
        })
        .await
        .map_err(|e| e.to_string())
}

/// Records a just-created app; if that fails, says its ID so it is not lost with the lockfile.
fn record_new(s: &Shared, name: &str, entry: &LockedApp) -> Result<(), String> {
    s.record(|l| l.record(name, entry.clone()))
        .map(|_| ())
        .map_err(|why| {
            format!(
                "Recall has the app as `{}`, but {why}; the next plan adopts it by client_id",
                entry.id
            )
        })
}

/// Adopt and update: send the secrets that differ (if any), then record.
async fn update(
    c: &Change,
    app: &DesiredApp,
    s: &Shared,
    slot: &mut Slot,
) -> Result<Option<LockedApp>, String> {
    let id = c.id.as_deref().unwrap_or_default();
    let sends = |field: &str| {
        c.fields
            .iter()
            .any(|f| f.field == field && f.change != FieldChange::Unchanged)
    };
    let (client_secret, webhook_secret) = (sends("client_secret"), sends("webhook_secret"));
    let remote = if client_secret || webhook_secret {
        s.client
            .update_secrets(
                id,
                client_secret.then_some(&app.client_secret),
                webhook_secret.then_some(&app.webhook_secret),
            )
            .await
            .map_err(|e| e.to_string())?
    } else {
        RemoteApp {
            id: id.to_string(),
            kind: c.kind.clone(),
            client_id: c.client_id.clone(),
            created_at: c.created_at.clone().unwrap_or_default(),
            ..RemoteApp::default()
        }
    };
    slot.free().await;
    let entry = s.entry(&remote, app, None);
    s.record(|l| l.record(&app.name, entry.clone()))?;
    Ok(Some(entry))
}

/// A record-only change (protect copied from the manifest).
fn refresh(c: &Change, app: &DesiredApp, s: &Shared) -> Result<Option<LockedApp>, String> {
    let protect = app.protect;
    s.record(|l| l.edit(&c.name, |entry| entry.protect = protect))?;
    let lock = s.lock.lock().unwrap_or_else(|e| e.into_inner());
    Ok(lock.apps().get(&c.name).cloned())
}

/// Delete then create when the client ID stays (Recall may refuse two apps with one client ID);
/// otherwise create, record the old app as deposed, delete it, and record again.
async fn replace(
    c: &Change,
    app: &DesiredApp,
    s: &Shared,
    slot: &mut Slot,
) -> Result<Option<LockedApp>, String> {
    let old = c.id.clone().unwrap_or_default();
    let same_client_id = c
        .fields
        .iter()
        .any(|f| f.field == "client_id" && f.change == FieldChange::Unchanged);
    if same_client_id {
        s.client.delete_app(&old).await.map_err(|e| e.to_string())?;
        return create(app, s, slot).await;
    }
    // Recorded with the old app as deposed in one write, so no moment loses track of either.
    let remote = create_remote(app, s).await?;
    let new = s.entry(&remote, app, Some(&old));
    record_new(s, &app.name, &new)?;
    s.client.delete_app(&old).await.map_err(|e| {
        format!(
            "created `{}` and recorded it, but deleting the old app `{old}` failed: {e}; the next plan deletes it",
            new.id
        )
    })?;
    slot.free().await;
    s.undepose(&app.name, &old)?;
    let lock = s.lock.lock().unwrap_or_else(|e| e.into_inner());
    Ok(lock.apps().get(&app.name).cloned())
}

async fn delete(c: &Change, s: &Shared, slot: &mut Slot) -> Result<Option<LockedApp>, String> {
    let id = c.id.clone().unwrap_or_default();
    if !c.already_gone {
        // A 404 means it is already gone: what a delete wants.
        s.client.delete_app(&id).await.map_err(|e| e.to_string())?;
    }
    slot.free().await;
    if c.deposed {
        s.undepose(&c.name, &id)?;
    } else {
        s.record(|l| l.forget(&c.name))?;
    }
    Ok(None)
}
