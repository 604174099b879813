//! `recallform relay`: receives Zoom's webhooks for the manifest's apps and forwards each to its
//! Recall webhook URL byte for byte, so a team's own server can sit between Zoom and Recall as
//! the setup guide allows (shared/zoom-webhooks.md, shared/seeds/).
//!
//! The pieces, each in its own module: the events as received ([`Event`], here); the HTTP
//! side (routing, signature and age checks, forwarding, answers to Zoom, operations); and the
//! durable side (the on-disk spool and its delivery worker, the duplicate cache, the tee).
//!
//! The HTTP side, in the order a request meets it: `server.rs` (a relay's life: [`Core`] loads,
//! [`Relay`] serves, reloads, shuts down) serves through [`crate::http`]; `handler.rs` routes
//! each request by [`routes`], checks it ([`checks`]) and hands a verified event to an
//! [`Accept`] (the [`Pipeline`]); each request gets a [`log`] line and
//! its [`metrics`], which the admin listener (`admin.rs`) serves with `/healthz`.
//!
//! The durable side: `durable.rs` composes the [`Accept`] the relay serves with
//! ([`Pipeline`]): the duplicate cache ([`dedup`]), the [`tee`], and with `--spool` the
//! [`spool`] and its delivery [`worker`], around the forwarder.
//!
//! Not for: parsing or re-serialising an event. The relay works on the raw bytes it received,
//! since Zoom's signature covers them exactly.

mod accept;
mod admin;
pub mod checks;
pub mod dedup;
mod durable;
mod forward;
mod handler;
pub mod log;
pub mod metrics;
pub mod routes;
mod server;
pub mod spool;
pub mod tee;
pub mod worker;

use std::time::SystemTime;

use bytes::Bytes;

pub use accept::{Accept, Answer, BoxFuture};
pub use durable::{ATTEMPT_RESULTS, DurableOptions, Pipeline};
pub use forward::{Delivery, Forwarder};
pub use server::{Core, MAX_BODY, Options, Relay, SHUTDOWN_BUDGET};

use crate::digest::sha256_hex;

/// One delivery from Zoom to one app, as received: the raw body and the headers that travel
/// with it to Recall. Built only after the signature has been checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// The manifest name of the app it is for.
    pub app: String,
    /// The body, exactly as Zoom sent it.
    pub body: Bytes,
    /// `x-zm-request-timestamp`, as received (Unix seconds).
    pub timestamp: String,
    /// `x-zm-signature`, as received (`v0=<hex>`).
    pub signature: String,
    /// `content-type`, as received.
    pub content_type: Option<String>,
    /// Zoom's delivery ID, from `x-zm-request-id` or `x-zm-trackingid`, when it sent one.
    pub delivery_id: Option<String>,
    /// When the relay received it.
    pub received_at: SystemTime,
}

impl Event {
    /// What identifies a delivery for the duplicate cache: Zoom's delivery ID, else the
    /// SHA-256 of the body (Zoom's retries of one event carry the same body).
    pub fn dedup_key(&self) -> String {
        match &self.delivery_id {
            Some(id) => format!("{}:id:{id}", self.app),
            None => format!("{}:sha256:{}", self.app, sha256_hex(&self.body)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(body: &'static [u8], delivery_id: Option<&str>) -> Event {
        Event {
            app: "acme-prod".into(),
            body: Bytes::from_static(body),
            timestamp: "1700000000".into(),
            signature: "v0=00".into(),
            content_type: None,
            delivery_id: delivery_id.map(str::to_string),
            received_at: SystemTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn the_delivery_id_wins_over_the_body() {
        assert_eq!(event(b"{}", Some("t-1")).dedup_key(), "acme-prod:id:t-1");
        assert_eq!(
            event(b"{}", None).dedup_key(),
            event(b"{}", None).dedup_key()
        );
        assert_ne!(
            event(b"{}", None).dedup_key(),
            event(b"{ }", None).dedup_key()
        );
    }
}
