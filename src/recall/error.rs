//! Errors from talking to Recall, each saying what was being done.

use reqwest::StatusCode;

use crate::model::SecretString;

/// A failed exchange with Recall.
#[derive(Debug, thiserror::Error)]
pub enum RecallError {
    /// Recall answered with an error status.
    #[error("{action}: Recall answered {status}: {message}")]
    Api {
        /// What recallform was doing.
        action: String,
        /// The HTTP status.
        status: u16,
        /// Recall's own message, or a summary of a non-JSON body.
        message: String,
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
    #[error("{action}: {detail}")]
    Protocol {
        /// What recallform was doing.
        action: String,
        /// What was wrong with the answer.
        detail: String,
    },
    /// Every attempt failed with a transient error.
    #[error("{action}: gave up after {attempts} attempts; the last one failed: {last}")]
    GaveUp {
        /// What recallform was doing.
        action: String,
        /// How many attempts were made.
        attempts: u32,
        /// Why the last one failed.
        last: String,
    },
}

impl RecallError {
    pub(super) fn transport(action: &str, e: &reqwest::Error) -> Self {
        RecallError::Transport {
            action: action.into(),
            detail: Self::describe_transport(e),
        }
    }

    pub(super) fn protocol(action: &str, detail: impl Into<String>) -> Self {
        RecallError::Protocol {
            action: action.into(),
            detail: detail.into(),
        }
    }

    pub(super) fn gave_up(action: &str, attempts: u32, last: &str) -> Self {
        RecallError::GaveUp {
            action: action.into(),
            attempts,
            last: last.into(),
        }
    }

    /// Builds an API error from a response body: DRF's `{"detail": ...}`, field errors
    /// (`{"kind": ["..."]}`), or the start of a non-JSON body such as the WAF's HTML page.
    pub(super) fn api(action: &str, status: StatusCode, is_json: bool, body: &[u8]) -> Self {
        let message = if is_json {
            serde_json::from_slice::<serde_json::Value>(body)
                .map(|v| drf_message(&v))
                .unwrap_or_else(|_| snippet(body))
        } else if status == StatusCode::FORBIDDEN {
            "the request was blocked by Recall's firewall (an HTML page, not an API answer)".into()
        } else {
            snippet(body)
        };
        let message = match status {
            StatusCode::UNAUTHORIZED => {
                format!("{message} (check the API key and that it belongs to this region)")
            }
            _ => message,
        };
        RecallError::Api {
            action: action.into(),
            status: status.as_u16(),
            message,
        }
    }

    /// A one-line description of a transport failure, without the request URL's query.
    pub(super) fn describe_transport(e: &reqwest::Error) -> String {
        let kind = if e.is_timeout() {
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

    /// Removes any copy of the given secrets from the message, in case Recall echoes input.
    pub(super) fn redact(self, secrets: &[&SecretString]) -> Self {
        match self {
            RecallError::Api {
                action,
                status,
                mut message,
            } => {
                for s in secrets {
                    if !s.expose().is_empty() {
                        message = message.replace(s.expose(), "(sensitive)");
                    }
                }
                RecallError::Api {
                    action,
                    status,
                    message,
                }
            }
            other => other,
        }
    }
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

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
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

    #[test]
    fn drf_shapes() {
        let e = RecallError::api("x", StatusCode::BAD_REQUEST, true, br#"{"kind": ["\"a\" is not a valid choice."], "client_id": ["This field is required."]}"#);
        assert_eq!(
            e.to_string(),
            r#"x: Recall answered 400: client_id: This field is required.; kind: "a" is not a valid choice."#
        );
        let e = RecallError::api(
            "x",
            StatusCode::NOT_FOUND,
            true,
            br#"{"detail": "Not found."}"#,
        );
        assert_eq!(e.to_string(), "x: Recall answered 404: Not found.");
        let e = RecallError::api(
            "x",
            StatusCode::FORBIDDEN,
            false,
            b"<html>Request blocked</html>",
        );
        assert!(e.to_string().contains("firewall"));
    }

    #[test]
    fn redacts_echoed_secrets() {
        let secret = SecretString::new("topsecret".into());
        let e = RecallError::api(
            "x",
            StatusCode::BAD_REQUEST,
            true,
            br#"{"client_secret": ["topsecret is bad"]}"#,
        )
        .redact(&[&secret]);
        assert!(!e.to_string().contains("topsecret"));
    }
}
