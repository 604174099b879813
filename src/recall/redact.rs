//! The one place that keeps secrets out of what recallform shows, logs or stores of Recall's
//! answers.
//!
//! Recall (or a proxy in front of it) may echo what it was sent: a 400 that quotes the
//! rejected value, a 401 that quotes the token, a debug page that shows the request body. A
//! [`Redactor`] knows every secret value of the session (the API key, the secrets the manifest
//! resolved, the secrets Recall returned) and replaces each copy with `(sensitive)`, whatever
//! shape it arrives in: a JSON string, a substring of one, an object key, a number whose
//! decimal text is the secret, at any depth; or raw text (an HTML page, a snippet of a body
//! that is not JSON), where it also looks for the secret's JSON-escaped and HTML-escaped forms.
//!
//! Secrets shorter than 4 characters are replaced only where they are a whole value (a JSON
//! string or number equal to the secret, or a whole text): Recall's FAQ allows a placeholder
//! client secret such as `"a"`, and replacing every `a` inside a message would shred it, while
//! so short a value tells an onlooker next to nothing. From 4 characters up, every occurrence
//! is replaced, inside words too.
//!
//! Not for: deciding what is secret in recallform's own output (the plan and the lockfile never
//! hold a secret, only fingerprints); this guards what comes from, or goes to, the network.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use aho_corasick::AhoCorasick;

use serde_json::Value;

use super::error::RecallError;
use crate::model::SecretString;

/// What a secret is replaced with.
pub const REDACTED: &str = "(sensitive)";

/// Secrets shorter than this (in characters) are replaced only as whole values.
pub const MIN_SUBSTRING_CHARS: usize = 4;

/// JSON keys whose values are never logged, whatever they hold: a request body always carries
/// secrets under these, and a response body may.
const SENSITIVE_KEYS: &[&str] = &["client_secret", "webhook_secret", "api_key", "token"];

/// Keys under which Recall returns an app's secrets; their values are learned as secrets.
const RETURNED_SECRET_KEYS: &[&str] = &["client_secret", "webhook_secret"];

/// Replaces known secret values with `(sensitive)`.
///
/// Clones share one set of secrets, so a secret learned through one clone (from a response,
/// say) is redacted by all of them.
#[derive(Clone, Default)]
pub struct Redactor {
    known: Arc<RwLock<Known>>,
}

/// The secrets, and the strings searched for in text.
#[derive(Default)]
struct Known {
    /// Every secret, short ones included: matched against whole values.
    whole: BTreeSet<String>,
    /// The secrets of at least [`MIN_SUBSTRING_CHARS`] characters, in every form they may be
    /// written in: matched anywhere.
    needles: BTreeSet<String>,
    /// One automaton for all the needles, built when first needed after they change: a text is
    /// searched once for all of them, not once for each. An apply of N apps knows 2N secrets
    /// and, at `-v`, redacts a line per request: searching for each secret in turn made that
    /// N² (issue 12). `None` if the automaton could not be built (then each is searched).
    matcher: OnceLock<Option<AhoCorasick>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The count only: the values are the whole point of hiding.
        let n = self.read().whole.len();
        write!(f, "Redactor({n} secrets)")
    }
}

impl Redactor {
    /// A redactor that knows no secret yet.
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Adds a secret. An empty value is ignored: it would match everywhere and hides nothing.
    pub fn learn(&self, secret: &SecretString) {
        self.learn_str(secret.expose());
    }

    /// Adds every secret of `secrets`.
    pub fn learn_all<'a>(&self, secrets: impl IntoIterator<Item = &'a SecretString>) {
        for s in secrets {
            self.learn(s);
        }
    }

    fn learn_str(&self, secret: &str) {
        if secret.is_empty() || self.read().whole.contains(secret) {
            return;
        }
        let mut known = self.known.write().unwrap_or_else(PoisonError::into_inner);
        known.whole.insert(secret.to_string());
        if secret.chars().count() >= MIN_SUBSTRING_CHARS {
            known.needles.extend(forms(secret));
            known.matcher = OnceLock::new();
        }
    }

    /// Learns the secrets in a response body: every string or number under `client_secret` or
    /// `webhook_secret`, at any depth, unless it is visibly masked (`****`).
    pub fn learn_from_response(&self, body: &Value) {
        match body {
            Value::Object(map) => {
                for (k, v) in map {
                    let scalar = match v {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    };
                    match scalar {
                        Some(s) if RETURNED_SECRET_KEYS.contains(&k.as_str()) => {
                            if !is_masked(&s) {
                                self.learn_str(&s);
                            }
                        }
                        _ => self.learn_from_response(v),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| self.learn_from_response(v)),
            _ => {}
        }
    }

    /// `text` with every known secret replaced: each occurrence of a secret of 4 characters or
    /// more (raw, JSON-escaped or HTML-escaped), or the whole text when it is a shorter secret.
    pub fn text(&self, text: &str) -> String {
        let known = self.read();
        if known.whole.contains(text) || known.whole.contains(text.trim()) {
            return REDACTED.into();
        }
        let matcher = known
            .matcher
            .get_or_init(|| AhoCorasick::new(&known.needles).ok());
        replace_all(text, &known.needles, matcher.as_ref())
    }

    /// A JSON value for the log: known secrets replaced wherever they are (see
    /// [`Redactor::values`]), and the value under any sensitive key (`client_secret`,
    /// `webhook_secret`, `api_key`, `token`) replaced whatever it is, known or not.
    pub fn json(&self, value: &Value) -> Value {
        self.walk(value, true)
    }

    /// A JSON value with known secrets replaced, its shape kept: string values (whole or
    /// substrings), object keys, and numbers whose decimal text is a secret, at any depth. For
    /// Recall's error messages, whose field names must stay readable.
    pub fn values(&self, value: &Value) -> Value {
        self.walk(value, false)
    }

    fn walk(&self, value: &Value, by_key: bool) -> Value {
        match value {
            Value::String(s) => Value::String(self.text(s)),
            Value::Number(n) => {
                let digits = n.to_string();
                if self.text(&digits) == digits {
                    value.clone()
                } else {
                    Value::String(REDACTED.into())
                }
            }
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.walk(v, by_key)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let v = if by_key && SENSITIVE_KEYS.contains(&k.as_str()) {
                            Value::String(REDACTED.into())
                        } else {
                            self.walk(v, by_key)
                        };
                        (self.text(k), v)
                    })
                    .collect(),
            ),
            Value::Bool(_) | Value::Null => value.clone(),
        }
    }

    /// The error with every known secret replaced in each of its texts.
    pub fn error(&self, error: RecallError) -> RecallError {
        error.map_texts(|s| self.text(&s))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Known> {
        self.known.read().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether a value Recall returned is a mask (`****`, `••••`, `xxxx`), not a secret.
pub(super) fn is_masked(value: &str) -> bool {
    value.chars().all(|c| matches!(c, '*' | '•' | 'x' | 'X'))
}

/// The ways a secret may be written in a body: as is; JSON-escaped (by serde, by encoders that
/// escape every non-ASCII character or `/`); and each of those HTML-escaped, as a debug page
/// shows a request body.
fn forms(secret: &str) -> Vec<String> {
    let quoted = serde_json::to_string(secret).expect("a string serializes");
    let json = quoted[1..quoted.len() - 1].to_string();
    let mut bases = vec![secret.to_string()];
    for escaped in [
        json.clone(),
        ascii_escaped(&json, false),
        ascii_escaped(&json, true),
    ] {
        bases.push(escaped.replace('/', "\\/"));
        bases.push(escaped);
    }
    bases.sort();
    bases.dedup();
    let mut all = bases.clone();
    for b in &bases {
        all.push(html_escaped(b, "&#x27;"));
        all.push(html_escaped(b, "&#39;"));
    }
    all.sort();
    all.dedup();
    all
}

/// `\uXXXX` for every non-ASCII character (UTF-16, as JSON does), as Python's `json.dumps` writes.
fn ascii_escaped(json: &str, upper: bool) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        let mut units = [0u16; 2];
        for u in c.encode_utf16(&mut units) {
            if upper {
                out.push_str(&format!("\\u{u:04X}"));
            } else {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

fn html_escaped(s: &str, apostrophe: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str(apostrophe),
            c => out.push(c),
        }
    }
    out
}

/// Replaces every stretch of `text` covered by an occurrence of a needle. Occurrences are
/// found overlapping and merged first, so two secrets that overlap, or a secret that repeats
/// into itself (`aaaa` in `aaaaa`), leave no fragment behind.
fn replace_all(text: &str, needles: &BTreeSet<String>, matcher: Option<&AhoCorasick>) -> String {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    match matcher {
        // Every occurrence of every needle, overlapping ones included, in one pass.
        Some(m) => spans.extend(m.find_overlapping_iter(text).map(|f| (f.start(), f.end()))),
        None => {
            for needle in needles {
                let mut from = 0;
                while let Some(at) = text[from..].find(needle.as_str()) {
                    let start = from + at;
                    spans.push((start, start + needle.len()));
                    // The next char boundary after `start`, so overlapping occurrences count.
                    from = start + text[start..].chars().next().map_or(1, char::len_utf8);
                }
            }
        }
    }
    if spans.is_empty() {
        return text.to_string();
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < spans.len() {
        let (start, mut end) = spans[i];
        i += 1;
        while i < spans.len() && spans[i].0 <= end {
            end = end.max(spans[i].1);
            i += 1;
        }
        out.push_str(&text[copied..start]);
        out.push_str(REDACTED);
        copied = end;
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn redactor(secrets: &[&str]) -> Redactor {
        let r = Redactor::new();
        for s in secrets {
            r.learn(&SecretString::new((*s).to_string()));
        }
        r
    }

    #[test]
    fn the_automaton_finds_what_searching_each_secret_finds() {
        let needles: BTreeSet<String> = ["aaaa", "aab", "bcd", "é-é-", "-é-é"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let matcher = AhoCorasick::new(&needles).unwrap();
        for text in [
            "aaaaa",
            "xaabcdx",
            "aaab aaaa aab",
            "é-é-é-é",
            "nothing",
            "",
        ] {
            assert_eq!(
                replace_all(text, &needles, Some(&matcher)),
                replace_all(text, &needles, None),
                "{text}"
            );
        }
        assert_eq!(
            replace_all("xaabcdx", &needles, Some(&matcher)),
            "x(sensitive)x"
        );
    }

    #[test]
    fn a_secret_learned_later_is_redacted_too() {
        let r = redactor(&["hunter22"]);
        assert_eq!(r.text("hunter22 abcdefg"), "(sensitive) abcdefg");
        r.learn(&SecretString::new("abcdefg".into()));
        assert_eq!(r.text("hunter22 abcdefg"), "(sensitive) (sensitive)");
    }

    #[test]
    fn substrings_of_text_from_four_characters() {
        let r = redactor(&["hunter22", "abcd"]);
        assert_eq!(
            r.text(r#""hunter22" is not valid; xabcdx"#),
            r#""(sensitive)" is not valid; x(sensitive)x"#
        );
        assert_eq!(r.text("nothing here"), "nothing here");
    }

    #[test]
    fn short_secrets_only_as_whole_values() {
        let r = redactor(&["a", "12"]);
        assert_eq!(r.text("a valid message"), "a valid message");
        assert_eq!(r.text("a"), REDACTED);
        assert_eq!(
            r.values(&json!({"client_secret": ["\"a\" is not valid.", "a", 12, 123], "a": 1})),
            json!({"client_secret": ["\"a\" is not valid.", REDACTED, REDACTED, 123], REDACTED: 1})
        );
    }

    #[test]
    fn every_json_shape() {
        let r = redactor(&["s3cr3t-value", "987654321"]);
        let echoed = json!({
            "client_secret": ["\"s3cr3t-value\" is not valid."],
            "nested": {
                "non_field_errors": [987654321, "s3cr3t-value", ["deeper s3cr3t-value"]],
                "by_value": {"s3cr3t-value": ["This value is not allowed."]},
            },
        });
        let shown = r.values(&echoed).to_string();
        assert!(
            !shown.contains("s3cr3t-value") && !shown.contains("987654321"),
            "{shown}"
        );
        assert!(
            shown.contains("is not valid.") && shown.contains("not allowed"),
            "{shown}"
        );
    }

    #[test]
    fn logs_also_hide_every_sensitive_key() {
        let r = redactor(&[]);
        assert_eq!(
            r.json(&json!({"client_secret": "unknown", "kind": "user_level", "x": [{"token": 1}]})),
            json!({"client_secret": REDACTED, "kind": "user_level", "x": [{"token": REDACTED}]})
        );
        // Error messages keep DRF's field names and messages.
        assert_eq!(
            r.values(&json!({"client_secret": ["This field is required."]})),
            json!({"client_secret": ["This field is required."]})
        );
    }

    #[test]
    fn escaped_forms_in_raw_text() {
        let r = redactor(&[r#"pa"ss\wörd/1"#]);
        for body in [
            r#"{"client_secret": "pa\"ss\\wörd/1"}"#,
            r#"{"client_secret": "pa\"ss\\w\u00f6rd/1"}"#,
            r#"{"client_secret": "pa\"ss\\w\u00F6rd\/1"}"#,
            "<pre>{&quot;client_secret&quot;: &quot;pa\\&quot;ss\\\\wörd/1&quot;}</pre>",
            r#"<td>pa&quot;ss\wörd/1</td>"#,
        ] {
            let shown = r.text(body);
            assert!(shown.contains(REDACTED), "{body} -> {shown}");
            assert!(
                !shown.contains("ss\\") && !shown.contains("rd/1"),
                "{body} -> {shown}"
            );
        }
    }

    #[test]
    fn overlapping_and_repeating_secrets_leave_no_fragment() {
        let r = redactor(&["abcdef", "defghi", "zzzz"]);
        assert_eq!(r.text("-abcdefghi-"), "-(sensitive)-");
        assert_eq!(r.text("zzzzz"), REDACTED);
        assert_eq!(r.text("ü-zzzz-ü"), "ü-(sensitive)-ü");
    }

    #[test]
    fn learns_from_responses_and_is_shared_by_clones() {
        let r = Redactor::new();
        let clone = r.clone();
        clone.learn_from_response(&json!({"results": [
            {"client_secret": "returned-secret-1", "webhook_secret": 55555555},
            {"client_secret": "****", "kind": "user_level"},
        ]}));
        assert_eq!(
            r.text("x returned-secret-1 55555555"),
            "x (sensitive) (sensitive)"
        );
        assert_eq!(r.text("****"), "****", "a mask is not a secret");
        assert_eq!(r.text("user_level"), "user_level");
        r.learn(&SecretString::new(String::new()));
        assert_eq!(
            r.text("empty secrets match nothing"),
            "empty secrets match nothing"
        );
    }

    #[test]
    fn errors_lose_secrets_in_every_text() {
        let r = redactor(&["the-api-key"]);
        let e = RecallError::Api {
            action: "doing the-api-key".into(),
            status: 401,
            message: "Invalid token the-api-key".into(),
            request_id: Some("the-api-key".into()),
            hint: Some("the-api-key".into()),
        };
        let shown = r.error(e).to_string();
        assert!(!shown.contains("the-api-key"), "{shown}");
    }
}
