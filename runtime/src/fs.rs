//! Static files: a path type that cannot leave its root, and a directory service answering `GET`
//! and `HEAD` with validators, conditional requests, ranges and precompressed variants.
#![doc = include_str!("../../docs/files.md")]

use std::fmt;
use std::fs::{File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{
    ACCEPT_RANGES, ALLOW, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, HeaderValue,
    LAST_MODIFIED, LOCATION, VARY, X_CONTENT_TYPE_OPTIONS,
};
use http::{Method, StatusCode};

use crate::{Body, IntoResponse, Request, Response};

/// Files up to this size are read in one piece and sent with their length; larger ones (and ranges
/// of them) are sent as a [`Body::file`], from the page cache where the platform allows.
const SMALL_FILE: u64 = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// The path type

/// A relative path that cannot leave the directory it is joined to, built from the decoded text of
/// a catch-all parameter.
///
/// [`SafePath::new`] refuses, before any filesystem call, every segment that could name something
/// other than an entry below the root on any platform: `..` and `.`, empty segments (so no leading
/// `/` and no `//`), backslashes, NUL and other control characters, and colons (drive letters
/// such as `C:`, and Windows stream names). One trailing `/` is kept as "a directory was asked
/// for". Nothing is normalised: `a/../b` is refused, not rewritten to `b`.
///
/// ```
/// use waymark_runtime::fs::{PathError, SafePath};
///
/// let path = SafePath::new("css/site.css")?;
/// assert_eq!(path.segments().collect::<Vec<_>>(), ["css", "site.css"]);
/// assert_eq!(path.join_to("public".as_ref()), std::path::Path::new("public/css/site.css"));
///
/// assert_eq!(SafePath::new("../etc/passwd"), Err(PathError::DotDot));
/// assert_eq!(SafePath::new("/etc/passwd"), Err(PathError::EmptySegment));
/// assert_eq!(SafePath::new("a\\..\\b"), Err(PathError::Backslash));
/// assert_eq!(SafePath::new("C:/Windows"), Err(PathError::Colon));
/// # Ok::<(), PathError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafePath {
    /// The segments joined by `/`, without the trailing `/` of a directory request.
    path: String,
    dir: bool,
}

/// Why a path was refused by [`SafePath::new`].
///
/// ```
/// use waymark_runtime::fs::{PathError, SafePath};
///
/// let err = SafePath::new("a/./b").unwrap_err();
/// assert_eq!(err, PathError::Dot);
/// assert_eq!(err.to_string(), "a path segment is `.`");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathError {
    /// The path is empty.
    Empty,
    /// An empty segment: a leading `/` (an absolute path), `//`, or more than one trailing `/`.
    EmptySegment,
    /// A segment is `.`.
    Dot,
    /// A segment is `..`.
    DotDot,
    /// A backslash, a separator on Windows.
    Backslash,
    /// NUL or another control character.
    Control,
    /// A colon: a drive letter (`C:`) or an alternate data stream on Windows.
    Colon,
    /// A name the platform gives a special meaning (`CON`, `NUL`, a trailing dot or space on
    /// Windows).
    Reserved,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathError::Empty => "the path is empty",
            PathError::EmptySegment => "a path segment is empty",
            PathError::Dot => "a path segment is `.`",
            PathError::DotDot => "a path segment is `..`",
            PathError::Backslash => "a path segment contains a backslash",
            PathError::Control => "a path segment contains a control character",
            PathError::Colon => "a path segment contains a colon",
            PathError::Reserved => "a path segment is a name reserved by the platform",
        })
    }
}

impl std::error::Error for PathError {}

impl SafePath {
    /// Checks a decoded path (`css/site.css`, `docs/`), relative to a root.
    ///
    /// ```
    /// use waymark_runtime::fs::SafePath;
    ///
    /// assert!(SafePath::new("docs/").unwrap().is_dir());
    /// assert!(SafePath::new("docs//").is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// The first rule the path breaks, as a [`PathError`].
    pub fn new(decoded: &str) -> Result<Self, PathError> {
        if decoded.is_empty() {
            return Err(PathError::Empty);
        }
        let (path, dir) = match decoded.strip_suffix('/') {
            Some(p) => (p, true),
            None => (decoded, false),
        };
        for segment in path.split('/') {
            check_segment(segment)?;
        }
        Ok(Self { path: path.to_owned(), dir })
    }

    /// The segments, in order.
    ///
    /// ```
    /// use waymark_runtime::fs::SafePath;
    ///
    /// assert_eq!(SafePath::new("a/b/").unwrap().segments().count(), 2);
    /// ```
    pub fn segments(&self) -> impl Iterator<Item = &str> + '_ {
        self.path.split('/')
    }

    /// The path as checked, segments joined by `/`, without a trailing `/`.
    ///
    /// ```
    /// use waymark_runtime::fs::SafePath;
    ///
    /// assert_eq!(SafePath::new("a/b/").unwrap().as_str(), "a/b");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.path
    }

    /// Whether the path ended in `/`: a directory was asked for.
    ///
    /// ```
    /// use waymark_runtime::fs::SafePath;
    ///
    /// assert!(!SafePath::new("a").unwrap().is_dir());
    /// ```
    pub fn is_dir(&self) -> bool {
        self.dir
    }

    /// Whether a segment starts with `.` (a dotfile or dot-directory such as `.git`).
    ///
    /// ```
    /// use waymark_runtime::fs::SafePath;
    ///
    /// assert!(SafePath::new(".git/config").unwrap().is_hidden());
    /// assert!(!SafePath::new("a.b/c").unwrap().is_hidden());
    /// ```
    pub fn is_hidden(&self) -> bool {
        self.segments().any(|s| s.starts_with('.'))
    }

    /// `root` with the segments appended. The result is below `root` as far as names go; symbolic
    /// links inside the root are another matter, which [`Dir`] checks.
    ///
    /// ```
    /// use std::path::Path;
    /// use waymark_runtime::fs::SafePath;
    ///
    /// let p = SafePath::new("img/logo.png").unwrap();
    /// assert_eq!(p.join_to(Path::new("/srv/www")), Path::new("/srv/www/img/logo.png"));
    /// ```
    pub fn join_to(&self, root: &Path) -> PathBuf {
        let mut out = root.to_path_buf();
        out.extend(self.segments());
        out
    }
}

impl fmt::Display for SafePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)?;
        if self.dir { f.write_str("/") } else { Ok(()) }
    }
}

fn check_segment(segment: &str) -> Result<(), PathError> {
    match segment {
        "" => return Err(PathError::EmptySegment),
        "." => return Err(PathError::Dot),
        ".." => return Err(PathError::DotDot),
        _ => {}
    }
    for c in segment.chars() {
        match c {
            '\\' => return Err(PathError::Backslash),
            ':' => return Err(PathError::Colon),
            c if c.is_control() => return Err(PathError::Control),
            _ => {}
        }
    }
    if cfg!(windows) && is_reserved_on_windows(segment) {
        return Err(PathError::Reserved);
    }
    // Defence in depth: whatever the platform's path rules, the segment must be one plain name.
    let mut components = Path::new(segment).components();
    match (components.next(), components.next()) {
        (Some(Component::Normal(name)), None) if name == segment => Ok(()),
        _ => Err(PathError::Reserved),
    }
}

/// Device names, trailing dots and spaces (which Windows strips, so `a.txt.` opens `a.txt`), and
/// the characters Windows does not allow in names.
fn is_reserved_on_windows(segment: &str) -> bool {
    const DEVICES: [&str; 22] = [
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1",
        "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    ];
    let stem = segment.split('.').next().unwrap_or(segment).trim_end();
    segment.ends_with(['.', ' '])
        || segment.contains(['<', '>', '"', '|', '?', '*'])
        || DEVICES.iter().any(|d| d.eq_ignore_ascii_case(stem))
}

// ---------------------------------------------------------------------------------------------
// The directory service

/// A directory served over HTTP: `GET` and `HEAD` of the files below `root`.
///
/// Cheap to clone (the settings are shared). Keep one in the application state and serve it from
/// a catch-all route, one line in the table:
///
/// ```text
/// GET "/static/{*path}" => state.assets.serve(path, req),
/// ```
///
/// Defaults: symbolic links that lead outside the root are not followed, dotfiles are hidden, a
/// directory serves its `index.html` (a directory path without its trailing `/` is redirected to
/// it, so relative links work), there is no listing, and `.br` and `.gz` siblings are served to
/// clients that accept them. The [module docs](self) give every rule.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
/// use waymark_runtime::fs::Dir;
/// use waymark_runtime::{Method, Request, StatusCode};
///
/// let root = std::env::temp_dir().join(format!("waymark-doc-dir-{}", std::process::id()));
/// std::fs::create_dir_all(&root)?;
/// std::fs::write(root.join("hello.txt"), "hello")?;
///
/// let assets = Dir::new(&root);
/// let res = assets.serve("hello.txt", &Request::new(Method::GET, "/static/hello.txt")).await;
/// assert_eq!(res.status(), StatusCode::OK);
/// assert_eq!(res.header("content-type"), Some("text/plain; charset=utf-8"));
/// assert_eq!(res.body_bytes().map(|b| &b[..]), Some(&b"hello"[..]));
///
/// let res = assets.serve("../etc/passwd", &Request::new(Method::GET, "/static/../etc/passwd")).await;
/// assert_eq!(res.status(), StatusCode::NOT_FOUND);
/// # std::fs::remove_dir_all(&root)?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Dir {
    inner: Arc<Settings>,
}

#[derive(Debug, Clone)]
struct Settings {
    root: PathBuf,
    /// The root with its symbolic links resolved, and opened, on first use (the directory may
    /// not exist yet when the `Dir` is built).
    canonical_root: OnceLock<Root>,
    follow_symlinks: bool,
    dotfiles: bool,
    index: Option<String>,
    precompressed: bool,
}

impl fmt::Debug for Dir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.inner;
        f.debug_struct("Dir")
            .field("root", &s.root)
            .field("follow_symlinks", &s.follow_symlinks)
            .field("dotfiles", &s.dotfiles)
            .field("index", &s.index)
            .field("precompressed", &s.precompressed)
            .finish_non_exhaustive()
    }
}

impl Dir {
    /// Serves the files below `root`, with the defaults above.
    ///
    /// ```
    /// let assets = waymark_runtime::fs::Dir::new("public");
    /// assert_eq!(assets.root(), std::path::Path::new("public"));
    /// ```
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            inner: Arc::new(Settings {
                root: root.into(),
                canonical_root: OnceLock::new(),
                follow_symlinks: false,
                dotfiles: false,
                index: Some("index.html".to_owned()),
                precompressed: true,
            }),
        }
    }

    /// The settings to change while the `Dir` is built (copied if it was already cloned).
    fn settings(&mut self) -> &mut Settings {
        Arc::make_mut(&mut self.inner)
    }

    /// Follows symbolic links wherever they lead (`true`), or only while they stay inside the
    /// root (`false`, the default). Checking costs a `realpath` per request only where `openat2` is missing or a link is met.
    ///
    /// ```
    /// let assets = waymark_runtime::fs::Dir::new("public").follow_symlinks(true);
    /// ```
    #[must_use]
    pub fn follow_symlinks(mut self, follow: bool) -> Self {
        self.settings().follow_symlinks = follow;
        self
    }

    /// Serves names starting with `.` (`true`), or answers `404` for them (`false`, the default):
    /// a dot in the request, or, while links are confined to the root, where a link leads.
    ///
    /// ```
    /// let assets = waymark_runtime::fs::Dir::new("public").dotfiles(true);
    /// ```
    #[must_use]
    pub fn dotfiles(mut self, serve: bool) -> Self {
        self.settings().dotfiles = serve;
        self
    }

    /// The file a directory request serves (`Some("index.html")` by default), or `None` to answer
    /// `404` for directories.
    ///
    /// ```
    /// let assets = waymark_runtime::fs::Dir::new("public").index(None);
    /// let docs = waymark_runtime::fs::Dir::new("book").index(Some("README.html"));
    /// ```
    #[must_use]
    pub fn index(mut self, file: Option<&str>) -> Self {
        self.settings().index = file.map(str::to_owned);
        self
    }

    /// Looks for `FILE.br` and `FILE.gz` beside `FILE` when the client accepts `br` or `gzip`
    /// (`true`, the default), or serves only `FILE` (`false`).
    ///
    /// ```
    /// let assets = waymark_runtime::fs::Dir::new("public").precompressed(false);
    /// ```
    #[must_use]
    pub fn precompressed(mut self, look: bool) -> Self {
        self.settings().precompressed = look;
        self
    }

    /// The root, as given.
    ///
    /// ```
    /// let assets = waymark_runtime::fs::Dir::new("/srv/www");
    /// assert_eq!(assets.root(), std::path::Path::new("/srv/www"));
    /// ```
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// Answers a `GET` or `HEAD` for `path`, the decoded catch-all of the route (`css/site.css`).
    ///
    /// `404` for anything missing or refused (never a 5xx for a hostile path), `405` for other
    /// methods; otherwise `200`, `206`, `304`, `307` (a directory without its `/`), `412` or `416`
    /// as RFC 9110 says. The [module docs](self) give the rules.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use waymark_runtime::fs::Dir;
    /// use waymark_runtime::{Method, Request, StatusCode};
    ///
    /// # let root = std::env::temp_dir().join(format!("waymark-doc-serve-{}", std::process::id()));
    /// # std::fs::create_dir_all(&root)?;
    /// std::fs::write(root.join("data.bin"), b"0123456789")?;
    /// let assets = Dir::new(&root);
    ///
    /// let req = Request::new(Method::GET, "/static/data.bin").with_header("range", "bytes=2-4");
    /// let res = assets.serve("data.bin", &req).await;
    /// assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    /// assert_eq!(res.header("content-range"), Some("bytes 2-4/10"));
    /// assert_eq!(res.body_bytes().map(|b| &b[..]), Some(&b"234"[..]));
    ///
    /// let etag = res.header("etag").unwrap().to_owned();
    /// let req = Request::new(Method::GET, "/static/data.bin").with_header("if-none-match", &etag);
    /// assert_eq!(assets.serve("data.bin", &req).await.status(), StatusCode::NOT_MODIFIED);
    /// # std::fs::remove_dir_all(&root)?;
    /// # Ok(()) }
    /// ```
    pub async fn serve(&self, path: &str, req: &Request) -> Response {
        let head = match *req.method() {
            Method::GET => false,
            Method::HEAD => true,
            _ => {
                return (StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
                    .into_response()
                    .with_header(ALLOW, HeaderValue::from_static("GET, HEAD"));
            }
        };
        let path = match SafePath::new(path) {
            Ok(p) if self.inner.dotfiles || !p.is_hidden() => p,
            Ok(_) => return not_found(),
            Err(e) => {
                tracing::debug!(path, error = %e, "refused a static file path");
                return not_found();
            }
        };
        let ask = Ask {
            conditions: Conditions::from_request(req),
            encodings: if self.inner.precompressed { accepted_encodings(req) } else { [None, None] },
            head,
        };
        let plan = self.inner.plan(&path, &ask);
        self.inner.respond(plan, req)
    }
}

/// What the lookup needs from the request.
struct Ask {
    conditions: Conditions,
    /// Acceptable content codings, best first.
    encodings: [Option<Encoding>; 2],
    head: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Br,
    Gzip,
}

impl Encoding {
    fn token(self) -> &'static str {
        match self {
            Encoding::Br => "br",
            Encoding::Gzip => "gzip",
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Encoding::Br => "br",
            Encoding::Gzip => "gz",
        }
    }
}

/// The representation chosen for a request: which file, and the fields that describe it.
#[derive(Debug)]
struct Selected {
    len: u64,
    etag: String,
    modified: Option<SystemTime>,
    content_type: &'static str,
    encoding: Option<Encoding>,
}

/// What to answer, decided off the async threads.
#[derive(Debug)]
enum Plan {
    NotFound,
    /// A directory asked for without its trailing `/`.
    AddSlash,
    PreconditionFailed,
    NotModified(Selected),
    Unsatisfiable(Selected),
    Send {
        selected: Selected,
        range: Option<Range<u64>>,
        body: Content,
    },
}

#[derive(Debug)]
enum Content {
    /// `HEAD`: headers only.
    None,
    /// The bytes to send, read whole (a small file).
    Bytes(Bytes),
    /// The file, positioned at the start of the bytes to send.
    File(File),
}

/// The root directory, resolved, and (on Linux) opened for `openat2`.
#[derive(Debug, Clone)]
struct Root {
    path: PathBuf,
    #[cfg(any(target_os = "linux", target_os = "android"))]
    dir: Option<Arc<rustix::fd::OwnedFd>>,
}

/// A file found below the root, or nothing to serve.
enum Opened {
    File(File),
    Missing,
}

impl Settings {
    fn root(&self) -> io::Result<&Root> {
        if let Some(root) = self.canonical_root.get() {
            return Ok(root);
        }
        let path = std::fs::canonicalize(&self.root)?;
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let dir = {
            use rustix::fs::{Mode, OFlags};
            rustix::fs::open(&path, OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
                .ok()
                .map(Arc::new)
        };
        let root = Root {
            path,
            #[cfg(any(target_os = "linux", target_os = "android"))]
            dir,
        };
        Ok(self.canonical_root.get_or_init(|| root))
    }

    /// Opens `rel` (a [`SafePath`], or one with a name added) below the root: never through a
    /// link that leads out of it (unless links may go anywhere), nor through a hidden name (unless
    /// dotfiles are served). Opening never blocks on a FIFO; the caller checks what it opened.
    ///
    /// On Linux the kernel does it in one call, `openat2` from the root's descriptor with
    /// `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`: a path without links (the common case) costs no
    /// `realpath`. A path with a link on the way, or a kernel without `openat2` (before 5.6, or a
    /// seccomp filter refusing it), takes the portable way: `realpath`, check, open.
    fn open_below(&self, root: &Root, rel: &Path) -> Opened {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if !self.follow_symlinks
            && let Some(dir) = &root.dir
            && let Some(opened) = open_beneath(dir, rel)
        {
            return opened;
        }
        let Some(resolved) = self.confine(&root.path, &root.path.join(rel)) else { return Opened::Missing };
        match open_nonblocking(&resolved) {
            Ok(file) => Opened::File(file),
            Err(_) => Opened::Missing,
        }
    }

    /// Resolves symbolic links and checks the result stays below the root (unless links may go
    /// anywhere), and that no name on the way is hidden. `None`: refused or missing.
    fn confine(&self, root: &Path, path: &Path) -> Option<PathBuf> {
        if self.follow_symlinks {
            return Some(path.to_path_buf());
        }
        let real = std::fs::canonicalize(path).ok()?;
        let below = real.strip_prefix(root).ok()?;
        if !self.dotfiles && below.components().any(|c| c.as_os_str().as_encoded_bytes().starts_with(b".")) {
            return None;
        }
        Some(real)
    }

    /// The lookup and every decision that needs the file's metadata.
    fn plan(&self, path: &SafePath, ask: &Ask) -> Plan {
        match self.try_plan(path, ask) {
            Ok(plan) => plan,
            Err(e) => {
                tracing::debug!(path = %path, error = %e, "static file not served");
                Plan::NotFound
            }
        }
    }

    fn try_plan(&self, path: &SafePath, ask: &Ask) -> io::Result<Plan> {
        let root = self.root()?;
        let mut wanted = PathBuf::from(path.as_str());
        let Opened::File(mut file) = self.open_below(root, &wanted) else { return Ok(Plan::NotFound) };
        let mut meta = file.metadata()?;
        if meta.is_dir() {
            let Some(index) = &self.index else { return Ok(Plan::NotFound) };
            if !path.is_dir() {
                return Ok(Plan::AddSlash);
            }
            wanted.push(index);
            let Opened::File(index_file) = self.open_below(root, &wanted) else { return Ok(Plan::NotFound) };
            file = index_file;
            meta = file.metadata()?;
        } else if path.is_dir() {
            return Ok(Plan::NotFound);
        }
        // Only regular files: reading a FIFO would block, a device could be endless.
        if !meta.is_file() {
            return Ok(Plan::NotFound);
        }
        let content_type = content_type(&wanted);
        let (file, meta, encoding) = match self.open_variant(root, &wanted, ask.encodings) {
            Some((file, meta, enc)) => (file, meta, Some(enc)),
            None => (file, meta, None),
        };
        let selected = Selected {
            len: meta.len(),
            etag: etag(&meta, encoding),
            modified: meta.modified().ok(),
            content_type,
            encoding,
        };
        Ok(match ask.conditions.evaluate(&selected, ask.head) {
            Outcome::PreconditionFailed => Plan::PreconditionFailed,
            Outcome::NotModified => Plan::NotModified(selected),
            Outcome::Unsatisfiable => Plan::Unsatisfiable(selected),
            Outcome::Send(range) => {
                let body = if ask.head { Content::None } else { read_content(file, range.clone(), selected.len)? };
                Plan::Send { selected, range, body }
            }
        })
    }

    /// The first precompressed sibling (`FILE.br`, `FILE.gz`) the client accepts that exists, is
    /// a regular file, and passes the same confinement as `FILE`.
    fn open_variant(
        &self,
        root: &Root,
        wanted: &Path,
        encodings: [Option<Encoding>; 2],
    ) -> Option<(File, Metadata, Encoding)> {
        for enc in encodings.into_iter().flatten() {
            let mut name = wanted.as_os_str().to_owned();
            name.push(".");
            name.push(enc.suffix());
            let Opened::File(file) = self.open_below(root, Path::new(&name)) else { continue };
            let Ok(meta) = file.metadata() else { continue };
            if meta.is_file() {
                return Some((file, meta, enc));
            }
        }
        None
    }

    fn respond(&self, plan: Plan, req: &Request) -> Response {
        match plan {
            Plan::NotFound => not_found(),
            Plan::AddSlash => add_slash(req),
            Plan::PreconditionFailed => StatusCode::PRECONDITION_FAILED.into_response(),
            Plan::NotModified(selected) => {
                let mut res = Response::status_only(StatusCode::NOT_MODIFIED);
                self.validator_fields(&mut res, &selected);
                res
            }
            Plan::Unsatisfiable(selected) => {
                // RFC 9110 §15.5.17; no Content-Type or Content-Encoding: the body is not the file.
                Response::status_only(StatusCode::RANGE_NOT_SATISFIABLE)
                    .with_header(CONTENT_RANGE, header_value(&format!("bytes */{}", selected.len)))
            }
            Plan::Send { selected, range, body } => {
                let status = if range.is_some() { StatusCode::PARTIAL_CONTENT } else { StatusCode::OK };
                let len = range.as_ref().map_or(selected.len, |r| r.end - r.start);
                let body = match body {
                    Content::None => Body::empty(),
                    Content::Bytes(b) => Body::Full(b),
                    Content::File(file) => Body::file(file, len),
                };
                let mut res = Response::new(body).with_status(status);
                res.insert_header(CONTENT_TYPE, HeaderValue::from_static(selected.content_type));
                self.validator_fields(&mut res, &selected);
                res.insert_header(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
                res.insert_header(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
                if let Some(enc) = selected.encoding {
                    res.insert_header(CONTENT_ENCODING, HeaderValue::from_static(enc.token()));
                }
                if let Some(r) = &range {
                    let value = format!("bytes {}-{}/{}", r.start, r.end - 1, selected.len);
                    res.insert_header(CONTENT_RANGE, header_value(&value));
                }
                // For `HEAD` (an empty body) the server sends this length instead of 0; for a
                // streamed body it is the length the stream will have.
                if !matches!(res.body(), Body::Full(b) if !b.is_empty()) {
                    res.insert_header(CONTENT_LENGTH, HeaderValue::from(len));
                }
                res
            }
        }
    }

    /// `ETag`, `Last-Modified` and `Vary`: sent with `200`, `206` and `304` alike (RFC 9110
    /// §15.4.5).
    fn validator_fields(&self, res: &mut Response, selected: &Selected) {
        res.insert_header(ETAG, header_value(&format!("\"{}\"", selected.etag)));
        if let Some(modified) = selected.modified {
            res.insert_header(LAST_MODIFIED, header_value(&httpdate::fmt_http_date(modified)));
        }
        if self.precompressed {
            res.insert_header(VARY, HeaderValue::from_static("accept-encoding"));
        }
    }
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found").into_response()
}

/// `307` to the same target with a `/` after the path, so that relative links in the index work.
/// Only reached for a path that named an existing directory, so the location stays on this server.
fn add_slash(req: &Request) -> Response {
    let mut location = format!("{}/", req.path());
    if let Some(q) = req.query() {
        location.push('?');
        location.push_str(q);
    }
    if location.starts_with("//") {
        return not_found();
    }
    match HeaderValue::from_str(&location) {
        Ok(v) => Response::status_only(StatusCode::TEMPORARY_REDIRECT).with_header(LOCATION, v),
        Err(_) => not_found(),
    }
}

/// A header value from text we formatted ourselves (digits, hex, dates): always valid.
fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static(""))
}

/// A strong validator from the length and the modification time to the nanosecond, and the
/// coding (each precompressed variant is its own representation, RFC 9110 §8.8.3).
fn etag(meta: &Metadata, encoding: Option<Encoding>) -> String {
    let nanos = meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
    match encoding {
        Some(enc) => format!("{:x}-{nanos:x}-{}", meta.len(), enc.suffix()),
        None => format!("{:x}-{nanos:x}", meta.len()),
    }
}

/// Reads a small body whole; positions the file at the start of a large one.
fn read_content(mut file: File, range: Option<Range<u64>>, len: u64) -> io::Result<Content> {
    let range = range.unwrap_or(0..len);
    if range.start > 0 {
        file.seek(SeekFrom::Start(range.start))?;
    }
    let want = range.end - range.start;
    if want > SMALL_FILE {
        return Ok(Content::File(file));
    }
    // `want` is at most SMALL_FILE, so it fits.
    let mut buf = Vec::with_capacity(usize::try_from(want).unwrap_or(0));
    file.take(want).read_to_end(&mut buf)?;
    if buf.len() as u64 != want {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the file shrank while it was read"));
    }
    Ok(Content::Bytes(Bytes::from(buf)))
}

/// Opens a file for reading without blocking on a FIFO (`O_NONBLOCK`, which reads of a regular
/// file ignore) or taking a terminal.
#[cfg(unix)]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK | OFlags::NOCTTY;
    Ok(File::from(rustix::fs::open(path, flags, Mode::empty())?))
}

/// Opens a file for reading, after checking that it is a regular file (opening a FIFO would
/// block).
#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    if !std::fs::metadata(path)?.is_file() {
        return Err(io::ErrorKind::InvalidInput.into());
    }
    File::open(path)
}

/// Opens `rel` below `dir` with `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
/// RESOLVE_NO_MAGICLINKS)`: the kernel refuses `..`, absolute paths and every link, so what opens is
/// the very path asked for, below the root. `None`: decide the portable way (a link on the way,
/// or no `openat2` here).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn open_beneath(dir: &rustix::fd::OwnedFd, rel: &Path) -> Option<Opened> {
    use std::sync::atomic::{AtomicBool, Ordering};

    use rustix::fs::{Mode, OFlags, ResolveFlags};
    use rustix::io::Errno;

    /// Cleared the first time the kernel says it has no `openat2` (or a filter forbids it).
    static AVAILABLE: AtomicBool = AtomicBool::new(true);
    if !AVAILABLE.load(Ordering::Relaxed) {
        return None;
    }
    let rel = if rel.as_os_str().is_empty() { Path::new(".") } else { rel };
    let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK | OFlags::NOCTTY;
    let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
    match rustix::fs::openat2(dir, rel, flags, Mode::empty(), resolve) {
        Ok(fd) => Some(Opened::File(File::from(fd))),
        Err(Errno::NOENT | Errno::NOTDIR | Errno::ACCESS | Errno::NAMETOOLONG) => Some(Opened::Missing),
        Err(Errno::NOSYS | Errno::PERM) => {
            AVAILABLE.store(false, Ordering::Relaxed);
            None
        }
        // ELOOP: a link on the way; EXDEV: one that would leave; EAGAIN: a rename raced the lookup.
        Err(_) => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Content negotiation, validators, ranges

/// `Content-Type` by extension, from a table of the types static sites serve; anything else is
/// `application/octet-stream` (with `nosniff`, so a browser does not guess).
fn content_type(path: &Path) -> &'static str {
    const TYPES: &[(&str, &str)] = &[
        ("html", "text/html; charset=utf-8"),
        ("htm", "text/html; charset=utf-8"),
        ("css", "text/css; charset=utf-8"),
        ("js", "text/javascript; charset=utf-8"),
        ("mjs", "text/javascript; charset=utf-8"),
        ("json", "application/json"),
        ("map", "application/json"),
        ("webmanifest", "application/manifest+json"),
        ("txt", "text/plain; charset=utf-8"),
        ("md", "text/markdown; charset=utf-8"),
        ("csv", "text/csv; charset=utf-8"),
        ("xml", "application/xml"),
        ("svg", "image/svg+xml"),
        ("png", "image/png"),
        ("jpg", "image/jpeg"),
        ("jpeg", "image/jpeg"),
        ("gif", "image/gif"),
        ("webp", "image/webp"),
        ("avif", "image/avif"),
        ("ico", "image/x-icon"),
        ("bmp", "image/bmp"),
        ("woff", "font/woff"),
        ("woff2", "font/woff2"),
        ("ttf", "font/ttf"),
        ("otf", "font/otf"),
        ("wasm", "application/wasm"),
        ("pdf", "application/pdf"),
        ("zip", "application/zip"),
        ("gz", "application/gzip"),
        ("tar", "application/x-tar"),
        ("mp4", "video/mp4"),
        ("webm", "video/webm"),
        ("mp3", "audio/mpeg"),
        ("ogg", "audio/ogg"),
        ("wav", "audio/wav"),
    ];
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    TYPES.iter().find(|(e, _)| e.eq_ignore_ascii_case(ext)).map_or("application/octet-stream", |(_, t)| t)
}

/// The codings of `Accept-Encoding` we have variants for, most preferred first: by the client's
/// weight, then `br` before `gzip` (smaller). A coding is acceptable if listed with a non-zero
/// weight, or covered by a non-zero `*` and not listed (RFC 9110 §12.5.3); a malformed weight
/// counts as zero, since the file itself is always acceptable.
fn accepted_encodings(req: &Request) -> [Option<Encoding>; 2] {
    let mut listed = [None::<u16>; 2];
    let mut star = None::<u16>;
    for value in header_values(req, "accept-encoding") {
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let weight = parts.find_map(qvalue).unwrap_or(1000);
            if coding.eq_ignore_ascii_case("br") {
                listed[0] = Some(weight);
            } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                listed[1] = Some(weight);
            } else if coding == "*" {
                star = Some(weight);
            }
        }
    }
    let [br, gzip] = listed.map(|w| w.or(star).unwrap_or(0));
    let mut order = [(br, Encoding::Br), (gzip, Encoding::Gzip)];
    if gzip > br {
        order.swap(0, 1);
    }
    let mut accepted = order.into_iter().filter(|(w, _)| *w > 0).map(|(_, enc)| enc);
    [accepted.next(), accepted.next()]
}

/// The weight of a `q=` parameter in thousandths (RFC 9110 §12.4.2), a malformed one as zero;
/// `None` when `param` is another parameter.
fn qvalue(param: &str) -> Option<u16> {
    let (name, value) = param.split_once('=')?;
    if !name.trim().eq_ignore_ascii_case("q") {
        return None;
    }
    let value = value.trim();
    let (whole, frac) = value.split_once('.').unwrap_or((value, ""));
    let valid = matches!(whole, "0" | "1") && frac.len() <= 3 && frac.bytes().all(|b| b.is_ascii_digit());
    if !valid {
        return Some(0);
    }
    let thousandths =
        frac.bytes().chain(std::iter::repeat(b'0')).take(3).fold(0u16, |n, b| n * 10 + u16::from(b - b'0'));
    let weight = if whole == "1" { 1000 } else { thousandths };
    Some(if whole == "0" || thousandths == 0 { weight } else { 0 })
}

/// Every value of a header (all its lines), as text.
fn header_values<'a>(req: &'a Request, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    req.headers()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
        .filter_map(|(_, v)| std::str::from_utf8(v).ok())
}

/// The preconditions and range of a request, copied out so the decision can run off the async
/// threads.
#[derive(Debug, Default)]
struct Conditions {
    if_match: Option<String>,
    if_none_match: Option<String>,
    if_modified_since: Option<SystemTime>,
    if_unmodified_since: Option<SystemTime>,
    if_range: Option<String>,
    range: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    PreconditionFailed,
    NotModified,
    Unsatisfiable,
    /// The whole representation, or one range of it.
    Send(Option<Range<u64>>),
}

impl Conditions {
    fn from_request(req: &Request) -> Self {
        let list = |name| {
            let mut values = header_values(req, name).peekable();
            values.peek()?;
            Some(values.collect::<Vec<_>>().join(","))
        };
        // An invalid date is ignored (RFC 9110 §13.1.3, §13.1.4).
        let date = |name| req.header(name).and_then(|v| httpdate::parse_http_date(v.trim()).ok());
        Self {
            if_match: list("if-match"),
            if_none_match: list("if-none-match"),
            if_modified_since: date("if-modified-since"),
            if_unmodified_since: date("if-unmodified-since"),
            if_range: req.header("if-range").map(str::to_owned),
            range: req.header("range").map(str::to_owned),
        }
    }

    /// RFC 9110 §13.2.2, in its order: `If-Match` (else `If-Unmodified-Since`), then
    /// `If-None-Match` (else `If-Modified-Since`), then `Range` guarded by `If-Range`.
    fn evaluate(&self, selected: &Selected, head: bool) -> Outcome {
        // Dates compare at the one-second resolution of HTTP dates.
        let modified = selected.modified.map(truncate_to_second);
        if let Some(list) = &self.if_match {
            if !etag_list_matches(list, &selected.etag, true) {
                return Outcome::PreconditionFailed;
            }
        } else if let (Some(since), Some(modified)) = (self.if_unmodified_since, modified)
            && modified > since
        {
            return Outcome::PreconditionFailed;
        }
        if let Some(list) = &self.if_none_match {
            if etag_list_matches(list, &selected.etag, false) {
                return Outcome::NotModified;
            }
        } else if let (Some(since), Some(modified)) = (self.if_modified_since, modified)
            && modified <= since
        {
            return Outcome::NotModified;
        }
        // Range is defined for GET only (RFC 9110 §14.2).
        let Some(range) = self.range.as_deref().filter(|_| !head) else { return Outcome::Send(None) };
        if let Some(if_range) = &self.if_range
            && !if_range_matches(if_range.trim(), &selected.etag, modified)
        {
            return Outcome::Send(None);
        }
        match parse_range(range, selected.len) {
            RangeSpec::Ignore => Outcome::Send(None),
            RangeSpec::Unsatisfiable => Outcome::Unsatisfiable,
            RangeSpec::Bytes(r) => Outcome::Send(Some(r)),
        }
    }
}

fn truncate_to_second(t: SystemTime) -> SystemTime {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => UNIX_EPOCH + std::time::Duration::from_secs(d.as_secs()),
        Err(_) => t,
    }
}

/// Whether an `If-Match`/`If-None-Match` list holds `*` or a tag equal to ours (`ours` is the
/// opaque part of a strong tag). The strong comparison never matches a weak tag (RFC 9110
/// §8.8.3.2). A malformed list stops matching where it breaks.
fn etag_list_matches(list: &str, ours: &str, strong: bool) -> bool {
    let mut rest = list;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return false;
        }
        if rest.starts_with('*') {
            return true;
        }
        let (weak, tagged) = match rest.strip_prefix("W/") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let Some(quoted) = tagged.strip_prefix('"') else { return false };
        let Some(end) = quoted.find('"') else { return false };
        if &quoted[..end] == ours && !(strong && weak) {
            return true;
        }
        rest = &quoted[end + 1..];
    }
}

/// `If-Range` (RFC 9110 §13.1.5): a strong tag equal to ours, or a date equal to our
/// `Last-Modified`. Anything else, a weak tag included, means "send it all".
fn if_range_matches(value: &str, ours: &str, modified: Option<SystemTime>) -> bool {
    if value.starts_with('"') {
        return value.len() >= 2 && value.ends_with('"') && &value[1..value.len() - 1] == ours;
    }
    if value.starts_with("W/") {
        return false;
    }
    match (httpdate::parse_http_date(value), modified) {
        (Ok(date), Some(modified)) => date == modified,
        _ => false,
    }
}

#[derive(Debug, PartialEq, Eq)]
enum RangeSpec {
    /// Not a single valid byte range: serve the whole file (RFC 9110 §14.2 lets a server ignore
    /// `Range`; multiple ranges are answered this way too).
    Ignore,
    Unsatisfiable,
    Bytes(Range<u64>),
}

/// One `bytes=` range of a representation of `len` bytes (RFC 9110 §14.1.2): `a-b`, `a-` or
/// `-n`, a last position past the end clamped to it.
fn parse_range(value: &str, len: u64) -> RangeSpec {
    let Some((unit, spec)) = value.trim().split_once('=') else { return RangeSpec::Ignore };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') || len == 0 {
        return RangeSpec::Ignore;
    }
    let Some((first, last)) = spec.trim().split_once('-') else { return RangeSpec::Ignore };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        let Some(suffix) = digits(last) else { return RangeSpec::Ignore };
        if suffix == 0 {
            return RangeSpec::Unsatisfiable;
        }
        return RangeSpec::Bytes(len - suffix.min(len)..len);
    }
    let Some(first) = digits(first) else { return RangeSpec::Ignore };
    let last = if last.is_empty() {
        None
    } else {
        match digits(last) {
            Some(l) if l >= first => Some(l),
            _ => return RangeSpec::Ignore,
        }
    };
    if first >= len {
        return RangeSpec::Unsatisfiable;
    }
    let end = last.map_or(len, |l| l.saturating_add(1).min(len));
    RangeSpec::Bytes(first..end)
}

/// Decimal digits as a number, saturating (a huge first position is simply past the end).
fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0u64, |n, b| n.saturating_mul(10).saturating_add(u64::from(b - b'0'))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_paths() {
        let ok: &[(&str, &[&str], bool)] = &[
            ("a.txt", &["a.txt"], false),
            ("sub/b.txt", &["sub", "b.txt"], false),
            ("docs/", &["docs"], true),
            ("a..b", &["a..b"], false),
            ("...", &["..."], false),
            (".well-known/x", &[".well-known", "x"], false),
            ("%2e%2e", &["%2e%2e"], false),
            ("．．/x", &["．．", "x"], false),
            ("a b/ü.txt", &["a b", "ü.txt"], false),
        ];
        for (input, segments, dir) in ok {
            let p = SafePath::new(input).unwrap_or_else(|e| panic!("{input:?} refused: {e}"));
            assert_eq!(p.segments().collect::<Vec<_>>(), *segments, "{input:?}");
            assert_eq!(p.is_dir(), *dir, "{input:?}");
            assert_eq!(p.to_string(), *input);
        }
        let refused = [
            ("", PathError::Empty),
            ("/", PathError::EmptySegment),
            ("/etc/passwd", PathError::EmptySegment),
            ("a//b", PathError::EmptySegment),
            ("a//", PathError::EmptySegment),
            (".", PathError::Dot),
            ("./a", PathError::Dot),
            ("a/.", PathError::Dot),
            ("a/./", PathError::Dot),
            ("..", PathError::DotDot),
            ("../a", PathError::DotDot),
            ("a/../b", PathError::DotDot),
            ("a/..", PathError::DotDot),
            ("../", PathError::DotDot),
            ("..\\a", PathError::Backslash),
            ("a\\b", PathError::Backslash),
            ("a\0b", PathError::Control),
            ("a.txt\0../x", PathError::Control),
            ("a\nb", PathError::Control),
            ("a\rb", PathError::Control),
            ("a\u{7f}", PathError::Control),
            ("C:", PathError::Colon),
            ("C:/Windows", PathError::Colon),
            ("c:x", PathError::Colon),
            ("file.txt::$DATA", PathError::Colon),
        ];
        for (input, err) in refused {
            assert_eq!(SafePath::new(input), Err(err), "{input:?}");
        }
    }

    #[test]
    fn hidden_segments() {
        for (input, hidden) in [("a", false), (".env", true), ("a/.git/config", true), ("a.b/c.d", false)] {
            assert_eq!(SafePath::new(input).map(|p| p.is_hidden()), Ok(hidden), "{input}");
        }
    }

    #[test]
    fn content_types() {
        let cases = [
            ("a.html", "text/html; charset=utf-8"),
            ("A.CSS", "text/css; charset=utf-8"),
            ("x/app.js", "text/javascript; charset=utf-8"),
            ("a.tar.gz", "application/gzip"),
            ("logo.svg", "image/svg+xml"),
            ("noext", "application/octet-stream"),
            ("a.unknown", "application/octet-stream"),
            (".env", "application/octet-stream"),
        ];
        for (name, want) in cases {
            assert_eq!(content_type(Path::new(name)), want, "{name}");
        }
    }

    #[test]
    fn accept_encoding() {
        use Encoding::{Br, Gzip};
        let cases: &[(&[&str], [Option<Encoding>; 2])] = &[
            (&[], [None, None]),
            (&["gzip"], [Some(Gzip), None]),
            (&["gzip, deflate, br"], [Some(Br), Some(Gzip)]),
            (&["br;q=0, gzip;q=0.5"], [Some(Gzip), None]),
            (&["gzip;q=1, br;q=0.5"], [Some(Gzip), Some(Br)]),
            (&["gzip;q=0.5, br;q=0.5"], [Some(Br), Some(Gzip)]),
            (&["br;q=0.000"], [None, None]),
            (&["br;q=0.001"], [Some(Br), None]),
            (&["br;q=2"], [None, None]),
            (&["br;q=0.0001"], [None, None]),
            (&["br;level=1;q=1.000"], [Some(Br), None]),
            (&["*"], [Some(Br), Some(Gzip)]),
            (&["*;q=0, gzip"], [Some(Gzip), None]),
            (&["*;q=0.1, gzip;q=0.5"], [Some(Gzip), Some(Br)]),
            (&["GZIP", "Br"], [Some(Br), Some(Gzip)]),
            (&["identity"], [None, None]),
            (&["x-gzip"], [Some(Gzip), None]),
        ];
        for (values, want) in cases {
            let mut req = Request::new(Method::GET, "/");
            for v in *values {
                req = req.with_header("accept-encoding", v);
            }
            assert_eq!(accepted_encodings(&req), *want, "{values:?}");
        }
    }

    #[test]
    fn ranges() {
        use RangeSpec::{Bytes as B, Ignore, Unsatisfiable};
        let cases = [
            ("bytes=0-0", 10, B(0..1)),
            ("bytes=2-4", 10, B(2..5)),
            ("bytes=2-", 10, B(2..10)),
            ("bytes=-3", 10, B(7..10)),
            ("bytes=-30", 10, B(0..10)),
            ("bytes=5-100", 10, B(5..10)),
            ("bytes=9-9", 10, B(9..10)),
            ("Bytes = 1-2", 10, B(1..3)),
            ("bytes=0-99999999999999999999999", 10, B(0..10)),
            ("bytes=10-", 10, Unsatisfiable),
            ("bytes=10-20", 10, Unsatisfiable),
            ("bytes=99999999999999999999999-", 10, Unsatisfiable),
            ("bytes=-0", 10, Unsatisfiable),
            ("bytes=4-2", 10, Ignore),
            ("bytes=0-1,3-4", 10, Ignore),
            ("bytes=a-b", 10, Ignore),
            ("bytes=-", 10, Ignore),
            ("bytes=1", 10, Ignore),
            ("bytes=+1-2", 10, Ignore),
            ("items=0-1", 10, Ignore),
            ("0-1", 10, Ignore),
            ("bytes=0-1", 0, Ignore),
        ];
        for (value, len, want) in cases {
            assert_eq!(parse_range(value, len), want, "{value} of {len}");
        }
    }

    #[test]
    fn etag_lists() {
        let cases = [
            ("\"abc\"", true, true),
            ("\"x\", \"abc\"", true, true),
            ("W/\"abc\"", true, false),
            ("W/\"abc\"", false, true),
            ("*", true, true),
            ("\"abcd\"", false, false),
            ("\"a,bc\", \"abc\"", true, true),
            ("abc", false, false),
            ("\"unterminated", false, false),
            ("", false, false),
        ];
        for (list, strong, want) in cases {
            assert_eq!(etag_list_matches(list, "abc", strong), want, "{list} strong={strong}");
        }
    }

    fn selected(len: u64) -> Selected {
        Selected {
            len,
            etag: "tag".to_owned(),
            modified: Some(UNIX_EPOCH + std::time::Duration::from_millis(1_000_000_500)),
            content_type: "text/plain",
            encoding: None,
        }
    }

    #[test]
    fn preconditions_in_rfc_order() {
        // Last-Modified is 1_000_000 s after the epoch (plus 0.5 s, which HTTP dates cannot carry).
        let at = |s: u64| Some(UNIX_EPOCH + std::time::Duration::from_secs(s));
        let s = |v: &str| Some(v.to_owned());
        let full = Outcome::Send(None);
        let cases: Vec<(Conditions, bool, Outcome)> = vec![
            (Conditions::default(), false, Outcome::Send(None)),
            (Conditions { if_match: s("\"tag\""), ..Default::default() }, false, Outcome::Send(None)),
            (Conditions { if_match: s("\"other\""), ..Default::default() }, false, Outcome::PreconditionFailed),
            (Conditions { if_match: s("W/\"tag\""), ..Default::default() }, false, Outcome::PreconditionFailed),
            (Conditions { if_match: s("*"), ..Default::default() }, false, Outcome::Send(None)),
            (Conditions { if_unmodified_since: at(999_999), ..Default::default() }, false, Outcome::PreconditionFailed),
            (Conditions { if_unmodified_since: at(1_000_000), ..Default::default() }, false, Outcome::Send(None)),
            // If-Match present: If-Unmodified-Since is not looked at.
            (
                Conditions { if_match: s("\"tag\""), if_unmodified_since: at(1), ..Default::default() },
                false,
                Outcome::Send(None),
            ),
            (Conditions { if_none_match: s("\"tag\""), ..Default::default() }, false, Outcome::NotModified),
            (Conditions { if_none_match: s("W/\"tag\""), ..Default::default() }, true, Outcome::NotModified),
            (Conditions { if_none_match: s("*"), ..Default::default() }, false, Outcome::NotModified),
            (Conditions { if_none_match: s("\"old\""), ..Default::default() }, false, Outcome::Send(None)),
            (Conditions { if_modified_since: at(1_000_000), ..Default::default() }, false, Outcome::NotModified),
            (Conditions { if_modified_since: at(2_000_000), ..Default::default() }, false, Outcome::NotModified),
            (Conditions { if_modified_since: at(999_999), ..Default::default() }, false, Outcome::Send(None)),
            // If-None-Match present: If-Modified-Since is not looked at.
            (
                Conditions { if_none_match: s("\"old\""), if_modified_since: at(2_000_000), ..Default::default() },
                false,
                Outcome::Send(None),
            ),
            // 412 wins over 304.
            (
                Conditions { if_match: s("\"x\""), if_none_match: s("\"tag\""), ..Default::default() },
                false,
                Outcome::PreconditionFailed,
            ),
            (Conditions { range: s("bytes=0-1"), ..Default::default() }, false, Outcome::Send(Some(0..2))),
            (Conditions { range: s("bytes=0-1"), ..Default::default() }, true, full),
            (Conditions { range: s("bytes=20-"), ..Default::default() }, false, Outcome::Unsatisfiable),
            (
                Conditions { range: s("bytes=0-1"), if_range: s("\"tag\""), ..Default::default() },
                false,
                Outcome::Send(Some(0..2)),
            ),
            (
                Conditions { range: s("bytes=0-1"), if_range: s("\"old\""), ..Default::default() },
                false,
                Outcome::Send(None),
            ),
            (
                Conditions { range: s("bytes=0-1"), if_range: s("W/\"tag\""), ..Default::default() },
                false,
                Outcome::Send(None),
            ),
            (
                Conditions {
                    range: s("bytes=0-1"),
                    if_range: s("Mon, 12 Jan 1970 13:46:40 GMT"),
                    ..Default::default()
                },
                false,
                Outcome::Send(Some(0..2)),
            ),
            (
                Conditions {
                    range: s("bytes=0-1"),
                    if_range: s("Mon, 12 Jan 1970 13:46:41 GMT"),
                    ..Default::default()
                },
                false,
                Outcome::Send(None),
            ),
            (
                Conditions { range: s("bytes=20-"), if_range: s("\"old\""), ..Default::default() },
                false,
                Outcome::Send(None),
            ),
        ];
        for (conditions, head, want) in cases {
            assert_eq!(conditions.evaluate(&selected(10), head), want, "{conditions:?} head={head}");
        }
    }

    #[test]
    fn qvalues() {
        let cases = [
            ("q=0", Some(0)),
            (" Q = 0.0 ", Some(0)),
            ("q=0.", Some(0)),
            ("q=0.5", Some(500)),
            ("q=0.125", Some(125)),
            ("q=1", Some(1000)),
            ("q=1.000", Some(1000)),
            ("q=1.5", Some(0)),
            ("q=2", Some(0)),
            ("q=0.1234", Some(0)),
            ("q=", Some(0)),
            ("level=1", None),
        ];
        for (p, want) in cases {
            assert_eq!(qvalue(p), want, "{p}");
        }
    }
}
