//! Standard Webhooks signing: `whsec_` secrets and `v1,` HMAC-SHA256 signatures.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{Error, Result};

const PREFIX: &str = "whsec_";
/// Standard Webhooks asks for 24 to 64 bytes of key.
const KEY_BYTES: std::ops::RangeInclusive<usize> = 24..=64;

/// A webhook signing secret. Its `Debug` is redacted so it never lands in a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    text: String,
    key: Vec<u8>,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(whsec_…)")
    }
}

impl Secret {
    /// A fresh secret of 32 random bytes from the operating system.
    pub fn generate() -> Self {
        let mut key = vec![0u8; 32];
        getrandom::getrandom(&mut key).expect("the OS random source is available");
        Secret { text: format!("{PREFIX}{}", B64.encode(&key)), key }
    }

    /// Parses a user-supplied secret of the form `whsec_<base64 of 24 to 64 bytes>`.
    pub fn parse(text: &str) -> Result<Self> {
        let fix =
            "expected \"whsec_\" followed by the base64 of 24 to 64 random bytes, or omit it to have one generated";
        let encoded = text.strip_prefix(PREFIX).ok_or_else(|| Error::invalid("secret", fix))?;
        let key = B64.decode(encoded).map_err(|_| Error::invalid("secret", fix))?;
        if !KEY_BYTES.contains(&key.len()) {
            return Err(Error::invalid("secret", format!("{fix} (it decodes to {} bytes)", key.len())));
        }
        Ok(Secret { text: text.to_string(), key })
    }

    /// The secret as the user sees it: `whsec_…`.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// The `v1,<base64>` signature of one delivery: HMAC-SHA256 over `{msg_id}.{timestamp}.{body}`.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", B64.encode(mac.finalize().into_bytes()))
    }
}

/// The secrets a webhook signs with: the current one and, for an overlap after a rotation, the
/// previous one too, so receivers can switch secrets without dropping a delivery.
#[derive(Clone, Debug)]
pub struct SecretSet {
    current: Secret,
    previous: Option<(Secret, i64)>,
}

impl SecretSet {
    /// A set with one secret.
    pub fn new(current: Secret) -> Self {
        SecretSet { current, previous: None }
    }

    /// The secret new receivers should verify with.
    pub fn current(&self) -> &Secret {
        &self.current
    }

    /// Makes `next` current; the old secret keeps signing until `expires_at` (ms since the epoch).
    pub fn rotate(&mut self, next: Secret, expires_at: i64) {
        let old = std::mem::replace(&mut self.current, next);
        self.previous = (expires_at > crate::ids::now_ms()).then_some((old, expires_at));
    }

    /// When the previous secret stops signing, if one still does.
    pub fn previous_expires_at(&self) -> Option<i64> {
        self.previous.as_ref().map(|(_, at)| *at).filter(|at| *at > crate::ids::now_ms())
    }

    /// The `webhook-signature` header: the current signature, then the previous one during the
    /// overlap, space-separated as Standard Webhooks specifies.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut header = self.current.sign(msg_id, timestamp, body);
        if let Some((old, expires_at)) = &self.previous {
            if *expires_at > crate::ids::now_ms() {
                header.push(' ');
                header.push_str(&old.sign(msg_id, timestamp, body));
            }
        }
        header
    }
}
