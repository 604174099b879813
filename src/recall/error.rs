//! Errors from talking to Recall, each saying what was being done and, when Recall answered,
//! the request ID its support can look the answer up by.
//!
//! Texts that come from Recall are built from bodies the [`Redactor`] has already cleaned, and
//! every error leaving the client passes through it once more (see [`Unredacted`]). A hint,
//! when there is one, is added by the client, which knows the target and where its URL came
//! from.

use reqwest::StatusCode;

use super::redact::Redactor;

/// A failed exchange with Recall.
#[derive(Debug, thiserror::Error)]
pub enum RecallError {
    /// Recall answered with an error status.
    #[error("{action}: Recall answered {status}: {message}{}{}", quoted(.request_id), hint_line(.hint))]
    Api {
        /// What recallform was doing.
        action: String,
        /// The HTTP status.
        status: u16,
        /// Recall's own message, or a summary of a non-JSON body.
        message: String,
        /// Recall's ID for the request, when it sent one.
        request_id: Option<String>,
        /// What to check, when the answer suggests it (a key of another Recall, a base URL
        /// with the API's path in it).
        hint: Option<String>,
    },
    /// The request could not be completed (connection, timeout, TLS).
    #[error("{action}: {detail}")]
    Transport {
        /// What recallform was doing.
        action: String,
        /// What went wrong.
        detail: String,
    },
    /// Recall's answer did not follow the API (or pointed somewhere unsafe).
    #[error("{action}: {detail}{}", quoted(.request_id))]
    Protocol {
        /// What recallform was doing.
        action: String,
        /// What was wrong with the answer.
        detail: String,
        /// Recall's ID for the request whose answer was wrong, when it sent one.
        request_id: Option<String>,
    },
    /// Recall answered, but its answer cannot be used: a body that is not JSON, cut short, of
    /// the wrong shape, or a list that breaks the rules of a list (IDs that are not UUIDs or
    /// repeat, a page larger than the first, an empty page with a next one, a next page
    /// elsewhere). Names the request and the status, since the fault is the server's.
    #[error(
        "{action}: Recall answered {status} to `{request}`, but {detail}{}",
        quoted(.request_id)
    )]
    Malformed {
        /// What recallform was doing.
        action: String,
        /// The request: method and path, such as `GET /api/v2/zoom-oauth-apps/`.
        request: String,
        /// The HTTP status.
        status: u16,
        /// What is wrong with the answer.
        detail: String,
        /// Recall's ID for the request, when it sent one.
        request_id: Option<String>,
    },
    /// Every attempt failed with a transient error.
    #[error(
        "{action}: gave up after {attempts} attempts; the last one failed: {last}{}{}",
        quoted(.request_id),
        hint_line(.hint)
    )]
    GaveUp {
        /// What recallform was doing.
        action: String,
        /// How many attempts were made.
        attempts: u32,
        /// Why the last one failed.
        last: String,
        /// Recall's ID for the last attempt, when it got an answer with one.
        request_id: Option<String>,
        /// What to check, when the failure suggests it (no server at the URL, too short a
        /// timeout).
        hint: Option<String>,
    },
}

/// A hint on its own line, or nothing.
fn hint_line(hint: &Option<String>) -> String {
    match hint {
        Some(hint) => format!("\n  = hint: {hint}"),
        None => String::new(),
    }
}

/// ` (request ID …)`, or nothing when Recall sent none.
fn quoted(request_id: &Option<String>) -> String {
    match request_id {
        Some(id) => format!(" (request ID {id})"),
        None => String::new(),
    }
}

/// An error inside the client, not yet redacted. It does not convert into [`RecallError`]: the
/// one way out is [`Redactor::error`] through `Client::seal`, so no public method can return
/// Recall's words without that pass.
pub(super) struct Unredacted(pub(super) RecallError);

impl From<RecallError> for Unredacted {
    fn from(e: RecallError) -> Self {
        Unredacted(e)
    }
}

impl RecallError {
    pub(super) fn transport(action: &str, e: &reqwest::Error) -> Self {
        RecallError::Transport {
            action: action.into(),
            detail: Self::describe_transport(e),
        }
    }

    pub(super) fn protocol(
        action: &str,
        detail: impl Into<String>,
        request_id: Option<&str>,
    ) -> Self {
        RecallError::Protocol {
            action: action.into(),
            detail: detail.into(),
            request_id: request_id.map(str::to_string),
        }
    }

    pub(super) fn malformed(answer: &Answered, action: &str, detail: impl Into<String>) -> Self {
        RecallError::Malformed {
            action: action.into(),
            request: answer.request.clone(),
            status: answer.status.as_u16(),
            detail: detail.into(),
            request_id: answer.request_id.clone(),
        }
    }

    pub(super) fn gave_up(
        action: &str,
        attempts: u32,
        last: &str,
        request_id: Option<&str>,
    ) -> Self {
        RecallError::GaveUp {
            action: action.into(),
            attempts,
            last: last.into(),
            request_id: request_id.map(str::to_string),
            hint: None,
        }
    }

    /// The same error with `hint` on an answer or a failure that can carry one (`Api`,
    /// `GaveUp`); others are returned as they are.
    pub(super) fn with_hint(self, hint: String) -> Self {
        match self {
            RecallError::Api {
                action,
                status,
                message,
                request_id,
                ..
            } => RecallError::Api {
                action,
                status,
                message,
                request_id,
                hint: Some(hint),
            },
            RecallError::GaveUp {
                action,
                attempts,
                last,
                request_id,
                ..
            } => RecallError::GaveUp {
                action,
                attempts,
                last,
                request_id,
                hint: Some(hint),
            },
            other => other,
        }
    }

    /// Builds an API error from a response body: DRF's `{"detail": ...}`, field errors
    /// (`{"kind": ["..."]}`), or the start of a non-JSON body such as the WAF's HTML page.
    /// Secrets are replaced before the body is cut short, so no prefix of one is left at the
    /// cut.
    pub(super) fn api(action: &str, answer: &Answered, body: &[u8], redactor: &Redactor) -> Self {
        let status = answer.status;
        let message = if status.is_redirection() {
            let to = answer
                .location
                .as_deref()
                .unwrap_or("nowhere (no `Location` header)");
            format!(
                "a redirect to {to}, which recallform never follows (the API key goes only where it is sent)"
            )
        } else if answer.is_json {
            serde_json::from_slice::<serde_json::Value>(body)
                .map(|v| drf_message(&redactor.values(&v)))
                .unwrap_or_else(|_| snippet(&redactor.text(&String::from_utf8_lossy(body))))
        } else if status == StatusCode::FORBIDDEN {
            format!(
                "`{}` was blocked by Recall's firewall (an HTML page, not an API answer)",
                answer.request
            )
        } else {
            format!(
                "{} ({}, not an API answer to `{}`)",
                snippet(&redactor.text(&String::from_utf8_lossy(body))),
                answer.content_type(),
                answer.request
            )
        };
        let message = if answer.cut {
            format!(
                "{message}; the body is larger than {}, and the rest of it was not read",
                crate::units::size(super::client::MAX_ERROR_BODY_BYTES)
            )
        } else {
            message
        };
        RecallError::Api {
            action: action.into(),
            status: status.as_u16(),
            message,
            request_id: answer.request_id.clone(),
            hint: None,
        }
    }

    /// A one-line description of a transport failure, without the request URL's query.
    pub(super) fn describe_transport(e: &reqwest::Error) -> String {
        let kind = if untrusted_certificate(e) {
            "the server's TLS certificate is not trusted, so nothing was sent"
        } else if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "could not connect"
        } else if e.is_body() || e.is_decode() {
            "the response was cut off"
        } else {
            "the connection failed"
        };
        let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
        let mut root = None;
        while let Some(s) = source {
            root = Some(s.to_string());
            source = s.source();
        }
        match root {
            Some(root) => format!("{kind} ({root})"),
            None => kind.to_string(),
        }
    }

    /// The same error with `f` applied to each of its texts (for [`Redactor::error`]).
    pub(super) fn map_texts(self, f: impl Fn(String) -> String) -> Self {
        match self {
            RecallError::Api {
                action,
                status,
                message,
                request_id,
                hint,
            } => RecallError::Api {
                action: f(action),
                status,
                message: f(message),
                request_id: request_id.map(&f),
                hint: hint.map(&f),
            },
            RecallError::Transport { action, detail } => RecallError::Transport {
                action: f(action),
                detail: f(detail),
            },
            RecallError::Protocol {
                action,
                detail,
                request_id,
            } => RecallError::Protocol {
                action: f(action),
                detail: f(detail),
                request_id: request_id.map(&f),
            },
            RecallError::Malformed {
                action,
                request,
                status,
                detail,
                request_id,
            } => RecallError::Malformed {
                action: f(action),
                request: f(request),
                status,
                detail: f(detail),
                request_id: request_id.map(&f),
            },
            RecallError::GaveUp {
                action,
                attempts,
                last,
                request_id,
                hint,
            } => RecallError::GaveUp {
                action: f(action),
                attempts,
                last: f(last),
                request_id: request_id.map(&f),
                hint: hint.map(&f),
            },
        }
    }
}

/// Whether the connection failed because the server's certificate was not trusted (unknown
/// issuer, expired, wrong name). Retrying cannot help, and the request never left.
pub(super) fn untrusted_certificate(e: &reqwest::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        // rustls reports through an `io::Error`, whose `source` skips the inner error itself.
        let inner = s
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|i| i.to_string());
        if s.to_string().contains("invalid peer certificate")
            || inner.is_some_and(|i| i.contains("invalid peer certificate"))
        {
            return true;
        }
        source = s.source();
    }
    false
}

/// The headers that carry the ID Recall's support looks a request up by, in the order they
/// are looked for: the first one present wins.
pub const REQUEST_ID_HEADERS: [&str; 4] = [
    "x-request-id",
    "request-id",
    "x-amzn-requestid",
    "x-amz-cf-id",
];

/// What is known of an answer before its body is read.
pub(super) struct Answered {
    /// The request it answers: method and path (no query, which may hold a cursor or a
    /// filter), such as `GET /api/v2/zoom-oauth-apps/`.
    pub(super) request: String,
    /// The HTTP status.
    pub(super) status: StatusCode,
    /// Whether the body says it is JSON.
    pub(super) is_json: bool,
    /// The `Content-Type` header, if any and printable.
    pub(super) content_type: Option<String>,
    /// Whether the body was longer than what was read of it (an error body past its cap).
    pub(super) cut: bool,
    /// Recall's ID for the request, if it sent one.
    pub(super) request_id: Option<String>,
    /// Where a redirect points: origin and path only, as a query may carry anything.
    pub(super) location: Option<String>,
}

impl Answered {
    /// The body's type as messages name it: `` `Content-Type: text/html` ``, or
    /// `` no `Content-Type` ``.
    pub(super) fn content_type(&self) -> String {
        match &self.content_type {
            Some(t) => format!("`Content-Type: {t}`"),
            None => "no `Content-Type`".into(),
        }
    }

    pub(super) fn of(method: &reqwest::Method, response: &reqwest::Response) -> Answered {
        let headers = response.headers();
        let location = headers
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|raw| match response.url().join(raw) {
                Ok(mut url) => {
                    url.set_query(None);
                    url.set_fragment(None);
                    let _ = url.set_username("");
                    let _ = url.set_password(None);
                    format!("`{url}`")
                }
                Err(_) => "an unreadable `Location`".to_string(),
            });
        let content_type = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(100).collect::<String>());
        Answered {
            request: format!("{method} {}", response.url().path()),
            status: response.status(),
            // `application/json`, or a `+json` type; `text/json-ish` is not JSON.
            is_json: content_type.as_deref().is_some_and(|v| {
                let essence = v.split(';').next().unwrap_or_default().trim();
                essence.eq_ignore_ascii_case("application/json") || essence.ends_with("+json")
            }),
            content_type,
            cut: false,
            request_id: request_id(headers),
            location,
        }
    }
}

/// The first request-ID header present (see [`REQUEST_ID_HEADERS`]), kept short and printable.
pub(super) fn request_id(headers: &reqwest::header::HeaderMap) -> Option<String> {
    REQUEST_ID_HEADERS.iter().find_map(|name| {
        // `to_str` accepts visible ASCII only, so no control character reaches a terminal.
        let value = headers.get(*name)?.to_str().ok()?.trim();
        (!value.is_empty()).then(|| value.chars().take(128).collect())
    })
}

fn drf_message(v: &serde_json::Value) -> String {
    if let Some(detail) = v.get("detail").and_then(|d| d.as_str()) {
        return detail.to_string();
    }
    match v.as_object() {
        Some(fields) if !fields.is_empty() => fields
            .iter()
            .map(|(field, msgs)| {
                let text = match msgs {
                    serde_json::Value::Array(items) => items
                        .iter()
                        .map(|m| {
                            m.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| m.to_string())
                        })
                        .collect::<Vec<_>>()
                        .join(" "),
                    other => other
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| other.to_string()),
                };
                format!("{field}: {text}")
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => v.to_string(),
    }
}

/// The start of a body, on one line. Takes text the redactor has already cleaned: cutting first
/// could leave the head of a secret behind.
pub(super) fn snippet(text: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        return "(empty body)".into();
    }
    let mut s: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        s.push('…');
    }
    s.replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: u16, is_json: bool) -> Answered {
        Answered {
            request: "GET /api/v2/zoom-oauth-apps/".into(),
            status: StatusCode::from_u16(status).unwrap(),
            is_json,
            content_type: Some(
                if is_json {
                    "application/json"
                } else {
                    "text/html"
                }
                .into(),
            ),
            cut: false,
            request_id: None,
            location: None,
        }
    }

    #[test]
    fn drf_shapes() {
        let r = Redactor::new();
        let e = RecallError::api("x", &answered(400, true), br#"{"kind": ["\"a\" is not a valid choice."], "client_id": ["This field is required."]}"#, &r);
        assert_eq!(
            e.to_string(),
            r#"x: Recall answered 400: client_id: This field is required.; kind: "a" is not a valid choice."#
        );
        let e = RecallError::api(
            "x",
            &answered(404, true),
            br#"{"detail": "Not found."}"#,
            &r,
        );
        assert_eq!(e.to_string(), "x: Recall answered 404: Not found.");
        let e = RecallError::api(
            "x",
            &answered(403, false),
            b"<html>Request blocked</html>",
            &r,
        );
        assert!(e.to_string().contains("firewall"));
    }

    #[test]
    fn the_request_id_is_quoted_when_there_is_one() {
        let r = Redactor::new();
        let mut a = answered(400, true);
        a.request_id = Some("3f2a-11".into());
        let e = RecallError::api("x", &a, br#"{"detail": "Bad."}"#, &r);
        assert_eq!(
            e.to_string(),
            "x: Recall answered 400: Bad. (request ID 3f2a-11)"
        );
        let e = RecallError::gave_up("x", 5, "Recall answered 503", Some("r-9"));
        assert_eq!(
            e.to_string(),
            "x: gave up after 5 attempts; the last one failed: Recall answered 503 (request ID r-9)"
        );
        let e = RecallError::protocol("x", "bad page", None);
        assert_eq!(e.to_string(), "x: bad page");
    }

    #[test]
    fn request_id_headers_in_order() {
        use reqwest::header::{HeaderMap, HeaderValue};
        let mut h = HeaderMap::new();
        assert_eq!(request_id(&h), None);
        h.insert("x-amz-cf-id", HeaderValue::from_static("cf"));
        assert_eq!(request_id(&h).as_deref(), Some("cf"));
        h.insert("x-amzn-requestid", HeaderValue::from_static("amzn"));
        assert_eq!(request_id(&h).as_deref(), Some("amzn"));
        h.insert("request-id", HeaderValue::from_static("plain"));
        assert_eq!(request_id(&h).as_deref(), Some("plain"));
        h.insert("x-request-id", HeaderValue::from_static(" x "));
        assert_eq!(request_id(&h).as_deref(), Some("x"));
        h.insert("x-request-id", HeaderValue::from_static(""));
        assert_eq!(
            request_id(&h).as_deref(),
            Some("plain"),
            "an empty one is skipped"
        );
    }

    #[test]
    fn a_secret_at_the_cut_leaves_no_prefix() {
        let r = Redactor::new();
        r.learn(&crate::model::SecretString::new("ABCDEFGHIJKLMNOP".into()));
        let body = format!("{}ABCDEFGHIJKLMNOP", "x".repeat(195));
        let e = RecallError::api("x", &answered(500, false), body.as_bytes(), &r);
        assert!(!e.to_string().contains("ABCDE"), "{e}");
    }
}
