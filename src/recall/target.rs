//! Which Recall to talk to: the URL requests go to, and the name the lockfile records.
//!
//! Which target a run uses (`--api-url` > `RECALL_API_URL` > the manifest's `base_url` > its
//! `region`) is decided by [`crate::session::resolve_target`]; this module knows nothing of
//! the manifest, so the manifest may use its URL checks without an import loop.

use std::net::IpAddr;

use url::Url;

/// What the lockfile records as the target when `--sandbox` is used; the emulator's port changes
/// on every run, so it cannot be the URL.
pub const SANDBOX_NAME: &str = "sandbox";

/// Webhook URLs of sandbox apps point here: a reserved name that can never resolve, so nobody
/// pastes a sandbox URL into a real Zoom app by mistake.
pub const SANDBOX_PUBLIC_BASE: &str = "https://sandbox.recallform.invalid";

/// A resolved target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Where API requests are sent.
    pub api_url: Url,
    /// What the lockfile records (`api_url` there).
    pub name: String,
    /// The base of the webhook URLs that go into the Zoom apps.
    pub public_base: String,
    /// Where the URL came from, for messages that point at it.
    pub origin: Origin,
}

/// Where a target's URL came from, so that a message about it can say where to change it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `--api-url`, or `RECALL_API_URL` (clap merges the two; see [`Origin::describe`]).
    ApiUrl,
    /// The manifest's `recall.base_url`.
    BaseUrl,
    /// The manifest's `recall.region`.
    Region,
    /// `export --region`.
    RegionOption,
    /// `--sandbox`: the emulator inside this process.
    Sandbox,
}

impl Origin {
    /// The place named in backticks, as messages quote it; `typed` says whether `--api-url`
    /// was on the command line rather than taken from `RECALL_API_URL`.
    pub fn describe(self, typed: bool) -> &'static str {
        match self {
            Origin::ApiUrl if typed => "`--api-url`",
            Origin::ApiUrl => "`RECALL_API_URL`",
            Origin::BaseUrl => "`recall.base_url` in the manifest",
            Origin::Region => "`recall.region` in the manifest",
            Origin::RegionOption => "`--region`",
            Origin::Sandbox => "`--sandbox`",
        }
    }
}

impl Target {
    /// A real (or user-run) Recall at `url`, named by `--api-url` or `RECALL_API_URL` unless
    /// [`Target::with_origin`] says otherwise.
    pub fn remote(url: Url) -> Target {
        let base = url.as_str().trim_end_matches('/').to_string();
        Target {
            api_url: url,
            name: base.clone(),
            public_base: base,
            origin: Origin::ApiUrl,
        }
    }

    /// The same target, with its URL from `origin`.
    pub fn with_origin(self, origin: Origin) -> Target {
        Target { origin, ..self }
    }

    /// The in-process sandbox, listening at `url`.
    pub fn sandbox(url: Url) -> Target {
        Target {
            api_url: url,
            name: SANDBOX_NAME.into(),
            public_base: SANDBOX_PUBLIC_BASE.into(),
            origin: Origin::Sandbox,
        }
    }
}

/// Checks a Recall API base URL: a [`check_url`] without a query or fragment (paths are
/// joined to it).
pub fn check_api_url(raw: &str) -> Result<Url, String> {
    let url = check_url(raw)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment".into());
    }
    Ok(url)
}

/// Checks a URL recallform sends to (Recall's API, a webhook it probes): `https://`, or
/// `http://` to loopback only, since what it sends (the API key in a header, a signed probe)
/// must not cross the network in clear; with a host, and no user name or password.
pub fn check_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("is not a valid URL ({e})"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(
                "uses plain http://, which is allowed only to loopback (127.0.0.1, ::1, localhost); use https://".into(),
            );
        }
        other => return Err(format!("has the scheme `{other}`; use https://")),
    }
    if url.host().is_none() {
        return Err("has no host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password".into());
    }
    Ok(url)
}

/// Whether the URL's host is a loopback address.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Whether two URLs share scheme, host and port: the only place the API key may be sent.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.origin() == b.origin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_only_to_loopback() {
        assert!(check_api_url("https://us-east-1.recall.ai").is_ok());
        assert!(check_api_url("http://127.0.0.1:8787").is_ok());
        assert!(check_api_url("http://[::1]:1").is_ok());
        assert!(check_api_url("http://localhost").is_ok());
        assert!(check_api_url("http://example.com").is_err());
        assert!(check_api_url("ftp://example.com").is_err());
        assert!(check_api_url("https://user:pw@example.com").is_err());
        assert!(check_api_url("not a url").is_err());
    }

    #[test]
    fn origins() {
        let a = Url::parse("http://127.0.0.1:1/api/v2/x/").unwrap();
        assert!(same_origin(
            &a,
            &Url::parse("http://127.0.0.1:1/other?cursor=1").unwrap()
        ));
        assert!(!same_origin(
            &a,
            &Url::parse("http://127.0.0.1:2/").unwrap()
        ));
        assert!(!same_origin(
            &a,
            &Url::parse("https://evil.example/").unwrap()
        ));
    }
}
