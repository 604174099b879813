//! The machine a run measured, as BENCHMARKS.md states it: CPUs, memory, OS, compiler, and
//! the build of recallform measured, and when.

use std::path::Path;
use std::process::Command;

/// A Markdown list describing this machine and `bin`.
pub fn describe(bin: &Path) -> String {
    let cpuinfo = read("/proc/cpuinfo");
    let cpu = field(&cpuinfo, "model name", ':').unwrap_or_else(|| "unknown".into());
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let ram = field(&read("/proc/meminfo"), "MemTotal", ':')
        .and_then(|v| v.trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or_else(
            || "unknown".into(),
            |kib| format!("{:.1} GiB", kib as f64 / f64::from(1 << 20)),
        );
    let os = field(&read("/etc/os-release"), "PRETTY_NAME", '=')
        .map(|v| v.trim_matches('"').to_string())
        .unwrap_or_else(|| "unknown".into());
    let kernel = read("/proc/sys/kernel/osrelease");
    let output = |program: &Path, args: &[&str]| -> String {
        Command::new(program)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_else(|| "unknown".into())
    };
    format!(
        "- CPU: {cpu}, {cpus} CPUs (`nproc`)\n\
         - RAM: {ram}\n\
         - OS: {os}, Linux {kernel}\n\
         - {rustc}\n\
         - measured: {version}, `{bin}`\n\
         - harness: commit {commit}, run at {now} UTC\n\
         - load average at the start: {load}\n",
        kernel = kernel.trim(),
        rustc = output(Path::new("rustc"), &["--version"]),
        version = output(bin, &["--version"]),
        commit = output(Path::new("git"), &["describe", "--always", "--dirty"]),
        bin = bin.display(),
        // To the second: `2026-12-02T02:40:00`.
        now = &recallform::time::now_rfc3339()[..19],
        load = load(),
    )
}

/// The load averages over 1, 5 and 15 minutes: others' work on the machine shows here.
pub fn load() -> String {
    let loadavg = read("/proc/loadavg");
    let fields: Vec<&str> = loadavg.split_whitespace().take(3).collect();
    format!("{} (1, 5, 15 min)", fields.join(" "))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The value of the first `key SEP value` line.
fn field(text: &str, key: &str, sep: char) -> Option<String> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once(sep)?;
        (k.trim() == key).then(|| v.trim().to_string())
    })
}
