//! Pseudonymous keys: rapport never stores a producer's identifiers, only keyed hashes of them.
//!
//! The master key lives in a file outside the database (a mounted Secret in production). Each
//! municipality gets its own key derived from it, so keys of one municipality say nothing about another.
//! Without the key file, the stored pseudonyms cannot be linked back to the producers' records.

use std::path::Path;

use ring::hmac;

/// Derives pseudonyms with a per-municipality key.
#[derive(Clone)]
pub struct Pseudonymiser {
    master: hmac::Key,
}

impl Pseudonymiser {
    /// Reads the master key from `path`; in dev mode a missing file is created with a fresh random key.
    pub fn load(path: &Path, create_if_missing: bool) -> anyhow::Result<Pseudonymiser> {
        if !path.exists() {
            anyhow::ensure!(create_if_missing, "the pseudonymisation key file {} is missing", path.display());
            let mut key = [0u8; 32];
            ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut key)
                .map_err(|_| anyhow::anyhow!("no randomness for the pseudonymisation key"))?;
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            write_private(path, &key)?;
        }
        let bytes = std::fs::read(path)?;
        anyhow::ensure!(bytes.len() >= 32, "the pseudonymisation key must be at least 32 bytes");
        Ok(Pseudonymiser { master: hmac::Key::new(hmac::HMAC_SHA256, &bytes) })
    }

    /// A pseudonymiser with a key given directly (tests).
    pub fn from_key(key: &[u8]) -> Pseudonymiser {
        Pseudonymiser { master: hmac::Key::new(hmac::HMAC_SHA256, key) }
    }

    /// The pseudonym of a producer's identifier `id` of kind `kind`, within `kommun`.
    pub fn pseudonym(&self, kommun: &str, kind: &str, id: &str) -> String {
        let kommun_key = hmac::sign(&self.master, format!("kommun:{kommun}").as_bytes());
        let key = hmac::Key::new(hmac::HMAC_SHA256, kommun_key.as_ref());
        let tag = hmac::sign(&key, format!("{kind}:{id}").as_bytes());
        tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => file.write_all(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_stable_and_separate_municipalities() {
        let p = Pseudonymiser::from_key(&[7u8; 32]);
        assert_eq!(p.pseudonym("0767", "household", "a"), p.pseudonym("0767", "household", "a"));
        assert_ne!(p.pseudonym("0767", "household", "a"), p.pseudonym("0780", "household", "a"));
        assert_ne!(
            p.pseudonym("0767", "household", "a"),
            Pseudonymiser::from_key(&[8u8; 32]).pseudonym("0767", "household", "a")
        );
        assert!(
            !p.pseudonym("0767", "household", "a").contains('a') || p.pseudonym("0767", "household", "a").len() == 64
        );
    }
}
