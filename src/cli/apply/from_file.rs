//! `apply FILE`: where a saved plan's manifest and lockfile are, and how to make the plan
//! again when it is stale.
//!
//! Not for: reading the file or deciding staleness (that is [`crate::saved`]).

use std::path::Path;

use super::ApplyArgs;
use crate::cli::Global;
use crate::error::Error;
use crate::saved::{self, SavedPlan};
use crate::session::{Options, Session};

/// Where a saved plan's inputs are: where its recorded paths lead from `file`'s folder (or
/// the working folder), unless the command line says otherwise; and whether it was planned
/// against the sandbox. Options that shape a plan are refused: they belong to `plan --out`.
pub(super) fn inputs(
    global: &Global,
    args: &ApplyArgs,
    saved: &SavedPlan,
    file: &Path,
) -> Result<(Options, bool), Error> {
    let g = &args.guards;
    if g.allow_delete || g.force || !g.allow_replace.is_empty() || !g.target.is_empty() {
        return Err(Error::Usage(
            "`--allow-delete`, `--allow-replace`, `--force` and `--target` shape a plan: pass them to `recallform plan --out`, where the review sees their effect".into(),
        ));
    }
    if args.sandbox && !saved.sandbox {
        return Err(Error::Usage(
            "the plan was not made with `--sandbox`; apply it without `--sandbox`".into(),
        ));
    }
    // `-f` and `--lockfile` replace what the plan records; each one not given comes from it.
    let (manifest, lockfile) = match (global.manifest_on_command_line, &global.lockfile) {
        (true, Some(lockfile)) => (global.manifest.clone(), lockfile.clone()),
        // A lockfile the plan's paths do not lead to may not exist yet: then it goes beside
        // the manifest, as without a plan (the staleness check catches a wrong one).
        (true, None) => (
            global.manifest.clone(),
            saved
                .locate_lockfile(file)
                .unwrap_or_else(|| global.lockfile_path()),
        ),
        (false, given) => {
            let found = saved.locate(file)?;
            (found.manifest, given.clone().unwrap_or(found.lockfile))
        }
    };
    Ok((
        Options {
            manifest,
            lockfile,
            ..global.options()?
        },
        saved.sandbox,
    ))
}

/// Why the saved plan no longer fits the world `session` sees, as the error apply refuses
/// it with; `None` when it still fits.
pub(super) fn stale(
    saved: &SavedPlan,
    file: &Path,
    session: &Session,
    at: &saved::Located,
) -> Option<Error> {
    let causes = saved::stale_causes(
        saved,
        &session.target.name,
        &session.basis(&saved.basis.inputs_salt),
        at,
    );
    (!causes.is_empty()).then(|| Error::Stale {
        file: file.display().to_string(),
        replan: replan(saved, file, at),
        causes,
    })
}

/// The `plan` command that makes `saved` again from this folder: the same sandbox, manifest,
/// lockfile and targets, written to the same file.
pub(super) fn replan(saved: &SavedPlan, file: &Path, at: &saved::Located) -> String {
    let mut cmd = vec!["recallform plan".to_string()];
    if saved.sandbox {
        cmd.push("--sandbox".into());
    }
    if at.manifest != Path::new("recallform.yaml") {
        cmd.push(format!("-f {}", shell_word(&at.manifest)));
    }
    let beside = at
        .manifest
        .parent()
        .unwrap_or(Path::new(""))
        .join("recallform.lock.json");
    if at.lockfile != beside {
        cmd.push(format!("--lockfile {}", shell_word(&at.lockfile)));
    }
    for t in &saved.plan.targets {
        cmd.push(format!("--target {}", shell_word(Path::new(t))));
    }
    cmd.push(format!("--out {}", shell_word(file)));
    cmd.join(" ")
}

/// A path as one shell word: quoted when it holds anything but plain path characters.
fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:@,".contains(c))
    {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}
