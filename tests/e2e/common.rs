//! The harness: a Recall emulator on 127.0.0.1 port 0, a scratch folder with a manifest, and
//! the real `recallform` binary pointed at both.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use recallform::emulator::{self, Emulator, Logged};

/// The API key the harness's emulator requires.
pub const API_KEY: &str = "rk_test_8f3b2a1c9d7e6f5a4b3c2d1e";

/// Secret values used by [`app`]: distinctive, so a leak is easy to find.
pub fn client_secret(name: &str) -> String {
    format!("zcs-{name}-Q7vX2pL9sK4m")
}

/// See [`client_secret`].
pub fn webhook_secret(name: &str) -> String {
    format!("zws-{name}-H3nB8tR5wY1c")
}

pub struct Harness {
    pub emulator: Emulator,
    pub dir: tempfile::TempDir,
    // Declared last: dropped after the emulator, which needs it to shut down.
    pub runtime: tokio::runtime::Runtime,
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with_config(emulator::Config::default())
    }

    pub fn with_config(mut config: emulator::Config) -> Harness {
        config.api_key = Some(API_KEY.into());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let emulator = runtime
            .block_on(Emulator::start(([127, 0, 0, 1], 0).into(), config))
            .unwrap();
        Harness {
            emulator,
            dir: tempfile::tempdir().unwrap(),
            runtime,
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes `recallform.yaml` with these apps (name, kind, client_id), secrets from env.
    pub fn manifest(&self, apps: &[(&str, &str, &str)]) {
        let mut yaml = String::from("version: 1\nrecall:\n  region: us-east-1\nzoom_oauth_apps:\n");
        if apps.is_empty() {
            yaml = "version: 1\nrecall:\n  region: us-east-1\n".into();
        }
        for (name, kind, client_id) in apps {
            yaml.push_str(&app(name, kind, client_id));
        }
        self.write("recallform.yaml", &yaml);
    }

    /// Writes a manifest with the first `n` of [`NAMES`], each `user_level` with the client ID
    /// `cid-<name>`.
    pub fn manifest_of(&self, n: usize) {
        let ids: Vec<String> = NAMES[..n]
            .iter()
            .map(|name| format!("cid-{name}"))
            .collect();
        let apps: Vec<(&str, &str, &str)> = NAMES[..n]
            .iter()
            .zip(&ids)
            .map(|(name, id)| (*name, "user_level", id.as_str()))
            .collect();
        self.manifest(&apps);
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// `recallform` in the scratch folder, aimed at the emulator, with every secret in the
    /// environment that [`app`] references.
    pub fn cmd(&self, args: &[&str]) -> Command {
        Command::from_std(self.process(args))
    }

    /// Like [`Harness::cmd`], without `--api-url`.
    pub fn bare(&self, args: &[&str]) -> Command {
        Command::from_std(self.bare_process(args))
    }

    /// Like [`Harness::cmd`], as a `std::process::Command` to spawn in the background.
    pub fn process(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = self.bare_process(args);
        cmd.arg("--api-url").arg(self.emulator.url());
        cmd
    }

    fn bare_process(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("recallform"));
        cmd.current_dir(self.dir.path())
            .env_remove("RECALL_API_URL")
            .env_remove("RECALLFORM_ENV_ALLOW")
            .env_remove("RECALLFORM_MAX_MANIFEST_BYTES")
            // CI itself sets these; tests of CI behaviour set them again.
            .env_remove("CI")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("NO_COLOR")
            // The emulator is fresh for every test, so pacing would only slow the suite down;
            // the pacing tests set `--rate-limit` again.
            .env("RECALLFORM_RATE_LIMIT", "off")
            .env("RECALL_API_KEY", API_KEY)
            .args(args);
        for (key, value) in secret_env() {
            cmd.env(key, value);
        }
        cmd
    }

    /// Runs the command and returns (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> Outcome {
        Outcome::of(self.cmd(args))
    }

    pub fn lockfile(&self) -> serde_json::Value {
        let text = std::fs::read_to_string(self.path("recallform.lock.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    pub fn lockfile_text(&self) -> Option<String> {
        std::fs::read_to_string(self.path("recallform.lock.json")).ok()
    }

    pub fn requests(&self) -> Vec<Logged> {
        self.emulator.requests()
    }

    /// Requests other than list calls: the ones that could change something.
    pub fn writes(&self) -> Vec<Logged> {
        self.requests()
            .into_iter()
            .filter(|r| r.method != "GET")
            .collect()
    }
}

/// Names used by tests; each gets env variables for its secrets.
pub const NAMES: &[&str] = &[
    "acme-prod",
    "acme-dev",
    "acme-eu",
    "globex",
    "initech",
    "hooli",
    "umbrella",
    "wayne",
    "stark",
    "tyrell",
    "cyberdyne",
    "soylent",
];

fn env_name(name: &str, what: &str) -> String {
    format!("{}_{what}", name.to_uppercase().replace('-', "_"))
}

/// The environment variables [`app`] references, with their values.
pub fn secret_env() -> Vec<(String, String)> {
    NAMES
        .iter()
        .flat_map(|n| {
            [
                (env_name(n, "CLIENT_SECRET"), client_secret(n)),
                (env_name(n, "WEBHOOK_SECRET"), webhook_secret(n)),
            ]
        })
        .collect()
}

/// One app's manifest entry with env references for its secrets.
pub fn app(name: &str, kind: &str, client_id: &str) -> String {
    format!(
        "  {name}:\n    kind: {kind}\n    client_id: {client_id}\n    client_secret: {{env: {}}}\n    webhook:\n      secret: {{env: {}}}\n",
        env_name(name, "CLIENT_SECRET"),
        env_name(name, "WEBHOOK_SECRET"),
    )
}

pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    pub fn of(mut cmd: Command) -> Outcome {
        let out = cmd.output().unwrap();
        Outcome {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    /// Asserts the exit code, showing the output when it differs.
    pub fn expect(self, code: i32) -> Outcome {
        assert_eq!(
            self.code, code,
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// The `Plan: ...` line.
    pub fn plan_line(&self) -> &str {
        self.stdout
            .lines()
            .find(|l| l.starts_with("Plan: "))
            .unwrap_or_else(|| panic!("no Plan line in:\n{}", self.stdout))
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

/// Every secret the harness hands out, plus the API key.
pub fn all_secrets() -> Vec<String> {
    let mut all: Vec<String> = secret_env().into_iter().map(|(_, v)| v).collect();
    all.push(API_KEY.into());
    all
}

/// Asserts that no secret appears in `text`.
pub fn assert_no_secret(what: &str, text: &str) {
    for s in all_secrets() {
        assert!(
            !text.contains(&s),
            "{what} contains a secret value:\n{text}"
        );
    }
}

pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Starts `recallform sandbox serve` on 127.0.0.1:0 requiring `api_key`, with its state in
/// `state`, and returns the process and the URL it printed.
pub fn serve_sandbox(api_key: &str, state: &Path) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("recallform"))
        .args([
            "sandbox",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            api_key,
            "--state",
        ])
        .arg(state)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first.split_whitespace().last().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");
    (child, url)
}

/// A TLS acceptor with the committed self-signed certificate for 127.0.0.1, which no
/// authority signed: a client that checks certificates must refuse it.
pub fn untrusted_tls_acceptor() -> tokio_rustls::TlsAcceptor {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use std::sync::Arc;

    let dir = repo_root().join("tests/fixtures/tls");
    let cert = CertificateDer::from_pem_file(dir.join("cert.pem")).unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join("key.pem")).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}
