//! The command line: argument parsing, one file per command, and the only module that prints.
//!
//! Every command returns `Result<u8, Error>`; [`main`] prints errors in one style and turns
//! them into exit codes through [`Error::exit_code`], so each code has one source.

mod apply;
mod completions;
mod export;
mod import;
mod init;
mod man;
mod output;
mod plan;
mod relay;
mod sandbox;
mod schema;
mod show;
mod state;
mod status;
mod target;
mod validate;
mod webhooks;
mod zoom;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::error::{Error, exit};

/// Keeps the Zoom OAuth apps registered in Recall.ai equal to a YAML manifest.
#[derive(Debug, Parser)]
#[command(name = "recallform", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options every command takes. They have a heading of their own in every command's help, so
/// that a command's own options stand apart; a command that has no use for some of them hides
/// them (see [`unused_globals`]).
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// The manifest.
    #[arg(
        short = 'f',
        long = "manifest",
        global = true,
        default_value = "recallform.yaml",
        value_name = "PATH"
    )]
    pub manifest: PathBuf,
    /// The lockfile [default: recallform.lock.json beside the manifest].
    #[arg(long, global = true, value_name = "PATH")]
    pub lockfile: Option<PathBuf>,
    /// The Recall API base URL, such as `https://us-east-1.recall.ai` (without `/api/v2`);
    /// overrides the manifest's base_url and region.
    #[arg(long, global = true, env = "RECALL_API_URL", value_name = "URL")]
    pub api_url: Option<String>,
    /// Seconds to wait for each answer from Recall before treating the request as lost.
    #[arg(long, global = true, default_value_t = 60, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Log what recallform does to stderr: -v for each request to Recall, -vv for details
    /// (headers and bodies, with the API key and every secret redacted).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Print nothing but errors (and the JSON asked for with `--format json`).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Let the manifest read only the environment variables matching PATTERN (`*` matches any
    /// run of characters; repeatable, or comma-separated in RECALLFORM_ENV_ALLOW). Use it
    /// wherever the manifest is less trusted than the environment, as in pull requests.
    #[arg(
        long = "env-allow",
        global = true,
        env = "RECALLFORM_ENV_ALLOW",
        value_delimiter = ',',
        value_name = "PATTERN"
    )]
    pub env_allow: Vec<String>,
    /// Let `{file: ...}` references leave the manifest's folder (absolute paths, `..`,
    /// symlinks out). Only for pipelines whose manifest is trusted.
    #[arg(long, global = true)]
    pub allow_external_files: bool,
    /// The largest manifest file read [default: 16MiB]: bytes, or `KiB`, `MiB` or `GiB`, such
    /// as `64MiB`. A manifest of 10,000 apps with every optional key is about 5.6 MB. Only the
    /// command line and the environment set it, never the manifest.
    #[arg(
        long,
        global = true,
        env = "RECALLFORM_MAX_MANIFEST_BYTES",
        value_name = "SIZE",
        value_parser = crate::units::parse_size
    )]
    pub max_manifest_bytes: Option<u64>,
    /// Never colour the output, as with the `NO_COLOR` environment variable.
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Recall's rate limits, which recallform paces under (at 57 of 60 and 293 of 300 a
    /// minute): `list=60/min,write=300/min`, one class alone, `CLASS=off` or `off`; overrides
    /// the manifest's recall.rate_limit.
    #[arg(
        long,
        global = true,
        env = "RECALLFORM_RATE_LIMIT",
        value_name = "LIMITS",
        value_parser = crate::recall::RateLimits::parse
    )]
    pub rate_limit: Option<crate::recall::RateLimits>,
    /// Set when `--api-url` was typed, not taken from the environment.
    #[arg(skip)]
    pub api_url_on_command_line: bool,
    /// Set when `-f/--manifest` was typed, not defaulted.
    #[arg(skip)]
    pub manifest_on_command_line: bool,
}

impl Global {
    /// What the manifest may read, from `--env-allow`, `--allow-external-files` and
    /// `--max-manifest-bytes`: the command line and the environment, never the manifest.
    pub fn read_rules(&self) -> Result<crate::manifest::ReadRules, Error> {
        let env_allow = match self.env_allow.as_slice() {
            [] => None,
            patterns => {
                Some(crate::manifest::EnvAllowlist::new(patterns.to_vec()).map_err(Error::Usage)?)
            }
        };
        Ok(crate::manifest::ReadRules {
            env_allow,
            allow_external_files: self.allow_external_files,
            max_manifest_bytes: self
                .max_manifest_bytes
                .unwrap_or(crate::manifest::DEFAULT_MAX_FILE_BYTES),
        })
    }

    /// The lockfile's path.
    pub fn lockfile_path(&self) -> PathBuf {
        self.lockfile.clone().unwrap_or_else(|| {
            let dir = self
                .manifest
                .parent()
                .unwrap_or_else(|| std::path::Path::new(""));
            dir.join("recallform.lock.json")
        })
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check the manifest offline: no network, no secrets read.
    Validate(validate::ValidateArgs),
    /// Print the manifest's JSON Schema.
    Schema,
    /// Show what apply would change.
    Plan(plan::PlanArgs),
    /// Render a plan saved with `plan --out`.
    Show(show::ShowArgs),
    /// Change Recall to match the manifest, and record the IDs in the lockfile.
    Apply(apply::ApplyArgs),
    /// Run the built-in Recall emulator.
    #[command(subcommand)]
    Sandbox(sandbox::SandboxCommand),
    /// Write a commented starter manifest, its JSON Schema and a .gitignore entry.
    Init(init::InitArgs),
    /// Print a shell completion script.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command with --out.
    Man(man::ManArgs),
    /// Read and edit the lockfile's record, without talking to Recall.
    #[command(subcommand)]
    State(state::StateCommand),
    /// Record an app that already exists in Recall under a manifest name.
    Import(import::ImportArgs),
    /// Write a manifest and a lockfile that manage every app of a Recall workspace.
    ///
    /// The API key is read from `RECALL_API_KEY`, and the Recall is `--region`, or else
    /// `--api-url`/`RECALL_API_URL`; no manifest is read.
    Export(export::ExportArgs),
    /// Check the apps' webhooks: that each answers Zoom's URL validation with the manifest's
    /// Secret Token, within 3 s.
    #[command(subcommand)]
    Webhooks(webhooks::WebhooksCommand),
    /// Show how each recorded app is doing on the Zoom side: webhook validation, Recall's app
    /// logs, Zoom OAuth credentials; read-only.
    Status(status::StatusArgs),
    /// The Zoom side of each app: what to set in the Zoom Marketplace.
    #[command(subcommand)]
    Zoom(zoom::ZoomCommand),
    /// Receive Zoom's webhooks for the manifest's apps and forward each to its Recall webhook
    /// URL byte for byte, until SIGTERM or SIGINT (SIGHUP reloads).
    Relay(relay::RelayArgs),
}

/// Output formats for plans.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Terraform-like text.
    #[default]
    Text,
    /// JSON for programs (`format_version` 1).
    Json,
    /// A GitHub pull-request comment.
    Markdown,
}

/// The global options of [`Global`], by clap ID, for [`unused_globals`].
const GLOBALS: [&str; 11] = [
    "manifest",
    "lockfile",
    "api_url",
    "timeout",
    "verbose",
    "quiet",
    "env_allow",
    "allow_external_files",
    "max_manifest_bytes",
    "no_color",
    "rate_limit",
];

/// The global options a top-level command has no use for (its subcommands inherit the list).
/// They stay accepted there, as global options are everywhere, but its help, man page and
/// completions do not offer them.
fn unused_globals(command: &str) -> &'static [&'static str] {
    match command {
        "schema" | "completions" | "man" => &GLOBALS,
        // It renders a saved plan, in colour on a terminal.
        "show" => &[
            "manifest",
            "lockfile",
            "api_url",
            "timeout",
            "verbose",
            "quiet",
            "env_allow",
            "allow_external_files",
            "max_manifest_bytes",
            "rate_limit",
        ],
        // `-v` shows the emulator's warnings (a state file it cannot save).
        "sandbox" => &[
            "manifest",
            "lockfile",
            "api_url",
            "timeout",
            "quiet",
            "env_allow",
            "allow_external_files",
            "max_manifest_bytes",
            "no_color",
            "rate_limit",
        ],
        // `--lockfile`: the Recall webhook URLs Zoom app manifests are checked against.
        "validate" => &["api_url", "timeout", "rate_limit"],
        // It writes a manifest; it reads none, and sends no request.
        "init" => &[
            "lockfile",
            "api_url",
            "timeout",
            "env_allow",
            "allow_external_files",
            "max_manifest_bytes",
            "no_color",
            "rate_limit",
        ],
        // The record only: no request, no secret; `-f` still locates the default lockfile.
        "state" => &[
            "api_url",
            "timeout",
            "env_allow",
            "allow_external_files",
            "max_manifest_bytes",
            "no_color",
            "rate_limit",
        ],
        // No manifest is read, and `-f`/`--lockfile` are refused (see `export`).
        "export" => &[
            "manifest",
            "lockfile",
            "env_allow",
            "allow_external_files",
            "max_manifest_bytes",
            "no_color",
        ],
        // No request to Recall's API, and Zoom's 3 s deadline in place of `--timeout`.
        "webhooks" => &["api_url", "timeout", "rate_limit"],
        // Recall's webhook URLs come from the lockfile, with `--forward-timeout`.
        "relay" => &["api_url", "timeout", "rate_limit"],
        _ => &[],
    }
}

/// The command line as it is parsed and documented: clap's definition, with the exit codes
/// after the top-level `--help`, and in each command a hidden copy of the global options it
/// has no use for. clap does not propagate a global option into a command that has its own
/// argument of that ID, so the hidden copy is what the command and its subcommands get; its
/// value still reaches [`Global`], as a global option's value does from any level.
pub(crate) fn command() -> clap::Command {
    documented(Cli::command())
}

/// [`command`] from a given definition (`man` drops clap's `help` subcommand first).
pub(crate) fn documented(cmd: clap::Command) -> clap::Command {
    let globals: Vec<clap::Arg> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set())
        .cloned()
        .collect();
    cmd.after_long_help(exit_codes_help())
        .mut_subcommands(|sub| {
            let unused = unused_globals(sub.get_name());
            let hidden: Vec<clap::Arg> = globals
                .iter()
                .filter(|a| unused.contains(&a.get_id().as_str()))
                .map(|a| a.clone().hide(true))
                .collect();
            sub.args(hidden)
        })
}

/// [`command`] for completion scripts, which offer hidden options too (an option is hidden
/// from help, not refused). Here the global options are not global: the top level has them,
/// and each command gets a global copy of those it uses, so that it and its subcommands offer
/// only those. Never parsed with, so the difference cannot change what is accepted.
pub(crate) fn completed() -> clap::Command {
    let cmd = Cli::command();
    let globals: Vec<clap::Arg> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set())
        .cloned()
        .collect();
    cmd.mut_args(|a| a.global(false)).mut_subcommands(|sub| {
        let unused = unused_globals(sub.get_name());
        let used: Vec<clap::Arg> = globals
            .iter()
            .filter(|a| !unused.contains(&a.get_id().as_str()))
            .cloned()
            .collect();
        sub.args(used)
    })
}

/// The "Exit codes" section of the top-level `--help`, from [`exit::TABLE`].
fn exit_codes_help() -> String {
    let rows: String = exit::TABLE
        .iter()
        .map(|(code, meaning)| format!("\n  {code:<5}{meaning}"))
        .collect();
    format!("Exit codes:{rows}")
}

/// A Terraform habit: a long option with one dash (`-auto-approve`, `-target=NAME`). clap
/// would read it as short options (`-a -u -t ...`) and fail on a letter, or, for `-force`,
/// succeed as `-f orce`; either way the answer should be the option meant. Returns the error
/// for the first such argument before `--`, naming it with two dashes; any long option of any
/// command counts, since the command then says whether it takes it.
fn single_dash_long(cmd: &clap::Command, args: &[std::ffi::OsString]) -> Option<Error> {
    let mut longs = std::collections::BTreeSet::new();
    collect_longs(cmd, &mut longs);
    args.iter()
        .map_while(|a| a.to_str().filter(|a| *a != "--"))
        .find_map(|arg| {
            let rest = arg.strip_prefix('-').filter(|r| !r.starts_with('-'))?;
            let name = rest.split_once('=').map_or(rest, |(name, _)| name);
            (name.chars().count() > 1 && longs.contains(name)).then(|| {
                Error::Usage(format!(
                    "unexpected argument `{arg}`\n  = hint: did you mean `-{arg}`? recallform's long options take two dashes"
                ))
            })
        })
}

/// Every long option name of `cmd` and its subcommands, with clap's `help` and `version`.
fn collect_longs(cmd: &clap::Command, longs: &mut std::collections::BTreeSet<String>) {
    longs.extend(["help".to_string(), "version".to_string()]);
    for arg in cmd.get_arguments() {
        longs.extend(
            arg.get_long_and_visible_aliases()
                .into_iter()
                .flatten()
                .map(str::to_string),
        );
    }
    for sub in cmd.get_subcommands() {
        collect_longs(sub, longs);
    }
}

/// Runs recallform with the process's arguments and returns its exit code.
pub fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let mut cmd = command();
    // clap prints help and its errors before `--no-color` is parsed, so it is looked for
    // here; clap itself already honours `NO_COLOR`.
    if args.iter().any(|a| a == "--no-color") {
        cmd = cmd.color(clap::ColorChoice::Never);
    }
    if let Some(e) = single_dash_long(&cmd, args.get(1..).unwrap_or_default()) {
        output::error(&e);
        return ExitCode::from(e.exit_code());
    }
    let matches = match cmd.try_get_matches_from(&args) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    exit::SUCCESS
                }
                _ => exit::USAGE,
            });
        }
    };
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(exit::USAGE);
        }
    };
    let typed = |id| matches.value_source(id) == Some(ValueSource::CommandLine);
    cli.global.api_url_on_command_line = typed("api_url");
    cli.global.manifest_on_command_line = typed("manifest");
    output::init_color(cli.global.no_color);
    output::init_logging(cli.global.verbose);

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            output::error(&Error::Other(format!(
                "cannot start the async runtime: {e}"
            )));
            return ExitCode::from(exit::ERROR);
        }
    };
    let result = runtime.block_on(run(cli));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            output::error(&e);
            ExitCode::from(e.exit_code())
        }
    }
}

async fn run(cli: Cli) -> Result<u8, Error> {
    match cli.command {
        Command::Validate(args) => validate::run(&cli.global, &args),
        Command::Schema => schema::run(),
        Command::Plan(args) => plan::run(&cli.global, &args).await,
        Command::Show(args) => show::run(&args),
        Command::Apply(args) => apply::run(&cli.global, &args).await,
        Command::Sandbox(cmd) => sandbox::run(cmd).await,
        Command::Init(args) => init::run(&cli.global, &args),
        Command::Completions { shell } => completions::run(shell),
        Command::Man(args) => man::run(&args),
        Command::State(cmd) => state::run(&cli.global, &cmd),
        Command::Import(args) => import::run(&cli.global, &args).await,
        Command::Export(args) => export::run(&cli.global, &args).await,
        Command::Webhooks(cmd) => webhooks::run(&cli.global, &cmd).await,
        Command::Status(args) => status::run(&cli.global, &args).await,
        Command::Zoom(cmd) => zoom::run(&cli.global, &cmd).await,
        Command::Relay(args) => relay::run(&cli.global, &args).await,
    }
}
