//! A run's output folder, replaced as a whole or not at all.
//!
//! Files are written into a staging folder beside the target
//! (`.<name>.staging-<pid>`); [`RunFolder::commit`] swaps it with the
//! target in one step (Linux `renameat2(RENAME_EXCHANGE)`; elsewhere two
//! renames), then deletes the old contents. A run that fails, panics or is
//! killed before the swap leaves the target exactly as it was; stale
//! staging folders of killed runs are removed by the next run.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// One file written, with its SHA-256 (hex) for the manifest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WrittenFile {
    pub file: String,
    pub sha256: String,
}

/// What writes one file to the path it is given.
pub type WriteFile<'a> = Box<dyn FnOnce(&Path) -> Result<()> + Send + 'a>;

/// One file to stage: its name in the folder, and what writes it.
pub type FileJob<'a> = (&'static str, WriteFile<'a>);

/// A staging folder that becomes the output folder on [`RunFolder::commit`].
pub struct RunFolder {
    target: PathBuf,
    staging: PathBuf,
    written: Vec<WrittenFile>,
    committed: bool,
}

fn staging_prefix(target: &Path) -> Result<(PathBuf, String)> {
    let name = target
        .file_name()
        .context("the output folder has no name")?
        .to_string_lossy()
        .into_owned();
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    Ok((parent, format!(".{name}.staging-")))
}

impl RunFolder {
    /// Starts a staging folder for `target` (which may not exist yet).
    pub fn create(target: &Path) -> Result<RunFolder> {
        if target.exists() && !target.is_dir() {
            anyhow::bail!("{} exists and is not a folder", target.display());
        }
        let (parent, prefix) = staging_prefix(target)?;
        fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        // Leftovers of killed runs.
        if let Ok(entries) = fs::read_dir(&parent) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with(&prefix) {
                    let _ = fs::remove_dir_all(e.path());
                }
            }
        }
        let staging = parent.join(format!("{prefix}{}", std::process::id()));
        fs::create_dir_all(&staging)
            .with_context(|| format!("cannot create {}", staging.display()))?;
        Ok(RunFolder {
            target: target.to_path_buf(),
            staging,
            written: Vec::new(),
            committed: false,
        })
    }

    /// Where `file` is staged.
    pub fn path(&self, file: &str) -> PathBuf {
        self.staging.join(file)
    }

    /// Files written so far, in order.
    pub fn written(&self) -> &[WrittenFile] {
        &self.written
    }

    /// Stages `jobs` side by side, a thread each (writing a CSV or Parquet
    /// file is mostly one thread's work; the few jobs of a run share the
    /// cores), and records them in the order given, whatever order they
    /// finish in: the manifest lists them the same way every run. The
    /// first failed job, in that order, is the error; nothing is committed.
    pub fn write_all(&mut self, jobs: Vec<FileJob<'_>>) -> Result<()> {
        let stage = |(file, write): FileJob<'_>| -> Result<WrittenFile> {
            let started = std::time::Instant::now();
            injected_fault(file)?;
            let path = self.path(file);
            write(&path)?;
            let sha256 = crate::ingest::file_sha256(&path)?;
            tracing::debug!(
                file,
                ms = started.elapsed().as_millis() as u64,
                faults = crate::progress::minor_faults(),
                "written"
            );
            Ok(WrittenFile {
                file: file.to_string(),
                sha256,
            })
        };
        let done: Vec<Result<WrittenFile>> = std::thread::scope(|scope| {
            let threads: Vec<_> = jobs
                .into_iter()
                .map(|job| scope.spawn(move || stage(job)))
                .collect();
            threads
                .into_iter()
                .map(|t| t.join().expect("a writer does not panic"))
                .collect()
        });
        for written in done {
            self.written.push(written?);
        }
        Ok(())
    }

    pub fn write_text(&mut self, file: &'static str, text: &str) -> Result<()> {
        self.write_all(vec![(file, Box::new(|path| super::write_text(text, path)))])
    }

    /// Puts the staged files in place of the target's, all at once.
    pub fn commit(mut self) -> Result<()> {
        let target = self.target.clone();
        if target.exists() {
            exchange(&self.staging, &target)
                .with_context(|| format!("cannot replace {}", target.display()))?;
            // The staging path now holds the previous outputs.
            let _ = fs::remove_dir_all(&self.staging);
        } else {
            fs::rename(&self.staging, &target)
                .with_context(|| format!("cannot create {}", target.display()))?;
        }
        self.committed = true;
        Ok(())
    }
}

/// Fault injection for tests of atomicity: with `EARLYWARN_FAIL_BEFORE=<file>`
/// in the environment, writing that file fails (files written beside it
/// may be staged already). Unset in normal use.
fn injected_fault(file: &str) -> Result<()> {
    match std::env::var("EARLYWARN_FAIL_BEFORE") {
        Ok(f) if f == file => anyhow::bail!("injected failure before writing {file}"),
        _ => Ok(()),
    }
}

impl Drop for RunFolder {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated paths; AT_FDCWD resolves them
    // like rename(2) does.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        let err = std::io::Error::last_os_error();
        // File systems without RENAME_EXCHANGE: fall back to two renames.
        if err.raw_os_error() == Some(libc::EINVAL) || err.raw_os_error() == Some(libc::ENOSYS) {
            two_renames(a, b)
        } else {
            Err(err)
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    two_renames(a, b)
}

/// Moves `b` aside, `a` into `b`'s place, and the old `b` to `a`.
fn two_renames(a: &Path, b: &Path) -> std::io::Result<()> {
    let aside = a.with_extension("old");
    fs::rename(b, &aside)?;
    if let Err(e) = fs::rename(a, b) {
        let _ = fs::rename(&aside, b);
        return Err(e);
    }
    fs::rename(&aside, a)
}
