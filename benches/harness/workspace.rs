//! One scenario at one size: a scratch folder, its own emulator, and recallform commands run
//! in it as child processes, each measured (time, peak RSS, the requests it sent, and what
//! `apply -vv` says recording cost).
//!
//! Not for: which commands a scenario runs (that is [`crate::scenario`]).

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use recallform::units::thousands;

use crate::child;
use crate::emulator::{API_KEY, Emulator, Stats};
use crate::manifest::{self, SECRET_ENV};
use crate::report::duration;

/// A manifest cap for every child, above the 100,000-app manifest: the variable of
/// `--max-manifest-bytes` (harmless to a build without it).
const MAX_MANIFEST_BYTES: (&str, &str) = ("RECALLFORM_MAX_MANIFEST_BYTES", "128MiB");

/// What `apply -vv` says recording its results cost the disk (its last line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// Results recorded.
    pub results: u64,
    /// Bytes appended to the journal.
    pub journal_bytes: u64,
    /// Bytes of lockfile written.
    pub lockfile_bytes: u64,
    /// Journal and lockfile bytes per result.
    pub per_result: u64,
    /// Bytes written to any file.
    pub total_bytes: u64,
}

/// One command's run.
#[derive(Clone, Debug)]
pub struct Step {
    /// Its exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    /// Its wall time, from spawning to reaping.
    pub wall: Duration,
    /// Its peak resident set, in bytes.
    pub peak_rss: u64,
    /// Its CPU time, user and system.
    pub cpu: Duration,
    /// The emulator's CPU time meanwhile.
    pub emulator_cpu: Duration,
    /// The requests the emulator received meanwhile.
    pub sent: Stats,
    /// What recording cost, when it said so (`apply -vv`).
    pub recorded: Option<Recorded>,
    /// When it failed: its first error line, or its last line.
    pub error: Option<String>,
}

impl Step {
    /// Whether it exited 0.
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }
}

/// A scratch folder with a manifest, and an emulator for it.
pub struct Workspace {
    dir: tempfile::TempDir,
    bin: PathBuf,
    emulator: Emulator,
    /// For progress lines: `scale 1,000`.
    label: String,
    /// How long one command may take before it is killed.
    deadline: Duration,
    started: Instant,
}

impl Workspace {
    /// A workspace whose emulator has `knobs`, for commands run by `bin`.
    pub fn new(
        bin: &Path,
        label: String,
        knobs: &[String],
        deadline: Duration,
    ) -> io::Result<Self> {
        Ok(Workspace {
            dir: tempfile::tempdir()?,
            bin: bin.to_path_buf(),
            emulator: Emulator::start(bin, knobs)?,
            label,
            deadline,
            started: Instant::now(),
        })
    }

    /// How long the writes took, as its emulator saw them (see [`Emulator::writes_took`]).
    pub fn writes_took(&self) -> io::Result<Option<Duration>> {
        self.emulator.writes_took()
    }

    /// Writes `recallform.yaml` with `n` apps and returns its size in bytes.
    pub fn write_manifest(&self, n: usize) -> io::Result<u64> {
        let path = self.dir.path().join("recallform.yaml");
        let mut out = io::BufWriter::new(File::create(&path)?);
        manifest::write(n, &mut out)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        Ok(std::fs::metadata(&path)?.len())
    }

    /// Runs `recallform ARGS` (aimed at the emulator unless it is `validate`), its output in
    /// `NAME.stdout` and `NAME.stderr`, and says how it went on stderr.
    pub fn run(&self, name: &str, args: &[&str]) -> io::Result<Step> {
        let out = |ext: &str| File::create(self.dir.path().join(format!("{name}.{ext}")));
        let mut cmd = Command::new(&self.bin);
        cmd.args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("RECALL_API_KEY", API_KEY)
            .envs(SECRET_ENV)
            .env(MAX_MANIFEST_BYTES.0, MAX_MANIFEST_BYTES.1)
            .stdin(Stdio::null())
            .stdout(out("stdout")?)
            .stderr(out("stderr")?);
        if args.first() != Some(&"validate") {
            cmd.arg("--api-url").arg(&self.emulator.url);
        }
        let before = self.emulator.stats()?;
        let cpu_before = self.emulator.cpu();
        let what = format!("[{}] {name}", self.label);
        eprintln!("{what} ...");
        let finished = child::run(&mut cmd, self.deadline, &mut |so_far| {
            if let Ok(now) = self.emulator.stats() {
                let d = now - before;
                eprintln!(
                    "{what}: {} so far, {} lists, {} writes, {} 429s",
                    duration(so_far),
                    thousands(d.list),
                    thousands(d.write),
                    d.throttled
                );
            }
        })?;
        let sent = self.emulator.stats()? - before;
        let emulator_cpu = self.emulator.cpu().saturating_sub(cpu_before);
        let (error, recorded) = read_stderr(&self.dir.path().join(format!("{name}.stderr")))?;
        let step = Step {
            code: finished.status.code(),
            wall: finished.wall,
            peak_rss: finished.peak_rss,
            cpu: finished.cpu,
            emulator_cpu,
            sent,
            recorded,
            error: (!finished.status.success())
                .then(|| error.unwrap_or_else(|| format!("{} and said nothing", finished.status))),
        };
        eprintln!(
            "{what}: {} in {} ({} CPU, the emulator {}; {} in all), peak RSS {} MiB; {} lists, {} writes, {} retrieves, {} other, {} 429s{}",
            match &step.error {
                None => "done".to_string(),
                Some(e) => format!("FAILED ({})", e),
            },
            duration(step.wall),
            duration(step.cpu),
            duration(step.emulator_cpu),
            duration(self.started.elapsed()),
            step.peak_rss / (1 << 20),
            thousands(sent.list),
            thousands(sent.write),
            thousands(sent.retrieve),
            thousands(sent.other + sent.webhook),
            sent.throttled,
            step.recorded
                .map(|r| format!("; {} bytes per recorded result", r.per_result))
                .unwrap_or_default(),
        );
        Ok(step)
    }
}

/// The first error line (else the last line) and the recording line of a command's stderr,
/// read a line at a time: `apply -vv` of 100,000 apps says a lot.
fn read_stderr(path: &Path) -> io::Result<(Option<String>, Option<Recorded>)> {
    let (mut error, mut last, mut recorded) = (None, None, None);
    for line in BufReader::new(File::open(path)?).lines() {
        let line = line?;
        if line.contains("bytes per result") {
            recorded = recorded_line(&line).or(recorded);
        }
        if error.is_none() && line.starts_with("error") {
            error = Some(line.clone());
        }
        if !line.trim().is_empty() {
            last = Some(line);
        }
    }
    Ok((error.or(last), recorded))
}

/// Reads "recorded N results: J bytes appended to the journal, L bytes of lockfile written,
/// P bytes per result; T bytes written to files in all".
fn recorded_line(line: &str) -> Option<Recorded> {
    let rest = &line[line.find("recorded ")? + "recorded ".len()..];
    let numbers: Vec<u64> = rest
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    match numbers[..] {
        [
            results,
            journal_bytes,
            lockfile_bytes,
            per_result,
            total_bytes,
        ] => Some(Recorded {
            results,
            journal_bytes,
            lockfile_bytes,
            per_result,
            total_bytes,
        }),
        _ => None,
    }
}
