//! Everything that talks to Recall's API: the client, its retry policy, its errors, and the
//! choice of which Recall to talk to.

mod client;
mod error;
pub mod retry;
pub mod target;

pub use client::{Client, NewApp};
pub use error::RecallError;
