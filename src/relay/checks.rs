//! What a request must pass before the relay forwards it: Zoom's signature over the raw body,
//! made with the app's webhook secret and compared in constant time ([`webhook::verify_signature`]),
//! and a timestamp no older than `--max-age`.
//!
//! The window is the receiver's choice (Zoom states none), and a long one on purpose: whether
//! Zoom re-signs a retry with a fresh timestamp is not known, and its retries come up to about
//! 85 minutes after the first attempt, so the default of 90 minutes lets every retry through
//! (shared/zoom-webhooks.md §1). Within the window a captured request can be replayed; the
//! delivery reaches Recall once more, signed as Zoom signed it.
//!
//! Not for: reading the request (the handler passes the headers' values) or answering it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::model::SecretString;
use crate::webhook;

/// Above this, `x-zm-request-timestamp` is taken to be in milliseconds: Zoom documents
/// seconds (10 digits), and 10^12 seconds is 31,000 years away.
const MILLISECONDS_FROM: u64 = 1_000_000_000_000;

/// Why a request is refused with 401.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// No `x-zm-signature` or no `x-zm-request-timestamp`.
    MissingSignature,
    /// A signature that this app's webhook secret did not make.
    BadSignature,
    /// A timestamp further from now than `--max-age`, or not a number.
    Stale,
}

impl Rejection {
    /// The reason, as `/metrics` labels it and the log line says it.
    pub fn reason(self) -> &'static str {
        match self {
            Rejection::MissingSignature => "missing_signature",
            Rejection::BadSignature => "bad_signature",
            Rejection::Stale => "stale",
        }
    }

    /// The body of the 401, for whoever reads it.
    pub fn message(self) -> &'static str {
        match self {
            Rejection::MissingSignature => {
                "the request has no `x-zm-signature` or no `x-zm-request-timestamp`\n"
            }
            Rejection::BadSignature => {
                "the `x-zm-signature` is not this app's Secret Token's signature of the body\n"
            }
            Rejection::Stale => "the `x-zm-request-timestamp` is outside the relay's window\n",
        }
    }
}

/// Checks one request's signature (headers `timestamp` and `signature`, raw `body`) with
/// `secret`, then, unless `max_age` is `None`, that the timestamp is within `max_age` of `now`
/// either way (a clock ahead by more than the window is as suspect as one behind).
pub fn check(
    secret: &SecretString,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    max_age: Option<Duration>,
    now: SystemTime,
) -> Result<(), Rejection> {
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(Rejection::MissingSignature);
    };
    if !webhook::verify_signature(secret, timestamp, body, signature) {
        return Err(Rejection::BadSignature);
    }
    let Some(max_age) = max_age else {
        return Ok(());
    };
    let sent = timestamp_secs(timestamp).ok_or(Rejection::Stale)?;
    let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    match now.abs_diff(sent) > max_age.as_secs() {
        true => Err(Rejection::Stale),
        false => Ok(()),
    }
}

/// The Unix time, in seconds, of an `x-zm-request-timestamp`: digits only; a value above
/// 10^12 is read as milliseconds.
pub fn timestamp_secs(header: &str) -> Option<u64> {
    if header.is_empty() || !header.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u64 = header.parse().ok()?;
    Some(match value > MILLISECONDS_FROM {
        true => value / 1000,
        false => value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn run(
        timestamp: &str,
        signature: Option<&str>,
        max_age: Option<u64>,
    ) -> Result<(), Rejection> {
        let secret = SecretString::new("zws-secret".into());
        let body = br#"{"event":"meeting.created"}"#;
        let made = webhook::sign(&secret, timestamp, body);
        let signature = signature.unwrap_or(&made);
        check(
            &secret,
            Some(timestamp),
            Some(signature),
            body,
            max_age.map(Duration::from_secs),
            at(NOW),
        )
    }

    #[test]
    fn the_signature_is_checked_first() {
        assert_eq!(run(&NOW.to_string(), None, Some(60)), Ok(()));
        assert_eq!(
            run(&NOW.to_string(), Some("v0=00"), Some(60)),
            Err(Rejection::BadSignature)
        );
        // A bad signature on an old request is a bad signature.
        assert_eq!(
            run("1", Some("v0=00"), Some(60)),
            Err(Rejection::BadSignature)
        );
        let secret = SecretString::new("k".into());
        for (ts, sig) in [(None, Some("v0=00")), (Some("1"), None), (None, None)] {
            assert_eq!(
                check(&secret, ts, sig, b"{}", None, at(NOW)),
                Err(Rejection::MissingSignature)
            );
        }
    }

    #[test]
    fn the_window_holds_both_ways_and_zero_turns_it_off() {
        let max = Some(5400);
        assert_eq!(run(&(NOW - 5400).to_string(), None, max), Ok(()));
        assert_eq!(
            run(&(NOW - 5401).to_string(), None, max),
            Err(Rejection::Stale)
        );
        assert_eq!(run(&(NOW + 5400).to_string(), None, max), Ok(()));
        assert_eq!(
            run(&(NOW + 5401).to_string(), None, max),
            Err(Rejection::Stale)
        );
        assert_eq!(run("12", None, None), Ok(()));
        // Signed, but not a time.
        assert_eq!(run("soon", None, max), Err(Rejection::Stale));
        assert_eq!(run("soon", None, None), Ok(()));
    }

    #[test]
    fn milliseconds_are_recognised() {
        assert_eq!(timestamp_secs("1700000000"), Some(NOW));
        assert_eq!(timestamp_secs("1700000000123"), Some(NOW));
        assert_eq!(timestamp_secs("1000000000000"), Some(1_000_000_000_000));
        assert_eq!(timestamp_secs("1000000000001"), Some(1_000_000_000));
        for bad in ["", "-1", "+1", " 1", "1.5", "99999999999999999999999"] {
            assert_eq!(timestamp_secs(bad), None, "{bad:?}");
        }
        let ms = (NOW - 60) * 1000 + 999;
        assert_eq!(run(&ms.to_string(), None, Some(60)), Ok(()));
        let ms = (NOW - 7200) * 1000;
        assert_eq!(
            run(&ms.to_string(), None, Some(5400)),
            Err(Rejection::Stale)
        );
    }
}
