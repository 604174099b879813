//! `recallform export`: write a manifest and a lockfile that manage every app of a Recall
//! workspace, to start managing a workspace that was set up by hand.
//!
//! It needs no manifest: the target is `--region` or `--api-url`/`RECALL_API_URL`, the API key
//! `RECALL_API_KEY`. It refuses to replace either file without `--force`, and writes nothing
//! when it refuses. What the files say is decided in [`crate::export`]; this file reads Recall,
//! writes the files and reports.
//!
//! Not for: secrets, which Recall does not give back (the manifest references them by name).

use std::path::{Path, PathBuf};

use clap::Args;
use clap::builder::PossibleValuesParser;
use url::Url;

use super::target::{self, LockArgs};
use super::{Global, output};
use crate::error::{Error, exit, plural};
use crate::export::{self, Export};
use crate::fsutil;
use crate::lockfile;
use crate::model::{Region, SecretString};
use crate::recall::target::{Origin, Target, check_api_url};

/// The manifest's file name in `--out`.
const MANIFEST_FILE: &str = "recallform.yaml";
/// The lockfile's file name in `--out`.
const LOCKFILE_FILE: &str = "recallform.lock.json";
/// Where the API key is read from.
const API_KEY_ENV: &str = "RECALL_API_KEY";

/// Options of `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The folder to write `recallform.yaml` and `recallform.lock.json` into (created if
    /// missing).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// Replace the files if they exist.
    #[arg(long)]
    pub force: bool,
    /// The Recall region to export (wins over `RECALL_API_URL`); without it, `--api-url` or
    /// `RECALL_API_URL` names the Recall.
    #[arg(long, value_name = "REGION", value_parser = PossibleValuesParser::new(Region::ALL.map(Region::as_str)))]
    pub region: Option<String>,
    #[command(flatten)]
    lock: LockArgs,
}

/// Lists the workspace's apps and writes the two files.
pub async fn run(global: &Global, args: &ExportArgs) -> Result<u8, Error> {
    if global.manifest_on_command_line || global.lockfile.is_some() {
        return Err(Error::Usage(
            "`export` writes `recallform.yaml` and `recallform.lock.json` into `--out DIR`; `-f` and `--lockfile` do not apply to it".into(),
        ));
    }
    let target = export_target(global, args)?;
    export::check_target(&target).map_err(|e| Error::Usage(e.to_string()))?;
    let manifest_path = in_out_dir(&args.out, MANIFEST_FILE);
    let lockfile_path = in_out_dir(&args.out, LOCKFILE_FILE);
    let paths = [manifest_path.as_path(), lockfile_path.as_path()];
    refuse_existing(&paths, args.force)?;
    let key = api_key()?;

    let _lock = target::lock(&lockfile_path, args.lock.lock_timeout)?;
    // Again under the lock: another export may have written them since.
    let existed = refuse_existing(&paths, args.force)?;
    let client = crate::session::client(&global.options()?, &target, key)?;
    let remote = client.list_apps(None).await?;
    let export = export::export(&remote, &target, &manifest_path)
        .map_err(|e| Error::Other(e.to_string()))?;

    // The manifest first: alone, it is enough for a plan (which adopts by client ID); a
    // lockfile without its manifest is not.
    write(&manifest_path, &export.manifest)?;
    write(&lockfile_path, &lockfile::render(&export.lockfile))?;
    if !global.quiet {
        let verb = |i: usize| if existed[i] { "replaced" } else { "created" };
        output::data(&format!(
            "{} `{}` ({})\n{} `{}`\n",
            verb(0),
            manifest_path.display(),
            plural(export.apps.len(), "app"),
            verb(1),
            lockfile_path.display()
        ));
        output::message(&next_steps(&export, &target, &manifest_path));
    }
    Ok(exit::SUCCESS)
}

/// `--region` or `--api-url`/`RECALL_API_URL`; a typed `--region` wins over the environment,
/// and naming both on the command line is an error.
fn export_target(global: &Global, args: &ExportArgs) -> Result<Target, Error> {
    match (&args.region, &global.api_url) {
        (Some(_), Some(_)) if global.api_url_on_command_line => Err(Error::Usage(
            "`--region` and `--api-url` name two different targets; use one".into(),
        )),
        (Some(region), _) => {
            let region = Region::parse(region).expect("clap accepts only region names");
            Ok(
                Target::remote(Url::parse(&region.base_url()).expect("region URLs are valid"))
                    .with_origin(Origin::RegionOption),
            )
        }
        (None, Some(raw)) => check_api_url(raw)
            .map(Target::remote)
            .map_err(|why| Error::Usage(format!("the API URL `{raw}` {why}"))),
        (None, None) => Err(Error::Usage(
            "`export` needs to know which Recall to read\n  = hint: pass `--region REGION` (us-east-1, us-west-2, eu-central-1 or ap-northeast-1), or `--api-url URL` (or set `RECALL_API_URL`)".into(),
        )),
    }
}

/// The API key from `RECALL_API_KEY`.
fn api_key() -> Result<SecretString, Error> {
    match std::env::var(API_KEY_ENV) {
        Ok(key) if !key.trim().is_empty() => Ok(SecretString::new(key)),
        _ => Err(Error::Other(format!(
            "the environment variable `{API_KEY_ENV}` is not set\n  = hint: export the API key of the Recall workspace to export as `{API_KEY_ENV}`"
        ))),
    }
}

/// `file` in `dir`, without a leading `./` for the current folder.
fn in_out_dir(dir: &Path, file: &str) -> PathBuf {
    if dir == Path::new(".") {
        PathBuf::from(file)
    } else {
        dir.join(file)
    }
}

/// Refuses if any of `paths` exists, unless `force`; says which existed.
fn refuse_existing(paths: &[&Path], force: bool) -> Result<Vec<bool>, Error> {
    let mut existed = Vec::new();
    for path in paths {
        existed.push(
            path.try_exists()
                .map_err(|e| Error::Other(format!("cannot check `{}`: {e}", path.display())))?,
        );
    }
    let there: Vec<String> = paths
        .iter()
        .zip(&existed)
        .filter(|(_, e)| **e)
        .map(|(p, _)| format!("`{}`", p.display()))
        .collect();
    if !there.is_empty() && !force {
        return Err(Error::Other(format!(
            "{} already {}; nothing was written\n  = hint: pass `--force` to replace {}, or `--out DIR` to write elsewhere",
            there.join(" and "),
            if there.len() == 1 { "exists" } else { "exist" },
            if there.len() == 1 { "it" } else { "them" },
        )));
    }
    Ok(existed)
}

/// Writes `text` atomically, readable by everyone: neither file holds a secret.
fn write(path: &Path, text: &str) -> Result<(), Error> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Other(format!("cannot create `{}`: {e}", dir.display())))?;
    }
    fsutil::write_atomically(path, text.as_bytes(), fsutil::Mode::Shared)
        .map_err(|e| Error::Other(format!("cannot write `{}`: {e}", path.display())))
}

/// What to set before the first plan, for stderr.
fn next_steps(export: &Export, target: &Target, manifest: &Path) -> String {
    let plan = if manifest == Path::new(MANIFEST_FILE) {
        "recallform plan".to_string()
    } else {
        format!("recallform plan -f {}", manifest.display())
    };
    if export.apps.is_empty() {
        return format!(
            "Recall has no app at `{}`; add apps to `{}`, then `{plan}`",
            target.name,
            manifest.display()
        );
    }
    let vars: String = export
        .apps
        .iter()
        .map(|a| format!("\n  {}\n  {}", a.client_secret_env, a.webhook_secret_env))
        .collect();
    format!(
        "set these environment variables (each Zoom app's Client Secret and Secret Token) before `{plan}`:{vars}"
    )
}
