//! The manifest's layout as hints describe it: where each key belongs, and what to write for
//! a key that is missing or empty.
//!
//! The serde types in `raw` are the layout's definition; this is the same knowledge in words,
//! for messages. A unit test checks that every key named here exists in the schema.

/// Where `key` belongs, as a hint names the place; `None` for a key the manifest does not have.
pub(super) fn home_of(key: &str) -> Option<&'static str> {
    Some(match key {
        "version" | "recall" | "zoom_oauth_apps" | "moved" | "policy" => "at the top level",
        "region" | "base_url" | "api_key" | "rate_limit" => "under `recall`",
        "list" | "write" => "under `recall.rate_limit`",
        "kind" | "client_id" | "client_secret" | "webhook" | "lifecycle" | "zoom" => {
            "under an app's name in `zoom_oauth_apps`"
        }
        "secret" | "forward_from" => "under `webhook`",
        "scopes" | "granted" | "events" | "sdk" | "manifest" => "under an app's `zoom`",
        "allow_replace" | "protect" => "under `lifecycle`",
        "allow_delete" | "max_deletes" => "under `policy`",
        "from" | "to" => "in an entry of `moved`",
        _ => return None,
    })
}

/// What to add for a required key that is missing.
pub(super) fn how_to_add(key: &str) -> Option<&'static str> {
    Some(match key {
        "version" => "add `version: 1` at the top of the file",
        "recall" => "add `recall:` with `region: us-east-1` indented under it",
        "kind" => {
            "add `kind: user_level` (a user-managed Zoom app) or `kind: account_level` (an admin-managed one)"
        }
        "client_id" => "add `client_id:` with the Zoom app's Client ID (App Credentials page)",
        "client_secret" => {
            "add `client_secret: {env: NAME}`, naming the variable that holds the Zoom app's Client Secret"
        }
        "webhook" => "add `webhook:` with `secret: {env: NAME}` indented under it",
        "secret" => {
            "add `secret: {env: NAME}` under `webhook`, naming the variable that holds the Zoom app's Secret Token"
        }
        "from" | "to" => "write each move as `{from: OLD_NAME, to: NEW_NAME}`",
        _ => return None,
    })
}

/// What goes under a key that must be a mapping, for one that was left empty.
pub(super) fn what_goes_under(key: &str) -> &'static str {
    match key {
        "recall" => "`region: us-east-1`",
        "webhook" => "`secret: {env: NAME}`",
        "lifecycle" => "`protect: true` or `allow_replace: true`",
        "rate_limit" => "`list: 60/min` and `write: 300/min`",
        "policy" => "`allow_delete: true` or `max_deletes: 3`",
        "zoom" => "`scopes: granular` and `granted: [...]`",
        "zoom_oauth_apps" => "one app name per line, with the app's keys under it",
        _ => "its keys",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_named_is_a_key_of_the_schema() {
        let schema =
            serde_json::to_string(&schemars::schema_for!(super::super::raw::RawManifest)).unwrap();
        for key in [
            "version",
            "recall",
            "zoom_oauth_apps",
            "moved",
            "policy",
            "region",
            "base_url",
            "api_key",
            "kind",
            "client_id",
            "client_secret",
            "webhook",
            "lifecycle",
            "secret",
            "allow_replace",
            "protect",
            "allow_delete",
            "max_deletes",
            "from",
            "to",
            "zoom",
            "forward_from",
            "scopes",
            "granted",
            "events",
            "sdk",
            "manifest",
            "rate_limit",
            "list",
            "write",
        ] {
            assert!(schema.contains(&format!("\"{key}\":")), "{key}");
            assert!(home_of(key).is_some(), "{key}");
        }
    }
}
