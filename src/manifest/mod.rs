//! The manifest: loading `recallform.yaml`, validating it, and resolving its credential
//! references.
//!
//! `load` goes from bytes to a validated [`Manifest`] without reading any secret or environment
//! variable, which is what `recallform validate` needs; [`credentials::resolve`] then turns a
//! manifest into [`crate::model::DesiredApp`]s for plan and apply. Only [`yaml`] calls the YAML
//! crate, and it holds the limits a manifest is read under.

pub mod credentials;
mod indent;
pub mod names;
pub mod raw;
pub mod rules;
mod shape;
mod source;
mod syntax;
mod validate;
mod yaml;
mod zoom;

use std::path::{Path, PathBuf};

use url::Url;

use crate::diagnostic::{Diagnostic, Location};
use crate::model::{Kind, Region};
use crate::zoom::ScopeModel;
use crate::zoom::app_manifest::ZoomAppManifest;
pub use names::is_valid_name;
pub use raw::{Reference, ValueSource};
pub use rules::{EnvAllowlist, ReadRules};
pub use validate::is_placeholder_client_id;
pub use yaml::{
    BYTES_PER_NODE, DEFAULT_MAX_FILE_BYTES, MAX_DEPTH, MAX_NODES, MAX_SCALAR_BYTES, max_nodes,
};

/// A value together with where the manifest set it (`None` for defaults).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where the manifest wrote it.
    pub location: Option<Location>,
}

/// A manifest that passed every offline check.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// The manifest's path, as given.
    pub path: PathBuf,
    /// The region, if the manifest names one.
    pub region: Option<Region>,
    /// The manifest's `base_url`, if set; already checked.
    pub base_url: Option<Url>,
    /// Where the API key is read from.
    pub api_key: Located<Reference>,
    /// The apps, in manifest order.
    pub apps: Vec<AppSpec>,
    /// Renames (`from`, `to`) of lockfile records.
    pub moves: Vec<(String, String)>,
    /// Guards for deletes.
    pub policy: Policy,
    /// `recall.rate_limit`: Recall's limits to pace under, if the manifest sets them.
    pub rate_limit: Option<crate::recall::RateLimits>,
    /// SHA-256 of the manifest's text, so a saved plan can tell that it changed.
    pub sha256: String,
    /// The reading rules it was checked under; its references are read under the same ones.
    pub rules: ReadRules,
    /// What is probably not meant, though valid (a placeholder client ID, say).
    pub warnings: Vec<Diagnostic>,
    /// The manifest's text, so that later diagnostics (an unset variable) can show their line.
    pub text: String,
}

/// One app of a valid manifest; credentials are still references.
#[derive(Clone, Debug)]
pub struct AppSpec {
    /// The app's name.
    pub name: String,
    /// Where the name is written.
    pub location: Location,
    /// The Zoom app's kind.
    pub kind: Kind,
    /// The client ID, inline or a reference.
    pub client_id: Located<ValueSource>,
    /// Where the client secret is read from.
    pub client_secret: Located<Reference>,
    /// Where the webhook secret is read from.
    pub webhook_secret: Located<Reference>,
    /// `lifecycle.allow_replace`.
    pub allow_replace: bool,
    /// `lifecycle.protect`.
    pub protect: bool,
    /// `webhook.forward_from`: the team's own `https://` endpoint that receives the Zoom app's
    /// webhooks and forwards them to the app's Recall webhook URL (for the relay, the lint and
    /// the checklist).
    pub forward_from: Option<Located<Url>>,
    /// `zoom:`, when written.
    pub zoom: Option<ZoomSpec>,
}

impl AppSpec {
    /// The Zoom app's scope model: `zoom.scopes`, or `granular` when it is not written.
    pub fn scope_model(&self) -> ScopeModel {
        self.zoom
            .as_ref()
            .map(|z| z.scopes.value)
            .unwrap_or_default()
    }

    /// `zoom.sdk`: whether the same Zoom app also supplies the bots' Meeting SDK credentials.
    pub fn sdk(&self) -> bool {
        self.zoom.as_ref().is_some_and(|z| z.sdk.value)
    }
}

/// An app's `zoom:`, checked: what its Zoom app is granted and sends, as the manifest declares
/// it or as Zoom's app manifest says.
#[derive(Clone, Debug)]
pub struct ZoomSpec {
    /// `zoom.scopes`; `granular` (with no location) when it is not written.
    pub scopes: Located<ScopeModel>,
    /// `zoom.granted`, when written.
    pub granted: Option<Located<Vec<Located<String>>>>,
    /// `zoom.events`, when written.
    pub events: Option<Located<Vec<Located<String>>>>,
    /// `zoom.sdk`; `false` when not written.
    pub sdk: Located<bool>,
    /// `zoom.manifest`, read and parsed.
    pub manifest: Option<ZoomManifestFile>,
}

/// The Zoom app manifest an app's `zoom.manifest` names.
#[derive(Clone, Debug)]
pub struct ZoomManifestFile {
    /// The path as written, relative to the manifest's folder.
    pub file: String,
    /// Where `zoom.manifest` is written.
    pub location: Location,
    /// What it says.
    pub content: ZoomAppManifest,
}

/// The manifest's `policy`, with defaults applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// `policy.allow_delete` (default `false`).
    pub allow_delete: bool,
    /// `policy.max_deletes` (default 3).
    pub max_deletes: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            allow_delete: false,
            max_deletes: 3,
        }
    }
}

impl Manifest {
    /// The folder that `{file: ...}` references are relative to.
    pub fn dir(&self) -> &Path {
        folder_of(&self.path)
    }

    /// Adds the warnings that need the lockfile (call it once, with the lockfile the command
    /// uses): each app's Zoom app manifest must send Recall's events to the app's Recall webhook
    /// URL, `recorded(name)`, or to its `webhook.forward_from`. An app not recorded yet has no
    /// URL to compare with, and is skipped without a word.
    pub fn check_zoom_endpoints(&mut self, recorded: impl Fn(&str) -> Option<String>) {
        let mut found: Vec<Diagnostic> = self
            .apps
            .iter()
            .flat_map(|a| zoom::endpoints(a, recorded(&a.name).as_deref()))
            .collect();
        if found.is_empty() {
            return;
        }
        source::attach(&mut found, &self.path, &self.text);
        self.warnings.extend(found);
        crate::diagnostic::sort(&mut self.warnings);
    }

    /// Whether some app names a Zoom app manifest, whose endpoints
    /// [`Manifest::check_zoom_endpoints`] checks.
    pub fn has_zoom_manifests(&self) -> bool {
        self.apps
            .iter()
            .any(|a| a.zoom.as_ref().is_some_and(|z| z.manifest.is_some()))
    }
}

/// The folder of the manifest at `path`, which `{file: ...}` references are relative to.
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The manifest's default file name; a missing one is where a newcomer starts.
const DEFAULT_FILE: &str = "recallform.yaml";

/// Reads and validates the manifest at `path` under `rules`: every problem found is returned
/// at once, errors and warnings together.
pub fn load(path: &Path, rules: &ReadRules) -> Result<Manifest, Vec<Diagnostic>> {
    let bytes = read_bounded(path, rules.max_manifest_bytes)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        // Point at the first byte that is not UTF-8: an editor can jump there.
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|b| **b == b'\n').count() as u64 + 1;
        let column = String::from_utf8_lossy(good.rsplit(|b| *b == b'\n').next().unwrap_or(good))
            .chars()
            .count() as u64
            + 1;
        vec![
            Diagnostic::new(
                "unreadable-manifest",
                format!("the manifest `{}` is not UTF-8 text", path.display()),
                Some(Location::new(path, line, column)),
            )
            .with_hint("save it as UTF-8"),
        ]
    })?;
    // The text is moved into the manifest, not copied: a manifest of 100,000 apps is 56 MB.
    let mut manifest = checked(path, &text, rules)?;
    manifest.text = text;
    Ok(manifest)
}

/// The manifest's bytes: only from a regular file (a FIFO or a device could block or never
/// end) of at most `cap` bytes (`--max-manifest-bytes`), checked before reading and again while
/// reading, in case it grows meanwhile.
fn read_bounded(path: &Path, cap: u64) -> Result<Vec<u8>, Vec<Diagnostic>> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| vec![unreadable(path, &e)])?;
    if meta.is_dir() {
        return Err(vec![unreadable(path, &std::io::Error::other("a folder"))]);
    }
    if !meta.is_file() {
        return Err(vec![
            Diagnostic::new(
                "unreadable-manifest",
                format!(
                    "the manifest `{}` is not a regular file (it is {})",
                    path.display(),
                    special_kind(&meta)
                ),
                None,
            )
            .with_hint("write the manifest to a file and pass that file with `-f`"),
        ]);
    }
    if meta.len() > cap {
        return Err(vec![yaml::too_large_file(path, meta.len(), cap)]);
    }
    let file = std::fs::File::open(path).map_err(|e| vec![unreadable(path, &e)])?;
    let mut bytes = Vec::new();
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| vec![unreadable(path, &e)])?;
    if bytes.len() as u64 > cap {
        return Err(vec![yaml::too_large_file(path, bytes.len() as u64, cap)]);
    }
    Ok(bytes)
}

/// What a file that is not a regular file is, for a message.
fn special_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    let _ = meta;
    "something other than a file"
}

/// Why the manifest cannot be read, with what to do: a newcomer without one is pointed at
/// `init`, a path given with `-f` that is not there is shown against the working folder.
fn unreadable(path: &Path, e: &std::io::Error) -> Diagnostic {
    let d = |message: String| Diagnostic::new("unreadable-manifest", message, None);
    let cwd = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|_| "the working folder".into());
    if path.is_dir() {
        return d(format!(
            "`{}` is a folder, not a manifest file",
            path.display()
        ))
        .with_hint(format!(
            "name a file with `-f`, for example `-f {}`",
            path.join(DEFAULT_FILE).display()
        ));
    }
    match e.kind() {
        std::io::ErrorKind::NotFound if path == Path::new(DEFAULT_FILE) => {
            d(format!("there is no manifest `{DEFAULT_FILE}` in `{cwd}`")).with_hint(
                "run `recallform init` to write a starter manifest, or pass the path of yours with `-f PATH`",
            )
        }
        std::io::ErrorKind::NotFound if path.is_relative() => {
            d(format!("the manifest `{}` does not exist", path.display()))
                .with_hint(format!("`-f` paths are relative to the working folder, `{cwd}`"))
        }
        std::io::ErrorKind::NotFound => {
            d(format!("the manifest `{}` does not exist", path.display()))
        }
        _ => d(format!("cannot read the manifest `{}`: {e}", path.display())),
    }
}

/// Parses and validates manifest text; `path` is used for locations and relative files.
pub fn parse(path: &Path, text: &str, rules: &ReadRules) -> Result<Manifest, Vec<Diagnostic>> {
    let mut manifest = checked(path, text, rules)?;
    manifest.text = text.to_string();
    Ok(manifest)
}

/// [`parse`], without the manifest's `text`, which the caller puts in.
fn checked(path: &Path, text: &str, rules: &ReadRules) -> Result<Manifest, Vec<Diagnostic>> {
    let with_lines = |mut ds: Vec<Diagnostic>| {
        source::attach(&mut ds, path, text);
        ds
    };
    if !text.lines().any(|l| {
        let l = l.trim();
        !l.is_empty() && !l.starts_with('#') && l != "---"
    }) {
        return Err(vec![
            Diagnostic::new(
                "yaml-syntax",
                "the manifest is empty",
                Some(Location::new(path, 1, 1)),
            )
            .with_hint(
                "start it with `version: 1`, or run `recallform init --force` to write a starter manifest",
            ),
        ]);
    }
    let raw: raw::RawManifest = yaml::parse(path, text).map_err(with_lines)?;
    let mut manifest = validate::validate(path, text, raw, rules).map_err(with_lines)?;
    manifest.sha256 = crate::digest::sha256_hex(text.as_bytes());
    manifest.warnings = with_lines(std::mem::take(&mut manifest.warnings));
    Ok(manifest)
}

/// Formats names as a comma-separated list of `code` spans.
pub(crate) fn backticked(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<&'static str> {
        match parse(Path::new("m.yaml"), text, &ReadRules::default()) {
            Ok(_) => vec![],
            Err(ds) => ds.iter().map(|d| d.code).collect(),
        }
    }

    #[test]
    fn an_unknown_key_after_an_empty_one_stays_an_unknown_key() {
        // `zoom_oauth_apps:` may be empty; the next key is a typo, not an indentation mistake.
        let text = "version: 1\nrecall: {region: us-east-1}\nzoom_oauth_apps:\npolcy: {allow_delete: true}\n";
        assert_eq!(codes(text), ["unknown-key"]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 256, failure_persistence: None, ..Default::default()
        })]

        /// Whatever the text, parsing returns diagnostics (never panics), each snippet fits its
        /// line, and a value written after `client_secret:` is never shown.
        #[test]
        fn any_text_gives_diagnostics_that_never_show_a_secret(
            lines in proptest::collection::vec("[ \t]{0,6}[-a-z_:{}\\[\\],#'\" |>~0-9]{0,24}", 0..12),
        ) {
            let mut text = lines.join("\n");
            text.push_str("\n    client_secret: zq9secretvalue\n");
            if let Err(ds) = parse(Path::new("m.yaml"), &text, &ReadRules::default()) {
                for d in ds {
                    let shown = d.to_string();
                    proptest::prop_assert!(!shown.contains("zq9secretvalue"), "{}", shown);
                    if let Some(s) = &d.snippet {
                        proptest::prop_assert!(s.start <= s.text.chars().count());
                    }
                }
            }
        }
    }

    /// A manifest of `n` apps with every optional key a manifest without other files can have,
    /// as the benchmark's (`benches/harness/manifest.rs`) are (about 560 bytes and 40 values an app).
    fn every_key(n: usize) -> String {
        let mut text = String::from(
            "version: 1\nrecall:\n  region: us-east-1\n  api_key: {env: RECALL_API_KEY}\npolicy:\n  allow_delete: false\n  max_deletes: 2\nzoom_oauth_apps:\n",
        );
        for i in 1..=n {
            let (kind, sdk, granted) = if i % 2 == 1 {
                (
                    "user_level",
                    "true",
                    "meeting:read:local_recording_token, meeting:read:list_meetings, meeting:read:meeting, user:read:user, user:read:zak",
                )
            } else {
                (
                    "account_level",
                    "false",
                    "meeting:read:local_recording_token:admin, meeting:read:list_meetings:admin, user:read:list_users:admin",
                )
            };
            let granted: String = granted
                .split(", ")
                .map(|s| format!("        - {s}\n"))
                .collect();
            text.push_str(&format!(
                "  app-{i:06}:\n    kind: {kind}\n    client_id: BenchZoomClientId{i:06}\n    client_secret: {{env: BENCH_CLIENT_SECRET}}\n    webhook:\n      secret: {{env: BENCH_WEBHOOK_SECRET}}\n      forward_from: https://hooks.bench.example/zoom/app-{i:06}\n    lifecycle:\n      allow_replace: false\n      protect: false\n    zoom:\n      scopes: granular\n      sdk: {sdk}\n      granted:\n{granted}      events: [meeting.created, user.updated]\n"
            ));
        }
        text
    }

    #[test]
    fn issue_12_twenty_thousand_apps_with_every_key_are_within_the_default_limits() {
        // 11 MB and 800,000 values: under 16 MiB, and under the values' limit for the size.
        let text = every_key(20_000);
        assert!(
            (text.len() as u64) < DEFAULT_MAX_FILE_BYTES,
            "{}",
            text.len()
        );
        let m = parse(Path::new("m.yaml"), &text, &ReadRules::default())
            .unwrap_or_else(|ds| panic!("{}", ds[0]));
        assert_eq!(m.apps.len(), 20_000);
        assert!(m.warnings.is_empty(), "{}", m.warnings[0]);
    }

    #[test]
    fn a_top_level_key_that_is_missing_has_no_location() {
        let ds = parse(Path::new("m.yaml"), "version: 1\n", &ReadRules::default()).unwrap_err();
        assert_eq!(
            ds[0].to_string(),
            "error[missing-key]: the required key `recall` is missing from the manifest\n  = hint: add `recall:` with `region: us-east-1` indented under it"
        );
    }
}
