//! The benchmark of BENCHMARKS.md (issue 12): the real `recallform` binary, a child process per
//! command in a scratch folder, against `recallform sandbox serve` on 127.0.0.1 port 0 (a
//! child per scenario and size), with manifests it writes itself. Request counts come from
//! the emulator's `GET /_emulator/stats`, recording costs from `apply -vv`'s last line, peak
//! RSS from the kernel when each child is reaped.
//!
//! - `bench/run [--quick]`, which builds the release binary and runs this as `cargo bench`
//!   (`--bench` in the arguments): every scenario, the tables on stdout in Markdown, progress
//!   on stderr. `--quick` leaves out the rate-bound 10,000 (35 minutes) and the 100,000 cases.
//!   `--only scale|latency|rate` runs one scenario, `--sizes 100,1000` chooses the sizes.
//! - `cargo test` runs it without `--bench`: the CI smoke test, every scenario at N = 100 with
//!   the debug binary, asserting exact request counts and zero 429s, never timings.
//!
//! Not for: the request economy of every kind of change (tests/e2e/economy.rs), or the pacer's
//! schedule on a paused clock (src/recall/pace.rs).

mod child;
mod emulator;
mod machine;
mod manifest;
mod report;
mod scenario;
mod smoke;
mod workspace;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// The variable `bench/run` names the release binary in.
const BIN_ENV: &str = "RECALLFORM_BENCH_BIN";

/// How many times the latency-bound scenario runs; the median counts.
const LATENCY_RUNS: usize = 3;

/// How long one command of the benchmark may take: the rate-bound apply of 10,000 apps takes
/// 35 minutes.
const DEADLINE: Duration = Duration::from_secs(3 * 3600);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        return smoke::main(&args);
    }
    match Options::parse(&args) {
        Ok(options) => bench(&options),
        Err(e) => {
            eprintln!(
                "error: {e}\nusage: bench/run [--quick] [--only scale|latency|rate] [--sizes N,N...]"
            );
            ExitCode::from(64)
        }
    }
}

/// What `bench/run` was asked for.
struct Options {
    quick: bool,
    only: Option<String>,
    sizes: Option<Vec<u64>>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let mut options = Options {
            quick: false,
            only: None,
            sizes: None,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--bench" => {}
                "--quick" => options.quick = true,
                "--only" => {
                    let name = args.next().ok_or("`--only` needs a scenario")?;
                    if !["scale", "latency", "rate"].contains(&name.as_str()) {
                        return Err(format!("`{name}` is not `scale`, `latency` or `rate`"));
                    }
                    options.only = Some(name.clone());
                }
                "--sizes" => {
                    let list = args
                        .next()
                        .ok_or("`--sizes` needs a list such as `100,1000`")?;
                    let sizes = list
                        .split(',')
                        .map(|n| n.trim().replace('_', "").parse::<u64>())
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|_| {
                            format!("`{list}` is not a list of sizes such as `100,1000`")
                        })?;
                    options.sizes = Some(sizes);
                }
                other => return Err(format!("unexpected argument `{other}`")),
            }
        }
        Ok(options)
    }

    fn runs(&self, scenario: &str) -> bool {
        self.only.as_deref().is_none_or(|o| o == scenario)
    }

    /// The sizes of a scenario: `full`, less those above `quick_max` with `--quick`.
    fn sizes(&self, full: &[u64], quick_max: u64) -> Vec<u64> {
        match &self.sizes {
            Some(sizes) => sizes.clone(),
            None => full
                .iter()
                .copied()
                .filter(|n| !self.quick || *n <= quick_max)
                .collect(),
        }
    }
}

/// The binary to measure: the release build `bench/run` names, or else the one cargo built
/// for this run (with the test failpoints: say so).
fn binary() -> PathBuf {
    match std::env::var_os(BIN_ENV) {
        Some(bin) => PathBuf::from(bin),
        None => {
            eprintln!(
                "warning: `{BIN_ENV}` is not set: measuring cargo's own build of recallform, with its test failpoints\n  = hint: run `bench/run`, which builds the release binary and names it"
            );
            PathBuf::from(env!("CARGO_BIN_EXE_recallform"))
        }
    }
}

fn bench(options: &Options) -> ExitCode {
    let bin = binary();
    let print = |text: &str| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    };
    print(&format!("## Machine\n\n{}", machine::describe(&bin)));
    let result = (|| -> std::io::Result<()> {
        if options.runs("scale") {
            let mut rows = Vec::new();
            for n in options.sizes(&[100, 1_000, 10_000, 100_000], 10_000) {
                rows.push(scenario::scale(&bin, n, DEADLINE)?);
            }
            print(&format!(
                "## Scale\n\nThe emulator with no latency and no rate limit, {} apps a page; \
                 recallform with `--rate-limit off` and the default `--parallelism 4`. Each \
                 cell is measured / ideal = ratio.\n\n{}",
                scenario::PAGE,
                report::scale(&rows)
            ));
        }
        if options.runs("latency") {
            let mut rows = Vec::new();
            for n in options.sizes(&[1_000], 1_000) {
                rows.push(scenario::latency(&bin, n, LATENCY_RUNS, DEADLINE)?);
            }
            print(&format!(
                "## Latency-bound\n\nThe emulator answering each request after {} ms, with no \
                 rate limit; recallform with `--rate-limit off --parallelism {}`.\n\n{}",
                scenario::LATENCY.as_millis(),
                scenario::PARALLELISM,
                report::latency(&rows)
            ));
        }
        if options.runs("rate") {
            let mut rows = Vec::new();
            for n in options.sizes(&[100, 1_000, 10_000], 1_000) {
                rows.push(scenario::rate(&bin, n, DEADLINE)?);
            }
            print(&format!(
                "## Rate-bound\n\nThe emulator at Recall's documented limits \
                 (`--rate-limit {}`, in any 60 s), {} apps a page; recallform with its default \
                 pacing and `--parallelism 4`.\n\n{}",
                scenario::RECALL_LIMITS,
                scenario::PAGE,
                report::rate(&rows)
            ));
        }
        Ok(())
    })();
    print(&format!(
        "Load average at the end: {}. The harness's own peak RSS: {:.1} MiB (Linux counts a \
         child's peak RSS from its parent's, so no figure above can be below it).",
        machine::load(),
        child::own_peak_rss() as f64 / f64::from(1 << 20)
    ));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: the benchmark could not run: {e}");
            ExitCode::FAILURE
        }
    }
}
