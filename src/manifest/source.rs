//! The manifest's text as diagnostics show it: the line a problem points at, with every value
//! that may be a secret replaced by `(sensitive)`, and the span to underline.
//!
//! Only what is known not to be secret is shown as written: keys, the values of the keys in
//! [`PLAIN_KEYS`] (which include the names and paths of `{env: ...}` and `{file: ...}`), and
//! punctuation. Every other value is masked, whatever the diagnostic is about: a problem can point
//! at a line that holds a secret without being about it (a misspelt `client_secrte: ...`, a
//! value that continues on the next line), and a line of the manifest may end up in CI logs.
//!
//! Not for: parsing YAML. A tokenizer of one line is enough to tell keys from values, and where
//! it is unsure it masks.

use std::path::Path;

use crate::diagnostic::{Diagnostic, Snippet};

/// The keys whose values are never secret, so a snippet shows them as written.
const PLAIN_KEYS: &[&str] = &[
    "version",
    "region",
    "base_url",
    "kind",
    "client_id",
    "env",
    "file",
    "from",
    "to",
    "allow_delete",
    "max_deletes",
    "allow_replace",
    "protect",
    "scopes",
    "granted",
    "events",
    "sdk",
    "forward_from",
    "list",
    "write",
];

/// The keys of lists whose items are never secret, so an item on a line of its own is shown.
const PLAIN_LISTS: &[&str] = &["granted", "events"];

/// What replaces a masked value; the plan shows secrets the same way.
pub(super) const MASK: &str = "(sensitive)";

/// The characters of a line a snippet shows at most; a longer line is cut, and ends in ` …`.
const MAX_SHOWN: usize = 400;

/// The characters of a line that are read to find keys and values (see [`line_chars`]); what a
/// line has past them is not looked at.
pub(super) const MAX_READ: usize = 16 * 1024;

/// Columns a tab takes in a snippet.
const TAB_WIDTH: usize = 4;

/// The manifest's text, with where each of its lines starts, so that a line is found in
/// constant time. Locations and diagnostics look lines up app by app, and counting lines from
/// the top at each look-up made a manifest of N apps cost N² (issue 12: 10,000 apps took five
/// minutes to validate).
pub(super) struct Lines<'a> {
    text: &'a str,
    /// The byte where each line starts; the last one may be the end of the text.
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    /// Indexes `text`'s lines, in one pass.
    pub(super) fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { text, starts }
    }

    /// Line `line` (from 1) as [`str::lines`] gives it, without its `\n` or `\r\n`; `None`
    /// before the first line or past the last.
    pub(super) fn get(&self, line: u64) -> Option<&'a str> {
        let i = usize::try_from(line.checked_sub(1)?).ok()?;
        let start = *self.starts.get(i)?;
        if start == self.text.len() {
            return None; // after the final newline: `str::lines` has no line there
        }
        let raw = match self.starts.get(i + 1) {
            Some(&next) => &self.text[start..next],
            None => &self.text[start..],
        };
        Some(match raw.strip_suffix('\n') {
            Some(l) => l.strip_suffix('\r').unwrap_or(l),
            None => raw,
        })
    }
}

/// Gives each diagnostic located in `file` the line it points at, masked. The text's lines
/// are indexed only when one needs them: a manifest with no diagnostic (the usual case, and a
/// 56 MB text at 100,000 apps) is not read again.
pub(super) fn attach(diagnostics: &mut [Diagnostic], file: &Path, text: &str) {
    let mut lines = None;
    for d in diagnostics.iter_mut() {
        if d.snippet.is_some() {
            continue;
        }
        if let Some(at) = &d.location
            && at.file == file
        {
            let lines = lines.get_or_insert_with(|| Lines::new(text));
            d.snippet = snippet(lines, at.line, at.column).map(Box::new);
        }
    }
}

/// The snippet for line `line`, column `column` (both from 1) of `text`; `None` for a line
/// that does not exist or holds nothing but a comment.
pub(super) fn snippet(text: &Lines, line: u64, column: u64) -> Option<Snippet> {
    let raw = text.get(line)?;
    // A long line is shown up to a point: masking costs more than linear time in the length
    // of a line, and a hostile manifest can make one line of megabytes. A prefix masks as the
    // whole line would, since what decides whether a value is hidden is to its left.
    // A document marker alone on its line holds nothing to mask.
    if matches!(raw.trim_end(), "---" | "...") {
        return Some(Snippet {
            text: raw.trim_end().into(),
            start: 0,
            width: 3,
        });
    }
    let mut chars: Vec<char> = raw.chars().take(MAX_SHOWN + 1).collect();
    let cut = chars.len() > MAX_SHOWN;
    chars.truncate(MAX_SHOWN);
    let tokens = tokenize(&chars);
    if tokens.iter().all(|t| t.kind == Kind::Comment) {
        return None;
    }
    // An item of a block list (`- meeting:read`) has no key on its line: the list's key, on a
    // line above, decides whether it is shown.
    let list_key = match tokens.first() {
        Some(t) if t.kind == Kind::Dash => {
            parent_key(text, line, t.start as u64 + 1).map(|(key, ..)| key)
        }
        _ => None,
    };
    let plain_item = list_key.is_some_and(|k| PLAIN_LISTS.contains(&k.as_str()));
    let hidden: Vec<bool> = (0..tokens.len())
        .map(|i| is_hidden(&tokens, i) && !(plain_item && governing_key(&tokens, i).is_none()))
        .collect();

    // Build the shown line, and where each character of the raw line went.
    let mut text = String::new();
    let mut width = 0; // characters in `text`
    let mut starts = vec![0; chars.len() + 1]; // shown start of each raw character
    let mut ends = vec![0; chars.len() + 1]; // shown end of each raw character
    let mut i = 0;
    while i < chars.len() {
        let token = tokens.iter().position(|t| t.start == i);
        match token {
            Some(k) if hidden[k] => {
                let t = &tokens[k];
                text.push_str(MASK);
                for j in t.start..t.end {
                    starts[j] = width;
                    ends[j] = width + MASK.len();
                }
                width += MASK.len();
                i = t.end;
            }
            // Comments are left out: one could hold anything.
            Some(k) if tokens[k].kind == Kind::Comment => {
                for j in i..chars.len() {
                    starts[j] = width;
                    ends[j] = width;
                }
                i = chars.len();
            }
            _ => {
                let c = chars[i];
                starts[i] = width;
                if c == '\t' {
                    text.push_str(&" ".repeat(TAB_WIDTH));
                    width += TAB_WIDTH;
                } else {
                    text.push(c);
                    width += 1;
                }
                ends[i] = width;
                i += 1;
            }
        }
    }
    let mut shown = text.trim_end().to_string();
    if cut {
        shown.push_str(" …");
    }
    starts[chars.len()] = shown.chars().count();
    ends[chars.len()] = starts[chars.len()] + 1;

    let at = usize::try_from(column.saturating_sub(1))
        .unwrap_or(usize::MAX)
        .min(chars.len());
    let (from, to) = extent(&chars, &tokens, at);
    let start = starts[from].min(shown.chars().count());
    let end = if to > from { ends[to - 1] } else { start + 1 };
    Some(Snippet {
        text: shown,
        start,
        width: end.saturating_sub(start).max(1),
    })
}

/// The tokens of line `line` (from 1), and the character index of column `column` (from 1).
fn line_tokens(text: &Lines, line: u64, column: u64) -> Option<(Vec<Token>, usize)> {
    let raw = text.get(line)?;
    let chars = line_chars(raw);
    let at = usize::try_from(column.saturating_sub(1)).unwrap_or(usize::MAX);
    Some((tokenize(&chars), at))
}

/// The key that a value at `line:column` belongs to: the last key before it on its line, with
/// the key's column (from 1).
pub(super) fn key_before(text: &Lines, line: u64, column: u64) -> Option<(String, u64)> {
    let (tokens, at) = line_tokens(text, line, column)?;
    tokens
        .iter()
        .rfind(|t| t.kind == Kind::Key && t.end <= at)
        .map(|t| (t.text.clone(), t.start as u64 + 1))
}

/// What kind of value starts at `line:column`, for a message: `a list`, `a mapping` or
/// `a single value`; `None` when nothing does.
pub(super) fn found_at(text: &Lines, line: u64, column: u64) -> Option<&'static str> {
    let (tokens, at) = line_tokens(text, line, column)?;
    let t = tokens.iter().find(|t| t.start <= at && at < t.end)?;
    match (t.kind, t.text.as_str()) {
        (Kind::Open, "[") => Some("a list"),
        (Kind::Open, _) => Some("a mapping"),
        (Kind::Value, _) => Some("a single value"),
        _ => None,
    }
}

/// The text of the value at `line:column`, as written (for values that are never secret).
pub(super) fn value_at(text: &Lines, line: u64, column: u64) -> Option<String> {
    let (tokens, at) = line_tokens(text, line, column)?;
    tokens
        .iter()
        .find(|t| t.kind == Kind::Value && t.start <= at && at < t.end)
        .map(|t| t.text.clone())
}

/// The key that holds the mapping in which `line:column` is: the key before the flow mapping
/// open there, or else the nearest line above that is indented less. With its line and
/// column (from 1).
pub(super) fn parent_key(text: &Lines, line: u64, column: u64) -> Option<(String, u64, u64)> {
    let (tokens, at) = line_tokens(text, line, column)?;
    // Inside a flow mapping on this line: the key before its unclosed `{`.
    let mut open: Vec<usize> = Vec::new();
    for (i, t) in tokens.iter().enumerate().take_while(|(_, t)| t.start < at) {
        match t.kind {
            Kind::Open => open.push(i),
            Kind::Close => {
                open.pop();
            }
            _ => {}
        }
    }
    if let Some(&i) = open.last() {
        let key = tokens[..i].iter().rfind(|t| t.kind == Kind::Key)?;
        return Some((key.text.clone(), line, key.start as u64 + 1));
    }
    // In a block mapping: the first line above whose key is left of this one.
    for n in (1..line).rev() {
        let chars = line_chars(text.get(n)?);
        let tokens = tokenize(&chars);
        let Some(key) = tokens.iter().find(|t| t.kind != Kind::Dash) else {
            continue;
        };
        if key.kind == Kind::Comment {
            continue;
        }
        if key.start < at {
            return (key.kind == Kind::Key).then(|| (key.text.clone(), n, key.start as u64 + 1));
        }
    }
    None
}

/// The raw span `[from, to)` to underline for a diagnostic at character `at`: the token there,
/// a whole flow collection when it is its opening bracket, one character otherwise.
fn extent(chars: &[char], tokens: &[Token], at: usize) -> (usize, usize) {
    let Some(k) = tokens
        .iter()
        .position(|t| t.start <= at && at < t.end && t.kind != Kind::Comment)
    else {
        return (at, (at + 1).min(chars.len()));
    };
    let t = &tokens[k];
    if t.kind == Kind::Open {
        let close = tokens[k + 1..]
            .iter()
            .find(|c| c.kind == Kind::Close && c.depth == t.depth);
        let end = close.map_or_else(
            || {
                tokens
                    .iter()
                    .rfind(|t| t.kind != Kind::Comment)
                    .map_or(t.end, |t| t.end)
            },
            |c| c.end,
        );
        return (t.start, end);
    }
    (t.start, t.end)
}

/// Whether token `k` is a value that may be secret: a scalar that is not a key, whose key (its
/// own, or the one that holds the collection it is in) is not in [`PLAIN_KEYS`].
fn is_hidden(tokens: &[Token], k: usize) -> bool {
    if tokens[k].kind != Kind::Value {
        return false;
    }
    match governing_key(tokens, k) {
        Some(key) => !PLAIN_KEYS.contains(&key.as_str()),
        None => true,
    }
}

/// The key a value belongs to: the last key before it in its own mapping entry or, for a
/// collection's item without a key of its own, the key that holds the collection.
fn governing_key(tokens: &[Token], k: usize) -> Option<String> {
    let mut depth = tokens[k].depth;
    let mut skipping = false; // past a `,`: this entry has no key; find the collection's
    for t in tokens[..k].iter().rev() {
        if t.kind == Kind::Open && t.depth + 1 == depth {
            depth -= 1;
            skipping = false;
            continue;
        }
        if skipping || t.depth != depth {
            continue;
        }
        match t.kind {
            Kind::Key => return Some(t.text.clone()),
            Kind::Comma => skipping = true,
            _ => {}
        }
    }
    None
}

/// What a token of one line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// A scalar followed by `:`.
    Key,
    /// Any other scalar (plain or quoted, anchors and tags included).
    Value,
    /// `{` or `[`.
    Open,
    /// `}` or `]`.
    Close,
    /// `,` inside a flow collection.
    Comma,
    /// The `-` of a block sequence item.
    Dash,
    /// `#` to the end of the line.
    Comment,
}

/// A token of one line: characters `[start, end)`, at flow depth `depth`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Token {
    /// What it is.
    pub kind: Kind,
    /// First character.
    pub start: usize,
    /// One past the last character.
    pub end: usize,
    /// How many flow collections are open around it.
    pub depth: usize,
    /// A key's or a value's text (unquoted keys as written).
    pub text: String,
}

/// The characters of a line that the helpers here read: at most [`MAX_READ`], so that a hostile
/// line of megabytes costs no more than a long ordinary one (a token takes some 20 times the
/// memory of its characters).
pub(super) fn line_chars(raw: &str) -> Vec<char> {
    raw.chars().take(MAX_READ).collect()
}

/// Splits one line into tokens, as YAML would at the level of keys and values.
pub(super) fn tokenize(c: &[char]) -> Vec<Token> {
    let flow = |ch: char| matches!(ch, ',' | '[' | ']' | '{' | '}');
    let blank = |i: usize| i >= c.len() || c[i] == ' ' || c[i] == '\t';
    let mut tokens: Vec<Token> = Vec::new();
    let mut depth = 0usize;
    let mut only_dashes = true;
    let mut i = 0;
    let push = |tokens: &mut Vec<Token>, kind, start, end, depth| {
        tokens.push(Token {
            kind,
            start,
            end,
            depth,
            text: c[start..end].iter().collect(),
        });
    };
    while i < c.len() {
        let ch = c[i];
        if ch == ' ' || ch == '\t' {
            i += 1;
            continue;
        }
        if ch == '#' && (i == 0 || blank(i - 1)) {
            push(&mut tokens, Kind::Comment, i, c.len(), depth);
            break;
        }
        let single = match ch {
            '{' | '[' => Some(Kind::Open),
            '}' | ']' => Some(Kind::Close),
            ',' if depth > 0 => Some(Kind::Comma),
            '-' if depth == 0 && blank(i + 1) && only_dashes => Some(Kind::Dash),
            _ => None,
        };
        // Kept as a flag: asking the tokens so far at each `-` is quadratic on a line of them.
        only_dashes &= single == Some(Kind::Dash);
        if let Some(kind) = single {
            if kind == Kind::Close {
                depth = depth.saturating_sub(1);
            }
            push(&mut tokens, kind, i, i + 1, depth);
            if kind == Kind::Open {
                depth += 1;
            }
            i += 1;
            continue;
        }
        // A scalar: quoted to its closing quote (or the end of the line), plain to the first
        // `: `, ` #`, or, inside a flow collection, indicator.
        let start = i;
        let mut end = match ch {
            '"' | '\'' => {
                let mut j = i + 1;
                loop {
                    if j >= c.len() {
                        break c.len();
                    }
                    if ch == '"' && c[j] == '\\' {
                        j += 2;
                        continue;
                    }
                    if c[j] == ch {
                        if ch == '\'' && j + 1 < c.len() && c[j + 1] == '\'' {
                            j += 2;
                            continue;
                        }
                        break j + 1;
                    }
                    j += 1;
                }
            }
            _ => {
                let mut j = i;
                while j < c.len() {
                    let key_end = c[j] == ':' && (blank(j + 1) || (depth > 0 && flow(c[j + 1])));
                    let comment = c[j] == '#' && blank(j - 1);
                    if key_end || comment || (depth > 0 && flow(c[j])) {
                        break;
                    }
                    j += 1;
                }
                j
            }
        };
        while end > start && (c[end - 1] == ' ' || c[end - 1] == '\t') {
            end -= 1;
        }
        let mut next = end;
        while next < c.len() && (c[next] == ' ' || c[next] == '\t') {
            next += 1;
        }
        let is_key = next < c.len()
            && c[next] == ':'
            && (blank(next + 1) || (depth > 0 && flow(c[next + 1])));
        if is_key {
            push(&mut tokens, Kind::Key, start, end, depth);
            i = next + 1;
        } else {
            push(&mut tokens, Kind::Value, start, end.max(start + 1), depth);
            i = end.max(start + 1);
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(line: &str, column: u64) -> (String, String) {
        let s = snippet(&Lines::new(line), 1, column).unwrap();
        let carets = format!("{}{}", " ".repeat(s.start), "^".repeat(s.width));
        (s.text, carets)
    }

    #[test]
    fn plain_values_are_shown_and_the_token_underlined() {
        assert_eq!(
            shown("    kind: user-level  # a comment", 11),
            ("    kind: user-level".into(), "          ^^^^^^^^^^".into())
        );
        assert_eq!(
            shown("  acme-prod:", 3),
            ("  acme-prod:".into(), "  ^^^^^^^^^".into())
        );
        assert_eq!(
            shown("    client_secret: {env: \"1X\"}", 20),
            (
                "    client_secret: {env: \"1X\"}".into(),
                "                   ^^^^^^^^^^^".into()
            )
        );
        assert_eq!(
            shown("  base_url: http://127.0.0.1:8787", 13),
            (
                "  base_url: http://127.0.0.1:8787".into(),
                "            ^^^^^^^^^^^^^^^^^^^^^".into()
            )
        );
        assert_eq!(
            shown("moved: [{from: a, to: b}]", 16),
            (
                "moved: [{from: a, to: b}]".into(),
                "               ^".into()
            )
        );
    }

    #[test]
    fn every_value_that_may_be_secret_is_masked() {
        for (line, expected) in [
            (
                "    client_secret: hunter2",
                "    client_secret: (sensitive)",
            ),
            (
                "    client_secret: \"hunter2: x\" # hunter2",
                "    client_secret: (sensitive)",
            ),
            ("      secret: 'it''s hunter2'", "      secret: (sensitive)"),
            (
                "    client_secret: [hunter2, x]",
                "    client_secret: [(sensitive), (sensitive)]",
            ),
            (
                "    client_secret: {value: hunter2}",
                "    client_secret: {value: (sensitive)}",
            ),
            (
                "    client_secrte: hunter2",
                "    client_secrte: (sensitive)",
            ),
            ("    webhook: hunter2", "    webhook: (sensitive)"),
            ("      hunter2 continued", "      (sensitive)"),
            ("  - hunter2", "  - (sensitive)"),
            (
                "  a: {kind: user_level, client_secret: hunter2}",
                "  a: {kind: user_level, client_secret: (sensitive)}",
            ),
            (
                "    client_secret: {env: ACME_CS}",
                "    client_secret: {env: ACME_CS}",
            ),
            (
                "    webhook: {secret: {file: secrets/hook}}",
                "    webhook: {secret: {file: secrets/hook}}",
            ),
        ] {
            assert_eq!(
                snippet(&Lines::new(line), 1, 1).unwrap().text,
                expected,
                "{line}"
            );
        }
        // The underline covers the mask of the value it points at.
        assert_eq!(
            shown("    client_secret: hunter2", 20),
            (
                "    client_secret: (sensitive)".into(),
                "                   ^^^^^^^^^^^".into()
            )
        );
    }

    #[test]
    fn items_of_the_zoom_lists_are_shown_and_other_items_masked() {
        let text = "    zoom:\n      granted:\n        - meeting:read:list_meetings\n    other:\n      - s3cret\n";
        let text = Lines::new(text);
        assert_eq!(
            snippet(&text, 3, 11).unwrap().text,
            "        - meeting:read:list_meetings"
        );
        assert_eq!(snippet(&text, 5, 9).unwrap().text, "      - (sensitive)");
        assert_eq!(
            shown("    zoom: {granted: [user:read:user], sdk: true}", 25).0,
            "    zoom: {granted: [user:read:user], sdk: true}"
        );
    }

    #[test]
    fn lines_are_found_as_str_lines_gives_them() {
        for text in [
            "",
            "\n",
            "a",
            "a\n",
            "a\n\n",
            "a\r\nb\r\n",
            "a\rb\r",
            "\r\n\r",
            "é\n\tß\n",
        ] {
            let lines = Lines::new(text);
            let expected: Vec<&str> = text.lines().collect();
            let found: Vec<&str> = (1..).map_while(|n| lines.get(n)).collect();
            assert_eq!(found, expected, "{text:?}");
            assert_eq!(lines.get(0), None);
        }
    }

    #[test]
    fn tabs_comments_and_missing_lines() {
        assert_eq!(
            shown("\twebhook:", 1),
            ("    webhook:".into(), "^^^^".into())
        );
        assert_eq!(snippet(&Lines::new("# only a comment"), 1, 1), None);
        assert_eq!(snippet(&Lines::new("a: 1"), 2, 1), None);
        // Past the end of the line: one caret after it.
        assert_eq!(
            shown("    webhook:", 13),
            ("    webhook:".into(), "            ^".into())
        );
    }
}
