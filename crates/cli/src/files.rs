//! Files of the command line itself: configs and manifests that must never
//! overwrite an existing file, and the directories new files are laid out
//! in. Key, subject-key and genesis files are the SDK's
//! ([dirchain_client::keys]), so every tool reads and writes them alike.

use std::{
    fs::{self, OpenOptions},
    io::{self, Write},
    os::unix::fs::OpenOptionsExt,
    path::Path,
};

/// Mode of a config or manifest: nothing secret in it.
const NEW_FILE_MODE: u32 = 0o644;

/// Creates `path` with `contents`, refusing to replace an existing file.
pub fn write_new(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(NEW_FILE_MODE)
        .open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Whether `dir` is missing or empty: the only places new files are laid out in.
pub fn is_missing_or_empty(dir: &Path) -> io::Result<bool> {
    match fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn new_files_are_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        write_new(&path, b"first").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, NEW_FILE_MODE);
        let err = write_new(&path, b"second").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&path).unwrap(), b"first");
    }

    #[test]
    fn only_missing_or_empty_directories_qualify() {
        let dir = tempfile::tempdir().unwrap();
        assert!(is_missing_or_empty(&dir.path().join("missing")).unwrap());
        assert!(is_missing_or_empty(dir.path()).unwrap());
        fs::write(dir.path().join("x"), "x").unwrap();
        assert!(!is_missing_or_empty(dir.path()).unwrap());
    }
}
