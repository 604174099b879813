//! `recallform man`: the manual in roff, generated from the command line's own definition.
//!
//! Without `--out` it prints the top-level page, for `recallform man | man -l -`; with `--out`
//! it writes one page per command, named the way `man` looks them up (`recallform-plan.1`), for
//! packagers. The pages describe options and exit codes (from [`exit::TABLE`], as `--help`
//! does); the README remains the full reference.

use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory};
use clap_mangen::Man;

use super::{Cli, documented, output};
use crate::error::{Error, exit};
use crate::fsutil;

/// Options of `man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write one page per command into this folder (created if missing) instead of printing
    /// the top-level page.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Prints the top-level page, or writes every page into `--out`.
pub fn run(args: &ManArgs) -> Result<u8, Error> {
    // `help` is clap's own subcommand: it gets no page, and so no mention in the others. The
    // exit codes get a section of their own below, not `--help`'s text as an EXTRA section.
    let mut top =
        documented(Cli::command().disable_help_subcommand(true)).after_long_help(None::<&str>);
    let Some(dir) = &args.out else {
        output::data(&render(&Man::new(top))?);
        return Ok(exit::SUCCESS);
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Other(format!("cannot create `{}`: {e}", dir.display())))?;
    // Building names every subcommand after its parents (`recallform-sandbox-serve`), which
    // is what the file names and the cross-references use.
    top.build();
    let mut written = Vec::new();
    write_pages(top, dir, &mut written)?;
    let list: String = written
        .iter()
        .map(|p| format!("wrote `{}`\n", p.display()))
        .collect();
    output::data(&list);
    Ok(exit::SUCCESS)
}

/// Writes the page of `cmd`, then those of its visible subcommands, depth first.
fn write_pages(cmd: clap::Command, dir: &Path, written: &mut Vec<PathBuf>) -> Result<(), Error> {
    let man = Man::new(cmd.clone());
    let path = dir.join(man.get_filename());
    let page = render(&man)?;
    fsutil::write_atomically(&path, page.as_bytes(), fsutil::Mode::Shared)
        .map_err(|e| Error::Other(format!("cannot write `{}`: {e}", path.display())))?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub.clone(), dir, written)?;
    }
    Ok(())
}

/// One command's page, in roff, with an EXIT STATUS section before VERSION (where man pages
/// keep it).
fn render(man: &Man) -> Result<String, Error> {
    let mut page = Vec::new();
    man.render(&mut page)
        .map_err(|e| Error::Other(format!("cannot render the man page: {e}")))?;
    let page = String::from_utf8(page)
        .map_err(|e| Error::Other(format!("the man page is not UTF-8: {e}")))?;
    Ok(match page.find("\n.SH VERSION") {
        Some(at) => format!("{}\n{}{}", &page[..at], exit_status(), &page[at + 1..]),
        None => format!("{page}{}", exit_status()),
    })
}

/// The EXIT STATUS section, from [`exit::TABLE`]: one tagged paragraph per code.
fn exit_status() -> String {
    let rows: String = exit::TABLE
        .iter()
        .map(|(code, meaning)| format!(".TP\n\\fB{code}\\fR\n{}\n", roff_text(meaning)))
        .collect();
    format!(".SH \"EXIT STATUS\"\n{rows}")
}

/// `text` as roff body text: backslashes and hyphens escaped, and no line that could start
/// with a control character.
fn roff_text(text: &str) -> String {
    let text = text.replace('\\', "\\e").replace('-', "\\-");
    if text.starts_with(['.', '\'']) {
        format!("\\&{text}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exit_status_section_lists_every_code_in_roff() {
        let section = exit_status();
        assert!(
            section.starts_with(
                ".SH \"EXIT STATUS\"\n.TP\n\\fB0\\fR\nSuccess. With `\\-\\-detailed\\-exitcode`"
            ),
            "{section}"
        );
        assert_eq!(section.matches(".TP\n").count(), exit::TABLE.len());
        assert_eq!(roff_text(".x \\ y"), "\\&.x \\e y");
    }
}
