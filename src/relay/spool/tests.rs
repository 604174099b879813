use super::format::MAGIC;
use super::*;
use crate::digest::sha256_hex;
use bytes::Bytes;

fn event(app: &str, body: &[u8], delivery_id: Option<&str>) -> Event {
    Event {
        app: app.into(),
        body: Bytes::copy_from_slice(body),
        timestamp: "1700000000".into(),
        signature: "v0=abc123".into(),
        content_type: Some("application/json; charset=utf-8".into()),
        delivery_id: delivery_id.map(str::to_string),
        received_at: SystemTime::now(),
    }
}

/// Bodies as Zoom may send them: odd spacing, escapes, key order, big numbers, and bytes
/// that are not even UTF-8, all of which must come back exactly.
const BODIES: [&[u8]; 4] = [
    br#"{"event":"meeting.created","payload":{"object":{"id":12345678901234567890}}}"#,
    b"{ \"event\" :\"user.updated\",\n\t\"x\":\"\\u00e9\\n\" }\r\n",
    b"",
    b"\xff\xfe\x00not json\n\n",
];

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn put_events_come_back_byte_for_byte_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let mut put = Vec::new();
    for (i, body) in BODIES.iter().enumerate() {
        let e = event("acme-prod", body, Some(&format!("t-{i}")));
        put.push((spool.put(&e).await.unwrap(), e));
    }
    assert_eq!(spool.counts().depth, 4);
    assert_eq!(
        spool.pending(),
        put.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>()
    );
    drop(spool);

    let spool = Spool::open(dir.path()).await.unwrap();
    assert_eq!(
        spool.counts(),
        Counts {
            depth: 4,
            dead: 0,
            corrupt: 0
        }
    );
    for (id, e) in &put {
        let loaded = spool.load(id).await.unwrap();
        assert_eq!(&loaded.event, e);
        assert_eq!(loaded.attempts, 0);
        assert_eq!(loaded.next_attempt_at, e.received_at);
        assert_eq!(loaded.last_error, None);
        assert!(spool.is_pending(&e.dedup_key()));
    }
    // Each file ends with the body exactly as received.
    for (id, e) in &put {
        let bytes = fs::read(dir.path().join(id.file_name())).unwrap();
        assert!(bytes.ends_with(&e.body), "{id}");
        assert!(bytes.starts_with(MAGIC));
    }
}

#[tokio::test]
async fn the_file_is_the_documented_format() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let mut e = event("acme-prod", b"{\"a\":1}", None);
    e.received_at = UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_789);
    let id = spool.put(&e).await.unwrap();
    assert!(id.as_str().starts_with("01700000000123456789-"), "{id}");
    assert_eq!(id.as_str().len(), 20 + 1 + 32);
    let bytes = fs::read(dir.path().join(format!("{id}.event"))).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let mut lines = text.splitn(3, '\n');
    assert_eq!(lines.next(), Some("recallform spool event 1"));
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(
        header,
        serde_json::json!({
            "app": "acme-prod",
            "timestamp": "1700000000",
            "signature": "v0=abc123",
            "content_type": "application/json; charset=utf-8",
            "delivery_id": null,
            "received_at_ns": 1_700_000_000_123_456_789u64,
            "attempts": 0,
            "next_attempt_at_ns": 1_700_000_000_123_456_789u64,
            "last_error": null,
            "body_len": 7,
            "body_sha256": sha256_hex(b"{\"a\":1}"),
        })
    );
    assert_eq!(lines.next(), Some("{\"a\":1}"));
    assert_eq!(
        fs::read_to_string(dir.path().join(MARKER)).unwrap(),
        "recallform spool 1\n"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join(format!("{id}.event"))), 0o600);
        assert_eq!(mode(&dir.path().join(DEAD_DIR)), 0o700);
    }
}

#[tokio::test]
async fn done_removes_the_event_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let e = event("acme-prod", b"{}", Some("t-1"));
    let id = spool.put(&e).await.unwrap();
    spool.done(&id).await.unwrap();
    assert_eq!(spool.counts().depth, 0);
    assert!(spool.pending().is_empty());
    assert!(!spool.is_pending(&e.dedup_key()));
    // Twice is no error.
    spool.done(&id).await.unwrap();
    drop(spool);
    let spool = Spool::open(dir.path()).await.unwrap();
    assert!(spool.pending().is_empty());
    assert_eq!(files(dir.path()), [MARKER, CORRUPT_DIR, DEAD_DIR]);
}

#[tokio::test]
async fn a_pending_event_is_not_spooled_twice() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let first = spool
        .put(&event("acme-prod", b"{}", Some("t-1")))
        .await
        .unwrap();
    // Zoom's retry: same delivery ID, received later.
    let again = spool
        .put(&event("acme-prod", b"{}", Some("t-1")))
        .await
        .unwrap();
    assert_eq!(first, again);
    // The same ID for another app is another event.
    let other = spool
        .put(&event("acme-dev", b"{}", Some("t-1")))
        .await
        .unwrap();
    assert_ne!(first, other);
    assert_eq!(spool.counts().depth, 2);
    // Once delivered, the spool no longer answers for it (the duplicate cache does).
    spool.done(&first).await.unwrap();
    let third = spool
        .put(&event("acme-prod", b"{}", Some("t-1")))
        .await
        .unwrap();
    assert_ne!(first, third);
}

#[tokio::test]
async fn retry_later_reschedules_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let a = spool.put(&event("acme-prod", b"a", None)).await.unwrap();
    let b = spool.put(&event("acme-prod", b"b", None)).await.unwrap();
    let now = SystemTime::now();
    assert_eq!(spool.next_due(now, &Default::default()), Some(a.clone()));
    let later = now + Duration::from_secs(60);
    spool
        .retry_later(&a, 1, later, "Recall answered 503 Service Unavailable")
        .await
        .unwrap();
    // `a` now waits behind `b`.
    assert_eq!(spool.pending(), [b.clone(), a.clone()]);
    assert_eq!(spool.next_due(now, &Default::default()), Some(b.clone()));
    let busy = [b.clone()].into_iter().collect();
    assert_eq!(spool.next_due(now, &busy), None);
    assert_eq!(
        spool.next_due_at(&busy),
        Some(UNIX_EPOCH + Duration::from_nanos(nanos(later)))
    );
    drop(spool);
    let spool = Spool::open(dir.path()).await.unwrap();
    assert_eq!(spool.pending(), [b, a.clone()]);
    let loaded = spool.load(&a).await.unwrap();
    assert_eq!(loaded.attempts, 1);
    assert_eq!(nanos(loaded.next_attempt_at), nanos(later));
    assert_eq!(
        loaded.last_error.as_deref(),
        Some("Recall answered 503 Service Unavailable")
    );
    assert_eq!(loaded.event.body.as_ref(), b"a");
}

#[tokio::test]
async fn dead_moves_the_event_into_dead_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let e = event("acme-prod", b"{\"x\":1}", None);
    let id = spool.put(&e).await.unwrap();
    spool
        .dead(&id, "Recall answered 500 Internal Server Error")
        .await
        .unwrap();
    assert_eq!(
        spool.counts(),
        Counts {
            depth: 0,
            dead: 1,
            corrupt: 0
        }
    );
    assert!(!dir.path().join(id.file_name()).exists());
    let dead = dir.path().join(DEAD_DIR).join(id.file_name());
    let kept = decode(id.clone(), &fs::read(&dead).unwrap()).unwrap();
    assert_eq!(kept.event, e);
    assert_eq!(
        kept.last_error.as_deref(),
        Some("Recall answered 500 Internal Server Error")
    );
    drop(spool);
    // Dead letters are counted across restarts, and are not delivered.
    let spool = Spool::open(dir.path()).await.unwrap();
    assert_eq!(
        spool.counts(),
        Counts {
            depth: 0,
            dead: 1,
            corrupt: 0
        }
    );
    drop(spool);
    // Moved back by hand, it is pending again.
    fs::rename(&dead, dir.path().join(id.file_name())).unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    assert_eq!(spool.pending(), [id]);
    assert_eq!(spool.counts().dead, 0);
}

#[tokio::test]
async fn corrupt_and_foreign_files_are_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let good = spool
        .put(&event("acme-prod", b"{\"ok\":true}", None))
        .await
        .unwrap();
    let cut = spool
        .put(&event("acme-prod", b"{\"cut\":true}", None))
        .await
        .unwrap();
    let flipped = spool
        .put(&event("acme-prod", b"{\"flip\":1}", None))
        .await
        .unwrap();
    drop(spool);
    let path = |id: &EventId| dir.path().join(id.file_name());
    // Truncated, a body byte changed, a foreign file, a newer format, an unfinished write.
    let bytes = fs::read(path(&cut)).unwrap();
    fs::write(path(&cut), &bytes[..bytes.len() - 3]).unwrap();
    let mut bytes = fs::read(path(&flipped)).unwrap();
    *bytes.last_mut().unwrap() = b'2';
    fs::write(path(&flipped), bytes).unwrap();
    fs::write(dir.path().join("notes.txt"), "hello").unwrap();
    let newer = format!("{:020}-{}.event", 1, "0".repeat(32));
    fs::write(dir.path().join(&newer), "recallform spool event 2\n{}\n").unwrap();
    fs::write(
        dir.path().join(".recallform-abc.tmp"),
        "recallform spool event 1\n{",
    )
    .unwrap();

    let spool = Spool::open(dir.path()).await.unwrap();
    assert_eq!(spool.pending(), std::slice::from_ref(&good));
    assert_eq!(
        spool.counts(),
        Counts {
            depth: 1,
            dead: 0,
            corrupt: 4
        }
    );
    let mut aside = files(&dir.path().join(CORRUPT_DIR));
    aside.sort();
    let mut expected = vec![
        cut.file_name(),
        flipped.file_name(),
        newer,
        "notes.txt".to_string(),
    ];
    expected.sort();
    assert_eq!(aside, expected);
    // The unfinished write is gone.
    assert_eq!(
        files(dir.path()),
        [
            MARKER.to_string(),
            good.file_name(),
            CORRUPT_DIR.into(),
            DEAD_DIR.into()
        ]
    );
    assert_eq!(
        spool.load(&good).await.unwrap().event.body.as_ref(),
        b"{\"ok\":true}"
    );
}

#[tokio::test]
async fn an_event_that_goes_bad_while_pending_is_moved_aside_on_load() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let id = spool.put(&event("acme-prod", b"{}", None)).await.unwrap();
    fs::write(dir.path().join(id.file_name()), b"garbage").unwrap();
    let e = spool.load(&id).await.unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    assert_eq!(
        e.to_string(),
        format!(
            "the spooled event `{id}` is not a recallform spool event; it was moved into `corrupt/`"
        )
    );
    assert_eq!(
        spool.counts(),
        Counts {
            depth: 0,
            dead: 0,
            corrupt: 1
        }
    );
    // One removed by hand leaves the pending set too.
    let gone = spool.put(&event("acme-prod", b"{1}", None)).await.unwrap();
    fs::remove_file(dir.path().join(gone.file_name())).unwrap();
    assert_eq!(
        spool.load(&gone).await.unwrap_err().kind(),
        io::ErrorKind::NotFound
    );
    assert!(spool.pending().is_empty());
}

#[tokio::test]
async fn a_folder_with_other_files_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("thesis.tex"), "x").unwrap();
    let e = Spool::open(dir.path()).await.err().unwrap();
    assert_eq!(
        e.to_string(),
        format!(
            "`{}` is not empty and is not a recallform spool\n  = hint: choose a new or empty folder for the spool",
            dir.path().display()
        )
    );
    // Nothing was touched.
    assert_eq!(files(dir.path()), ["thesis.tex"]);
    // A missing folder is made, parents included.
    let nested = dir.path().join("a/b");
    Spool::open(&nested).await.unwrap();
    assert_eq!(files(&nested), [MARKER, CORRUPT_DIR, DEAD_DIR]);
}

#[tokio::test]
async fn a_spool_of_another_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(MARKER), "recallform spool 2\n").unwrap();
    let e = Spool::open(dir.path()).await.err().unwrap();
    assert_eq!(
        e.to_string(),
        format!(
            "the spool `{}` has the format `recallform spool 2`, which this recallform does not know\n  = hint: use the recallform that made it, or a newer one",
            dir.path().display()
        )
    );
}

#[tokio::test]
async fn one_relay_per_spool() {
    let dir = tempfile::tempdir().unwrap();
    let first = Spool::open(dir.path()).await.unwrap();
    let e = Spool::open(dir.path()).await.err().unwrap();
    assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
    assert_eq!(
        e.to_string(),
        format!(
            "another relay is using the spool `{}`\n  = hint: give each relay its own spool folder",
            dir.path().display()
        )
    );
    drop(first);
    Spool::open(dir.path()).await.unwrap();
}

#[tokio::test]
async fn put_wakes_whoever_waits_for_events() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let waiter = {
        let spool = spool.clone();
        tokio::spawn(async move { spool.arrived().await })
    };
    tokio::task::yield_now().await;
    spool.put(&event("acme-prod", b"{}", None)).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .unwrap()
        .unwrap();
}

#[test]
fn ids_are_recognised_only_in_their_own_shape() {
    let id = EventId::new(UNIX_EPOCH + Duration::from_nanos(42));
    assert_eq!(EventId::from_file_name(&id.file_name()), Some(id.clone()));
    assert!(id.as_str().starts_with("00000000000000000042-"));
    for name in [
        "00000000000000000042-abc.event",
        "0000000000000000004-0123456789abcdef0123456789abcdef.event",
        "00000000000000000042-0123456789ABCDEF0123456789ABCDEF.event",
        "00000000000000000042-0123456789abcdef0123456789abcdef.txt",
        "../00000000000000042-0123456789abcdef0123456789abcdef.event",
    ] {
        assert_eq!(EventId::from_file_name(name), None, "{name}");
    }
}
