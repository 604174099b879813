//! Indentation mistakes, found on the manifest's text when the YAML parser has failed.
//!
//! YAML nests by indentation, and the parser reports a mistake where it notices it, which is
//! often elsewhere: a key indented by 3 spaces among keys at 4 ends the mapping early, so the
//! parser says a required key is missing, at another line. This scan reads the lines the way
//! a person does, keeping the columns of the open mappings, and names the line whose
//! indentation matches none of them.
//!
//! Not for: valid YAML. The scan runs only after a parse error and is only trusted as far as
//! `mod.rs` decides; it skips what it does not model (block scalars, multi-line flow
//! collections and quoted strings) rather than guess.

use super::source::{Kind, Token, line_chars, tokenize};

/// A line whose indentation is certainly wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Misindented {
    /// Line, from 1.
    pub line: u64,
    /// Column of the first character the problem is about, from 1.
    pub column: u64,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

/// A key with no value, and the line after it, which is not indented under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct EmptyKey {
    /// The key.
    pub key: String,
    /// Its line and column, from 1.
    pub line: u64,
    /// Its column, from 1.
    pub column: u64,
    /// The next content line: line, column and the key it starts with, if it does; `None`
    /// at the end of the file.
    pub next: Option<(u64, u64, Option<String>)>,
    /// Whether the next line is at the key's own indentation (a sibling, not a child).
    pub same_indent: bool,
}

/// What the scan found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Scan {
    /// The first line whose indentation fits no open mapping, if any.
    pub misindented: Option<Misindented>,
    /// Every key with no value whose next line is not indented under it.
    pub empty_keys: Vec<EmptyKey>,
}

/// One open block (mapping or sequence): the column its entries start at, and its last key.
#[derive(Clone, Debug)]
struct Level {
    column: usize,
    key: Option<String>,
}

/// The shape of one content line.
struct Line {
    number: u64,
    indent: usize,
    /// Column (from 0) of the first key, after any `- `.
    key_column: usize,
    key: Option<String>,
    tokens: Vec<Token>,
    dash: bool,
}

impl Line {
    /// `` `key` `` or `this line`, for messages.
    fn subject(&self) -> String {
        match &self.key {
            Some(k) => format!("`{k}`"),
            None => "this line".into(),
        }
    }

    /// Whether the line ends with a key and nothing after it (so a block should follow).
    fn opens_block(&self) -> bool {
        let content: Vec<&Token> = self
            .tokens
            .iter()
            .filter(|t| t.kind != Kind::Comment)
            .collect();
        content.last().is_some_and(|t| t.kind == Kind::Key)
            || content.iter().all(|t| t.kind == Kind::Dash)
    }

    /// Whether the line's value is a block scalar (`|` or `>`), whose lines follow.
    fn opens_block_scalar(&self) -> bool {
        let content: Vec<&Token> = self
            .tokens
            .iter()
            .filter(|t| t.kind != Kind::Comment)
            .collect();
        matches!(content.as_slice(), [.., k, v] if k.kind == Kind::Key && v.kind == Kind::Value && (v.text.starts_with('|') || v.text.starts_with('>')))
    }

    /// Flow brackets opened minus closed on this line.
    fn flow_balance(&self) -> isize {
        self.tokens
            .iter()
            .map(|t| match t.kind {
                Kind::Open => 1,
                Kind::Close => -1,
                _ => 0,
            })
            .sum()
    }

    /// Whether a quoted scalar on this line is still open at its end.
    fn open_quote(&self) -> Option<char> {
        let last = self.tokens.iter().rfind(|t| t.kind != Kind::Comment)?;
        let first = last.text.chars().next()?;
        let closed = last.text.chars().count() > 1 && last.text.ends_with(first);
        (matches!(first, '"' | '\'') && !closed).then_some(first)
    }
}

/// Reads `text` line by line, following the open mappings by their columns.
pub(super) fn scan(text: &str) -> Scan {
    let mut found = Scan::default();
    let mut levels: Vec<Level> = Vec::new();
    // The last line opened a block: the column it must be deeper than, and the key.
    let mut open: Option<(usize, String, u64)> = None;
    // Lines to skip: the content of a block scalar deeper than this column, or of a flow
    // collection or a quoted string that goes on.
    let mut scalar_deeper_than: Option<usize> = None;
    let mut flow_depth: isize = 0;
    let mut quote: Option<char> = None;

    for (i, raw) in text.lines().enumerate() {
        let number = i as u64 + 1;
        let chars = line_chars(raw);
        let indent = chars.iter().take_while(|c| **c == ' ').count();
        let blank = chars.iter().all(|c| c.is_whitespace());
        if let Some(column) = scalar_deeper_than {
            if blank || indent > column {
                continue;
            }
            scalar_deeper_than = None;
        }
        if let Some(q) = quote {
            if raw.contains(q) {
                quote = None;
            }
            continue;
        }
        if flow_depth > 0 {
            let tokens = tokenize(&chars);
            flow_depth += tokens
                .iter()
                .map(|t| match t.kind {
                    Kind::Open => 1,
                    Kind::Close => -1,
                    _ => 0,
                })
                .sum::<isize>();
            continue;
        }
        let tokens = tokenize(&chars);
        if tokens.iter().all(|t| t.kind == Kind::Comment) {
            continue;
        }
        if raw.starts_with("---") || raw.starts_with("...") || raw.starts_with('%') {
            continue;
        }
        if chars.get(indent) == Some(&'\t') {
            let key = tokens.iter().find(|t| t.kind == Kind::Key);
            found.misindented = Some(Misindented {
                line: number,
                column: indent as u64 + 1,
                message: format!(
                    "{} is indented with a tab",
                    key.map_or("this line".into(), |k| format!("`{}`", k.text))
                ),
                hint: "YAML indents with spaces only: replace the tab with spaces".into(),
            });
            return found;
        }
        let dash = tokens.first().is_some_and(|t| t.kind == Kind::Dash);
        let first_key = tokens.iter().find(|t| t.kind != Kind::Dash);
        let line = Line {
            number,
            indent,
            key_column: first_key.map_or(indent, |t| t.start),
            key: first_key
                .filter(|t| t.kind == Kind::Key)
                .map(|t| t.text.clone()),
            tokens,
            dash,
        };
        if let Err(problem) = place(&mut levels, &mut open, &mut found, &line) {
            found.misindented = Some(problem);
            return found;
        }
        if line.opens_block_scalar() {
            scalar_deeper_than = Some(line.indent);
        }
        flow_depth = line.flow_balance().max(0);
        quote = line.open_quote();
    }
    if let Some((column, key, line)) = open {
        found.empty_keys.push(EmptyKey {
            key,
            line,
            column: column as u64 + 1,
            next: None,
            same_indent: false,
        });
    }
    found
}

/// Fits `line` into the open levels, or says why it fits none.
fn place(
    levels: &mut Vec<Level>,
    open: &mut Option<(usize, String, u64)>,
    found: &mut Scan,
    line: &Line,
) -> Result<(), Misindented> {
    let n = line.indent;
    let mut child = false;
    if let Some((column, key, key_line)) = open.take() {
        if n > column || (n == column && line.dash) {
            // The block under the key: a new level (a sequence may sit at its key's column).
            child = true;
        } else {
            found.empty_keys.push(EmptyKey {
                key,
                line: key_line,
                column: column as u64 + 1,
                next: Some((line.number, n as u64 + 1, line.key.clone())),
                same_indent: n == column,
            });
        }
    }
    if child || levels.is_empty() {
        levels.push(Level {
            column: n,
            key: None,
        });
    } else if let Some(at) = levels.iter().position(|l| l.column == n) {
        levels.truncate(at + 1);
    } else if let Some(inner) = levels.iter().position(|l| l.column > n) {
        return Err(between(levels, inner, line));
    } else {
        // Deeper than every open level, under a line that already had its value.
        if line.key.is_none() && !line.dash {
            return Ok(()); // a plain scalar going on over several lines
        }
        let above = levels.last().expect("levels is not empty");
        let beside = above
            .key
            .as_ref()
            .map_or("the line above".into(), |k| format!("`{k}`"));
        return Err(Misindented {
            line: line.number,
            column: n as u64 + 1,
            message: format!(
                "{} is indented by {}, deeper than {beside} above it, which already has a value",
                line.subject(),
                spaces(n)
            ),
            hint: format!("{} to put it beside {beside}", indent_by(above.column)),
        });
    }
    let top = levels.last_mut().expect("a level was pushed or kept");
    if line.dash {
        // `- key: value`: the item's mapping starts at the key's column.
        top.key = None;
        if line.key.is_some() {
            levels.push(Level {
                column: line.key_column,
                key: line.key.clone(),
            });
        }
    } else {
        top.key = line.key.clone();
    }
    if line.opens_block() {
        let key = line.key.clone().unwrap_or_else(|| "-".into());
        *open = Some((line.key_column, key, line.number));
    }
    Ok(())
}

/// `indent it by 4 spaces`, or `do not indent it` for the first column.
fn indent_by(column: usize) -> String {
    match column {
        0 => "do not indent it".into(),
        n => format!("indent it by {}", spaces(n)),
    }
}

/// `1 space`, `3 spaces`.
fn spaces(n: usize) -> String {
    if n == 1 {
        "1 space".into()
    } else {
        format!("{n} spaces")
    }
}

/// The problem of a line indented between two open levels: it closes `levels[inner..]` but
/// lines up with none of them.
fn between(levels: &[Level], inner: usize, line: &Line) -> Misindented {
    let n = line.indent;
    let level = &levels[inner];
    let inside = inner
        .checked_sub(1)
        .and_then(|i| levels[i].key.as_ref())
        .map(|k| format!(" (inside `{k}`)"))
        .unwrap_or_default();
    let mut hint = match &level.key {
        Some(k) => format!("{} to put it beside `{k}`{inside}", indent_by(level.column)),
        None => format!("{}{inside}", indent_by(level.column)),
    };
    if let Some(outer) = inner.checked_sub(1).map(|i| &levels[i]) {
        let by = match outer.column {
            0 => "not at all".to_string(),
            n => format!("by {n}"),
        };
        match &outer.key {
            Some(k) => hint.push_str(&format!(", or {by} to put it beside `{k}`")),
            None => hint.push_str(&format!(", or {by}")),
        }
    }
    Misindented {
        line: line.number,
        column: n as u64 + 1,
        message: format!(
            "{} is indented by {}, which lines up with no key above it",
            line.subject(),
            spaces(n)
        ),
        hint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = "version: 1\nrecall:\n  region: us-east-1\nzoom_oauth_apps:\n  acme-prod:\n    kind: user_level\n    client_id: x\n    client_secret: {env: A}\n    webhook:\n      secret: {env: B}\nmoved:\n  - from: a\n    to: b\n";

    #[test]
    fn a_well_indented_manifest_has_no_problem() {
        let found = scan(OK);
        assert_eq!(found.misindented, None);
        assert_eq!(found.empty_keys, []);
        let tricky = "a: |\n  text\n   more: text\n\nb: [1,\n  2]\nc: \"multi\n  line\"\nd: plain\n  continued\ne:\n- item\n";
        assert_eq!(scan(tricky), Scan::default());
    }

    #[test]
    fn a_key_between_levels_names_both() {
        let text = OK.replace("    webhook:", "   webhook:");
        let p = scan(&text).misindented.unwrap();
        assert_eq!((p.line, p.column), (9, 4));
        assert_eq!(
            p.message,
            "`webhook` is indented by 3 spaces, which lines up with no key above it"
        );
        assert_eq!(
            p.hint,
            "indent it by 4 spaces to put it beside `client_secret` (inside `acme-prod`), or by 2 to put it beside `acme-prod`"
        );
        let p = scan(&OK.replace("    webhook:", " webhook:"))
            .misindented
            .unwrap();
        assert_eq!(
            p.hint,
            "indent it by 2 spaces to put it beside `acme-prod` (inside `zoom_oauth_apps`), or not at all to put it beside `zoom_oauth_apps`"
        );
        assert_eq!(
            p.message,
            "`webhook` is indented by 1 space, which lines up with no key above it"
        );
    }

    #[test]
    fn a_key_too_deep_and_an_empty_key_with_its_child_beside_it() {
        let p = scan(&OK.replace("    webhook:", "     webhook:"))
            .misindented
            .unwrap();
        assert_eq!((p.line, p.column), (9, 6));
        assert_eq!(
            p.hint,
            "indent it by 4 spaces to put it beside `client_secret`"
        );
        let found = scan(&OK.replace("      secret:", "    secret:"));
        assert_eq!(found.misindented, None);
        assert_eq!(
            found.empty_keys,
            [EmptyKey {
                key: "webhook".into(),
                line: 9,
                column: 5,
                next: Some((10, 5, Some("secret".into()))),
                same_indent: true,
            }]
        );
        let found = scan("a:\n  b:\n");
        assert_eq!(found.empty_keys[0].next, None);
    }

    #[test]
    fn a_tab_is_named() {
        let p = scan(&OK.replace("    webhook:", "\twebhook:"))
            .misindented
            .unwrap();
        assert_eq!((p.line, p.column), (9, 1));
        assert_eq!(p.message, "`webhook` is indented with a tab");
    }
}
