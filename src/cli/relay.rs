//! `recallform relay`: receive Zoom's webhooks for the manifest's apps and forward each to its
//! Recall webhook URL byte for byte, until SIGTERM or SIGINT; SIGHUP reloads the manifest, its
//! secrets and the lockfile.
//!
//! This file turns the options into [`relay::Options`], prints the banner, each request's log
//! line and the reloads, and waits for signals. Not for: anything a request meets
//! ([`crate::relay`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::{Global, output};
use crate::error::{Error, exit};
use crate::relay::{self, DurableOptions, Pipeline, Relay, log::Record, routes::Routes};

/// Options of `recallform relay`.
#[derive(Debug, Args)]
pub struct RelayArgs {
    /// Where Zoom's requests come in (port 0 picks a free port). Plain HTTP: put a
    /// TLS-terminating proxy or load balancer in front, since Zoom sends to https:// only.
    #[arg(long, default_value = "127.0.0.1:8788", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Serve `GET /healthz` and `GET /metrics` (Prometheus) on ADDR [default: not served].
    #[arg(long, value_name = "ADDR")]
    pub admin_listen: Option<SocketAddr>,
    /// Refuse (401) requests whose `x-zm-request-timestamp` is further than this from now;
    /// `0` turns the check off. Zoom's retries may carry the first attempt's timestamp, and
    /// come up to about 85 minutes later.
    #[arg(long, default_value = "90m", value_name = "DURATION", value_parser = parse_max_age)]
    pub max_age: MaxAge,
    /// How long a forward to Recall may take in all before the relay answers Zoom 503; Zoom
    /// waits 3 s for the whole answer.
    #[arg(long, default_value = "2.5s", value_name = "DURATION", value_parser = parse_forward_timeout)]
    pub forward_timeout: Duration,
    /// Requests handled at once; one more is answered 503 at once (Zoom retries it), never
    /// queued.
    #[arg(long, default_value_t = 256, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub max_concurrency: u32,
    /// Write each verified event to DIR, fsynced, before answering Zoom 200, and deliver it to
    /// Recall from there in the background, retrying until `--spool-horizon`. One relay per
    /// folder; a restarted relay delivers what the folder holds.
    #[arg(long, value_name = "DIR")]
    pub spool: Option<PathBuf>,
    /// How long a spooled event is retried, from its arrival, before it moves into
    /// `DIR/dead/`.
    #[arg(long, default_value = "24h", value_name = "DURATION", requires = "spool", value_parser = parse_horizon)]
    pub spool_horizon: Duration,
    /// Deliveries from the spool in flight at once.
    #[arg(long, default_value_t = 16, value_name = "N", requires = "spool", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    pub spool_concurrency: usize,
    /// Also send a copy of each verified event to URL (repeatable): same body and Zoom
    /// headers, from a bounded queue with its own retries; it never changes Zoom's answer.
    #[arg(long = "tee", value_name = "URL")]
    pub tee: Vec<String>,
    /// Delivered events remembered, so that Zoom's repeat of one is answered 200 without
    /// forwarding it again; `0` turns this off.
    #[arg(long, default_value_t = relay::dedup::DEFAULT_CAPACITY, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=100_000_000))]
    pub dedup_capacity: usize,
    /// Forward to the built-in emulator (state in `.recallform/` beside the manifest), where a
    /// `--sandbox` apply created the apps; implied by a lockfile of the sandbox.
    #[arg(long)]
    pub sandbox: bool,
}

/// `--max-age`: a window, or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxAge(pub Option<Duration>);

/// Runs `recallform relay`.
pub async fn run(global: &Global, args: &RelayArgs) -> Result<u8, Error> {
    let options = relay::Options {
        manifest: global.manifest.clone(),
        lockfile: global.lockfile_path(),
        rules: global.read_rules()?,
        sandbox: args.sandbox,
        listen: args.listen,
        admin_listen: args.admin_listen,
        max_age: args.max_age.0,
        forward_timeout: args.forward_timeout,
        max_concurrency: usize::try_from(args.max_concurrency).unwrap_or(usize::MAX),
    };
    let core = relay::Core::open(options).await?;
    let quiet = global.quiet;
    let log: relay::log::Sink = Arc::new(move |record: Record| {
        if !quiet {
            output::message(&format!("recallform relay: {record}"));
        }
    });
    let durable = DurableOptions {
        spool: args.spool.clone(),
        horizon: args.spool_horizon,
        concurrency: args.spool_concurrency,
        tee: args.tee.clone(),
        dedup_capacity: args.dedup_capacity,
    };
    let pipeline = Pipeline::start(&core, &durable, log.clone()).await?;
    let relay = core.serve(pipeline.clone(), log).await?;
    if !quiet {
        banner(&relay);
    }
    wait_for_signals(&relay, quiet).await?;
    let drained = relay.shutdown(relay::SHUTDOWN_BUDGET).await;
    if !quiet {
        let cut = match drained.cut_off {
            0 => String::new(),
            n => format!(
                " ({n} connection{} cut off after {} s)",
                if n == 1 { "" } else { "s" },
                relay::SHUTDOWN_BUDGET.as_secs()
            ),
        };
        output::message(&format!("recallform relay: stopped{cut}"));
    }
    Ok(exit::SUCCESS)
}

/// Says where the relay listens (the first line ends with the URL, for scripts that start it
/// on port 0; the admin line too), then what it serves.
fn banner(relay: &Relay) {
    output::message(&format!(
        "recallform relay: listening on http://{}",
        relay.addr()
    ));
    if let Some(admin) = relay.admin_addr() {
        output::message(&format!(
            "recallform relay: `/healthz` and `/metrics` on http://{admin}"
        ));
    }
    routes(&relay.routes());
}

/// One line per app served, and a warning per app not served.
fn routes(routes: &Routes) {
    for app in routes.apps() {
        let paths: Vec<String> = app.paths.iter().map(|p| format!("`{p}`")).collect();
        output::message(&format!(
            "recallform relay: `{}` at {}, forwarded to `{}`",
            app.name,
            paths.join(" and "),
            app.recorded_url
        ));
    }
    for unserved in &routes.unserved {
        output::message(&format!(
            "warning: {}, so the relay does not serve it\n  = hint: {}",
            unserved.why, unserved.hint
        ));
    }
    if routes.is_empty() {
        output::message(
            "warning: the relay serves no app yet\n  = hint: record an app with `recallform apply`, then reload the relay (SIGHUP)",
        );
    }
}

/// Waits for SIGTERM or SIGINT, reloading on each SIGHUP meanwhile.
#[cfg(unix)]
async fn wait_for_signals(relay: &Relay, quiet: bool) -> Result<(), Error> {
    use tokio::signal::unix::{SignalKind, signal};
    let listen = |kind: SignalKind, name: &str| {
        signal(kind).map_err(|e| Error::Other(format!("cannot listen for {name}: {e}")))
    };
    let mut terminate = listen(SignalKind::terminate(), "SIGTERM")?;
    let mut interrupt = listen(SignalKind::interrupt(), "SIGINT")?;
    let mut hangup = listen(SignalKind::hangup(), "SIGHUP")?;
    loop {
        tokio::select! {
            _ = terminate.recv() => return Ok(()),
            _ = interrupt.recv() => return Ok(()),
            _ = hangup.recv() => reload(relay, quiet),
        }
    }
}

/// Waits for Ctrl-C (no SIGHUP where there are no Unix signals).
#[cfg(not(unix))]
async fn wait_for_signals(_relay: &Relay, _quiet: bool) -> Result<(), Error> {
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| Error::Other(format!("cannot wait for Ctrl-C: {e}")))
}

/// Reloads, and says how it went; an error keeps the routes in force.
fn reload(relay: &Relay, quiet: bool) {
    match relay.reload() {
        Ok(routes) if !quiet => {
            let n = routes.len();
            output::message(&format!(
                "recallform relay: reloaded: {n} app{} served",
                if n == 1 { "" } else { "s" }
            ));
            self::routes(&routes);
        }
        Ok(_) => {}
        Err(e) => {
            output::error(&e);
            output::message(
                "recallform relay: the reload failed, so the routes in force stay\n  = hint: fix what the error says, then send SIGHUP again",
            );
        }
    }
}

/// Parses `--max-age`: `0` (off) or a duration.
fn parse_max_age(text: &str) -> Result<MaxAge, String> {
    match parse_duration(text)? {
        d if d.is_zero() => Ok(MaxAge(None)),
        d => Ok(MaxAge(Some(d))),
    }
}

/// Parses `--spool-horizon`: a duration from 1 s to 1 year.
fn parse_horizon(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text)?;
    if d < Duration::from_secs(1) || d > Duration::from_secs(365 * 86_400) {
        return Err(format!("`{text}` is not between 1s and 365 days"));
    }
    Ok(d)
}

/// Parses `--forward-timeout`: a duration from 1 ms to 1 hour.
fn parse_forward_timeout(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text)?;
    if d < Duration::from_millis(1) || d > Duration::from_secs(3600) {
        return Err(format!("`{text}` is not between 1ms and 1h"));
    }
    Ok(d)
}

/// A duration: a number (a fraction allowed) and a unit, `ms`, `s`, `m` or `h` (`2.5s`,
/// `500ms`, `90m`); `0` alone is zero.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}` is not a duration such as `2.5s`, `500ms`, `90m` or `2h`");
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
        return Err(bad());
    }
    let n: f64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(bad()),
    };
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| *d <= Duration::from_secs(100 * 365 * 86_400))
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2.5s"), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("90m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        for bad in [
            "", "5", "s", ".5s", "5.s", "1.2.3s", "5d", "-1s", "5 s", "1e3s",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_max_age("0"), Ok(MaxAge(None)));
        assert_eq!(
            parse_max_age("90m"),
            Ok(MaxAge(Some(Duration::from_secs(5400))))
        );
        assert!(parse_forward_timeout("0").is_err());
        assert!(parse_forward_timeout("2h").is_err());
    }
}
