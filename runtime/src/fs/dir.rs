//! The directory service: [`Dir`] answers `GET` and `HEAD` for the files below a root, putting
//! together the safe path, the lookup, negotiation, preconditions and ranges.

use std::fmt;
use std::fs::{File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{
    ACCEPT_RANGES, ALLOW, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, HeaderValue,
    LAST_MODIFIED, LOCATION, VARY, X_CONTENT_TYPE_OPTIONS,
};
use http::{Method, StatusCode};

use crate::fs::conditional::{Conditions, Outcome, Representation};
use crate::fs::fields::header_value;
use crate::fs::mime::content_type;
use crate::fs::negotiate::{Encoding, accepted_encodings};
use crate::fs::open::{Opened, Root, Rules};
use crate::fs::path::SafePath;
use crate::fs::range::{content_range, unsatisfied_range};
use crate::{Body, IntoResponse, Request, Response};

/// Files up to this size are read in one piece and sent with their length; larger ones (and ranges
/// of them) are sent as a [`Body::file`], from the page cache where the platform allows.
const SMALL_FILE: u64 = 64 * 1024;

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
/// clients that accept them. The [module docs](crate::fs) give every rule.
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
    /// root (`false`, the default). Checking costs a `realpath` per request only where `openat2` is
    /// missing or a link is met.
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
    /// as RFC 9110 says. The [module docs](crate::fs) give the rules.
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

/// The representation chosen for a request: which file, and the fields that describe it.
#[derive(Debug)]
struct Selected {
    len: u64,
    etag: String,
    modified: Option<SystemTime>,
    content_type: &'static str,
    encoding: Option<Encoding>,
}

impl Selected {
    /// What preconditions and ranges are evaluated against.
    fn representation(&self) -> Representation<'_> {
        Representation { len: self.len, etag: &self.etag, modified: self.modified }
    }
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

impl Settings {
    fn root(&self) -> io::Result<&Root> {
        if let Some(root) = self.canonical_root.get() {
            return Ok(root);
        }
        let root = Root::open(&self.root)?;
        Ok(self.canonical_root.get_or_init(|| root))
    }

    /// Opens `rel` below the root, under this directory's link and dotfile rules.
    fn open_below(&self, root: &Root, rel: &Path) -> Opened {
        root.open_below(rel, Rules { follow_symlinks: self.follow_symlinks, dotfiles: self.dotfiles })
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
        Ok(match ask.conditions.evaluate(&selected.representation(), ask.head) {
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
                    .with_header(CONTENT_RANGE, unsatisfied_range(selected.len))
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
                    res.insert_header(CONTENT_RANGE, content_range(r, selected.len));
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
