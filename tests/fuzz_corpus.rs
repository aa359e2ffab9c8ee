//! Replays the saved fuzz corpora (`fuzz/corpus/<target>/`) and the crashes kept as regressions
//! (`fuzz/artifacts/<target>/`) through the same checks the cargo-fuzz targets call, on stable, so
//! that a fixed crash stays fixed without nightly. `scripts/fuzz.sh` grows and minimizes them.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// Regression inputs of bugs not fixed yet, by file name, with the bug. They are not replayed as
/// passing cases: the test prints why and checks they still fail, so a fix is noticed.
const KNOWN: &[(&str, &str)] = &[];

fn files(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut found = Vec::new();
    for dir in ["corpus", "artifacts"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else { continue };
        found.extend(entries.map(|e| e.expect("a directory entry").path()).filter(|p| p.is_file()));
    }
    found.sort();
    found
}

fn replay(target: &str, check: fn(&[u8])) {
    let files = files(target);
    assert!(!files.is_empty(), "no corpus for `{target}`; run `python3 fuzz/seeds.py`");
    let mut failed = Vec::new();
    for path in &files {
        let data = std::fs::read(path).expect("a corpus file");
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let outcome = catch_unwind(AssertUnwindSafe(|| check(&data)));
        match KNOWN.iter().find(|(file, _)| *file == name) {
            Some((_, bug)) => {
                println!("skipping {}: known bug, not fixed yet: {bug}", path.display());
                assert!(outcome.is_err(), "{} passes now: remove it from KNOWN (fixed: {bug})", path.display());
            }
            None if outcome.is_err() => failed.push(path.display().to_string()),
            None => {}
        }
    }
    assert!(failed.is_empty(), "`{target}` fails on:\n{}", failed.join("\n"));
    println!("{target}: {} inputs replayed", files.len());
}

#[test]
fn head() {
    replay("head", waymark::__fuzz::head);
}

#[test]
fn chunked() {
    replay("chunked", waymark::__fuzz::chunked);
}

#[test]
fn connection() {
    replay("connection", waymark::__fuzz::connection);
}

#[test]
fn dispatch() {
    replay("dispatch", waymark::__fuzz::dispatch);
}

#[test]
fn url_round_trip() {
    replay("url_round_trip", waymark::__fuzz::url_round_trip);
}

#[test]
fn safe_path() {
    replay("safe_path", waymark::__fuzz::safe_path);
}
