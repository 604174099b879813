//! Everything that talks to Recall's API: the client, its retry policy, its errors, the
//! redaction of secrets from whatever Recall says, the choice of which Recall to talk to, and
//! the reading of Recall's timestamps.

mod client;
mod error;
pub mod pace;
pub mod redact;
pub mod retry;
pub mod target;
pub mod timestamp;
mod wire;

pub use client::{Client, MAX_RESPONSE_BYTES, NewApp};
pub use error::{REQUEST_ID_HEADERS, RecallError};
pub use pace::{Class, Limit, Pacer, RateLimits};
pub use redact::Redactor;
pub use wire::decode_app_page;
pub use wire::{AppLog, AppLogs, Credential, CredentialFilter};

#[cfg(test)]
mod tests;
