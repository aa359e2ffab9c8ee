//! Opening a file below a root directory: never through a link that leads out of it (unless links
//! may go anywhere), never through a hidden name (unless dotfiles are served), never blocking on a
//! FIFO.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::sync::Arc;

/// The root directory, resolved, and (on Linux) opened for `openat2`.
#[derive(Debug, Clone)]
pub(super) struct Root {
    path: PathBuf,
    #[cfg(any(target_os = "linux", target_os = "android"))]
    dir: Option<Arc<rustix::fd::OwnedFd>>,
}

/// What a lookup below the root may go through.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rules {
    /// Symbolic links may lead anywhere (`true`), or only stay inside the root.
    pub(super) follow_symlinks: bool,
    /// Names starting with `.` may be opened, where a link leads included.
    pub(super) dotfiles: bool,
}

/// A file found below the root, or nothing to serve.
pub(super) enum Opened {
    File(File),
    Missing,
}

impl Root {
    /// Resolves the links of `root`, and on Linux opens it for `openat2` (when that open fails,
    /// every lookup takes the portable way).
    pub(super) fn open(root: &Path) -> io::Result<Self> {
        let path = std::fs::canonicalize(root)?;
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let dir = {
            use rustix::fs::{Mode, OFlags};
            rustix::fs::open(&path, OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
                .ok()
                .map(Arc::new)
        };
        Ok(Root {
            path,
            #[cfg(any(target_os = "linux", target_os = "android"))]
            dir,
        })
    }

    /// Opens `rel` (a [`SafePath`](crate::fs::SafePath), or one with a name added) below the
    /// root, as `rules` allow. Opening never blocks on a FIFO; the caller checks what it opened.
    ///
    /// On Linux the kernel does it in one call, `openat2` from the root's descriptor with
    /// `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`: a path without links (the common case) costs no
    /// `realpath`. A path with a link on the way, or a kernel without `openat2` (before 5.6, or a
    /// seccomp filter refusing it), takes the portable way: `realpath`, check, open.
    pub(super) fn open_below(&self, rel: &Path, rules: Rules) -> Opened {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if !rules.follow_symlinks
            && let Some(dir) = &self.dir
            && let Some(opened) = open_beneath(dir, rel)
        {
            return opened;
        }
        let Some(resolved) = confine(rules, &self.path, &self.path.join(rel)) else { return Opened::Missing };
        match open_nonblocking(&resolved) {
            Ok(file) => Opened::File(file),
            Err(_) => Opened::Missing,
        }
    }
}

/// Resolves symbolic links and checks the result stays below the root (unless links may go
/// anywhere), and that no name on the way is hidden. `None`: refused or missing.
fn confine(rules: Rules, root: &Path, path: &Path) -> Option<PathBuf> {
    if rules.follow_symlinks {
        return Some(path.to_path_buf());
    }
    let real = std::fs::canonicalize(path).ok()?;
    let below = real.strip_prefix(root).ok()?;
    if !rules.dotfiles && below.components().any(|c| c.as_os_str().as_encoded_bytes().starts_with(b".")) {
        return None;
    }
    Some(real)
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
