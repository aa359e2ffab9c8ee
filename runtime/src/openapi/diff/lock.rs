//! The lock file: an API's OpenAPI document, committed, that a test compares the current one with.

use std::path::{Path, PathBuf};
use std::{fmt, fs, io};

use serde_json::Value;

use super::{Diff, diff};

/// The environment variable that lets [`check_lock`] write the lock file.
const UPDATE: &str = "WAYMARK_UPDATE_LOCK";

/// Compares `current`, an API's OpenAPI document, with the one locked in the JSON file at `path`:
/// the test that keeps an API's contract from changing unnoticed. `Ok` when they are the same.
///
/// With `WAYMARK_UPDATE_LOCK=1` in the environment, a missing file is written, and so is a file
/// the API changed compatibly from; breaking changes are an error whatever the environment says
/// (to make a break on purpose, delete the file and run with `WAYMARK_UPDATE_LOCK=1`).
///
/// # Errors
///
/// - [`LockError::Breaking`] when the API changed in a way that can fail a client of the locked
///   document; the message lists the breaking changes, then the compatible ones.
/// - [`LockError::Stale`] when it changed compatibly only (and the file was not rewritten); the
///   message asks to refresh the file and lists the changes.
/// - [`LockError::Missing`] when there is no file (and it was not written).
/// - [`LockError::Io`] or [`LockError::Json`] when the file cannot be read, parsed or written.
///
/// The file is written as pretty JSON with a trailing newline, so that it diffs well in review. A
/// relative `path` is taken from the working directory, which `cargo test` sets to the package's
/// root. [`LockError`]'s `Debug` is its message, so `.unwrap()` prints the list of changes:
///
/// ```no_run
/// # waymark::routes! { pub Api; GET "/notes" => async { "" }, }
/// #[test]
/// fn api_contract() {
///     waymark::openapi::check_lock("openapi.json", &Api::openapi()).unwrap();
/// }
/// # fn main() {}
/// ```
///
/// ```
/// use waymark::openapi::{LockError, check_lock};
///
/// mod v1 {
///     waymark::routes! {
///         pub Api;
///         GET "/notes?{limit: u8 = 20}" => async { "" },
///     }
/// }
/// mod v2 {
///     waymark::routes! {
///         pub Api;
///         GET "/notes?{limit: u8}" => async { "" },
///     }
/// }
///
/// let path = std::env::temp_dir().join(format!("waymark-lock-doc-{}.json", std::process::id()));
/// std::fs::write(&path, serde_json::to_string_pretty(&v1::Api::openapi()).unwrap()).unwrap();
/// assert!(check_lock(&path, &v1::Api::openapi()).is_ok());
///
/// let err = check_lock(&path, &v2::Api::openapi()).unwrap_err();
/// assert!(matches!(err, LockError::Breaking { .. }));
/// assert!(err.to_string().starts_with("breaking changes:\n  GET /notes: parameter `limit` made required\n"));
/// std::fs::remove_file(&path).unwrap();
/// ```
pub fn check_lock(path: impl AsRef<Path>, current: &Value) -> Result<(), LockError> {
    let update = std::env::var_os(UPDATE).is_some_and(|v| v == "1");
    check(path.as_ref(), current, update)
}

/// [`check_lock`], with the environment read by the caller: tests cannot set a variable without
/// `unsafe`, which the crate forbids.
fn check(path: &Path, current: &Value, update: bool) -> Result<(), LockError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound && update => return write(path, current),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(LockError::Missing { path: path.into() }),
        Err(source) => return Err(LockError::Io { path: path.into(), source }),
    };
    let locked: Value = serde_json::from_str(&text).map_err(|source| LockError::Json { path: path.into(), source })?;
    let diff = diff(&locked, current);
    if diff.is_breaking() {
        Err(LockError::Breaking { path: path.into(), diff })
    } else if diff.is_empty() {
        Ok(())
    } else if update {
        write(path, current)
    } else {
        Err(LockError::Stale { path: path.into(), diff })
    }
}

fn write(path: &Path, doc: &Value) -> Result<(), LockError> {
    let io = |source| LockError::Io { path: path.into(), source };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(io)?;
    }
    let mut text = serde_json::to_string_pretty(doc).map_err(|source| LockError::Json { path: path.into(), source })?;
    text.push('\n');
    fs::write(path, text).map_err(io)
}

/// Why [`check_lock`] failed; its `Display` (and its `Debug`) is the message for the test's output.
///
/// ```
/// use waymark::openapi::check_lock;
///
/// let path = std::env::temp_dir().join(format!("waymark-lock-bad-{}.json", std::process::id()));
/// std::fs::write(&path, "{").unwrap();
/// let err = check_lock(&path, &serde_json::json!({})).unwrap_err();
/// assert!(err.to_string().contains("is not JSON"));
/// std::fs::remove_file(&path).unwrap();
/// ```
#[non_exhaustive]
pub enum LockError {
    /// There is no lock file.
    Missing {
        /// The lock file.
        path: PathBuf,
    },
    /// The lock file could not be read or written.
    Io {
        /// The lock file.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
    /// The lock file is not JSON.
    Json {
        /// The lock file.
        path: PathBuf,
        /// Where the JSON breaks.
        source: serde_json::Error,
    },
    /// The API changed compatibly: the lock file is out of date.
    Stale {
        /// The lock file.
        path: PathBuf,
        /// The changes, all compatible.
        diff: Diff,
    },
    /// The API changed in ways that can fail its clients.
    Breaking {
        /// The lock file.
        path: PathBuf,
        /// The changes, breaking ones first.
        diff: Diff,
    },
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let refresh = format!("`{UPDATE}=1 cargo test`");
        match self {
            Self::Missing { path } => {
                write!(f, "no lock file at `{}`; create it with {refresh}", path.display())
            }
            Self::Io { path, source } => write!(f, "lock file `{}`: {source}", path.display()),
            Self::Json { path, source } => write!(f, "lock file `{}` is not JSON: {source}", path.display()),
            Self::Stale { diff, .. } => {
                write!(f, "the API changed compatibly; refresh the lock with {refresh}\n{diff}")
            }
            Self::Breaking { path, diff } => {
                write!(f, "{diff}\nto make these changes on purpose, delete `{}` and run {refresh}", path.display())
            }
        }
    }
}

/// The message, as `Display` gives it: a test that unwraps the result, or returns it from
/// `main`-like test functions, prints the list of changes rather than a struct dump.
impl fmt::Debug for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for LockError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Json { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn doc(limit_required: bool, summary: &str) -> Value {
        json!({ "openapi": "3.1.0", "paths": { "/notes": { "get": {
            "summary": summary,
            "parameters": [{ "name": "limit", "in": "query", "required": limit_required, "schema": { "type": "integer" } }],
        } } } })
    }

    #[test]
    fn lock_file() {
        #[derive(Debug, PartialEq)]
        enum Want {
            Ok,
            Missing,
            Stale,
            Breaking,
            Json,
        }
        // (case, file before, current, WAYMARK_UPDATE_LOCK=1, answer, file after)
        let cases = [
            ("same", Some(doc(false, "a")), doc(false, "a"), false, Want::Ok, Some(doc(false, "a"))),
            ("same, update", Some(doc(false, "a")), doc(false, "a"), true, Want::Ok, Some(doc(false, "a"))),
            ("compatible", Some(doc(false, "a")), doc(false, "b"), false, Want::Stale, Some(doc(false, "a"))),
            ("compatible, update", Some(doc(false, "a")), doc(false, "b"), true, Want::Ok, Some(doc(false, "b"))),
            ("breaking", Some(doc(false, "a")), doc(true, "a"), false, Want::Breaking, Some(doc(false, "a"))),
            ("breaking, update", Some(doc(false, "a")), doc(true, "a"), true, Want::Breaking, Some(doc(false, "a"))),
            ("missing", None, doc(false, "a"), false, Want::Missing, None),
            ("missing, update", None, doc(false, "a"), true, Want::Ok, Some(doc(false, "a"))),
            ("not json", Some(json!("{")), doc(false, "a"), true, Want::Json, Some(json!("{"))),
        ];
        let dir = std::env::temp_dir().join(format!("waymark-lock-test-{}", std::process::id()));
        for (i, (case, before, current, update, want, after)) in cases.into_iter().enumerate() {
            // A nested path: writing a missing lock creates its folder.
            let path = dir.join(i.to_string()).join("openapi.json");
            let _ = fs::remove_dir_all(path.parent().unwrap());
            match &before {
                // A JSON string stands for the file's raw text.
                Some(Value::String(raw)) => {
                    fs::create_dir_all(path.parent().unwrap()).unwrap();
                    fs::write(&path, raw).unwrap();
                }
                Some(doc) => write(&path, doc).unwrap(),
                None => {}
            }
            let got = match check(&path, &current, update) {
                Ok(()) => Want::Ok,
                Err(LockError::Missing { .. }) => Want::Missing,
                Err(LockError::Stale { .. }) => Want::Stale,
                Err(LockError::Breaking { .. }) => Want::Breaking,
                Err(LockError::Json { .. }) => Want::Json,
                Err(e) => panic!("{case}: {e}"),
            };
            assert_eq!(got, want, "{case}");
            let text = fs::read_to_string(&path).ok();
            let file = text.as_deref().map(|t| serde_json::from_str(t).unwrap_or_else(|_| Value::from(t)));
            assert_eq!(file, after, "{case}");
            if update && want == Want::Ok && before.as_ref() != Some(&current) {
                let text = text.unwrap();
                assert_eq!(text, format!("{}\n", serde_json::to_string_pretty(&current).unwrap()), "{case}");
            }
        }
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn messages() {
        let path = PathBuf::from("api.json");
        let stale = LockError::Stale { path: path.clone(), diff: diff(&doc(false, "a"), &doc(false, "b")) };
        let breaking = LockError::Breaking { path: path.clone(), diff: diff(&doc(false, "a"), &doc(true, "b")) };
        let cases = [
            (
                LockError::Missing { path: path.clone() },
                "no lock file at `api.json`; create it with `WAYMARK_UPDATE_LOCK=1 cargo test`",
            ),
            (
                stale,
                "the API changed compatibly; refresh the lock with `WAYMARK_UPDATE_LOCK=1 cargo test`\n\
                 compatible changes:\n  GET /notes: `summary` changed from `a` to `b`",
            ),
            (
                breaking,
                "breaking changes:\n  GET /notes: parameter `limit` made required\n\
                 compatible changes:\n  GET /notes: `summary` changed from `a` to `b`\n\
                 to make these changes on purpose, delete `api.json` and run `WAYMARK_UPDATE_LOCK=1 cargo test`",
            ),
        ];
        for (err, want) in cases {
            assert_eq!(err.to_string(), want);
            assert_eq!(format!("{err:?}"), want);
        }
    }
}
