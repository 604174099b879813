//! App names: what a valid one is, how one is made from other text, and the environment
//! variables its secrets conventionally live in. One place, so `validate`'s suggestions and
//! `export`'s output follow the same rules.

use std::collections::HashSet;

/// Longest app name the manifest accepts.
pub const MAX_NAME_LEN: usize = 63;

/// `^[a-z0-9][a-z0-9-]{0,62}$`, written out to avoid a regex dependency.
pub fn is_valid_name(name: &str) -> bool {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    (1..=MAX_NAME_LEN).contains(&name.len()) && name.chars().all(ok_char) && !name.starts_with('-')
}

/// The app name for a client ID: lowercase ASCII letters and digits, every run of other
/// characters one `-`, no `-` at either end, at most 63 characters; `app` when nothing is
/// left, and `app-` in front when it would start with a digit, because the secrets'
/// environment variable names start with the name and may not start with a digit.
pub fn base_name(client_id: &str) -> String {
    let mut name = String::new();
    for c in client_id.chars().map(|c| c.to_ascii_lowercase()) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            name.push(c);
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    let name = name.trim_matches('-');
    match name.chars().next() {
        None => "app".into(),
        Some(c) if c.is_ascii_digit() => cut(&format!("app-{name}"), MAX_NAME_LEN),
        Some(_) => cut(name, MAX_NAME_LEN),
    }
}

/// Names for these client IDs, in order: each its [`base_name`], and when that is taken, the
/// base name with `-2`, `-3`, … (cut so that the whole stays within 63 characters).
pub fn unique_names<'a>(client_ids: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut taken = HashSet::new();
    let mut names = Vec::new();
    for client_id in client_ids {
        let base = base_name(client_id);
        let mut name = base.clone();
        let mut n = 2;
        while taken.contains(&name) {
            let suffix = format!("-{n}");
            name = format!("{}{suffix}", cut(&base, MAX_NAME_LEN - suffix.len()));
            n += 1;
        }
        taken.insert(name.clone());
        names.push(name);
    }
    names
}

/// The environment variables of an app's client secret and webhook secret:
/// `<NAME>_ZOOM_CLIENT_SECRET` and `<NAME>_ZOOM_WEBHOOK_SECRET`, the name uppercased with `-`
/// as `_`: the names `export` writes, and the ones `validate` suggests.
pub fn secret_env_names(name: &str) -> (String, String) {
    let upper = name.to_ascii_uppercase().replace('-', "_");
    (
        format!("{upper}_ZOOM_CLIENT_SECRET"),
        format!("{upper}_ZOOM_WEBHOOK_SECRET"),
    )
}

/// At most `max` characters of an ASCII name, without a trailing `-`.
fn cut(name: &str, max: usize) -> String {
    let end = name.len().min(max);
    name[..end].trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_rules() {
        assert_eq!(base_name("AbC123xyz"), "abc123xyz");
        assert_eq!(base_name("--Acme  Prod!!v2__"), "acme-prod-v2");
        assert_eq!(base_name("Ünïcode"), "n-code");
        assert_eq!(base_name("___"), "app");
        assert_eq!(base_name(""), "app");
        assert_eq!(base_name("9Lives"), "app-9lives");
        let long = format!("{}-{}", "a".repeat(62), "b");
        assert_eq!(
            base_name(&long),
            "a".repeat(62),
            "cut, then no trailing '-'"
        );
        assert_eq!(base_name(&"x".repeat(80)).len(), 63);
        for name in [
            base_name("9Lives"),
            base_name(&"x".repeat(80)),
            base_name("-"),
        ] {
            assert!(is_valid_name(&name), "{name}");
        }
    }

    #[test]
    fn names_are_unique_in_order() {
        assert_eq!(
            unique_names(["Acme", "ACME", "acme", "acme-2", "Other"]),
            ["acme", "acme-2", "acme-3", "acme-2-2", "other"]
        );
        let long = "y".repeat(70);
        let names = unique_names([long.as_str(), long.as_str()]);
        assert_eq!(names[1], format!("{}-2", "y".repeat(61)));
        assert!(names.iter().all(|n| is_valid_name(n)));
    }

    #[test]
    fn env_names_are_the_documented_ones() {
        assert_eq!(
            secret_env_names("acme-prod-2"),
            (
                "ACME_PROD_2_ZOOM_CLIENT_SECRET".to_string(),
                "ACME_PROD_2_ZOOM_WEBHOOK_SECRET".to_string()
            )
        );
    }

    #[test]
    fn validity() {
        for good in ["a", "acme-prod", "0x", &"a".repeat(63)] {
            assert!(is_valid_name(good), "{good}");
        }
        for bad in ["", "-a", "Acme", "a_b", "a.b", &"a".repeat(64)] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }
}
