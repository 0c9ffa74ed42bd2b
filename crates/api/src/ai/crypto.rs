//! Providers' API keys at rest: ChaCha20-Poly1305 with a key derived from the deployment's
//! encryption secret, a random nonce per seal, and the workspace id as associated data, so a sealed
//! key copied into another workspace's row does not open there.

use anyhow::{Context, anyhow};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::Secret;

const NONCE_LEN: usize = 12;

#[derive(Clone)]
pub struct KeyBox {
    cipher: ChaCha20Poly1305,
}

impl KeyBox {
    pub fn new(secret: &Secret) -> KeyBox {
        let mut hasher = Sha256::new();
        hasher.update(b"ferrodesk: provider api keys, v1\0");
        hasher.update(secret.expose().as_bytes());
        let key = hasher.finalize();
        KeyBox {
            cipher: ChaCha20Poly1305::new(&key),
        }
    }

    /// base64(nonce || ciphertext).
    pub fn seal(&self, workspace: Uuid, plain: &str) -> anyhow::Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: workspace.as_bytes(),
                },
            )
            .map_err(|_| anyhow!("sealing an API key failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(STANDARD.encode(out))
    }

    pub fn open(&self, workspace: Uuid, sealed: &str) -> anyhow::Result<String> {
        let bytes = STANDARD.decode(sealed).context("a sealed API key is not base64")?;
        if bytes.len() <= NONCE_LEN {
            return Err(anyhow!("a sealed API key is too short"));
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().context("a sealed API key's nonce")?;
        let plain = self
            .cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: workspace.as_bytes(),
                },
            )
            .map_err(|_| anyhow!("a sealed API key does not open: another encryption key, or another workspace's"))?;
        String::from_utf8(plain).context("a sealed API key is not text")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_opens_and_binds_to_the_workspace_and_key() {
        let keys = KeyBox::new(&Secret::new("a".repeat(40)));
        let (mine, theirs) = (Uuid::now_v7(), Uuid::now_v7());
        let sealed = keys.seal(mine, "sk-test-123").expect("seals");
        assert!(!sealed.contains("sk-test"));
        assert_ne!(
            sealed,
            keys.seal(mine, "sk-test-123").expect("seals"),
            "a fresh nonce each time"
        );
        assert_eq!(keys.open(mine, &sealed).expect("opens"), "sk-test-123");
        assert!(keys.open(theirs, &sealed).is_err());
        assert!(KeyBox::new(&Secret::new("b".repeat(40))).open(mine, &sealed).is_err());
        assert!(keys.open(mine, "not base64!").is_err());
    }
}
