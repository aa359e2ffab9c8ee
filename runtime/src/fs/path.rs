//! The path type: a relative path, built from the decoded text of a catch-all parameter, that
//! cannot leave the directory it is joined to.

use std::fmt;
use std::path::{Component, Path, PathBuf};

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
    /// links inside the root are another matter, which [`Dir`](crate::fs::Dir) checks.
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
}
