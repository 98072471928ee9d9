//! The public keys tokens are verified with, by key id: the dev key, a directory of PEM files, or the
//! identity provider's JWKS (directly or through OIDC discovery), fetched on first use, refreshed after a
//! configured age and when a token names a key id the cached set lacks (a key rotation), at most once per
//! [`MIN_REFRESH_INTERVAL_SECS`] so tokens with made-up key ids cannot make the service hammer the
//! identity provider. Every change of the key set gets a new generation, which drops the verified-token
//! cache.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use ring::signature::KeyPair;

use crate::auth::{AuthError, DEV_KEY_ID};
use crate::config::{AuthMode, Settings};

/// The shortest time between two fetches of the identity provider's keys.
pub const MIN_REFRESH_INTERVAL_SECS: i64 = 10;

/// How long a fetch of the identity provider's keys may take.
const FETCH_DEADLINE: Duration = Duration::from_secs(5);

/// One public key and the signature check that goes with its algorithm. The claims are checked by
/// [`crate::auth`] itself (with its clock and messages), so the validation checks only the signature.
pub(crate) struct VerificationKey {
    pub(crate) key: DecodingKey,
    pub(crate) validation: Validation,
}

impl VerificationKey {
    fn new(key: DecodingKey, algorithm: Algorithm) -> VerificationKey {
        let mut validation = Validation::new(algorithm);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        VerificationKey { key, validation }
    }
}

/// The keys in force; `generation` changes whenever they do.
pub(crate) struct KeySet {
    pub(crate) keys: HashMap<String, VerificationKey>,
    pub(crate) generation: u64,
}

/// The keys in force and, for a remote key set, how to refresh them.
pub(crate) struct KeyStore {
    current: RwLock<Arc<KeySet>>,
    remote: Option<RemoteKeys>,
}

struct RemoteKeys {
    location: JwksLocation,
    refresh_after_secs: i64,
    /// When the key set is due to be fetched again (seconds since the epoch); `i64::MIN` before the first.
    due_at: AtomicI64,
    /// Serialises fetches; holds what the last one saw.
    fetches: tokio::sync::Mutex<Fetches>,
}

#[derive(Default)]
struct Fetches {
    last_attempt: Option<i64>,
    /// The digest of the last JWKS installed, so an unchanged document keeps the generation (and the cache).
    installed: Option<ring::digest::Digest>,
}

enum JwksLocation {
    Jwks(url::Url),
    Discovery(url::Url),
}

/// Why a refresh is considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refresh {
    /// The cached key set is older than `auth.jwks_refresh_secs`.
    Due,
    /// A token names a key id the cached set lacks.
    UnknownKey,
}

impl KeyStore {
    /// The keys the configuration names; a remote key set starts empty and is fetched on first use.
    pub(crate) fn from_settings(settings: &Settings) -> Result<KeyStore, AuthError> {
        let auth = &settings.auth;
        let mut keys = HashMap::new();
        let mut remote = None;
        match auth.mode {
            AuthMode::Dev => {
                let pair = load_or_create_dev_key(&settings.dev_key_file())?;
                keys.insert(
                    DEV_KEY_ID.to_string(),
                    VerificationKey::new(DecodingKey::from_ed_der(pair.public_key().as_ref()), Algorithm::EdDSA),
                );
            }
            AuthMode::Keys => {
                if let Some(dir) = &auth.public_keys_dir {
                    keys.extend(read_pem_dir(dir)?);
                }
                let location = match (&auth.jwks_url, &auth.discovery_url) {
                    (Some(url), _) => Some(JwksLocation::Jwks(parse_url("auth.jwks_url", url)?)),
                    (None, Some(url)) => Some(JwksLocation::Discovery(parse_url("auth.discovery_url", url)?)),
                    (None, None) => None,
                };
                remote = location.map(|location| RemoteKeys {
                    location,
                    refresh_after_secs: i64::try_from(auth.jwks_refresh_secs).unwrap_or(i64::MAX),
                    due_at: AtomicI64::new(i64::MIN),
                    fetches: tokio::sync::Mutex::new(Fetches::default()),
                });
                if remote.is_none() && keys.is_empty() {
                    return Err(AuthError::Keys("auth.public_keys_dir holds no <kid>.pem public keys".into()));
                }
            }
        }
        Ok(KeyStore { current: RwLock::new(Arc::new(KeySet { keys, generation: 0 })), remote })
    }

    /// The keys in force.
    pub(crate) fn current(&self) -> Arc<KeySet> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Whether a remote key set is due to be fetched again at `now`.
    pub(crate) fn is_due(&self, now: i64) -> bool {
        self.remote.as_ref().is_some_and(|remote| now >= remote.due_at.load(Ordering::Relaxed))
    }

    /// Fetches the remote key set if `why` warrants it and no other fetch did so since `seen` was current;
    /// returns the keys in force afterwards. A failed fetch keeps the keys in force (and is logged).
    pub(crate) async fn refresh(&self, seen: &KeySet, why: Refresh, now: i64) -> Arc<KeySet> {
        let Some(remote) = &self.remote else { return self.current() };
        let mut fetches = remote.fetches.lock().await;
        let current = self.current();
        if current.generation != seen.generation {
            return current;
        }
        if why == Refresh::Due && now < remote.due_at.load(Ordering::Relaxed) {
            return current;
        }
        if fetches.last_attempt.is_some_and(|last| now - last < MIN_REFRESH_INTERVAL_SECS) {
            return current;
        }
        fetches.last_attempt = Some(now);
        match fetch_jwks(&remote.location).await {
            Ok(document) => {
                remote.due_at.store(now.saturating_add(remote.refresh_after_secs), Ordering::Relaxed);
                let digest = ring::digest::digest(&ring::digest::SHA256, &document);
                if fetches.installed.as_ref().is_some_and(|installed| installed.as_ref() == digest.as_ref()) {
                    return current;
                }
                let keys = match parse_jwks(&document) {
                    Ok(keys) => keys,
                    Err(error) => {
                        tracing::warn!(%error, "the identity provider's JWKS is not usable; keeping the keys in force");
                        return current;
                    }
                };
                let installed = Arc::new(KeySet { keys, generation: current.generation + 1 });
                tracing::info!(keys = installed.keys.len(), ?why, "token keys refreshed from the identity provider");
                match self.current.write() {
                    Ok(mut guard) => *guard = installed.clone(),
                    Err(poisoned) => *poisoned.into_inner() = installed.clone(),
                }
                fetches.installed = Some(digest);
                installed
            }
            Err(error) => {
                tracing::warn!(%error, ?why, "could not fetch the identity provider's keys; keeping the keys in force");
                // Try again after the minimum interval; meanwhile the keys in force (and the cache) serve.
                remote.due_at.store(now.saturating_add(MIN_REFRESH_INTERVAL_SECS), Ordering::Relaxed);
                current
            }
        }
    }
}

fn parse_url(key: &str, value: &str) -> Result<url::Url, AuthError> {
    url::Url::parse(value).map_err(|e| AuthError::Keys(format!("{key}: {e}")))
}

async fn fetch_jwks(location: &JwksLocation) -> Result<bytes::Bytes, String> {
    let jwks_url = match location {
        JwksLocation::Jwks(url) => url.clone(),
        JwksLocation::Discovery(url) => {
            let document = crate::http_get::get(url, FETCH_DEADLINE).await.map_err(|e| e.to_string())?;
            let discovery: serde_json::Value =
                serde_json::from_slice(&document).map_err(|e| format!("the discovery document is not JSON: {e}"))?;
            let jwks_uri = discovery
                .get("jwks_uri")
                .and_then(|value| value.as_str())
                .ok_or("the discovery document names no jwks_uri")?;
            let jwks_url = url::Url::parse(jwks_uri).map_err(|e| format!("jwks_uri: {e}"))?;
            if url.scheme() == "https" && jwks_url.scheme() != "https" {
                return Err("the discovery document's jwks_uri is not https".into());
            }
            jwks_url
        }
    };
    crate::http_get::get(&jwks_url, FETCH_DEADLINE).await.map_err(|e| e.to_string())
}

/// The signing keys of a JWKS document, by key id. Keys for encryption, without a key id, symmetric or of
/// an algorithm `ring` cannot verify are left out; a document without any usable key is an error.
pub(crate) fn parse_jwks(document: &[u8]) -> Result<HashMap<String, VerificationKey>, String> {
    let value: serde_json::Value = serde_json::from_slice(document).map_err(|e| format!("not JSON: {e}"))?;
    let entries = value.get("keys").and_then(|keys| keys.as_array()).ok_or("no \"keys\" array")?;
    let mut keys = HashMap::new();
    for entry in entries {
        let Ok(jwk) = serde_json::from_value::<Jwk>(entry.clone()) else { continue };
        if jwk.common.public_key_use.as_ref().is_some_and(|usage| *usage != PublicKeyUse::Signature) {
            continue;
        }
        let (Some(kid), Some(algorithm)) = (jwk.common.key_id.clone(), signing_algorithm(&jwk)) else { continue };
        let Ok(key) = DecodingKey::from_jwk(&jwk) else { continue };
        keys.insert(kid, VerificationKey::new(key, algorithm));
    }
    if keys.is_empty() {
        return Err("no usable signing key".into());
    }
    Ok(keys)
}

/// The algorithm a JWK verifies: its `alg`, or what its key type implies (RS256 for RSA, ES256/ES384 by
/// curve, EdDSA for Ed25519). Symmetric keys never verify tokens here.
fn signing_algorithm(jwk: &Jwk) -> Option<Algorithm> {
    let implied = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(params) => match params.curve {
            EllipticCurve::P256 => Algorithm::ES256,
            EllipticCurve::P384 => Algorithm::ES384,
            _ => return None,
        },
        AlgorithmParameters::OctetKeyPair(params) if params.curve == EllipticCurve::Ed25519 => Algorithm::EdDSA,
        AlgorithmParameters::OctetKeyPair(_) | AlgorithmParameters::OctetKey(_) => return None,
    };
    let algorithm = match jwk.common.key_algorithm {
        None => implied,
        Some(KeyAlgorithm::RS256) => Algorithm::RS256,
        Some(KeyAlgorithm::RS384) => Algorithm::RS384,
        Some(KeyAlgorithm::RS512) => Algorithm::RS512,
        Some(KeyAlgorithm::PS256) => Algorithm::PS256,
        Some(KeyAlgorithm::PS384) => Algorithm::PS384,
        Some(KeyAlgorithm::PS512) => Algorithm::PS512,
        Some(KeyAlgorithm::ES256) => Algorithm::ES256,
        Some(KeyAlgorithm::ES384) => Algorithm::ES384,
        Some(KeyAlgorithm::EdDSA) => Algorithm::EdDSA,
        Some(_) => return None,
    };
    // An `alg` that contradicts the key type is not trusted.
    (key_type(algorithm) == key_type(implied)).then_some(algorithm)
}

/// The key type an algorithm needs (jsonwebtoken keeps its own notion private).
fn key_type(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::RS256
        | Algorithm::RS384
        | Algorithm::RS512
        | Algorithm::PS256
        | Algorithm::PS384
        | Algorithm::PS512 => "RSA",
        Algorithm::ES256 | Algorithm::ES384 => "EC",
        Algorithm::EdDSA => "OKP",
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => "oct",
    }
}

fn read_pem_dir(dir: &Path) -> Result<HashMap<String, VerificationKey>, AuthError> {
    let mut keys = HashMap::new();
    let entries = std::fs::read_dir(dir).map_err(|e| AuthError::Keys(format!("{}: {e}", dir.display())))?;
    for entry in entries {
        let path = entry.map_err(|e| AuthError::Keys(e.to_string()))?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("pem") {
            continue;
        }
        let kid = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
        let pem = std::fs::read(&path).map_err(|e| AuthError::Keys(format!("{}: {e}", path.display())))?;
        let key = DecodingKey::from_ed_pem(&pem).map_err(|e| AuthError::Keys(format!("{}: {e}", path.display())))?;
        keys.insert(kid, VerificationKey::new(key, Algorithm::EdDSA));
    }
    if keys.is_empty() {
        return Err(AuthError::Keys(format!("no <kid>.pem public keys in {}", dir.display())));
    }
    Ok(keys)
}

/// Loads the dev key from `path`, creating it (mode 0600) if it does not exist yet.
pub(crate) fn load_or_create_dev_key(path: &Path) -> Result<ring::signature::Ed25519KeyPair, AuthError> {
    if !path.exists() {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng)
            .map_err(|_| AuthError::Keys("could not generate the dev key".into()))?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| AuthError::Keys(e.to_string()))?;
        }
        write_private(path, pkcs8.as_ref())?;
    }
    let bytes = std::fs::read(path).map_err(|e| AuthError::Keys(format!("{}: {e}", path.display())))?;
    ring::signature::Ed25519KeyPair::from_pkcs8(&bytes)
        .map_err(|_| AuthError::Keys(format!("{} is not an Ed25519 PKCS#8 key", path.display())))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), AuthError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => file.write_all(bytes).map_err(|e| AuthError::Keys(e.to_string())),
        // Another service of the same process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(AuthError::Keys(format!("{}: {e}", path.display()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jwks_keeps_signing_keys_and_leaves_out_the_rest() {
        let document = serde_json::json!({"keys": [
            {"kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
            {"kty": "OKP", "crv": "Ed25519", "kid": "enc", "use": "enc",
             "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
            {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
            {"kty": "oct", "kid": "secret", "k": "c2VjcmV0"},
            {"kty": "XYZ", "kid": "unknown-type"},
            {"kty": "RSA", "kid": "rsa", "alg": "RS256", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", "e": "AQAB"},
            {"kty": "RSA", "kid": "contradiction", "alg": "EdDSA", "n": "sXch", "e": "AQAB"},
        ]});
        let keys = parse_jwks(document.to_string().as_bytes()).expect("usable keys");
        let mut kids: Vec<&str> = keys.keys().map(String::as_str).collect();
        kids.sort_unstable();
        assert_eq!(kids, ["ed", "rsa"]);
        assert_eq!(keys["rsa"].validation.algorithms, [Algorithm::RS256]);
        assert_eq!(keys["ed"].validation.algorithms, [Algorithm::EdDSA]);
    }

    #[test]
    fn a_jwks_without_a_usable_key_is_an_error() {
        assert!(parse_jwks(br#"{"keys": []}"#).is_err());
        assert!(parse_jwks(br#"{"nokeys": 1}"#).is_err());
        assert!(parse_jwks(b"<html>").is_err());
    }
}
