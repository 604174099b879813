//! The emulated workspace's apps: by ID, as the API finds them, and in creation order, as the
//! list pages them.
//!
//! The order is an index kept beside the map, so that a list page starts at its cursor and
//! reads only its own items: 100,000 apps are listed 100 at a time in 1,000 pages, and a page
//! that sorted (or even walked) every app made the whole listing quadratic (issue 12). The same
//! order is kept for each client ID, which a list may be filtered by (recallform looks a lost
//! create up that way) and a create may be refused for.
//!
//! Not for: the rules of what an app may hold (that is [`super::state`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::state::StoredApp;

/// The apps by ID, with their creation order indexed. It is saved as the map alone, and the
/// index is rebuilt when it is read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Apps {
    by_id: BTreeMap<String, StoredApp>,
    /// `(seq, id)` of every app: creation order, with the ID to break a tie only a hand-made
    /// state file could make.
    order: BTreeSet<(u64, String)>,
    /// The same, for the apps of each client ID.
    by_client_id: BTreeMap<String, BTreeSet<(u64, String)>>,
}

/// The order of no app.
static NONE: BTreeSet<(u64, String)> = BTreeSet::new();

impl Apps {
    /// The app with this ID.
    pub fn get(&self, id: &str) -> Option<&StoredApp> {
        self.by_id.get(id)
    }

    /// The app with this ID, to change. Its `seq` and `client_id` are its place in the indexes
    /// and must stay (only the secrets and the last validation change).
    pub fn get_mut(&mut self, id: &str) -> Option<&mut StoredApp> {
        self.by_id.get_mut(id)
    }

    /// Whether there is an app with this ID.
    pub fn contains_key(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// Adds `app`, or replaces the app with its ID; returns the one replaced.
    pub fn insert(&mut self, app: StoredApp) -> Option<StoredApp> {
        let old = self.remove(&app.id);
        let place = (app.seq, app.id.clone());
        self.order.insert(place.clone());
        self.by_client_id
            .entry(app.client_id.clone())
            .or_default()
            .insert(place);
        self.by_id.insert(app.id.clone(), app);
        old
    }

    /// Removes the app with this ID and returns it.
    pub fn remove(&mut self, id: &str) -> Option<StoredApp> {
        let app = self.by_id.remove(id)?;
        let place = (app.seq, app.id.clone());
        self.order.remove(&place);
        if let Some(apps) = self.by_client_id.get_mut(&app.client_id) {
            apps.remove(&place);
            if apps.is_empty() {
                self.by_client_id.remove(&app.client_id);
            }
        }
        Some(app)
    }

    /// Whether some app has this client ID.
    pub fn has_client_id(&self, client_id: &str) -> bool {
        self.by_client_id.contains_key(client_id)
    }

    /// How many apps there are.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Every app, by ID.
    pub fn values(&self) -> impl Iterator<Item = &StoredApp> {
        self.by_id.values()
    }

    /// Every app's ID, in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.by_id.keys()
    }

    /// The order of every app, or of those with `client_id`.
    fn order(&self, client_id: Option<&str>) -> &BTreeSet<(u64, String)> {
        match client_id {
            None => &self.order,
            Some(c) => self.by_client_id.get(c).unwrap_or(&NONE),
        }
    }

    /// Every app (or every one with `client_id`), in creation order.
    pub fn in_order(&self, client_id: Option<&str>) -> impl Iterator<Item = &StoredApp> {
        self.order(client_id).iter().map(|(_, id)| &self.by_id[id])
    }

    /// The apps (with `client_id`) created after the one numbered `seq`, in creation order.
    pub fn after(&self, client_id: Option<&str>, seq: u64) -> impl Iterator<Item = &StoredApp> {
        let order = self.order(client_id);
        seq.checked_add(1)
            .into_iter()
            .flat_map(move |s| order.range((s, String::new())..))
            .map(|(_, id)| &self.by_id[id])
    }

    /// The apps (with `client_id`) created before the one numbered `seq`, nearest first.
    pub fn before(&self, client_id: Option<&str>, seq: u64) -> impl Iterator<Item = &StoredApp> {
        self.order(client_id)
            .range(..(seq, String::new()))
            .rev()
            .map(|(_, id)| &self.by_id[id])
    }
}

impl std::ops::Index<&str> for Apps {
    type Output = StoredApp;

    fn index(&self, id: &str) -> &StoredApp {
        &self.by_id[id]
    }
}

impl std::ops::Index<&String> for Apps {
    type Output = StoredApp;

    fn index(&self, id: &String) -> &StoredApp {
        &self.by_id[id]
    }
}

impl From<BTreeMap<String, StoredApp>> for Apps {
    fn from(by_id: BTreeMap<String, StoredApp>) -> Apps {
        let mut apps = Apps::default();
        for app in by_id.into_values() {
            apps.insert(app);
        }
        apps
    }
}

impl Serialize for Apps {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.by_id.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Apps {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Apps, D::Error> {
        BTreeMap::deserialize(deserializer).map(Apps::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(id: &str, seq: u64) -> StoredApp {
        StoredApp {
            id: id.into(),
            kind: "user_level".into(),
            client_id: format!("c-{id}"),
            client_secret: "s".into(),
            webhook_secret: "w".into(),
            webhook_last_validation: None,
            created_at: "2026-01-01T00:00:00.000000Z".into(),
            seq,
        }
    }

    fn ids<'a>(apps: impl Iterator<Item = &'a StoredApp>) -> Vec<&'a str> {
        apps.map(|a| a.id.as_str()).collect()
    }

    #[test]
    fn the_order_follows_every_change_and_survives_a_round_trip() {
        let mut apps = Apps::default();
        for (id, seq) in [("z", 0), ("a", 1), ("m", 2), ("b", 3)] {
            apps.insert(app(id, seq));
        }
        let mut twin = app("t", 4);
        twin.client_id = "c-a".into();
        apps.insert(twin);
        assert_eq!(ids(apps.in_order(None)), ["z", "a", "m", "b", "t"]);
        assert_eq!(ids(apps.values()), ["a", "b", "m", "t", "z"]);
        assert_eq!(ids(apps.after(None, 1)), ["m", "b", "t"]);
        assert_eq!(ids(apps.before(None, 2)), ["a", "z"]);
        assert_eq!(ids(apps.after(None, u64::MAX)), Vec::<&str>::new());
        assert_eq!(ids(apps.before(None, 0)), Vec::<&str>::new());
        // By client ID: the same order, of its apps only.
        assert_eq!(ids(apps.in_order(Some("c-a"))), ["a", "t"]);
        assert_eq!(ids(apps.after(Some("c-a"), 1)), ["t"]);
        assert_eq!(ids(apps.before(Some("c-a"), 4)), ["a"]);
        assert_eq!(ids(apps.in_order(Some("nobody"))), Vec::<&str>::new());
        assert!(apps.remove("t").is_some());
        assert!(apps.has_client_id("c-a") && !apps.has_client_id("c-t"));
        // Replacing an app keeps one entry for it; removing it takes it out of the order.
        let mut changed = app("a", 1);
        changed.client_secret = "s2".into();
        assert!(apps.insert(changed).is_some());
        assert_eq!(ids(apps.in_order(None)), ["z", "a", "m", "b"]);
        assert!(apps.remove("m").is_some());
        assert_eq!(ids(apps.after(None, 0)), ["a", "b"]);
        assert!(!apps.has_client_id("c-m"));
        assert_eq!(apps.len(), 3);
        let text = serde_json::to_string(&apps).unwrap();
        assert!(text.starts_with("{\"a\":{"), "saved as the map: {text}");
        let read: Apps = serde_json::from_str(&text).unwrap();
        assert_eq!(read, apps);
    }
}
