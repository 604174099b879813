//! `recallform sandbox serve`: the built-in Recall emulator as a local Recall.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Subcommand;

use super::output;
use crate::emulator::{self, Emulator, knobs};
use crate::error::{Error, exit};
use crate::recall::RateLimits;

/// Where `--api-key` is read from when it is not typed.
const API_KEY_ENV: &str = "RECALLFORM_SANDBOX_API_KEY";

/// Sandbox commands.
#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the Recall emulator until interrupted.
    Serve {
        /// Address to listen on (loopback by default; port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:8787", value_name = "ADDR")]
        listen: SocketAddr,
        /// Keep the emulated workspace in this file between runs (default: in memory only).
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
        /// Accept only this API key (default: any non-empty key); give recallform the same one
        /// in `RECALL_API_KEY`.
        #[arg(
            long,
            env = API_KEY_ENV,
            hide_env_values = true,
            value_name = "KEY",
            value_parser = clap::builder::NonEmptyStringValueParser::new()
        )]
        api_key: Option<String>,
        /// Apps per list page.
        #[arg(long, env = knobs::PAGE_SIZE_ENV, default_value_t = 10, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        page_size: u16,
        /// Wait this many milliseconds before handling each API request (each on its own, so
        /// concurrent requests overlap); the webhook route is not delayed.
        #[arg(long, env = knobs::LATENCY_ENV, default_value = "0", value_name = "MS", value_parser = knobs::parse_latency)]
        latency: Duration,
        /// Requests allowed in any 60 s, per API key: `list=N/min,write=N/min` (Recall's are
        /// `list=60/min,write=300/min`, the default), either part alone, or `off`.
        #[arg(long, env = knobs::RATE_LIMIT_ENV, value_name = "LIMITS", value_parser = RateLimits::parse)]
        rate_limit: Option<RateLimits>,
    },
}

/// Runs a sandbox command.
pub async fn run(cmd: SandboxCommand) -> Result<u8, Error> {
    let SandboxCommand::Serve {
        listen,
        state,
        api_key,
        page_size,
        latency,
        rate_limit,
    } = cmd;
    let hint = banner_hint(api_key.as_deref());
    let mut config = emulator::Config {
        api_key,
        state_file: state,
        page_size: usize::from(page_size),
        latency,
        ..emulator::Config::default()
    };
    knobs::set_rate_limits(&mut config, rate_limit.unwrap_or_default());
    let emulator = Emulator::start(listen, config)
        .await
        .map_err(|e| Error::Other(format!("cannot start the emulator on `{listen}`: {e}")))?;
    // The first line ends with the URL, for scripts that start the sandbox and read it.
    output::message(&format!(
        "recallform sandbox: a Recall emulator is listening on {url}\n  = hint: point recallform at it with `--api-url {url}` and {hint}; Ctrl-C stops it",
        url = emulator.url()
    ));
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| Error::Other(format!("cannot wait for Ctrl-C: {e}")))?;
    emulator.shutdown().await;
    output::message("recallform sandbox: stopped");
    Ok(exit::SUCCESS)
}

/// Which API key to give recallform, as the banner says it: the sandbox accepts only the one
/// it was given, and the banner names where that one is (never the key itself, which may be
/// a shared test key), or any key when it was given none.
fn banner_hint(api_key: Option<&str>) -> String {
    match api_key {
        None => "any API key (`RECALL_API_KEY=x`)".into(),
        // clap prefers the typed value, so an equal variable may be where it came from.
        Some(key) if std::env::var(API_KEY_ENV).is_ok_and(|v| v == key) => {
            format!("`RECALL_API_KEY` set to the key in `{API_KEY_ENV}`: it accepts no other")
        }
        Some(_) => {
            "`RECALL_API_KEY` set to the key given with `--api-key`: it accepts no other".into()
        }
    }
}
