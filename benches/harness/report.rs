//! The figures as Markdown tables ready for BENCHMARKS.md: each cell is `measured / ideal =
//! ratio`, and each table says what its ideals are.
//!
//! Not for: measuring (that is [`crate::workspace`]) or choosing the ideals
//! ([`crate::scenario`] computes them).

use std::fmt::Write;
use std::time::Duration;

use crate::scenario::{self, Bound, Scale};
use crate::workspace::Step;
use recallform::units::thousands;

/// A duration as people read it: `523 ms`, `20.31 s`, `2,046.3 s (34m06s)`.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 {
        format!("{} ms", d.as_millis())
    } else if s < 100.0 {
        format!("{s:.2} s")
    } else {
        let tenths = (s * 10.0).round() as u64;
        format!(
            "{}.{} s ({}m{:02}s)",
            thousands(tenths / 10),
            tenths % 10,
            d.as_secs() / 60,
            d.as_secs() % 60
        )
    }
}

/// Bytes as `8.9 MiB` or `548 KiB`.
fn size(bytes: f64) -> String {
    if bytes >= f64::from(1 << 20) {
        format!("{:.1} MiB", bytes / f64::from(1 << 20))
    } else {
        format!("{:.0} KiB", bytes / 1024.0)
    }
}

/// `measured / ideal = ratio`, with the ratio to `places` decimals; an ideal of zero has no
/// ratio.
fn cell(measured: String, ideal: String, ratio: Option<f64>, places: usize) -> String {
    match ratio {
        Some(r) if r.is_finite() => format!("{measured} / {ideal} = {r:.places$}"),
        _ => format!("{measured} / {ideal}"),
    }
}

/// A count against its exact ideal.
fn count(measured: u64, ideal: u64) -> String {
    cell(
        thousands(measured),
        thousands(ideal),
        (ideal > 0).then(|| measured as f64 / ideal as f64),
        2,
    )
}

/// A time against its ideal, to `places` decimals.
fn time(measured: Duration, ideal: Duration, places: usize) -> String {
    cell(
        duration(measured),
        duration(ideal),
        (!ideal.is_zero()).then(|| measured.as_secs_f64() / ideal.as_secs_f64()),
        places,
    )
}

/// A figure of each size against linear growth from the size before: the ideal of a row is
/// the row above's figure times the ratio of their sizes. The first row is the base.
fn linear(rows: &[(u64, Option<f64>)], show: impl Fn(f64) -> String) -> Vec<String> {
    let mut cells = Vec::new();
    let mut above: Option<(u64, f64)> = None;
    for &(n, value) in rows {
        cells.push(match (value, above) {
            (None, _) => "—".to_string(),
            (Some(v), None) => show(v),
            (Some(v), Some((n0, v0))) => {
                let ideal = v0 * n as f64 / n0 as f64;
                cell(show(v), show(ideal), Some(v / ideal), 2)
            }
        });
        above = value.map(|v| (n, v)).or(above);
    }
    cells
}

/// A table's row, its cells joined by pipes (a pipe inside a cell escaped).
fn row(out: &mut String, cells: &[String]) {
    let cells: Vec<String> = cells.iter().map(|c| c.replace('|', "\\|")).collect();
    let _ = writeln!(out, "| {} |", cells.join(" | "));
}

/// A table's head: the titles, and `---:` under the first (the sizes) and `---` under the rest.
fn head(out: &mut String, titles: &[&str]) {
    let titles: Vec<String> = titles.iter().map(|t| t.to_string()).collect();
    row(out, &titles);
    let rule: Vec<String> = (0..titles.len())
        .map(|i| if i == 0 { "---:" } else { "---" }.to_string())
        .collect();
    row(out, &rule);
}

/// The row of a step that failed: its error in place of its figures.
fn failed(out: &mut String, n: u64, step: &Step, columns: usize) {
    let mut cells = vec![
        thousands(n),
        format!(
            "failed: `{}`",
            step.error.as_deref().unwrap_or("no error line")
        ),
    ];
    cells.resize(columns, "—".to_string());
    row(out, &cells);
}

fn seconds(step: Option<&Step>) -> Option<f64> {
    step.filter(|s| s.ok()).map(|s| s.wall.as_secs_f64())
}

fn rss(step: Option<&Step>) -> Option<f64> {
    step.filter(|s| s.ok()).map(|s| s.peak_rss as f64)
}

fn show_seconds(s: f64) -> String {
    duration(Duration::from_secs_f64(s))
}

/// The scale scenario's three tables: validate, apply, plan.
pub fn scale(rows: &[Scale]) -> String {
    let mut out = String::new();
    let steps = |pick: fn(&Scale) -> Option<&Step>| -> Vec<Option<&Step>> {
        rows.iter().map(pick).collect()
    };
    let series = |steps: &[Option<&Step>], f: fn(Option<&Step>) -> Option<f64>| {
        rows.iter()
            .zip(steps)
            .map(|(r, s)| (r.n, f(*s)))
            .collect::<Vec<_>>()
    };

    let validate = steps(|r| Some(&r.validate));
    let times = linear(&series(&validate, seconds), show_seconds);
    let mems = linear(&series(&validate, rss), size);
    let _ = writeln!(out, "### validate\n");
    head(&mut out, &["apps", "manifest", "time", "peak RSS"]);
    for (i, r) in rows.iter().enumerate() {
        if r.validate.ok() {
            row(
                &mut out,
                &[
                    thousands(r.n),
                    size(r.manifest_bytes as f64),
                    times[i].clone(),
                    mems[i].clone(),
                ],
            );
        } else {
            failed(&mut out, r.n, &r.validate, 4);
        }
    }

    let apply = steps(|r| r.apply.as_ref());
    let times = linear(&series(&apply, seconds), show_seconds);
    let mems = linear(&series(&apply, rss), size);
    // Flat is the ideal: what recording cost at the smallest size.
    let base_bytes = rows
        .iter()
        .find_map(|r| r.apply.as_ref()?.recorded)
        .map(|r| r.per_result);
    let _ = writeln!(
        out,
        "\n### apply of N creates (`apply --auto-approve -vv`)\n"
    );
    let titles = [
        "apps",
        "time",
        "lists",
        "writes",
        "retrieves",
        "429s",
        "bytes written per recorded result",
        "peak RSS",
    ];
    head(&mut out, &titles);
    for (i, r) in rows.iter().enumerate() {
        match &r.apply {
            None => {}
            Some(a) if !a.ok() => failed(&mut out, r.n, a, titles.len()),
            Some(a) => {
                let bytes = match (a.recorded, base_bytes) {
                    (Some(rec), Some(base)) => cell(
                        thousands(rec.per_result),
                        thousands(base),
                        Some(rec.per_result as f64 / base as f64),
                        2,
                    ),
                    _ => "not reported".to_string(),
                };
                row(
                    &mut out,
                    &[
                        thousands(r.n),
                        times[i].clone(),
                        count(a.sent.list, 1),
                        count(a.sent.write, r.n),
                        count(a.sent.retrieve, 0),
                        count(a.sent.throttled, 0),
                        bytes,
                        mems[i].clone(),
                    ],
                );
            }
        }
    }

    let plan = steps(|r| r.plan.as_ref());
    let times = linear(&series(&plan, seconds), show_seconds);
    let mems = linear(&series(&plan, rss), size);
    let _ = writeln!(out, "\n### plan of no change, after the apply\n");
    let titles = [
        "apps",
        "time",
        "lists",
        "other requests",
        "429s",
        "peak RSS",
    ];
    head(&mut out, &titles);
    for (i, r) in rows.iter().enumerate() {
        match &r.plan {
            None => {}
            Some(p) if !p.ok() => failed(&mut out, r.n, p, titles.len()),
            Some(p) => row(
                &mut out,
                &[
                    thousands(r.n),
                    times[i].clone(),
                    count(p.sent.list, scenario::lists(r.n)),
                    count(p.sent.requests - p.sent.list, 0),
                    count(p.sent.throttled, 0),
                    mems[i].clone(),
                ],
            ),
        }
    }
    let _ = writeln!(
        out,
        "\nIdeals: times and peak RSS grow linearly from the row above (the first row is the \
         base); requests are exact: apply lists once (Recall is empty) and writes once per \
         create, plan lists ceil(N / {}) pages and sends nothing else; bytes per recorded \
         result stay what they are at {} apps.",
        scenario::PAGE,
        rows.first()
            .map_or("the first size".to_string(), |r| thousands(r.n)),
    );
    out
}

/// The latency-bound table.
pub fn latency(rows: &[Bound]) -> String {
    let mut out = String::new();
    let titles = [
        "apps",
        "creates, as the emulator saw them",
        "the whole apply",
        "CPU: recallform, emulator",
        "lists",
        "writes",
        "429s",
    ];
    head(&mut out, &titles);
    for r in rows {
        let a = &r.apply;
        if !a.ok() {
            failed(&mut out, r.n, a, titles.len());
            continue;
        }
        row(
            &mut out,
            &[
                thousands(r.n),
                r.creates
                    .map_or("-".into(), |c| time(c, scenario::creates_ideal(r.n), 3)),
                time(a.wall, scenario::latency_ideal(r.n), 3),
                format!("{}, {}", duration(a.cpu), duration(a.emulator_cpu)),
                count(a.sent.list, 1),
                count(a.sent.write, r.n),
                count(a.sent.throttled, 0),
            ],
        );
    }
    let runs: Vec<String> = rows
        .iter()
        .filter(|r| r.walls.len() > 1)
        .map(|r| {
            let walls: Vec<String> = r.walls.iter().map(|w| duration(*w)).collect();
            format!("{} apps: {}", thousands(r.n), walls.join(", "))
        })
        .collect();
    if !runs.is_empty() {
        let _ = writeln!(
            out,
            "\nThe run of median time of {}; every run, in order: {}.",
            rows[0].walls.len(),
            runs.join("; ")
        );
    }
    let _ = writeln!(
        out,
        "\nIdeal times: the creates, from the first one's arrival to the last one's answer, \
         {ms} ms × N ÷ {p} (1.25 s for 1,000); the whole apply, from starting recallform to \
         its exit, {ms} ms × (1 list + N ÷ {p}) (1.27 s for 1,000), which leaves out \
         reading the manifest and planning (the scale table's validate).",
        ms = scenario::LATENCY.as_millis(),
        p = scenario::PARALLELISM,
    );
    out
}

/// The rate-bound tables: apply, then plan.
pub fn rate(rows: &[Bound]) -> String {
    let (list_pace, write_pace) = scenario::paces();
    let mut out = String::new();
    let _ = writeln!(out, "### apply of N creates (`apply --auto-approve`)\n");
    let titles = [
        "apps",
        "time / pacer's schedule",
        &format!("time / (writes ÷ {write_pace} + lists ÷ {list_pace} a minute)"),
        "writes a second / Recall's 5",
        "lists",
        "writes",
        "429s",
    ];
    head(&mut out, &titles);
    for r in rows {
        let a = &r.apply;
        if !a.ok() {
            failed(&mut out, r.n, a, titles.len());
            continue;
        }
        let per_second = a.sent.write as f64 / a.wall.as_secs_f64();
        row(
            &mut out,
            &[
                thousands(r.n),
                time(a.wall, scenario::schedule(a.sent.list, a.sent.write), 3),
                time(a.wall, scenario::at_pace(a.sent.list, a.sent.write), 3),
                cell(
                    format!("{per_second:.2}"),
                    "5".into(),
                    Some(per_second / 5.0),
                    3,
                ),
                count(a.sent.list, 1),
                count(a.sent.write, r.n),
                count(a.sent.throttled, 0),
            ],
        );
    }
    let _ = writeln!(out, "\n### plan of no change, after the apply (`plan`)\n");
    let titles = [
        "apps",
        "time / pacer's schedule",
        &format!("time / (lists ÷ {list_pace} a minute)"),
        "lists",
        "other requests",
        "429s",
    ];
    head(&mut out, &titles);
    for r in rows {
        let Some(p) = &r.plan else { continue };
        if !p.ok() {
            failed(&mut out, r.n, p, titles.len());
            continue;
        }
        row(
            &mut out,
            &[
                thousands(r.n),
                time(p.wall, scenario::schedule(p.sent.list, 0), 3),
                time(p.wall, scenario::at_pace(p.sent.list, 0), 3),
                count(p.sent.list, scenario::lists(r.n)),
                count(p.sent.requests - p.sent.list, 0),
                count(p.sent.throttled, 0),
            ],
        );
    }
    let _ = writeln!(
        out,
        "\nIdeals: the pacer sends the first request of each class at once and each further one \
         60 s ÷ its pace after the one before (paces {list_pace} and {write_pace} a minute under \
         Recall's 60 and 300), so its schedule takes (lists − 1) × 60 s ÷ {list_pace} + \
         (writes − 1) × 60 s ÷ {write_pace}; the issue's measure counts every request: lists ÷ \
         {list_pace} + writes ÷ {write_pace} minutes. Recall allows 300 writes a minute (5 a \
         second) and 60 lists; no request may be answered 429."
    );
    out
}
