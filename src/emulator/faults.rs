//! The answers of the injected faults that make the emulator a hostile or broken server: bodies
//! that echo what they were sent, pages too large to read.
//!
//! Not for: deciding when a fault applies (that is the server's request order).

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use serde_json::{Value, json};

use super::server::Reply;

/// DRF field errors that quote each field of `sent` back (see [`FaultKind::Echo`]).
pub(super) fn echo_errors(sent: &Value) -> Value {
    let mut errors = serde_json::Map::new();
    let mut whole = Vec::new();
    let mut by_value = serde_json::Map::new();
    for (field, value) in sent.as_object().into_iter().flatten() {
        let text = value
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| value.to_string());
        errors.insert(field.clone(), json!([format!("\"{text}\" is not valid.")]));
        // A serializer that coerced the value to a number echoes it as one.
        whole.push(match text.parse::<u64>() {
            Ok(n) => json!(n),
            Err(_) => match text.parse::<f64>() {
                Ok(f) if f.is_finite() => json!(f),
                _ => json!(text),
            },
        });
        by_value.insert(text, json!(["This value is not allowed."]));
    }
    errors.insert(
        "nested".into(),
        json!({"non_field_errors": whole, "by_value": by_value}),
    );
    Value::Object(errors)
}

/// A page like Django's debug page, which shows the request body and headers (see
/// [`FaultKind::EchoPage`]).
pub(super) fn debug_page(
    status: u16,
    path: &str,
    body: &[u8],
    authorization: Option<&str>,
) -> Reply {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#x27;")
    };
    let page = format!(
        "<!DOCTYPE html><html><head><title>ValidationError at {path}</title></head><body>\
         <h1>ValidationError at {path}</h1><h2>Request information</h2><table>\
         <tr><td>HTTP_AUTHORIZATION</td><td><pre>&#x27;{}&#x27;</pre></td></tr>\
         <tr><td>body</td><td><pre>{}</pre></td></tr></table></body></html>",
        escape(authorization.unwrap_or_default()),
        escape(&String::from_utf8_lossy(body)),
    );
    Response::builder()
        .status(status)
        .header("content-type", "text/html; charset=utf-8")
        .body(Full::new(Bytes::from(page)))
        .expect("a test's status is valid")
}

/// A valid, empty list page padded to `size` bytes (or as short as it can be).
pub(super) fn huge_page(size: usize, chunked: bool) -> Reply {
    let head = r#"{"next":null,"previous":null,"results":[],"padding":""#;
    let tail = r#""}"#;
    let mut text = String::with_capacity(size.max(head.len() + tail.len()));
    text.push_str(head);
    text.extend(std::iter::repeat_n(
        'x',
        size.saturating_sub(head.len() + tail.len()),
    ));
    text.push_str(tail);
    let mut builder = Response::builder()
        .status(200)
        .header("content-type", "application/json");
    if chunked {
        // hyper honours an explicit `Transfer-Encoding` and then sends no `Content-Length`.
        builder = builder.header("transfer-encoding", "chunked");
    }
    builder
        .body(Full::new(Bytes::from(text)))
        .expect("a static response is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_every_field_in_every_shape() {
        let sent = json!({"client_secret": "s3cret", "webhook_secret": "12345"});
        assert_eq!(
            echo_errors(&sent),
            json!({
                "client_secret": ["\"s3cret\" is not valid."],
                "webhook_secret": ["\"12345\" is not valid."],
                "nested": {
                    "non_field_errors": ["s3cret", 12345],
                    "by_value": {
                        "s3cret": ["This value is not allowed."],
                        "12345": ["This value is not allowed."],
                    },
                },
            })
        );
    }

    #[test]
    fn huge_pages_are_valid_json_of_the_size_asked() {
        for size in [0, 10, 1000, 1 << 20] {
            let reply = huge_page(size, false);
            let body = body_of(reply);
            let v: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(v["results"], json!([]));
            assert_eq!(body.len(), size.max(55), "{size}");
        }
    }

    fn body_of(reply: Reply) -> Bytes {
        use http_body_util::BodyExt;
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(reply.into_body().collect()).unwrap().to_bytes()
    }
}
