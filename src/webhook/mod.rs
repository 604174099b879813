//! Zoom's webhook signing scheme, as pure functions: the `x-zm-signature` of a request, the
//! answer to Zoom's URL validation (`endpoint.url_validation`), and constant-time checks of
//! both. `webhooks verify` signs its probe with these; the relay checks what Zoom sends with
//! them.
//!
//! The scheme (shared/zoom-webhooks.md §1): the signature is
//! `v0=` + hex(HMAC-SHA256(Secret Token, `v0:<x-zm-request-timestamp>:<raw body>`)), and the
//! validation answer's `encryptedToken` is hex(HMAC-SHA256(Secret Token, plainToken)), both
//! lowercase. A signature is computed over the body's raw bytes: re-serialised JSON would
//! break it.
//!
//! Not for: sending anything ([`probe`] does that), or deciding whether a timestamp is fresh
//! (Zoom states no window; the receiver chooses one).

pub mod probe;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::digest::hmac_sha256_hex;
use crate::model::SecretString;

/// The header with Zoom's signature, `v0=<hex>`.
pub const SIGNATURE_HEADER: &str = "x-zm-signature";

/// The header with the request's Unix time in seconds, which the signature covers.
pub const TIMESTAMP_HEADER: &str = "x-zm-request-timestamp";

/// The header with Zoom's delivery ID (Zoom's examples also show `x-zm-request-id`).
pub const TRACKING_HEADER: &str = "x-zm-trackingid";

/// The event Zoom sends to validate an endpoint URL.
pub const URL_VALIDATION_EVENT: &str = "endpoint.url_validation";

/// The content type Zoom sends its events with.
pub const CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// The version prefix of every signature Zoom sends today.
const VERSION: &str = "v0";

/// The `x-zm-signature` value for a request with this timestamp header and raw body.
pub fn sign(secret: &SecretString, timestamp: &str, body: &[u8]) -> String {
    format!(
        "{VERSION}={}",
        hmac_sha256_hex(secret.expose().as_bytes(), &signed_message(timestamp, body))
    )
}

/// Whether `signature` (an `x-zm-signature` value) signs this timestamp and body with
/// `secret`, compared in constant time on the decoded tag. A value without `v0=`, or whose tag
/// is not hex, is no signature.
pub fn verify_signature(
    secret: &SecretString,
    timestamp: &str,
    body: &[u8],
    signature: &str,
) -> bool {
    let Some(tag) = signature
        .strip_prefix(VERSION)
        .and_then(|rest| rest.strip_prefix('='))
    else {
        return false;
    };
    verify_tag(secret, &signed_message(timestamp, body), tag)
}

/// The `encryptedToken` of the answer to a URL validation: lowercase hex of
/// HMAC-SHA256(secret, plainToken).
pub fn url_validation_answer(secret: &SecretString, plain_token: &str) -> String {
    hmac_sha256_hex(secret.expose().as_bytes(), plain_token.as_bytes())
}

/// Whether `encrypted_token` answers `plain_token` under `secret`, compared in constant time
/// on the decoded tag (upper-case hex is accepted, as the tag is the same).
pub fn verify_url_validation(
    secret: &SecretString,
    plain_token: &str,
    encrypted_token: &str,
) -> bool {
    verify_tag(secret, plain_token.as_bytes(), encrypted_token)
}

/// The body of a URL-validation event, as Zoom writes it: `plainToken` in the payload and
/// `event_ts` in milliseconds.
pub fn url_validation_body(plain_token: &str, event_ts_ms: u64) -> Vec<u8> {
    serde_json::json!({
        "payload": {"plainToken": plain_token},
        "event_ts": event_ts_ms,
        "event": URL_VALIDATION_EVENT,
    })
    .to_string()
    .into_bytes()
}

/// A fresh random `plainToken`: 16 random bytes (from the operating system's generator, by way
/// of a v4 UUID, 122 of them random) in unpadded base64url, 22 characters like Zoom's.
pub fn new_plain_token() -> String {
    base64url(uuid::Uuid::new_v4().as_bytes())
}

/// `v0:<timestamp>:<body>`, the bytes a signature covers.
fn signed_message(timestamp: &str, body: &[u8]) -> Vec<u8> {
    let mut message = format!("{VERSION}:{timestamp}:").into_bytes();
    message.extend_from_slice(body);
    message
}

/// Whether hex `tag` is HMAC-SHA256(secret, message); `verify_slice` compares in constant time.
fn verify_tag(secret: &SecretString, message: &[u8], tag: &str) -> bool {
    let Some(tag) = decode_hex(tag) else {
        return false;
    };
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes any key");
    mac.update(message);
    mac.verify_slice(&tag).is_ok()
}

/// Bytes from hex (either case); `None` for an odd length or a character that is not hex.
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let digit = |c: u8| char::from(c).to_digit(16);
            Some(u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).expect("two hex digits"))
        })
        .collect()
}

/// Unpadded base64url (RFC 4648 §5).
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        // 3 bytes make 4 characters, 2 make 3, 1 makes 2.
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::new(s.into())
    }

    #[test]
    fn the_published_url_validation_vector() {
        // shared/zoom-webhooks.md §1 (elastic/beats' http_endpoint tests, recomputed).
        let s = secret("secretValueTest");
        let answer = url_validation_answer(&s, "qgg8vlvZRS6UYooatFL8Aw");
        assert_eq!(
            answer,
            "70c1f2e2e6ca2d39297490d1f9142c7d701415ea8e6151f6562a08fa657a40ff"
        );
        assert!(verify_url_validation(&s, "qgg8vlvZRS6UYooatFL8Aw", &answer));
        assert!(verify_url_validation(
            &s,
            "qgg8vlvZRS6UYooatFL8Aw",
            &answer.to_uppercase()
        ));
        assert!(!verify_url_validation(
            &secret("other"),
            "qgg8vlvZRS6UYooatFL8Aw",
            &answer
        ));
        assert!(!verify_url_validation(&s, "another-token", &answer));
        // Cut short, padded, not hex, odd length: no answer.
        assert!(!verify_url_validation(
            &s,
            "qgg8vlvZRS6UYooatFL8Aw",
            &answer[..62]
        ));
        assert!(!verify_url_validation(
            &s,
            "qgg8vlvZRS6UYooatFL8Aw",
            &format!("{answer}00")
        ));
        assert!(!verify_url_validation(
            &s,
            "qgg8vlvZRS6UYooatFL8Aw",
            &format!("{}zz", &answer[..62])
        ));
        assert!(!verify_url_validation(
            &s,
            "qgg8vlvZRS6UYooatFL8Aw",
            &answer[..63]
        ));
        assert!(!verify_url_validation(&s, "qgg8vlvZRS6UYooatFL8Aw", ""));
    }

    #[test]
    fn signatures_cover_the_timestamp_and_the_raw_body() {
        let s = secret("secretValueTest");
        let body = br#"{"event":"meeting.created","event_ts":1700000000000}"#;
        let signature = sign(&s, "1700000000", body);
        // The formula written out: v0= + hex(HMAC(secret, "v0:<ts>:<body>")).
        let expected = hmac_sha256_hex(
            b"secretValueTest",
            br#"v0:1700000000:{"event":"meeting.created","event_ts":1700000000000}"#,
        );
        assert_eq!(signature, format!("v0={expected}"));
        assert_eq!(signature.len(), 3 + 64);
        assert!(verify_signature(&s, "1700000000", body, &signature));
        assert!(!verify_signature(&s, "1700000001", body, &signature));
        assert!(!verify_signature(&s, "1700000000", b"{}", &signature));
        assert!(!verify_signature(
            &secret("x"),
            "1700000000",
            body,
            &signature
        ));
        // The same tag without its version, or with another one, is refused.
        assert!(!verify_signature(&s, "1700000000", body, &expected));
        assert!(!verify_signature(
            &s,
            "1700000000",
            body,
            &format!("v1={expected}")
        ));
        // Re-serialised JSON (spaces) is another body.
        let spaced = br#"{"event": "meeting.created", "event_ts": 1700000000000}"#;
        assert!(!verify_signature(&s, "1700000000", spaced, &signature));
    }

    #[test]
    fn the_url_validation_body_is_zoom_s() {
        let body = url_validation_body("qgg8vlvZRS6UYooatFL8Aw", 1_700_000_000_123);
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"},
                "event_ts": 1_700_000_000_123u64,
                "event": "endpoint.url_validation",
            })
        );
    }

    #[test]
    fn plain_tokens_are_random_base64url() {
        let a = new_plain_token();
        assert_eq!(a.len(), 22, "{a}");
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'),
            "{a}"
        );
        assert_ne!(a, new_plain_token());
        // RFC 4648 §10's vectors, in the url alphabet and without padding.
        for (input, output) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url(input.as_bytes()), output);
        }
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }
}
