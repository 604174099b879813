//! Where a saved plan's manifest and lockfile are, from whatever folder `apply` runs in.
//!
//! A plan records each path twice: as given to `plan` (relative to the folder it ran in, all
//! that older plan files have) and relative to the plan file's own folder. `apply` tries the
//! second first, since it survives a change of working folder, then the first.

use std::path::{Component, Path, PathBuf};

use super::{SavedPlan, SavedPlanError};

impl SavedPlan {
    /// Finds the manifest and lockfile this plan was made with, from any working folder:
    /// first relative to the plan file's folder, then as recorded (relative to the working
    /// folder, which is all that plan files of older versions record). A manifest found in
    /// neither place is an error that says the path came from the plan file.
    pub fn locate(&self, plan_file: &Path) -> Result<Located, SavedPlanError> {
        let candidates = self.candidates(plan_file);
        match candidates.iter().find(|c| c.manifest.is_file()) {
            Some(found) => Ok(found.clone()),
            None => Err(self.missing(plan_file, &candidates)),
        }
    }

    /// The lockfile alone, for when `-f` names the manifest: the first place the plan's paths
    /// lead to where it exists, if any (a first apply creates it).
    pub fn locate_lockfile(&self, plan_file: &Path) -> Option<PathBuf> {
        self.candidates(plan_file)
            .into_iter()
            .map(|c| c.lockfile)
            .find(|l| l.exists())
    }

    /// Where the paths may lead, in the order they are tried.
    fn candidates(&self, plan_file: &Path) -> Vec<Located> {
        // Not `folder_of`: a bare `plan.json` gives `recallform.yaml`, not `./recallform.yaml`.
        let dir = plan_file.parent().unwrap_or(Path::new(""));
        let as_recorded = Located {
            manifest: PathBuf::from(&self.manifest),
            lockfile: PathBuf::from(&self.lockfile),
        };
        let from_plan = self.manifest_from_plan.as_ref().map(|m| Located {
            manifest: dir.join(m),
            lockfile: self
                .lockfile_from_plan
                .as_ref()
                .map_or_else(|| as_recorded.lockfile.clone(), |l| dir.join(l)),
        });
        from_plan.into_iter().chain([as_recorded]).collect()
    }

    /// The error for a manifest in none of `candidates`: each place, and what to do.
    fn missing(&self, plan_file: &Path, candidates: &[Located]) -> SavedPlanError {
        let cwd = std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|_| "?".into());
        let mut tried: Vec<String> = Vec::new();
        for c in candidates {
            let shown = if c.manifest.is_relative() {
                format!("`{}` in the current folder `{cwd}`", c.manifest.display())
            } else {
                format!("`{}`", c.manifest.display())
            };
            if !tried.contains(&shown) {
                tried.push(shown);
            }
        }
        let hint = if self.manifest_from_plan.is_some() {
            "keep the plan file where it was written, relative to its manifest, or name the manifest with `-f PATH` (and the lockfile with `--lockfile PATH`)"
        } else {
            "this plan file was written by an older recallform, which recorded paths relative to the folder it ran in: apply it from that folder, or name the manifest with `-f PATH` (and the lockfile with `--lockfile PATH`)"
        };
        SavedPlanError::ManifestMissing {
            recorded: self.manifest.clone(),
            plan: plan_file.display().to_string(),
            tried,
            hint: hint.into(),
        }
    }
}

/// Where a saved plan's manifest and lockfile are, seen from the working folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// The manifest.
    pub manifest: PathBuf,
    /// The lockfile.
    pub lockfile: PathBuf,
}

/// The folder a file is in, `.` for a bare file name.
pub(super) fn folder_of(file: &Path) -> &Path {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// `path` relative to the folder `dir`, through their canonical folders, or `None` when there
/// is no such path (another drive, a folder that does not exist, a name that is not UTF-8).
/// The file name itself is kept, not resolved: a manifest that is a symlink stays one, so its
/// `{file: ...}` references and sandbox state stay where they were.
pub(super) fn relative(dir: &Path, path: &Path) -> Option<String> {
    let base = dir.canonicalize().ok()?;
    let target = folder_of(path).canonicalize().ok()?.join(path.file_name()?);
    let (base, target): (Vec<Component>, Vec<Component>) =
        (base.components().collect(), target.components().collect());
    let common = base.iter().zip(&target).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return None;
    }
    let mut rel = PathBuf::new();
    for _ in common..base.len() {
        rel.push("..");
    }
    for c in &target[common..] {
        rel.push(c);
    }
    rel.to_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_recorded_relative_to_the_plan_files_folder() {
        let root = tempfile::tempdir().unwrap();
        let repo = root.path().join("repo");
        std::fs::create_dir_all(repo.join("plans")).unwrap();
        std::fs::write(repo.join("recallform.yaml"), "").unwrap();
        let manifest = repo.join("recallform.yaml");
        assert_eq!(
            relative(&repo.join("plans"), &manifest).as_deref(),
            Some("../recallform.yaml")
        );
        assert_eq!(
            relative(&repo, &repo.join("not-yet.lock.json")).as_deref(),
            Some("not-yet.lock.json"),
            "a lockfile that does not exist yet"
        );
        assert_eq!(relative(&repo.join("missing"), &manifest), None);
    }
}
