//! The CI smoke test: `cargo test` runs the harness without `--bench`, and it runs every
//! scenario at N = 100 with the debug binary (about 25 s, most of it the rate-bound apply:
//! 100 creates at 293 a minute), asserting what does not depend on the machine: the exact
//! request counts and zero 429s, never timings. It prints the tables too.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::emulator::Stats;
use crate::report;
use crate::scenario::{self, Bound, Scale};
use crate::workspace::Step;

/// The test's name, for `cargo test`'s filters and `--list`.
const NAME: &str = "bench_harness_smoke";

/// Apps in every scenario.
const N: u64 = 100;

/// How long one command may take.
const DEADLINE: Duration = Duration::from_secs(180);

/// Runs the smoke test, following libtest's arguments as far as one test needs: `--list`,
/// name filters, `--skip FILTER`, `--ignored` (it is not).
pub fn main(args: &[String]) -> ExitCode {
    let mut filters = Vec::new();
    let mut skipped = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--list" => {
                println!("{NAME}: test");
                return ExitCode::SUCCESS;
            }
            "--ignored" => skipped = true,
            "--skip" => skipped |= args.next().is_some_and(|f| NAME.contains(f.as_str())),
            // Options of libtest's that take a value.
            "--test-threads" | "--format" | "--color" | "--logfile" | "-Z" => {
                args.next();
            }
            a if a.starts_with('-') => {}
            filter => filters.push(filter.to_string()),
        }
    }
    if skipped || !(filters.is_empty() || filters.iter().any(|f| NAME.contains(f.as_str()))) {
        println!("\nrunning 0 tests ({NAME} is filtered out)\n");
        return ExitCode::SUCCESS;
    }
    println!("\nrunning 1 test");
    let problems = match run() {
        Ok(problems) => problems,
        Err(e) => vec![format!("the harness could not run: {e}")],
    };
    if problems.is_empty() {
        println!("test {NAME} ... ok\n");
        ExitCode::SUCCESS
    } else {
        println!("test {NAME} ... FAILED\n");
        for p in &problems {
            eprintln!("error: {p}");
        }
        ExitCode::FAILURE
    }
}

/// Runs the scenarios and returns every count that is not what it should be.
fn run() -> std::io::Result<Vec<String>> {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_recallform"));
    let scale = scenario::scale(&bin, N, DEADLINE)?;
    let latency = scenario::latency(&bin, N, 1, DEADLINE)?;
    let rate = scenario::rate(&bin, N, DEADLINE)?;
    println!(
        "\n{}\n{}\n{}",
        report::scale(std::slice::from_ref(&scale)),
        report::latency(std::slice::from_ref(&latency)),
        report::rate(std::slice::from_ref(&rate))
    );
    let mut problems = Vec::new();
    check_scale(&scale, &mut problems);
    check_bound("latency-bound", &latency, &mut problems);
    check_creates(&latency, &mut problems);
    check_bound("rate-bound", &rate, &mut problems);
    Ok(problems)
}

/// The creates of the latency-bound scenario, as the emulator timed them, cannot take less
/// than `--parallelism` at a time allows: ceil(N / 16) rounds of the emulator's latency. A
/// floor, not a timing: less would mean more in flight than asked, or answers before the
/// latency was up.
fn check_creates(latency: &Bound, problems: &mut Vec<String>) {
    let rounds = latency.n.div_ceil(scenario::PARALLELISM);
    let floor = scenario::LATENCY * u32::try_from(rounds).unwrap_or(u32::MAX);
    match latency.creates {
        Some(took) if took >= floor => {}
        Some(took) => problems.push(format!(
            "latency-bound: the creates took {took:?}, less than {rounds} rounds of {:?}",
            scenario::LATENCY
        )),
        None => problems.push("latency-bound: the emulator's stats timed no write".into()),
    }
}

/// What N creates should send: one list of the empty workspace, one write each.
fn creates(n: u64) -> Stats {
    Stats {
        requests: 1 + n,
        list: 1,
        write: n,
        ..Stats::default()
    }
}

/// What a plan of N apps and no change should send: ceil(N / page) lists.
fn plan(n: u64) -> Stats {
    let lists = scenario::lists(n);
    Stats {
        requests: lists,
        list: lists,
        ..Stats::default()
    }
}

/// Checks that `step` ran, succeeded, and sent exactly `expected`.
fn check(what: &str, step: Option<&Step>, expected: Stats, problems: &mut Vec<String>) {
    match step {
        None => problems.push(format!("{what} did not run")),
        Some(s) if !s.ok() => problems.push(format!(
            "{what} failed: {}",
            s.error.as_deref().unwrap_or("(no error line)")
        )),
        Some(s) if s.sent != expected => problems.push(format!(
            "{what} sent {:?}\n  = expected {expected:?}",
            s.sent
        )),
        Some(_) => {}
    }
}

fn check_scale(scale: &Scale, problems: &mut Vec<String>) {
    let n = scale.n;
    check(
        "scale: validate",
        Some(&scale.validate),
        Stats::default(),
        problems,
    );
    check(
        &format!("scale: apply of {n} creates"),
        scale.apply.as_ref(),
        creates(n),
        problems,
    );
    match scale.apply.as_ref().map(|a| a.recorded) {
        Some(Some(r)) if r.results == n => {}
        Some(other) => problems.push(format!(
            "scale: apply -vv should have recorded {n} results, and said {other:?}"
        )),
        None => {}
    }
    check(
        &format!("scale: plan of {n} apps"),
        scale.plan.as_ref(),
        plan(n),
        problems,
    );
}

fn check_bound(what: &str, bound: &Bound, problems: &mut Vec<String>) {
    let n = bound.n;
    check(
        &format!("{what}: apply of {n} creates"),
        Some(&bound.apply),
        creates(n),
        problems,
    );
    if let Some(p) = &bound.plan {
        check(
            &format!("{what}: plan of {n} apps"),
            Some(p),
            plan(n),
            problems,
        );
    }
}
