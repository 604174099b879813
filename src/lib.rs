//! recallform keeps the Zoom OAuth apps registered in Recall.ai equal to a YAML manifest.
//!
//! The crate's map, following the data:
//!
//! ```text
//! recallform.yaml ─manifest::load─▶ Manifest ─credentials::resolve─▶ [DesiredApp] ─┐
//! Recall API ─recall::Client::list_apps─▶ [RemoteApp] ───────────────────────────────┼─▶ plan::diff ─▶ Plan ─▶ apply ─▶ lockfile
//! recallform.lock.json ─lockfile::LockStore─▶ recorded apps ─────────────────────────┘
//! ```
//!
//! - [`model`]: domain types, no I/O.
//! - [`manifest`]: the YAML manifest: serde types (also the JSON Schema), validation,
//!   credential references.
//! - [`recall`]: the HTTP client for Recall, with pagination, retries and idempotent creates.
//! - [`plan`]: the pure diff and its renderings.
//! - [`apply`]: carries out a plan and records each result in the lockfile.
//! - [`lockfile`]: the manifest-name → Recall-ID record, with secret fingerprints.
//! - [`apply_lock`]: one apply (or record edit) at a time per lockfile.
//! - [`saved`]: plans saved for `apply FILE`, and how they go stale.
//! - [`session`]: what every command that plans or talks to Recall shares: the manifest, its
//!   credentials, the target, the lockfile, the client or the sandbox, the plan.
//! - [`diagnostic`]: located problems with stable codes.
//! - [`digest`], [`fsutil`], [`time`]: SHA-256/HMAC, crash-safe writes, RFC 3339 times.
//! - [`export`]: a manifest and a lockfile for every app a Recall workspace has.
//! - [`emulator`]: a local, stateful Recall used by the tests and by `--sandbox`.
//! - [`zoom`]: what Recall needs from a Zoom app (scopes, events, where each is set), the
//!   checks of what an app declares, and the setup checklist.
//! - [`webhook`]: Zoom's webhook signing, and the probe of `webhooks verify`.
//! - [`status`]: how each recorded app is doing on the Zoom side, as Recall sees it.
//! - [`relay`]: receives Zoom's webhooks and forwards them to Recall byte for byte.
//! - [`http`]: the one HTTP server stack the emulator and the relay serve through.
//! - [`cli`]: the commands; the only module that prints.
//! - [`error`]: the error type of the commands and the one mapping to exit codes.

#![forbid(unsafe_code)]

pub mod apply;
pub mod apply_lock;
pub mod cli;
pub mod diagnostic;
pub mod digest;
pub mod emulator;
pub mod error;
pub mod export;
pub mod fsutil;
pub mod http;
pub mod lockfile;
pub mod manifest;
pub mod model;
pub mod plan;
pub mod recall;
pub mod relay;
pub mod saved;
pub mod session;
pub mod status;
pub mod time;
pub mod units;
pub mod webhook;
pub mod zoom;
