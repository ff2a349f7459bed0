use super::*;

const A: &[u8] = b"a secret key of at least thirty-two bytes";
const B: &[u8] = b"another secret key of thirty-two bytes!!";

fn signed(key: &ChainKey, position: i64) -> Checkpoint {
    let at = DateTime::from_timestamp_micros(1_796_000_000_123_456).unwrap();
    Checkpoint::sign(key, position, vec![position as u8; 40], at)
}

#[test]
fn a_signed_checkpoint_reads_back_from_its_line_and_a_changed_field_does_not() {
    let key = ChainKey::derive_with_previous(A, &[]);
    let checkpoint = signed(&key, 15);
    let line = checkpoint.to_line();
    assert!(line.contains("\"at\":\"2026-11-30T") && line.contains(".123456Z\""), "{line}");
    let read = Checkpoints::parse(&format!("{line}\n\n{}\n", signed(&key, 20).to_line()), &key);
    assert_eq!(read.invalid, Vec::<usize>::new());
    assert_eq!(read.valid[0], Anchored { line: 1, checkpoint });
    assert_eq!(read.last().map(|a| (a.line, a.checkpoint.position)), Some((3, 20)));
    let moved = line.replace("\"position\":15", "\"position\":14");
    let later = line.replace("2026-11-30T", "2026-12-01T");
    let garbage = "not json";
    let read = Checkpoints::parse(&[moved.as_str(), later.as_str(), garbage].join("\n"), &key);
    assert_eq!((read.valid.len(), read.invalid), (0, vec![1, 2, 3]));
}

#[test]
fn checkpoints_signed_under_a_previous_key_still_verify_and_an_unknown_key_is_refused() {
    let old = signed(&ChainKey::derive_with_previous(A, &[]), 7).to_line();
    let rotated = ChainKey::derive_with_previous(B, &[A]);
    assert_eq!(Checkpoints::parse(&old, &rotated).valid.len(), 1);
    assert_eq!(Checkpoints::parse(&old, &ChainKey::derive_with_previous(B, &[])).invalid, vec![1]);
}

#[test]
fn checkpoints_read_from_an_export_of_the_json_logs_and_other_log_lines_are_skipped() {
    let key = ChainKey::derive_with_previous(A, &[]);
    let c = signed(&key, 9);
    let fields = json!({
        "checkpoint.position": c.position,
        "checkpoint.head": hex::encode(&c.head),
        "checkpoint.at": c.at_text(),
        "checkpoint.key_id": c.key_id.to_string(),
        "checkpoint.signature": hex::encode(&c.signature),
    });
    let mut flattened = fields.clone();
    flattened["message"] = json!("audit chain checkpoint");
    flattened["level"] = json!("INFO");
    let nested = json!({ "level": "INFO", "fields": fields });
    let logcli = json!({ "labels": {"service": "lawha"}, "line": flattened.to_string() });
    let other = json!({ "level": "ERROR", "message": "the audit chain is broken", "position": 4 });
    let text = [flattened.to_string(), nested.to_string(), logcli.to_string(), other.to_string()].join("\n");
    let read = Checkpoints::parse(&text, &key);
    assert_eq!(read.invalid, Vec::<usize>::new());
    assert_eq!(read.valid.iter().map(|a| a.line).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert!(read.valid.iter().all(|a| a.checkpoint == c));
}

#[test]
fn append_adds_one_private_line_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let key = ChainKey::derive_with_previous(A, &[]);
    append(&path, &signed(&key, 1)).unwrap();
    append(&path, &signed(&key, 2)).unwrap();
    let read = Checkpoints::read(&path, &key).unwrap();
    assert_eq!(read.valid.iter().map(|a| a.checkpoint.position).collect::<Vec<_>>(), vec![1, 2]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert_eq!(Checkpoints::read(&dir.path().join("absent"), &key).unwrap(), Checkpoints::default());
}
