//! The relay's one log line per request: the app, the event type, the outcome, the status
//! answered and the time taken, in `key=value` form for log collectors. Never a secret, never a
//! body: the event type is read from a copy of a verified body and cut down to the characters
//! an event type has, and details come redacted.
//!
//! Not for: printing (`cli/relay.rs` prints each line it is handed).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Where the relay hands its log lines.
pub type Sink = Arc<dyn Fn(Record) + Send + Sync>;

/// What happened to one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The app, when the path is one's.
    pub app: Option<String>,
    /// The event type (`meeting.created`), when the request passed the checks and its body
    /// says one.
    pub event: Option<String>,
    /// What happened: `forwarded`, `recall_unavailable`, a rejection's reason...
    pub outcome: Cow<'static, str>,
    /// The status answered to Zoom; for a delivery from the spool, Recall's status (`None`:
    /// Recall did not answer).
    pub status: Option<u16>,
    /// From the request's arrival to its answer; for a delivery from the spool, Recall's time.
    pub latency: Duration,
    /// More, redacted.
    pub detail: Option<String>,
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "app={} event={} outcome={} status={} latency_ms={:.1}",
            self.app.as_deref().unwrap_or("-"),
            self.event.as_deref().unwrap_or("-"),
            self.outcome,
            Dash(self.status),
            self.latency.as_secs_f64() * 1000.0,
        )?;
        if let Some(detail) = &self.detail {
            write!(f, " detail={}", quoted(detail))?;
        }
        Ok(())
    }
}

/// A value, or `-` for none.
struct Dash<T>(Option<T>);

impl<T: fmt::Display> fmt::Display for Dash<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(value) => value.fmt(f),
            None => f.write_str("-"),
        }
    }
}

/// The event type of a verified `body`, fit for a log line ([`event_type`]), read from a
/// copy: `None` when the body is not a JSON object with a string `event`.
pub fn event_type_of(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Head {
        event: Option<String>,
    }
    serde_json::from_slice::<Head>(body)
        .ok()
        .and_then(|h| h.event)
        .as_deref()
        .and_then(event_type)
}

/// `text` in double quotes, with quotes, backslashes and control characters escaped, so that
/// one record stays one line.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The longest event type shown.
const MAX_EVENT_CHARS: usize = 64;

/// An event type fit for a log line: letters, digits and `._:-` only, at most 64 characters;
/// `None` for anything else, which no Zoom event type is.
pub fn event_type(raw: &str) -> Option<String> {
    let fits = !raw.is_empty()
        && raw.len() <= MAX_EVENT_CHARS
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b));
    fits.then(|| raw.to_string())
}

/// A path fit for a detail: printable ASCII only, cut to 100 characters.
pub fn path(raw: &str) -> String {
    let clean: String = raw
        .chars()
        .map(|c| match c.is_ascii_graphic() {
            true => c,
            false => '?',
        })
        .take(100)
        .collect();
    clean
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_each() {
        let r = Record {
            app: Some("acme-prod".into()),
            event: Some("meeting.created".into()),
            outcome: "forwarded".into(),
            status: Some(200),
            latency: Duration::from_micros(12_345),
            detail: None,
        };
        assert_eq!(
            r.to_string(),
            "app=acme-prod event=meeting.created outcome=forwarded status=200 latency_ms=12.3"
        );
        let r = Record {
            app: None,
            event: None,
            outcome: "unknown_app".into(),
            status: Some(404),
            latency: Duration::ZERO,
            detail: Some("no app at \"/x\"\nforged=1".into()),
        };
        assert_eq!(
            r.to_string(),
            "app=- event=- outcome=unknown_app status=404 latency_ms=0.0 detail=\"no app at \\\"/x\\\" forged=1\""
        );
    }

    #[test]
    fn event_types_and_paths_are_cleaned() {
        assert_eq!(
            event_type("endpoint.url_validation").as_deref(),
            Some("endpoint.url_validation")
        );
        assert_eq!(event_type("a b"), None);
        assert_eq!(event_type("x\nforged=1"), None);
        assert_eq!(event_type(""), None);
        assert_eq!(event_type(&"a".repeat(65)), None);
        assert_eq!(path("/zoom/a b\n"), "/zoom/a?b?");
        assert_eq!(path(&"/".repeat(300)).len(), 100);
    }
}
