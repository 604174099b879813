//! The relay's counters and its Recall latency histogram, and their rendering in Prometheus's
//! text exposition format (version 0.0.4), written here rather than with a metrics crate: a
//! dozen families need no more.
//!
//! Other parts of the relay add their own families (spool depth, dead letters, tee drops) by
//! registering a [`MetricSource`], which writes them through an [`Exposition`].
//!
//! Not for: deciding what is counted when (the handler and the forwarder do).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The upper bounds of the latency buckets, in seconds, up to Zoom's 3-second deadline.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0,
];

/// Reasons a request is refused, each counted from zero so a scrape shows them all.
pub const REJECTION_REASONS: [&str; 7] = [
    "missing_signature",
    "bad_signature",
    "stale",
    "too_large",
    "unknown_app",
    "method",
    "busy",
];

/// Why a forward got no answer from Recall.
pub const FAILURE_REASONS: [&str; 4] = ["timeout", "unreachable", "too_large", "broken"];

/// Status classes of Recall's answers.
pub const CLASSES: [&str; 4] = ["2xx", "3xx", "4xx", "5xx"];

/// Writes families of metrics to `/metrics`.
pub trait MetricSource: Send + Sync {
    /// Writes this source's families.
    fn render(&self, out: &mut Exposition);
}

/// Text in Prometheus's exposition format, family by family.
#[derive(Debug, Default)]
pub struct Exposition(String);

impl Exposition {
    /// Starts a family: its `# HELP` and `# TYPE` lines (`kind`: `counter`, `gauge`,
    /// `histogram`).
    pub fn family(&mut self, name: &str, kind: &str, help: &str) {
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    /// One sample of the family just started.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.0.push_str(name);
        if !labels.is_empty() {
            let pairs: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
                .collect();
            let _ = write!(self.0, "{{{}}}", pairs.join(","));
        }
        let _ = writeln!(self.0, " {}", number(value));
    }

    /// The text.
    pub fn into_text(self) -> String {
        self.0
    }
}

/// A label value escaped as the format asks: backslash, double quote and newline.
fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A sample value: whole numbers without a fraction, as Prometheus prints them.
fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// Counters by one label's value.
#[derive(Debug, Default)]
struct Family(Mutex<BTreeMap<String, u64>>);

impl Family {
    fn with(values: &[&str]) -> Family {
        Family(Mutex::new(
            values.iter().map(|v| (v.to_string(), 0)).collect(),
        ))
    }

    fn add(&self, value: &str) {
        *self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(value.to_string())
            .or_default() += 1;
    }

    fn get(&self, value: &str) -> u64 {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(value).copied().unwrap_or_default()
    }

    fn render(&self, out: &mut Exposition, name: &str, label: &str) {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for (value, count) in map.iter() {
            out.sample(name, &[(label, value)], *count as f64);
        }
    }
}

/// A histogram of durations.
#[derive(Debug, Default)]
struct Histogram {
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, took: Duration) {
        let secs = took.as_secs_f64();
        for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&self.buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    fn render(&self, out: &mut Exposition, name: &str) {
        let bucket = format!("{name}_bucket");
        for (bound, count) in LATENCY_BUCKETS.iter().zip(&self.buckets) {
            let le = bound.to_string();
            out.sample(
                &bucket,
                &[("le", &le)],
                count.load(Ordering::Relaxed) as f64,
            );
        }
        let count = self.count.load(Ordering::Relaxed) as f64;
        out.sample(&bucket, &[("le", "+Inf")], count);
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        out.sample(&format!("{name}_sum"), &[], sum);
        out.sample(&format!("{name}_count"), &[], count);
    }
}

/// Everything the relay counts.
#[derive(Default)]
pub struct Metrics {
    received: Family,
    rejected: Family,
    answers: Family,
    forwarded: Family,
    failures: Family,
    reloads: Family,
    latency: Histogram,
    in_flight: AtomicU64,
    apps: AtomicU64,
    ready: AtomicBool,
    sources: Mutex<Vec<Arc<dyn MetricSource>>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// Every counter at zero; not ready.
    pub fn new() -> Metrics {
        Metrics {
            rejected: Family::with(&REJECTION_REASONS),
            forwarded: Family::with(&CLASSES),
            failures: Family::with(&FAILURE_REASONS),
            reloads: Family::with(&["ok", "failed"]),
            ..Metrics::default()
        }
    }

    /// Adds `source`'s families to every scrape from now on.
    pub fn register(&self, source: Arc<dyn MetricSource>) {
        self.sources
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(source);
    }

    /// A request arrived for `app` (`-`: at a path no app has).
    pub fn received(&self, app: &str) {
        self.received.add(app);
    }

    /// A request was refused for `reason` (one of [`REJECTION_REASONS`]).
    pub fn rejected(&self, reason: &str) {
        self.rejected.add(reason);
    }

    /// Zoom was answered `status`.
    pub fn answered(&self, status: u16) {
        self.answers.add(&status.to_string());
    }

    /// Recall answered a forward with `status` after `took`.
    pub fn recall_answered(&self, status: u16, took: Duration) {
        let class = match status {
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        self.forwarded.add(class);
        self.latency.observe(took);
    }

    /// A forward got no answer from Recall, for `reason` (one of [`FAILURE_REASONS`]).
    pub fn recall_failed(&self, reason: &str) {
        self.failures.add(reason);
    }

    /// A reload succeeded, or failed.
    pub fn reloaded(&self, ok: bool) {
        self.reloads.add(if ok { "ok" } else { "failed" });
    }

    /// How many apps are served now.
    pub fn set_apps(&self, n: usize) {
        self.apps.store(n as u64, Ordering::Relaxed);
    }

    /// Whether the relay takes events: once its configuration is loaded, until shutdown.
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Relaxed);
    }

    /// See [`Metrics::set_ready`].
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    /// A request entered the handler (until the guard is dropped).
    pub fn enter(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(&self.in_flight)
    }

    /// How many requests for `reason` were refused so far.
    pub fn rejections(&self, reason: &str) -> u64 {
        self.rejected.get(reason)
    }

    /// The whole exposition, for `GET /metrics`.
    pub fn render(&self) -> String {
        let mut out = Exposition::default();
        let p = "recallform_relay";
        let families: [(&str, &str, &Family, &str); 6] = [
            (
                "received_total",
                "Webhook requests received, by app (`-`: a path no app is served at).",
                &self.received,
                "app",
            ),
            (
                "rejected_total",
                "Requests refused without forwarding, by reason.",
                &self.rejected,
                "reason",
            ),
            (
                "answers_total",
                "Answers sent to Zoom, by HTTP status.",
                &self.answers,
                "code",
            ),
            (
                "forwarded_total",
                "Forwards Recall answered, by status class.",
                &self.forwarded,
                "class",
            ),
            (
                "forward_failures_total",
                "Forwards Recall did not answer, by reason.",
                &self.failures,
                "reason",
            ),
            (
                "reloads_total",
                "Reloads of the manifest, its secrets and the lockfile (SIGHUP), by result.",
                &self.reloads,
                "result",
            ),
        ];
        for (name, help, family, label) in families {
            let name = format!("{p}_{name}");
            out.family(&name, "counter", help);
            family.render(&mut out, &name, label);
        }
        let name = format!("{p}_recall_latency_seconds");
        out.family(
            &name,
            "histogram",
            "Time from sending an event to Recall to the end of its answer.",
        );
        self.latency.render(&mut out, &name);
        for (name, help, value) in [
            (
                "in_flight",
                "Webhook requests being handled now.",
                self.in_flight.load(Ordering::Relaxed) as f64,
            ),
            (
                "apps",
                "Apps served.",
                self.apps.load(Ordering::Relaxed) as f64,
            ),
            (
                "ready",
                "1 once the manifest, its secrets and the lockfile are loaded; 0 during shutdown.",
                f64::from(u8::from(self.is_ready())),
            ),
        ] {
            let name = format!("{p}_{name}");
            out.family(&name, "gauge", help);
            out.sample(&name, &[], value);
        }
        let sources = self.sources.lock().unwrap_or_else(|e| e.into_inner());
        for source in sources.iter() {
            source.render(&mut out);
        }
        out.into_text()
    }
}

/// A request in the handler; counted until dropped.
pub struct InFlight<'a>(&'a AtomicU64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_format() {
        let m = Metrics::new();
        m.received("acme-prod");
        m.received("acme-prod");
        m.rejected("stale");
        m.answered(200);
        m.recall_answered(200, Duration::from_millis(40));
        m.recall_answered(503, Duration::from_millis(2600));
        m.recall_answered(200, Duration::from_secs(4));
        m.set_ready(true);
        let text = m.render();
        for line in [
            "# HELP recallform_relay_received_total Webhook requests received, by app (`-`: a path no app is served at).",
            "# TYPE recallform_relay_received_total counter",
            "recallform_relay_received_total{app=\"acme-prod\"} 2",
            "recallform_relay_rejected_total{reason=\"stale\"} 1",
            "recallform_relay_rejected_total{reason=\"busy\"} 0",
            "recallform_relay_answers_total{code=\"200\"} 1",
            "recallform_relay_forwarded_total{class=\"2xx\"} 2",
            "recallform_relay_forwarded_total{class=\"5xx\"} 1",
            "# TYPE recallform_relay_recall_latency_seconds histogram",
            "recallform_relay_recall_latency_seconds_bucket{le=\"0.025\"} 0",
            "recallform_relay_recall_latency_seconds_bucket{le=\"0.05\"} 1",
            "recallform_relay_recall_latency_seconds_bucket{le=\"2.5\"} 1",
            "recallform_relay_recall_latency_seconds_bucket{le=\"3\"} 2",
            "recallform_relay_recall_latency_seconds_bucket{le=\"+Inf\"} 3",
            "recallform_relay_recall_latency_seconds_sum 6.64",
            "recallform_relay_recall_latency_seconds_count 3",
            "recallform_relay_ready 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line}\n{text}");
        }
        // Every sample line is `name{labels} value` and every family has HELP and TYPE.
        for l in text.lines().filter(|l| !l.starts_with('#')) {
            let (_, value) = l.rsplit_once(' ').unwrap();
            assert!(value.parse::<f64>().is_ok(), "{l}");
        }
        assert_eq!(
            text.matches("# HELP").count(),
            text.matches("# TYPE").count()
        );
    }

    #[test]
    fn sources_add_families_and_labels_are_escaped() {
        struct Spool;
        impl MetricSource for Spool {
            fn render(&self, out: &mut Exposition) {
                out.family("recallform_relay_spool_depth", "gauge", "Events waiting.");
                out.sample(
                    "recallform_relay_spool_depth",
                    &[("app", "a\"b\\c\nd")],
                    3.0,
                );
            }
        }
        let m = Metrics::new();
        m.register(Arc::new(Spool));
        let text = m.render();
        assert!(
            text.ends_with(
                "# HELP recallform_relay_spool_depth Events waiting.\n# TYPE recallform_relay_spool_depth gauge\nrecallform_relay_spool_depth{app=\"a\\\"b\\\\c\\nd\"} 3\n"
            ),
            "{text}"
        );
    }
}
