//! The bytes of one event file (the format is described in [`super`]): encoding and
//! decoding, with every check that tells an event of this format from anything else.
//!
//! Not for: where files live or when they are written (that is [`super`]).

use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::{EventId, Spooled, nanos};
use crate::digest::sha256_hex;
use crate::relay::Event;

/// The first line of every event file.
pub(super) const MAGIC: &[u8] = b"recallform spool event 1\n";

/// What the first line of an event file of any version starts with.
const MAGIC_PREFIX: &[u8] = b"recallform spool event ";

/// The JSON line of an event file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Header {
    app: String,
    timestamp: String,
    signature: String,
    content_type: Option<String>,
    delivery_id: Option<String>,
    received_at_ns: u64,
    attempts: u32,
    next_attempt_at_ns: u64,
    last_error: Option<String>,
    body_len: u64,
    body_sha256: String,
}

pub(super) fn header(
    event: &Event,
    attempts: u32,
    next_at: u64,
    last_error: Option<String>,
) -> Header {
    Header {
        app: event.app.clone(),
        timestamp: event.timestamp.clone(),
        signature: event.signature.clone(),
        content_type: event.content_type.clone(),
        delivery_id: event.delivery_id.clone(),
        received_at_ns: nanos(event.received_at),
        attempts,
        next_attempt_at_ns: next_at,
        last_error,
        body_len: event.body.len() as u64,
        body_sha256: sha256_hex(&event.body),
    }
}

/// An event file's bytes.
pub(super) fn encode(header: &Header, body: &[u8]) -> Vec<u8> {
    // serde_json escapes every newline inside strings, so the header is one line.
    let json = serde_json::to_vec(header).expect("the header serialises");
    let mut bytes = Vec::with_capacity(MAGIC.len() + json.len() + 1 + body.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&json);
    bytes.push(b'\n');
    bytes.extend_from_slice(body);
    bytes
}

/// An event file's contents, or what is wrong with them.
pub(super) fn decode(id: EventId, bytes: &[u8]) -> Result<Spooled, String> {
    let Some(rest) = bytes.strip_prefix(MAGIC) else {
        if bytes.starts_with(MAGIC_PREFIX) {
            return Err("has a format this recallform does not know".into());
        }
        return Err("is not a recallform spool event".into());
    };
    let end = rest
        .iter()
        .position(|b| *b == b'\n')
        .ok_or("has no end to its header")?;
    let header: Header =
        serde_json::from_slice(&rest[..end]).map_err(|e| format!("has a bad header ({e})"))?;
    let body = &rest[end + 1..];
    if body.len() as u64 != header.body_len || sha256_hex(body) != header.body_sha256 {
        return Err("has a body that does not match its header".into());
    }
    Ok(Spooled {
        id,
        event: Event {
            app: header.app,
            body: Bytes::copy_from_slice(body),
            timestamp: header.timestamp,
            signature: header.signature,
            content_type: header.content_type,
            delivery_id: header.delivery_id,
            received_at: UNIX_EPOCH + Duration::from_nanos(header.received_at_ns),
        },
        attempts: header.attempts,
        next_attempt_at: UNIX_EPOCH + Duration::from_nanos(header.next_attempt_at_ns),
        last_error: header.last_error,
    })
}
