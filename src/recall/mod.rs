//! Everything that talks to Recall's API: the client, its retry policy, its errors, the
//! redaction of secrets from whatever Recall says, and the choice of which Recall to talk to.

mod client;
mod error;
pub mod redact;
pub mod retry;
pub mod target;
mod wire;

pub use client::{Client, MAX_RESPONSE_BYTES, NewApp};
pub use error::{REQUEST_ID_HEADERS, RecallError};
pub use redact::Redactor;

#[cfg(test)]
mod tests;
