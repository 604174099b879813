//! The scenarios of BENCHMARKS.md, each at one size in a workspace of its own, and the ideal
//! each figure is measured against.
//!
//! - [`scale`]: no latency, no rate limit on either side: what recallform itself costs
//!   (validate, apply of N creates, then plan), which should grow linearly.
//! - [`latency`]: 20 ms per request, no rate limit, `--parallelism 16`: apply should take the
//!   requests' latency divided by the parallelism.
//! - [`rate`]: Recall's documented limits on the emulator and recallform's default pacing:
//!   apply and plan should take the requests divided by the pacer's rates, with no 429.
//!
//! Not for: rendering the figures ([`crate::report`]).

use std::io;
use std::path::Path;
use std::time::Duration;

use recallform::recall::RateLimits;
use recallform::units::thousands;

use crate::workspace::{Step, Workspace};

/// Apps a list page holds in every scenario: Recall's page size.
pub const PAGE: u64 = 100;
/// The emulator's latency per request in [`latency`].
pub const LATENCY: Duration = Duration::from_millis(20);
/// Operations at once in [`latency`].
pub const PARALLELISM: u64 = 16;
/// The emulator's limits in [`rate`]: Recall's documented ones.
pub const RECALL_LIMITS: &str = "list=60/min,write=300/min";

/// The list calls a plan of `apps` apps needs: ceil(apps / page), and one for none.
pub fn lists(apps: u64) -> u64 {
    apps.div_ceil(PAGE).max(1)
}

/// The pacer's rates under Recall's documented limits, in requests a minute: (lists,
/// writes), as `recallform::recall::Limit::pace` sets them (57 and 293).
pub fn paces() -> (u32, u32) {
    let limits = RateLimits::default();
    let pace = |limit: recallform::recall::Limit| limit.pace().expect("a documented limit");
    (pace(limits.list), pace(limits.write))
}

/// The time `lists` list calls and `writes` writes take at the pacer's rates, counted as the
/// issue does: `writes / 293 + lists / 57` minutes.
pub fn at_pace(lists: u64, writes: u64) -> Duration {
    let (list, write) = paces();
    Duration::from_secs_f64(
        60.0 * (lists as f64 / f64::from(list) + writes as f64 / f64::from(write)),
    )
}

/// The time the pacer's schedule needs for them: its first request of each class goes at
/// once and each further one an interval (60 s / pace) after the one before, so
/// `(writes - 1) / 293 + (lists - 1) / 57` minutes (the lists come first, then the writes).
pub fn schedule(lists: u64, writes: u64) -> Duration {
    let (list, write) = paces();
    let interval = |per_minute: u32| Duration::from_secs(60) / per_minute;
    let gaps = |n: u64| u32::try_from(n.saturating_sub(1)).unwrap_or(u32::MAX);
    interval(list) * gaps(lists) + interval(write) * gaps(writes)
}

/// The latency-bound ideal of the whole apply: one list call, then `writes` creates
/// `PARALLELISM` at a time, each taking `LATENCY`: `LATENCY × (1 + writes / PARALLELISM)`.
pub fn latency_ideal(writes: u64) -> Duration {
    LATENCY + creates_ideal(writes)
}

/// The ideal of the creates themselves: `LATENCY × writes / PARALLELISM` (1.25 s for
/// 1,000).
pub fn creates_ideal(writes: u64) -> Duration {
    LATENCY.mul_f64(writes as f64 / PARALLELISM as f64)
}

/// The emulator's knobs in a scenario: `latency_ms` per request, `rate_limit`, and Recall's
/// page size.
fn knobs(latency_ms: u128, rate_limit: &str) -> Vec<String> {
    [
        "--latency",
        &latency_ms.to_string(),
        "--rate-limit",
        rate_limit,
        "--page-size",
        &PAGE.to_string(),
    ]
    .map(String::from)
    .to_vec()
}

/// [`scale`] at one size.
#[derive(Clone, Debug)]
pub struct Scale {
    /// Apps in the manifest.
    pub n: u64,
    /// The manifest's size in bytes.
    pub manifest_bytes: u64,
    /// `validate`.
    pub validate: Step,
    /// `apply --auto-approve -vv` of N creates (not run when validate failed).
    pub apply: Option<Step>,
    /// `plan` of no change (not run when apply failed).
    pub plan: Option<Step>,
}

/// [`latency`] or [`rate`] at one size.
#[derive(Clone, Debug)]
pub struct Bound {
    /// Apps in the manifest.
    pub n: u64,
    /// `apply --auto-approve` of N creates.
    pub apply: Step,
    /// `plan` of no change (not run when apply failed).
    pub plan: Option<Step>,
    /// Every run's apply time, in the order run, when it ran more than once.
    pub walls: Vec<Duration>,
    /// How long the creates took as the emulator saw them, from the first one's arrival to the
    /// last one's answer: the apply without recallform's start-up, manifest and plan (only
    /// [`latency`] measures it).
    pub creates: Option<Duration>,
}

/// Validate, apply of `n` creates and plan, with nothing slowing Recall down or holding
/// recallform back.
pub fn scale(bin: &Path, n: u64, deadline: Duration) -> io::Result<Scale> {
    let ws = Workspace::new(
        bin,
        format!("scale {}", thousands(n)),
        &knobs(0, "off"),
        deadline,
    )?;
    let manifest_bytes = ws.write_manifest(n as usize)?;
    let validate = ws.run("validate", &["validate"])?;
    let apply = validate
        .ok()
        .then(|| {
            ws.run(
                "apply",
                &["apply", "--auto-approve", "-vv", "--rate-limit", "off"],
            )
        })
        .transpose()?;
    let plan = then(&apply, || ws.run("plan", &["plan", "--rate-limit", "off"]))?;
    Ok(Scale {
        n,
        manifest_bytes,
        validate,
        apply,
        plan,
    })
}

/// Apply of `n` creates with [`LATENCY`] per request and no rate limit, [`PARALLELISM`] at
/// a time, `runs` times, each in a fresh workspace: the run of median time (a second and a
/// half on a shared machine is at the mercy of its neighbours), with every run's time.
pub fn latency(bin: &Path, n: u64, runs: usize, deadline: Duration) -> io::Result<Bound> {
    let parallelism = PARALLELISM.to_string();
    let mut applies = Vec::new();
    for run in 1..=runs.max(1) {
        let ws = Workspace::new(
            bin,
            format!("latency {}, run {run} of {runs}", thousands(n)),
            &knobs(LATENCY.as_millis(), "off"),
            deadline,
        )?;
        ws.write_manifest(n as usize)?;
        let apply = ws.run(
            "apply",
            &[
                "apply",
                "--auto-approve",
                "--rate-limit",
                "off",
                "--parallelism",
                &parallelism,
            ],
        )?;
        applies.push((apply, ws.writes_took()?));
    }
    let walls = applies.iter().map(|(a, _)| a.wall).collect();
    applies.sort_by_key(|(a, _)| (!a.ok(), a.wall));
    let (apply, creates) = applies.swap_remove(applies.len() / 2);
    Ok(Bound {
        n,
        apply,
        plan: None,
        walls,
        creates,
    })
}

/// Apply of `n` creates, then plan, against Recall's documented limits with recallform's
/// default pacing.
pub fn rate(bin: &Path, n: u64, deadline: Duration) -> io::Result<Bound> {
    let ws = Workspace::new(
        bin,
        format!("rate {}", thousands(n)),
        &knobs(0, RECALL_LIMITS),
        deadline,
    )?;
    ws.write_manifest(n as usize)?;
    let apply = ws.run("apply", &["apply", "--auto-approve"])?;
    let plan = then(&Some(apply.clone()), || ws.run("plan", &["plan"]))?;
    Ok(Bound {
        n,
        apply,
        plan,
        walls: Vec::new(),
        creates: None,
    })
}

/// Runs `next` when `step` ran and succeeded.
fn then(step: &Option<Step>, next: impl FnOnce() -> io::Result<Step>) -> io::Result<Option<Step>> {
    match step {
        Some(step) if step.ok() => next().map(Some),
        _ => Ok(None),
    }
}
