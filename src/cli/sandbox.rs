//! `recallform sandbox serve`: the built-in Recall emulator as a local Recall.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Subcommand;

use super::output;
use crate::emulator::{self, Emulator};
use crate::error::{Error, exit};

/// Sandbox commands.
#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the Recall emulator until interrupted.
    Serve {
        /// Address to listen on (loopback by default; port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: SocketAddr,
        /// Keep the emulated workspace in this file between runs (default: in memory only).
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
        /// Accept only this API key (default: any non-empty key).
        #[arg(long, env = "RECALLFORM_SANDBOX_API_KEY", hide_env_values = true)]
        api_key: Option<String>,
        /// Apps per list page.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
        page_size: u16,
    },
}

/// Runs a sandbox command.
pub async fn run(cmd: SandboxCommand) -> Result<u8, Error> {
    let SandboxCommand::Serve {
        listen,
        state,
        api_key,
        page_size,
    } = cmd;
    let config = emulator::Config {
        api_key,
        state_file: state,
        page_size: usize::from(page_size),
        ..emulator::Config::default()
    };
    let emulator = Emulator::start(listen, config)
        .await
        .map_err(|e| Error::Other(format!("cannot start the emulator on `{listen}`: {e}")))?;
    output::message(&format!(
        "recallform sandbox: a Recall emulator is listening on {url}\n  = hint: point recallform at it with `--api-url {url}` and any API key (`RECALL_API_KEY=x`); Ctrl-C stops it",
        url = emulator.url()
    ));
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| Error::Other(format!("cannot wait for Ctrl-C: {e}")))?;
    emulator.shutdown().await;
    output::message("recallform sandbox: stopped");
    Ok(exit::SUCCESS)
}
