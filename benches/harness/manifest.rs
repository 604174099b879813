//! The benchmark's manifests: N apps, each with every optional key a manifest without extra
//! files can have. Every app reads its secrets from the
//! same two variables ([`SECRET_ENV`]): 200,000 variables would not fit in an environment.
//! `zoom.manifest` is left out, as it names a file per app and replaces `granted` and
//! `events`, which are given.

use std::io::{self, Write};

/// The two variables every app's secrets come from, with their values.
pub const SECRET_ENV: [(&str, &str); 2] = [
    ("BENCH_CLIENT_SECRET", "bench-zoom-client-secret-7Qm2xV9p"),
    ("BENCH_WEBHOOK_SECRET", "bench-zoom-webhook-secret-K4t8Lw1c"),
];

/// The name of the `i`th app (from 1).
pub fn app_name(i: usize) -> String {
    format!("app-{i:06}")
}

/// Writes a manifest of `n` apps, half of them user-level and half account-level, to `out`,
/// an app at a time: the harness never holds a whole manifest (53.5 MiB at 100,000 apps), since
/// a child's peak RSS as Linux reports it is never below its parent's (see [`crate::child`]).
pub fn write(n: usize, out: &mut impl Write) -> io::Result<()> {
    out.write_all(
        b"version: 1\n\
          recall:\n  region: us-east-1\n  api_key: {env: RECALL_API_KEY}\n\
          policy:\n  allow_delete: false\n  max_deletes: 2\n",
    )?;
    if n > 0 {
        out.write_all(b"zoom_oauth_apps:\n")?;
    }
    for i in 1..=n {
        let name = app_name(i);
        let user = i % 2 == 1;
        let kind = if user { "user_level" } else { "account_level" };
        let granted: &[&str] = if user {
            &[
                "meeting:read:local_recording_token",
                "meeting:read:list_meetings",
                "meeting:read:meeting",
                "user:read:user",
                "user:read:zak",
            ]
        } else {
            &[
                "meeting:read:local_recording_token:admin",
                "meeting:read:list_meetings:admin",
                "user:read:list_users:admin",
            ]
        };
        write!(
            out,
            "  {name}:\n    kind: {kind}\n    client_id: BenchZoomClientId{i:06}\n    \
             client_secret: {{env: {client}}}\n    webhook:\n      secret: {{env: {webhook}}}\n      \
             forward_from: https://hooks.bench.example/zoom/{name}\n    lifecycle:\n      \
             allow_replace: false\n      protect: false\n    zoom:\n      scopes: granular\n      \
             sdk: {user}\n      granted:\n",
            client = SECRET_ENV[0].0,
            webhook = SECRET_ENV[1].0,
        )?;
        for scope in granted {
            writeln!(out, "        - {scope}")?;
        }
        out.write_all(b"      events: [meeting.created, user.updated]\n")?;
    }
    Ok(())
}
