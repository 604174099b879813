//! What a manifest may read: which environment variables, and which files.
//!
//! A manifest is untrusted input: it arrives in pull requests, and `plan` runs on those with
//! the pipeline's secrets in its environment. So the rules come only from whoever runs
//! recallform (the command line and the environment), never from the manifest itself, and
//! they are checked twice: on the manifest's text by `validate`, before any variable or file is
//! read, and on the file system by [`super::credentials`], at the moment a file is read.
//!
//! Not for: reading anything. This module only decides.

use std::fmt;
use std::path::{Component, Path};

/// The variable that holds the Recall API key unless `recall.api_key` names another.
pub const DEFAULT_API_KEY_ENV: &str = "RECALL_API_KEY";

/// The largest secret (or client ID) file recallform reads. A Zoom secret is a few dozen bytes;
/// the cap stops a manifest from pointing a reference at a device or a huge file.
pub const MAX_FILE_BYTES: u64 = 64 * 1024;

/// The reading rules of one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadRules {
    /// `--env-allow` / `RECALLFORM_ENV_ALLOW`: when set, the only variables a manifest may
    /// name in `{env: ...}`.
    pub env_allow: Option<EnvAllowlist>,
    /// `--allow-external-files`: lets `{file: ...}` leave the manifest's folder (for pipelines
    /// whose manifest is trusted).
    pub allow_external_files: bool,
    /// `--max-manifest-bytes` / `RECALLFORM_MAX_MANIFEST_BYTES`: the largest manifest file
    /// read, [`DEFAULT_MAX_FILE_BYTES`](super::DEFAULT_MAX_FILE_BYTES) unless raised.
    pub max_manifest_bytes: u64,
}

impl Default for ReadRules {
    fn default() -> Self {
        ReadRules {
            env_allow: None,
            allow_external_files: false,
            max_manifest_bytes: super::DEFAULT_MAX_FILE_BYTES,
        }
    }
}

/// Glob patterns of environment variable names; `*` matches any run of characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvAllowlist {
    patterns: Vec<String>,
}

impl EnvAllowlist {
    /// Checks each pattern: letters, digits, `_` and `*` only, and not empty.
    pub fn new(patterns: Vec<String>) -> Result<EnvAllowlist, String> {
        for p in &patterns {
            let ok = !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '*');
            if !ok {
                return Err(format!(
                    "`--env-allow` pattern `{p}` is not a variable name pattern (letters, digits, `_`, and `*` for any run of characters)"
                ));
            }
        }
        Ok(EnvAllowlist { patterns })
    }

    /// Whether some pattern matches `name` exactly (case-sensitive, like the environment).
    pub fn allows(&self, name: &str) -> bool {
        self.patterns.iter().any(|p| glob_match(p, name))
    }
}

impl fmt::Display for EnvAllowlist {
    /// The patterns as a list of code spans, for error messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<&str> = self.patterns.iter().map(String::as_str).collect();
        f.write_str(&super::backticked(&list))
    }
}

/// `*` matches any run of characters (none included); everything else matches itself.
fn glob_match(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let tail: Vec<&str> = parts.collect();
    let Some((last, middle)) = tail.split_last() else {
        return rest.is_empty(); // no `*` at all
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Whether a `{file: ...}` path, as written, stays inside the manifest's folder: relative, and
/// no `..` climbs above where it started. Symlinks are the file system's business, checked when
/// the file is read.
pub fn stays_inside(path: &str) -> bool {
    let path = Path::new(path);
    let mut depth: usize = 0;
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => return false,
            Component::CurDir => {}
            Component::ParentDir => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return false,
            },
            Component::Normal(_) => depth += 1,
        }
    }
    true
}

/// Whether a manifest may point `recall.base_url` at `url`: Recall itself (`https://` on
/// `recall.ai` or a subdomain) or a loopback address. The API key goes wherever the URL points,
/// and the manifest arrives in pull requests; any other host (a proxy, say) is named by the
/// pipeline, with `--api-url` or `RECALL_API_URL`.
pub fn may_name_base_url(url: &url::Url) -> bool {
    let recall = url.scheme() == "https"
        && url.host_str().is_some_and(|h| {
            let h = h.to_ascii_lowercase();
            h == "recall.ai" || h.ends_with(".recall.ai")
        });
    recall || crate::recall::target::is_loopback(url)
}

/// Words that mark a variable or a file as holding a secret. A client ID is printed in every
/// plan, so it must not come from such a source: that is how a manifest would make a plan
/// reveal a secret the pipeline holds for another purpose.
const SECRET_WORDS: &[&str] = &[
    "secret",
    "secrets",
    "token",
    "tokens",
    "password",
    "passwd",
    "key",
    "apikey",
    "private",
    "credential",
    "credentials",
];

/// Whether a variable name (`GITHUB_TOKEN`) or a file name (`zoom-client-secret`) says it holds
/// a secret: one of its words, split at anything but a letter or a digit, is in
/// [`SECRET_WORDS`].
pub fn names_a_secret(name: &str) -> bool {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| SECRET_WORDS.contains(&w.to_ascii_lowercase().as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("ACME_*", "ACME_PROD_SECRET"));
        assert!(glob_match("ACME_*", "ACME_"));
        assert!(!glob_match("ACME_*", "XACME_"));
        assert!(glob_match("*_SECRET", "ACME_SECRET"));
        assert!(!glob_match("*_SECRET", "ACME_SECRET_2"));
        assert!(glob_match("A*B*C", "AxxBxxC"));
        assert!(glob_match("A*B*C", "ABC"));
        assert!(!glob_match("A*B*C", "ACB"));
        assert!(!glob_match("AB*BA", "ABA"), "the ends may not overlap");
        assert!(glob_match("EXACT", "EXACT"));
        assert!(!glob_match("EXACT", "EXACTLY"));
        assert!(glob_match("*", "ANYTHING"));
    }

    #[test]
    fn patterns_are_checked() {
        assert!(EnvAllowlist::new(vec!["ACME_*".into()]).is_ok());
        assert!(EnvAllowlist::new(vec!["".into()]).is_err());
        assert!(EnvAllowlist::new(vec!["A?B".into()]).is_err());
        assert!(EnvAllowlist::new(vec!["A B".into()]).is_err());
        let list = EnvAllowlist::new(vec!["ACME_*".into(), "RECALL_API_KEY".into()]).unwrap();
        assert_eq!(list.to_string(), "`ACME_*`, `RECALL_API_KEY`");
        assert!(list.allows("RECALL_API_KEY"));
        assert!(!list.allows("recall_api_key"));
    }

    #[test]
    fn paths_inside_the_folder() {
        assert!(stays_inside("secrets/x"));
        assert!(stays_inside("./secrets/../x"));
        assert!(stays_inside("a/b/../../c"));
        assert!(!stays_inside("../x"));
        assert!(!stays_inside("a/../../x"));
        assert!(!stays_inside("/etc/hostname"));
        assert!(!stays_inside("secrets/../../etc/hostname"));
    }

    #[test]
    fn secret_names() {
        for name in [
            "GITHUB_TOKEN",
            "ACME_PROD_ZOOM_CLIENT_SECRET",
            "AWS_SECRET_ACCESS_KEY",
            "RECALL_API_KEY",
            "DB_PASSWORD",
            "globex-admin-client-secret",
            "acme-prod-webhook-token",
            "apikey.txt",
        ] {
            assert!(names_a_secret(name), "{name}");
        }
        for name in [
            "ACME_PROD_ZOOM_CLIENT_ID",
            "ZOOM_CLIENT",
            "acme-client-id",
            "keyboard",
            "monkey",
        ] {
            assert!(!names_a_secret(name), "{name}");
        }
    }

    #[test]
    fn a_manifest_may_be_16_mib_unless_the_command_line_says_otherwise() {
        assert_eq!(ReadRules::default().max_manifest_bytes, 16 * 1024 * 1024);
    }
}
