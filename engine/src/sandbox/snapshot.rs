//! Keeping a person's sandbox across app restarts: the state as JSON, written atomically
//! (temporary file, then rename) so a crash never leaves half a file.

use std::path::Path;

use super::world::SimData;

/// The saved state, or `None` (with a warning) if there is none or it cannot be read.
pub fn load(path: &Path) -> Option<SimData> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
        Err(error) => {
            tracing::warn!(%error, path = %path.display(), "sandbox: snapshot unreadable, starting fresh");
            return None;
        }
    };
    match serde_json::from_slice(&bytes) {
        Ok(data) => Some(data),
        Err(error) => {
            tracing::warn!(%error, path = %path.display(), "sandbox: snapshot corrupt, starting fresh");
            None
        }
    }
}

pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path)
}
