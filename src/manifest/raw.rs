//! The manifest exactly as serde reads it, and as the JSON Schema describes it.
//!
//! These types are the single source of both: `serde-saphyr` deserializes them and `schemars`
//! derives `schema/recallform.schema.json` from them, so the editor's completion and the parser
//! cannot disagree. Values that users commonly get wrong (names, kinds, regions) are read as
//! located strings, and credential fields as a [`RawSource`] that accepts any YAML value; both
//! are checked in `validate`, which lets one run report all of them instead of stopping at the
//! first, and keeps a secret written in the wrong form out of the parser's messages. The schema
//! still shows the allowed values through `#[schemars(with = ...)]`.
//!
//! Not for: deciding what is valid beyond the shape. That is `validate`'s job.

use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::model::{Kind, Region};

/// The pattern every app name must match.
pub const APP_NAME_PATTERN: &str = "^[a-z0-9][a-z0-9-]{0,62}$";

/// A recallform manifest: the Zoom OAuth apps that should be registered with Recall.ai.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "recallform manifest")]
pub struct RawManifest {
    /// The manifest format version. Always `1`.
    #[schemars(schema_with = "version_schema")]
    pub version: Spanned<u64>,
    /// Which Recall deployment holds the apps, and how to authenticate to it.
    #[schemars(with = "RawRecall")]
    pub recall: Spanned<RawRecall>,
    /// The Zoom OAuth apps to register with Recall, by name. The name is recallform's own
    /// handle for the app (Recall does not store it): it keys the app in the lockfile.
    #[serde(default)]
    #[schemars(schema_with = "apps_schema")]
    pub zoom_oauth_apps: Option<Spanned<AppMap>>,
    /// Apps renamed in the manifest: each entry renames the lockfile's record from `from` to
    /// `to` without any call to Recall. Keep an entry until every copy of the lockfile has
    /// been applied; an entry whose `from` is no longer recorded does nothing.
    #[serde(default)]
    pub moved: Option<Vec<RawMove>>,
    /// Guards for changes that delete apps.
    #[serde(default)]
    pub policy: Option<RawPolicy>,
}

/// One rename.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Move")]
pub struct RawMove {
    /// The app's old name, as recorded in the lockfile.
    #[schemars(with = "String")]
    pub from: Spanned<String>,
    /// The app's new name, as in `zoom_oauth_apps`.
    #[schemars(with = "String")]
    pub to: Spanned<String>,
}

/// Guards for destructive changes.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Policy")]
pub struct RawPolicy {
    /// Let `apply` delete the Recall apps of entries removed from the manifest, without
    /// `--allow-delete`. Default `false`.
    #[serde(default)]
    pub allow_delete: Option<bool>,
    /// A plan that deletes more apps than this is blocked unless `--force`. Default `3`.
    #[serde(default)]
    pub max_deletes: Option<u32>,
}

/// What recallform may do to an existing app.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Lifecycle")]
pub struct RawLifecycle {
    /// Let `apply` replace the app (delete and create it again, with a new Recall ID and webhook
    /// URL) when its `kind` or `client_id` changes, without `--allow-replace NAME`. Default
    /// `false`.
    #[serde(default)]
    pub allow_replace: Option<bool>,
    /// Never delete or replace the app, even after it leaves the manifest (the flag is kept in
    /// the lockfile), until `recallform state unprotect NAME`. Default `false`.
    #[serde(default)]
    pub protect: Option<bool>,
}

fn version_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "integer",
        "const": 1,
        "description": "The manifest format version. Always `1`.",
    })
}

/// Where Recall is and how to authenticate to it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Recall")]
pub struct RawRecall {
    /// The Recall region that holds the apps. App IDs exist in one region only. The API is
    /// reached at `https://<region>.recall.ai`. Required unless `base_url` is set.
    #[serde(default)]
    #[schemars(with = "Option<Region>")]
    pub region: Option<Spanned<String>>,
    /// Overrides the region's URL, e.g. for a proxy or a local emulator. Must be `https://`,
    /// except to a loopback address. `--api-url` and `RECALL_API_URL` override it in turn.
    #[serde(default)]
    #[schemars(with = "Option<String>", url)]
    pub base_url: Option<Spanned<String>>,
    /// The Recall API key, as a reference. Defaults to `{env: RECALL_API_KEY}`.
    #[serde(default)]
    #[schemars(with = "Option<Reference>")]
    pub api_key: Option<Spanned<RawSource>>,
    /// Recall's rate limits for this workspace, which recallform paces under (at 57 of 60 and
    /// 293 of 300 a minute). Default Recall's documented limits, `{list: 60/min, write: 300/min}`.
    /// `--rate-limit` and `RECALLFORM_RATE_LIMIT` override it.
    #[serde(default)]
    pub rate_limit: Option<RawRateLimit>,
}

/// Recall's per-minute limits, per class of request.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "RateLimit")]
pub struct RawRateLimit {
    /// List calls (apps, app logs, credentials). Default `60/min`.
    #[serde(default)]
    #[schemars(schema_with = "rate_schema")]
    pub list: Option<Spanned<RawRate>>,
    /// Creates, patches, deletes and retrieves. Default `300/min`.
    #[serde(default)]
    #[schemars(schema_with = "rate_schema")]
    pub write: Option<Spanned<RawRate>>,
}

/// A rate as written (`60/min`, `5/s`, `off`, `0`), any scalar read as text and checked in
/// `validate`, so a mistake is a located diagnostic rather than a parse error.
#[derive(Debug)]
pub struct RawRate(pub String);

impl<'de> Deserialize<'de> for RawRate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RateVisitor;
        impl Visitor<'_> for RateVisitor {
            type Value = RawRate;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a rate such as `60/min`, or `off`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawRate, E> {
                Ok(RawRate(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawRate, E> {
                Ok(RawRate(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawRate, E> {
                Ok(RawRate(v.to_string()))
            }
            // `off` is a boolean to YAML 1.1 readers.
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawRate, E> {
                Ok(RawRate(if v { "true" } else { "off" }.to_string()))
            }
        }
        deserializer.deserialize_any(RateVisitor)
    }
}

fn rate_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "Requests a minute (`60/min`) or a second (`5/s`), as Recall limits them; `off` or `0` for no pacing.",
        "oneOf": [
            {"type": "string", "pattern": "^(off|0|[0-9]+/(min|s))$"},
            {"type": "integer", "const": 0},
        ],
    })
}

/// One Zoom OAuth app, as registered with Recall.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "App")]
pub struct RawApp {
    /// How the Zoom app is managed: `user_level` for a user-managed app (each user authorises
    /// it), `account_level` for an admin-managed app (an admin authorises it for the account).
    /// Recall cannot change it after creation.
    #[schemars(with = "Kind")]
    pub kind: Spanned<String>,
    /// The Zoom app's Client ID (App Credentials page), at most 200 characters. A plain string
    /// or a reference. Unique across the manifest. Recall cannot change it after creation.
    #[schemars(with = "ValueSource")]
    pub client_id: Spanned<RawSource>,
    /// The Zoom app's Client Secret (App Credentials page). Must be a reference, never the
    /// value itself.
    #[schemars(with = "Reference")]
    pub client_secret: Spanned<RawSource>,
    /// The Zoom app's event-subscription webhook, which Zoom sends to Recall.
    pub webhook: RawWebhook,
    /// What recallform may do to the app once it exists.
    #[serde(default)]
    pub lifecycle: Option<RawLifecycle>,
    /// The Zoom side of the app: which scope model its Zoom app uses and what it is granted and
    /// sends, which `validate` checks against what Recall needs (warnings, or errors with
    /// `--strict`). Every key is optional; a list not written is not checked.
    #[serde(default)]
    pub zoom: Option<RawZoom>,
}

/// What the Zoom app in the Zoom Marketplace is granted and sends, as the manifest declares it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Zoom")]
pub struct RawZoom {
    /// The Zoom app's scope model: `granular` for Zoom apps created after 2024-03-21, `legacy`
    /// for older ones. Default `granular`.
    #[serde(default)]
    #[schemars(with = "Option<crate::zoom::ScopeModel>")]
    pub scopes: Option<Spanned<String>>,
    /// The scopes the Zoom app is granted (its Scopes page), checked against those Recall needs.
    /// Not checked when left out; when `manifest` is given, its scopes are checked instead.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub granted: Option<Spanned<Vec<Spanned<String>>>>,
    /// The event types the Zoom app's event subscription sends (Features > Access > Event
    /// Subscription), checked against those Recall needs (`meeting.created`, `user.updated`).
    /// Not checked when left out; when `manifest` is given, its events are checked instead.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub events: Option<Spanned<Vec<Spanned<String>>>>,
    /// Whether the same Zoom app also supplies the Meeting SDK credentials of Recall's bots,
    /// which adds the ZAK scope (`user:read:zak`, or `user_zak:read` with legacy scopes).
    /// Default `false`.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub sdk: Option<Spanned<bool>>,
    /// The app manifest JSON downloaded from Zoom's build flow, as `{file: PATH}` relative to
    /// this manifest's folder (and confined to it). `validate` reads it and checks its usage
    /// against `kind`, its scopes and events against Recall's needs, and its event endpoint URLs
    /// against the app's Recall webhook URL (from the lockfile) or `webhook.forward_from`.
    #[serde(default)]
    #[schemars(schema_with = "file_reference_schema")]
    pub manifest: Option<Spanned<RawSource>>,
}

fn file_reference_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "description": "A file relative to the manifest's folder, e.g. `zoom/acme-prod.manifest.json`.",
        "properties": {
            "file": {
                "type": "string",
                "minLength": 1,
                "description": "A file relative to the manifest's folder; it must stay inside that folder.",
            }
        },
        "required": ["file"],
        "additionalProperties": false,
    })
}

/// The Zoom app's webhook settings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Webhook")]
pub struct RawWebhook {
    /// Zoom's "Secret Token" (Features > Access), stored in Recall as `webhook_secret`; Recall
    /// uses it to answer Zoom's URL validation. Must be a reference, never the value itself.
    #[schemars(with = "Reference")]
    pub secret: Spanned<RawSource>,
    /// Set when your own server receives the Zoom app's webhooks and forwards each one to the
    /// app's Recall webhook URL (unchanged, with Zoom's signature headers): the `https://` URL
    /// entered in the Zoom app instead of Recall's. `validate` accepts it as the Zoom app
    /// manifest's event endpoint, and `zoom checklist` names it.
    #[serde(default)]
    #[schemars(schema_with = "forward_from_schema")]
    pub forward_from: Option<Spanned<String>>,
}

fn forward_from_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "format": "uri",
        "pattern": "^https://",
        "description": "Your own `https://` endpoint that receives the Zoom app's webhooks and forwards each one, unchanged, to the app's Recall webhook URL.",
    })
}

/// The apps, in the order the manifest lists them, each with the location of its name.
#[derive(Debug, Default)]
pub struct AppMap(pub Vec<(Spanned<String>, RawApp)>);

impl<'de> Deserialize<'de> for AppMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AppMapVisitor;
        impl<'de> Visitor<'de> for AppMapVisitor {
            type Value = AppMap;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping from app names to apps")
            }
            fn visit_unit<E: de::Error>(self) -> Result<AppMap, E> {
                Ok(AppMap::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AppMap, A::Error> {
                let mut apps = Vec::new();
                // Duplicate names are rejected by serde-saphyr itself, with both locations.
                while let Some(name) = map.next_key::<Spanned<String>>()? {
                    apps.push((name, map.next_value::<RawApp>()?));
                }
                Ok(AppMap(apps))
            }
        }
        deserializer.deserialize_map(AppMapVisitor)
    }
}

fn apps_schema(generator: &mut SchemaGenerator) -> Schema {
    let app = generator.subschema_for::<RawApp>();
    json_schema!({
        "type": "object",
        "description": "The Zoom OAuth apps to register with Recall, by name. The name is recallform's own handle for the app (Recall does not store it): it keys the app in the lockfile. Lowercase letters, digits and '-', 1 to 63 characters.",
        "propertyNames": { "pattern": APP_NAME_PATTERN },
        "additionalProperties": app,
    })
}

/// A value written inline, or a reference to where it is read from when plan or apply runs.
#[derive(Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(untagged)]
pub enum ValueSource {
    /// The value itself. Allowed for `client_id` only: secrets must be references.
    Literal(String),
    /// Where to read the value from.
    Reference(Reference),
}

/// Where a value is read from when plan or apply runs. Never the value itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Reference {
    /// The name of an environment variable; it must be set and non-empty.
    Env(
        #[schemars(
            description = "The name of an environment variable holding the value, e.g. `ACME_ZOOM_CLIENT_SECRET`; it must be set and non-empty when plan or apply runs.",
            regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$")
        )]
        String,
    ),
    /// A file path, relative to the manifest's folder; one trailing newline is stripped and
    /// the rest must be non-empty.
    File(
        #[schemars(
            description = "A file holding the value, relative to the manifest's folder, e.g. `secrets/acme-webhook-token`; one trailing newline is stripped and the rest must be non-empty.",
            length(min = 1)
        )]
        String,
    ),
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reference::Env(name) => write!(f, "{{env: {name}}}"),
            Reference::File(path) => write!(f, "{{file: {path}}}"),
        }
    }
}

/// A credential field's value as the manifest writes it: `client_id`, `client_secret`,
/// `webhook.secret` and `recall.api_key`.
///
/// Reading it never fails on the value's type: `validate` decides what each field accepts, so
/// one run reports every field, and a secret that YAML reads as a number is `literal-secret`
/// like any other literal rather than a type error that quotes it. Of a scalar that is not
/// text only the kind is kept, and of a malformed reference only its keys: either may be a
/// secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawSource {
    /// A string.
    Text(String),
    /// A number, a boolean or null.
    NotText(ScalarKind),
    /// A list; its items are skipped.
    List,
    /// A well-formed `{env: NAME}` or `{file: PATH}`.
    Reference(Reference),
    /// A mapping that is not a reference.
    Malformed {
        /// Why, naming keys and never values.
        why: String,
        /// The reference kind a misspelt key probably meant.
        suggestion: Option<&'static str>,
    },
}

/// The kinds of YAML scalar that are not text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarKind {
    /// `12`, `0x1f`, `1e5`, `.inf`.
    Number,
    /// `true`, `false` (and the YAML 1.1 spellings serde-saphyr accepts, such as `yes`).
    Boolean,
    /// `~`, `null`, or nothing at all.
    Null,
}

impl ScalarKind {
    /// `a number`, `a boolean`, `null`, for messages.
    pub fn described(self) -> &'static str {
        match self {
            ScalarKind::Number => "a number",
            ScalarKind::Boolean => "a boolean",
            ScalarKind::Null => "null",
        }
    }
}

impl<'de> Deserialize<'de> for RawSource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SourceVisitor)
    }
}

struct SourceVisitor;

impl<'de> Visitor<'de> for SourceVisitor {
    type Value = RawSource;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, `{env: NAME}` or `{file: PATH}`")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawSource, E> {
        Ok(RawSource::Text(v.to_owned()))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<RawSource, E> {
        Ok(RawSource::NotText(ScalarKind::Number))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<RawSource, E> {
        Ok(RawSource::NotText(ScalarKind::Number))
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> Result<RawSource, E> {
        Ok(RawSource::NotText(ScalarKind::Number))
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<RawSource, E> {
        Ok(RawSource::NotText(ScalarKind::Number))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<RawSource, E> {
        Ok(RawSource::NotText(ScalarKind::Number))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<RawSource, E> {
        Ok(RawSource::NotText(ScalarKind::Boolean))
    }
    fn visit_unit<E: de::Error>(self) -> Result<RawSource, E> {
        Ok(RawSource::NotText(ScalarKind::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<RawSource, E> {
        Ok(RawSource::NotText(ScalarKind::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawSource, D::Error> {
        RawSource::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawSource, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(RawSource::List)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawSource, A::Error> {
        let malformed = |why: String, suggestion| RawSource::Malformed { why, suggestion };
        let Some(key) = map.next_key::<String>()? else {
            return Ok(malformed(
                "an empty mapping is not a reference".into(),
                None,
            ));
        };
        let made: fn(String) -> Reference = match key.as_str() {
            "env" => Reference::Env,
            "file" => Reference::File,
            _ => {
                skip_rest(&mut map, true)?;
                let suggestion = crate::diagnostic::did_you_mean(&key, &["env", "file"]);
                return Ok(malformed(
                    format!("`{key}` is not a kind of reference"),
                    suggestion,
                ));
            }
        };
        let value = map.next_value::<ReferenceText>()?;
        if let Some(extra) = map.next_key::<String>()? {
            skip_rest(&mut map, true)?;
            return Ok(malformed(
                format!(
                    "a reference has exactly one key, `env` or `file`; found another key `{extra}`"
                ),
                None,
            ));
        }
        Ok(match value.0 {
            Some(text) => RawSource::Reference(made(text)),
            None => malformed(
                format!("`{key}` needs a value: the name of a variable or a path"),
                None,
            ),
        })
    }
}

/// Reads what is left of a mapping (starting with a value when `value_first`), keeping nothing.
fn skip_rest<'de, A: MapAccess<'de>>(map: &mut A, value_first: bool) -> Result<(), A::Error> {
    if value_first {
        map.next_value::<IgnoredAny>()?;
    }
    while map.next_key::<IgnoredAny>()?.is_some() {
        map.next_value::<IgnoredAny>()?;
    }
    Ok(())
}

/// The value of `env` or `file`: text as written (so `{env: Y}` names the variable `Y`, which
/// YAML 1.1 would read as a boolean), or `None` for a collection or nothing (which is skipped).
struct ReferenceText(Option<String>);

impl<'de> Deserialize<'de> for ReferenceText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = ReferenceText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a variable name or a path")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ReferenceText, E> {
                Ok(ReferenceText(Some(v.to_owned())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<ReferenceText, E> {
                Ok(ReferenceText(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<ReferenceText, E> {
                Ok(ReferenceText(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ReferenceText, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(ReferenceText(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ReferenceText, A::Error> {
                skip_rest(&mut map, false)?;
                Ok(ReferenceText(None))
            }
        }
        deserializer.deserialize_string(TextVisitor)
    }
}
