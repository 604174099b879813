//! Where an app's Zoom app manifest sends Recall's events, checked against the app's Recall
//! webhook URL (from the lockfile) and its `webhook.forward_from`. Run after loading, by the
//! commands that have the lockfile open ([`crate::manifest::Manifest::check_zoom_endpoints`]).
//!
//! Not for: anything that can be checked without the lockfile ([`super::lint`]).

use crate::diagnostic::Diagnostic;
use crate::manifest::AppSpec;
use crate::zoom as needs;

/// The warnings about where the app's Zoom app manifest sends Recall's events: each endpoint URL
/// of a subscription that carries `meeting.created` or `user.updated` must be the app's Recall
/// webhook URL (`recorded`, from the lockfile) or its `webhook.forward_from`. Nothing when the
/// app is not recorded yet (there is nothing to compare with) or names no Zoom app manifest.
pub(in crate::manifest) fn endpoints(app: &AppSpec, recorded: Option<&str>) -> Vec<Diagnostic> {
    let (Some(file), Some(recall)) = (
        app.zoom.as_ref().and_then(|z| z.manifest.as_ref()),
        recorded,
    ) else {
        return Vec::new();
    };
    let forward = app.forward_from.as_ref().map(|f| f.value.as_str());
    let allowed: Vec<&str> = std::iter::once(recall).chain(forward).collect();
    let (neither, expected) = match forward {
        Some(f) => (
            "which is neither the app's Recall webhook URL nor its `webhook.forward_from`",
            format!("`{f}` (its `webhook.forward_from`, which forwards to `{recall}`)"),
        ),
        None => (
            "which is not the app's Recall webhook URL",
            format!("`{recall}`"),
        ),
    };
    let mut found = Vec::new();
    for (i, sub) in file.content.subscriptions().iter().enumerate() {
        if !sub.event_types.iter().any(|e| needs::is_needed_event(e)) {
            continue; // the team's own subscription
        }
        let name = sub
            .subscription_name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .map_or_else(
                || format!("#{}", i + 1),
                |n| format!("`{}`", n.escape_debug()),
            );
        let url = |u: &Option<String>| u.as_deref().unwrap_or_default().trim().to_string();
        let (dev, prod) = (
            url(&sub.development_webhook_url),
            url(&sub.production_webhook_url),
        );
        let wrong = |u: &str| !allowed.iter().any(|a| needs::same_url(u, a));
        let versions: Vec<(&str, &str)> = match (wrong(&dev), wrong(&prod)) {
            (true, true) if dev == prod => vec![("development and production", &dev)],
            (d, p) => [("development", &dev, d), ("production", &prod, p)]
                .into_iter()
                .filter(|(_, _, w)| *w)
                .map(|(which, u, _)| (which, u.as_str()))
                .collect(),
        };
        for (which, u) in versions {
            let sends = if u.is_empty() {
                format!("has no {which} endpoint URL")
            } else {
                format!("sends the {which} events to `{}`, {neither}", shown_url(u))
            };
            found.push(
                Diagnostic::warning(
                    "zoom-endpoint-mismatch",
                    format!(
                        "the event subscription {name} in the Zoom app manifest `{}` of `{}` {sends}",
                        file.file, app.name
                    ),
                    Some(file.location.clone()),
                )
                .with_hint(format!(
                    "set its Event notification endpoint URL (Features > Access > Event Subscription) to {expected}, for development and production alike"
                )),
            );
        }
    }
    found
}

/// An endpoint URL as a message quotes it: without user info or query, which could hold a
/// credential, and with control characters escaped.
fn shown_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) => {
            let hidden = !url.username().is_empty()
                || url.password().is_some()
                || url.query().is_some()
                || url.fragment().is_some();
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            if hidden {
                format!("{url}…")
            } else {
                url.to_string()
            }
        }
        Err(_) => raw
            .chars()
            .take(200)
            .collect::<String>()
            .escape_debug()
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_quoted_without_credentials() {
        assert_eq!(
            shown_url("https://u:p@hooks.example/z?token=abc"),
            "https://hooks.example/z…"
        );
        assert_eq!(
            shown_url("https://hooks.example/z"),
            "https://hooks.example/z"
        );
        assert_eq!(shown_url("not\na url"), "not\\na url");
    }
}
