//! The probe of `webhooks verify`: one signed `endpoint.url_validation` event sent to a webhook
//! URL, as Zoom's Validate button sends it, and what the answer says about the Secret Token
//! held there.
//!
//! The sender has the Recall client's safety settings: TLS certificates always checked, no
//! redirect followed (Zoom follows none either), `http://` only to loopback, and an answer
//! read up to [`MAX_ANSWER_BYTES`]. Its deadline is Zoom's: [`DEADLINE`], for the whole
//! exchange. Whatever the server says is shown only through a [`Redactor`] that knows every
//! secret of the run, since Recall holds the very secret being checked.
//!
//! Not for: deciding which URL an app has (the lockfile records it) or wording the result
//! for people (`cli/webhooks.rs` does).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use url::Url;

use super::{CONTENT_TYPE, SIGNATURE_HEADER, TIMESTAMP_HEADER, TRACKING_HEADER};
use crate::model::SecretString;
use crate::recall::Redactor;
use crate::recall::target::{self, SANDBOX_PUBLIC_BASE};

/// Zoom waits this long for an answer to a webhook, URL validation included, then fails it.
pub const DEADLINE: Duration = Duration::from_secs(3);

/// The largest answer read: a URL-validation answer is about 120 bytes.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The probe's `user-agent`: recallform's, not Zoom's (`Zoom Marketplace/1.0a`), so that the
/// receiver's logs tell a probe from Zoom's own validation. Nothing should trust a user agent
/// anyway: the signature is what proves the sender.
pub const USER_AGENT: &str = concat!(
    "recallform/",
    env!("CARGO_PKG_VERSION"),
    " (webhooks verify)"
);

/// The longest part of a server's message shown, in characters.
const MAX_DETAIL_CHARS: usize = 200;

/// Checks a URL to send a probe to: a [`target::check_url`] (no plain HTTP but to loopback: a
/// probe is signed, and anyone on the way could read and replay it), and no fragment, which is
/// never sent.
pub fn check_url(raw: &str) -> Result<Url, String> {
    let url = target::check_url(raw)?;
    if url.fragment().is_some() {
        return Err("must not have a fragment (`#...`)".into());
    }
    Ok(url)
}

/// Where a webhook URL recorded by a `--sandbox` apply (`https://sandbox.recallform.invalid/...`,
/// which nothing can reach) is served by the running sandbox at `sandbox`: the same path on the
/// sandbox's address. `None` for a URL that is not a sandbox URL.
pub fn sandbox_url(recorded: &str, sandbox: &Url) -> Option<Url> {
    let path = recorded.strip_prefix(SANDBOX_PUBLIC_BASE)?;
    if !path.starts_with('/') {
        return None;
    }
    sandbox.join(path).ok()
}

/// What a probe found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    /// The HTTP status answered, if any answer came.
    pub status: Option<u16>,
    /// From sending the request to the end of the answer, if an answer came in time.
    pub latency: Option<Duration>,
    /// What the answer means.
    pub verdict: Verdict,
}

/// What an answer means for the Secret Token held at the URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// 200 within the deadline, the probe's `plainToken` echoed, and the `encryptedToken` its
    /// HMAC under the secret: Zoom's validation would pass.
    Matches,
    /// The server holds another Secret Token.
    Mismatch(Mismatch),
    /// No complete answer within [`DEADLINE`]: Zoom would fail the validation.
    TooSlow,
    /// 200 or 204 within the deadline, but no URL-validation answer (no `plainToken` and
    /// `encryptedToken`). Recall may not answer validations Zoom did not send (UNCONFIRMED),
    /// so this says the URL is reachable and nothing about the Secret Token.
    Unanswered,
    /// Anything else: no connection, an error status, a redirect, an answer that is not this
    /// probe's. The text says what, lowercase, server text redacted.
    Failed(String),
}

/// How a mismatch showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// The answer's `encryptedToken` is not the HMAC of `plainToken` under the secret.
    WrongToken,
    /// The server refused the probe's signature with 401, with its message if it gave one.
    SignatureRefused(Option<String>),
}

/// Sends probes.
pub struct Prober {
    http: reqwest::Client,
    redactor: Redactor,
}

impl Prober {
    /// A prober whose messages hide every secret `redactor` knows.
    pub fn new(redactor: Redactor) -> Result<Prober, String> {
        // Certificate and host-name checks stay as reqwest sets them: on.
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(DEADLINE)
            .timeout(DEADLINE)
            // Zoom does not follow redirects, and a redirect could carry the probe elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        Ok(Prober { http, redactor })
    }

    /// Sends one URL-validation event for `secret` to `url` (already checked with
    /// [`check_url`]) and judges the answer.
    pub async fn probe(&self, url: &Url, secret: &SecretString) -> Probe {
        let plain_token = super::new_plain_token();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let event_ts = u64::try_from(now.as_millis()).unwrap_or(u64::MAX);
        let timestamp = now.as_secs().to_string();
        let body = super::url_validation_body(&plain_token, event_ts);
        let request = self
            .http
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
            .header(TIMESTAMP_HEADER, &timestamp)
            .header(SIGNATURE_HEADER, super::sign(secret, &timestamp, &body))
            .header(TRACKING_HEADER, uuid::Uuid::new_v4().simple().to_string())
            .body(body);
        let started = Instant::now();
        let exchange = tokio::time::timeout(DEADLINE, async {
            let response = request.send().await?;
            let status = response.status();
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let body = read_capped(response).await?;
            Ok::<_, reqwest::Error>((status, location, body))
        })
        .await;
        let latency = started.elapsed();
        let (status, location, body) = match exchange {
            Err(_) => return no_answer(Verdict::TooSlow),
            Ok(Err(e)) if e.is_timeout() => return no_answer(Verdict::TooSlow),
            Ok(Err(e)) => return no_answer(Verdict::Failed(self.redactor.text(&describe(&e)))),
            Ok(Ok(answer)) => answer,
        };
        tracing::info!(
            "POST {url} (webhook probe) -> {status} in {} ms",
            latency.as_millis()
        );
        let verdict = match body {
            None => Verdict::Failed(format!(
                "answered {status}, with an answer larger than {} KiB",
                MAX_ANSWER_BYTES / 1024
            )),
            Some(body) => self.judge(status, location, &body, &plain_token, secret),
        };
        Probe {
            status: Some(status.as_u16()),
            latency: Some(latency),
            verdict,
        }
    }

    /// What an answer with `status` and `body` says, for the probe that sent `plain_token`.
    fn judge(
        &self,
        status: reqwest::StatusCode,
        location: Option<String>,
        body: &[u8],
        plain_token: &str,
        secret: &SecretString,
    ) -> Verdict {
        let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let field = |name: &str| {
            json.as_ref()
                .and_then(|v| v.get(name))
                .and_then(|v| v.as_str())
        };
        if status.is_redirection() {
            let to = location
                .map(|l| format!(" to `{}`", self.redactor.text(&l)))
                .unwrap_or_default();
            return Verdict::Failed(format!(
                "answered {status}, a redirect{to}, which Zoom does not follow"
            ));
        }
        let detail = field("detail").map(|d| self.shorten(d));
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Verdict::Mismatch(Mismatch::SignatureRefused(detail));
        }
        if status != reqwest::StatusCode::OK && status != reqwest::StatusCode::NO_CONTENT {
            let detail = detail.map(|d| format!(": {d}")).unwrap_or_default();
            return Verdict::Failed(format!("answered {status}{detail}"));
        }
        match (field("plainToken"), field("encryptedToken")) {
            (Some(echoed), Some(_)) if echoed != plain_token => Verdict::Failed(
                "answered with another `plainToken` than the probe's, so not to this probe".into(),
            ),
            (Some(_), Some(token)) if super::verify_url_validation(secret, plain_token, token) => {
                Verdict::Matches
            }
            (Some(_), Some(_)) => Verdict::Mismatch(Mismatch::WrongToken),
            _ => Verdict::Unanswered,
        }
    }

    /// A server's message, redacted and cut to [`MAX_DETAIL_CHARS`] on one line.
    fn shorten(&self, text: &str) -> String {
        let one_line: String = self
            .redactor
            .text(text)
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        match one_line.char_indices().nth(MAX_DETAIL_CHARS) {
            Some((cut, _)) => format!("{}…", &one_line[..cut]),
            None => one_line,
        }
    }
}

/// A probe that got no answer.
fn no_answer(verdict: Verdict) -> Probe {
    Probe {
        status: None,
        latency: None,
        verdict,
    }
}

/// The answer's body, or `None` when it is larger than [`MAX_ANSWER_BYTES`] (checked against
/// `Content-Length`, then counted while reading).
async fn read_capped(mut response: reqwest::Response) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let cap = MAX_ANSWER_BYTES as u64;
    if response.content_length().is_some_and(|n| n > cap) {
        return Ok(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if (body.len() + chunk.len()) as u64 > cap {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// One line for a transport failure: what failed, and the innermost cause.
fn describe(e: &reqwest::Error) -> String {
    let mut causes = Vec::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = source {
        causes.push(s.to_string());
        source = s.source();
    }
    let kind = if causes
        .iter()
        .any(|c| c.contains("invalid peer certificate"))
    {
        "the server's TLS certificate is not trusted, so nothing was sent"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the answer was cut off"
    } else {
        "the connection failed"
    };
    match causes.last() {
        Some(root) => format!("{kind} ({root})"),
        None => kind.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_https_or_loopback_http() {
        assert!(check_url("https://hooks.acme.example/zoom/acme-prod?app=1").is_ok());
        assert!(check_url("http://127.0.0.1:8080/hook").is_ok());
        assert!(check_url("http://[::1]:1/").is_ok());
        assert!(check_url("http://localhost/").is_ok());
        for (raw, why) in [
            ("http://hooks.acme.example/", "uses plain http://"),
            ("ftp://hooks.acme.example/", "has the scheme `ftp`"),
            (
                "https://user:pw@hooks.acme.example/",
                "user name or password",
            ),
            ("https://hooks.acme.example/#x", "fragment"),
            ("hooks.acme.example", "is not a valid URL"),
        ] {
            let e = check_url(raw).unwrap_err();
            assert!(e.contains(why), "{raw}: {e}");
        }
    }

    #[test]
    fn sandbox_urls_map_to_the_running_sandbox() {
        let sandbox = Url::parse("http://127.0.0.1:41234").unwrap();
        assert_eq!(
            sandbox_url(
                "https://sandbox.recallform.invalid/api/v2/zoom-oauth-apps/abc/webhook",
                &sandbox
            )
            .unwrap()
            .as_str(),
            "http://127.0.0.1:41234/api/v2/zoom-oauth-apps/abc/webhook"
        );
        assert_eq!(
            sandbox_url("https://us-east-1.recall.ai/api/v2/x/webhook", &sandbox),
            None
        );
        assert_eq!(
            sandbox_url("https://sandbox.recallform.invalid.evil/x", &sandbox),
            None
        );
    }

    fn prober() -> Prober {
        let redactor = Redactor::new();
        redactor.learn(&SecretString::new("hush-hush-secret".into()));
        Prober::new(redactor).unwrap()
    }

    #[test]
    fn answers_are_judged_by_status_and_tokens() {
        let p = prober();
        let s = SecretString::new("secretValueTest".into());
        let plain = "qgg8vlvZRS6UYooatFL8Aw";
        let good = super::super::url_validation_answer(&s, plain);
        let judge = |status: u16, body: &str| {
            p.judge(
                reqwest::StatusCode::from_u16(status).unwrap(),
                None,
                body.as_bytes(),
                plain,
                &s,
            )
        };
        let answer = |p: &str, e: &str| format!(r#"{{"plainToken":"{p}","encryptedToken":"{e}"}}"#);
        assert_eq!(judge(200, &answer(plain, &good)), Verdict::Matches);
        assert_eq!(
            judge(200, &answer(plain, &"0".repeat(64))),
            Verdict::Mismatch(Mismatch::WrongToken)
        );
        assert!(
            matches!(judge(200, &answer("other", &good)), Verdict::Failed(m) if m.contains("another `plainToken`"))
        );
        assert_eq!(judge(204, ""), Verdict::Unanswered);
        assert_eq!(judge(200, "{}"), Verdict::Unanswered);
        assert_eq!(judge(200, "<html>ok</html>"), Verdict::Unanswered);
        assert_eq!(
            judge(401, r#"{"detail":"Invalid Zoom signature."}"#),
            Verdict::Mismatch(Mismatch::SignatureRefused(Some(
                "Invalid Zoom signature.".into()
            )))
        );
        assert_eq!(
            judge(201, &answer(plain, &good)),
            Verdict::Failed("answered 201 Created".into())
        );
        // The server's words never carry a secret, and are cut short.
        assert_eq!(
            judge(500, r#"{"detail":"secret hush-hush-secret is\nwrong"}"#),
            Verdict::Failed(
                "answered 500 Internal Server Error: secret (sensitive) is wrong".into()
            )
        );
        let Verdict::Failed(long) = judge(404, &format!(r#"{{"detail":"{}"}}"#, "x".repeat(500)))
        else {
            panic!()
        };
        assert_eq!(long.chars().count(), "answered 404 Not Found: ".len() + 201);
    }

    #[test]
    fn redirects_are_not_followed_and_say_where() {
        let p = prober();
        let s = SecretString::new("k".into());
        let v = p.judge(
            reqwest::StatusCode::FOUND,
            Some("https://elsewhere.example/hush-hush-secret".into()),
            b"",
            "t",
            &s,
        );
        assert_eq!(
            v,
            Verdict::Failed(
                "answered 302 Found, a redirect to `https://elsewhere.example/(sensitive)`, which Zoom does not follow".into()
            )
        );
    }
}
