//! A Python virtualenv under `target/` holding one PyPI package, for tests that drive a client or
//! a checker nobody here wrote. Made once; later runs reuse it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The virtualenv's `python`, after `pip install spec` when `module` does not import yet.
pub(crate) fn python_with(name: &str, module: &str, spec: &str) -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join(name);
    let python = venv.join("bin/python");
    let ready = Command::new(&python).args(["-c", &format!("import {module}")]).status().is_ok_and(|s| s.success());
    if !ready {
        let made = Command::new("python3").arg("-m").arg("venv").arg(&venv).status().expect("python3 runs");
        assert!(made.success(), "python3 -m venv {} failed", venv.display());
        let pip = Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", spec])
            .status()
            .expect("pip runs");
        assert!(pip.success(), "pip install {spec} failed");
    }
    python
}
