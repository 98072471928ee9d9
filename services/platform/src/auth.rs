//! Authentication and authorisation: every RPC except health and reflection needs a bearer token whose
//! role the method's policy allows; the caller's municipality scopes every query.
//!
//! Tokens are JWTs signed with Ed25519 (EdDSA): verification needs only public keys and costs
//! microseconds. Locally a dev key in the data directory signs them (`trappan token`); in production the
//! municipality's identity provider signs them and the services hold its public keys, by key id.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use ring::signature::KeyPair;
use serde::{Deserialize, Serialize};

use crate::config::{AuthMode, AuthSettings, Settings};

/// What a caller does for a living; the policy of each RPC names the roles it admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Case worker in ekonomiskt bistånd.
    Socialsekreterare,
    /// Coordinator in the labour-market unit.
    Arbetsmarknadskoordinator,
    /// Youth coach in Ungsam.
    Ungdomscoach,
    /// Unit manager: reads the unit's cases and the reports.
    Enhetschef,
    /// Analyst: pseudonymous reports only.
    Analytiker,
    /// Another Trappan service calling on a municipality's behalf.
    System,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 6] = [
        Role::Socialsekreterare,
        Role::Arbetsmarknadskoordinator,
        Role::Ungdomscoach,
        Role::Enhetschef,
        Role::Analytiker,
        Role::System,
    ];

    /// The role's name as written in tokens and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Role::Socialsekreterare => "socialsekreterare",
            Role::Arbetsmarknadskoordinator => "arbetsmarknadskoordinator",
            Role::Ungdomscoach => "ungdomscoach",
            Role::Enhetschef => "enhetschef",
            Role::Analytiker => "analytiker",
            Role::System => "system",
        }
    }

    /// Parses a role name.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.name() == name)
    }
}

/// A municipality's 4-digit kommunkod (the first two digits are the county); the tenant key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Kommun(String);

impl Kommun {
    /// Parses a kommunkod: exactly four ASCII digits.
    pub fn parse(code: &str) -> Option<Kommun> {
        (code.len() == 4 && code.bytes().all(|b| b.is_ascii_digit())).then(|| Kommun(code.to_string()))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Kommun {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Kommun::parse(&value).ok_or_else(|| "kommun must be a 4-digit kommunkod".to_string())
    }
}

impl From<Kommun> for String {
    fn from(value: Kommun) -> String {
        value.0
    }
}

impl std::fmt::Display for Kommun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The claims a Trappan token carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user's (or service's) identifier at the identity provider; never a personnummer.
    pub sub: String,
    /// The role.
    pub role: Role,
    /// The municipality the caller works for.
    pub kommun: Kommun,
    /// The caller's unit, when the role belongs to one.
    #[serde(default)]
    pub unit: String,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
}

/// The authenticated caller of an RPC, put into the request's extensions by [`AuthLayer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Who (the token subject).
    pub subject: String,
    /// In what role.
    pub role: Role,
    /// For which municipality: every query is scoped to it.
    pub kommun: Kommun,
    /// In which unit.
    pub unit: String,
}

/// Why a token was not accepted. Deliberately coarse: the reason is logged, the caller learns little.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No `authorization: Bearer …` header.
    #[error("missing bearer token")]
    Missing,
    /// The token did not verify (signature, expiry, issuer, audience, unknown key, malformed).
    #[error("invalid token: {0}")]
    Invalid(String),
    /// Keys could not be loaded.
    #[error("token keys: {0}")]
    Keys(String),
}

/// Verifies tokens against the public keys in force, by key id.
#[derive(Clone)]
pub struct TokenVerifier {
    keys: Arc<HashMap<String, DecodingKey>>,
    validation: Validation,
}

/// Signs tokens with the dev key; used by `trappan token`, the demo seeding and service-to-service calls.
#[derive(Clone)]
pub struct TokenSigner {
    kid: String,
    key: Arc<EncodingKey>,
    issuer: String,
    audience: String,
}

/// The key id of the dev key.
pub const DEV_KEY_ID: &str = "trappan-dev";

/// Loads the dev key from `path`, creating it (mode 0600) if it does not exist yet.
fn load_or_create_dev_key(path: &Path) -> Result<ring::signature::Ed25519KeyPair, AuthError> {
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

fn validation(settings: &AuthSettings) -> Validation {
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[settings.issuer.as_str()]);
    validation.set_audience(&[settings.audience.as_str()]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.leeway = 30;
    validation
}

impl TokenVerifier {
    /// The verifier the configuration asks for: the dev key's public half, or the key directory.
    pub fn from_settings(settings: &Settings) -> Result<TokenVerifier, AuthError> {
        let mut keys = HashMap::new();
        match settings.auth.mode {
            AuthMode::Dev => {
                let pair = load_or_create_dev_key(&settings.dev_key_file())?;
                keys.insert(DEV_KEY_ID.to_string(), DecodingKey::from_ed_der(pair.public_key().as_ref()));
            }
            AuthMode::Keys => {
                let dir = settings
                    .auth
                    .public_keys_dir
                    .as_ref()
                    .ok_or_else(|| AuthError::Keys("auth.public_keys_dir is required in keys mode".into()))?;
                let entries = std::fs::read_dir(dir).map_err(|e| AuthError::Keys(format!("{}: {e}", dir.display())))?;
                for entry in entries {
                    let path = entry.map_err(|e| AuthError::Keys(e.to_string()))?.path();
                    if path.extension().and_then(|e| e.to_str()) != Some("pem") {
                        continue;
                    }
                    let kid = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
                    let pem = std::fs::read(&path).map_err(|e| AuthError::Keys(format!("{}: {e}", path.display())))?;
                    let key = DecodingKey::from_ed_pem(&pem)
                        .map_err(|e| AuthError::Keys(format!("{}: {e}", path.display())))?;
                    keys.insert(kid, key);
                }
                if keys.is_empty() {
                    return Err(AuthError::Keys(format!("no <kid>.pem public keys in {}", dir.display())));
                }
            }
        }
        Ok(TokenVerifier { keys: Arc::new(keys), validation: validation(&settings.auth) })
    }

    /// Verifies a token and returns the caller it speaks for.
    pub fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| AuthError::Invalid(e.to_string()))?;
        let kid = header.kid.ok_or_else(|| AuthError::Invalid("token has no kid".into()))?;
        let key = self.keys.get(&kid).ok_or_else(|| AuthError::Invalid("unknown kid".into()))?;
        let data = jsonwebtoken::decode::<Claims>(token, key, &self.validation)
            .map_err(|e| AuthError::Invalid(e.to_string()))?;
        let claims = data.claims;
        Ok(Caller { subject: claims.sub, role: claims.role, kommun: claims.kommun, unit: claims.unit })
    }
}

impl TokenSigner {
    /// The dev signer; only dev mode has a private key.
    pub fn dev(settings: &Settings) -> Result<TokenSigner, AuthError> {
        if settings.auth.mode != AuthMode::Dev {
            return Err(AuthError::Keys("tokens can only be signed locally in dev mode".into()));
        }
        let path = settings.dev_key_file();
        load_or_create_dev_key(&path)?;
        let pkcs8 = std::fs::read(&path).map_err(|e| AuthError::Keys(e.to_string()))?;
        Ok(TokenSigner {
            kid: DEV_KEY_ID.into(),
            key: Arc::new(EncodingKey::from_ed_der(&pkcs8)),
            issuer: settings.auth.issuer.clone(),
            audience: settings.auth.audience.clone(),
        })
    }

    /// Signs a token for `caller`, valid for `ttl`.
    pub fn sign(&self, caller: &Caller, ttl: std::time::Duration) -> Result<String, AuthError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: caller.subject.clone(),
            role: caller.role,
            kommun: caller.kommun.clone(),
            unit: caller.unit.clone(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            exp: now + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| AuthError::Keys(e.to_string()))
    }
}

/// Which roles may call which method (`/package.Service/Method`); a method not listed is refused.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    rules: HashMap<String, Vec<Role>>,
}

impl Policy {
    /// An empty policy: refuses everything.
    pub fn new() -> Policy {
        Policy::default()
    }

    /// Allows `roles` to call `method` (`/trappan.bistand.v1.BistandService/GetHousehold`).
    pub fn allow(mut self, method: &str, roles: &[Role]) -> Policy {
        self.rules.entry(method.to_string()).or_default().extend_from_slice(roles);
        self
    }

    /// Whether `role` may call `method`.
    pub fn permits(&self, method: &str, role: Role) -> bool {
        self.rules.get(method).is_some_and(|roles| roles.contains(&role))
    }

    /// The methods the policy names, so tests can check that every RPC has a rule.
    pub fn methods(&self) -> impl Iterator<Item = &str> {
        self.rules.keys().map(String::as_str)
    }

    /// Merges another policy into this one (for `serve all`, where one process hosts every service).
    pub fn merge(mut self, other: &Policy) -> Policy {
        for (method, roles) in &other.rules {
            self.rules.entry(method.clone()).or_default().extend_from_slice(roles);
        }
        self
    }
}

fn is_public(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.Health/") || path.starts_with("/grpc.reflection.")
}

/// The tower layer that authenticates and authorises every call before it is decoded.
#[derive(Clone)]
pub struct AuthLayer {
    verifier: TokenVerifier,
    policy: Arc<Policy>,
}

impl AuthLayer {
    /// A layer enforcing `policy` with tokens checked by `verifier`.
    pub fn new(verifier: TokenVerifier, policy: Policy) -> AuthLayer {
        AuthLayer { verifier, policy: Arc::new(policy) }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;
    fn layer(&self, inner: S) -> AuthService<S> {
        AuthService { inner, verifier: self.verifier.clone(), policy: self.policy.clone() }
    }
}

/// The service [`AuthLayer`] wraps around the gRPC routes.
#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    verifier: TokenVerifier,
    policy: Arc<Policy>,
}

impl<S, B> tower::Service<http::Request<B>> for AuthService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let path = request.uri().path().to_string();
        if is_public(&path) {
            return Box::pin(self.inner.call(request));
        }
        let decision = authorise(&self.verifier, &self.policy, &path, request.headers());
        match decision {
            Ok(caller) => {
                let purpose = request
                    .headers()
                    .get(PURPOSE_HEADER)
                    .and_then(|value| value.to_str().ok())
                    .filter(|value| !value.is_empty() && value.len() <= 200)
                    .unwrap_or(DEFAULT_PURPOSE)
                    .to_string();
                request.extensions_mut().insert(CallContext { caller, method: path, purpose });
                Box::pin(self.inner.call(request))
            }
            Err(status) => Box::pin(async move { Ok(status.into_http()) }),
        }
    }
}

fn authorise(
    verifier: &TokenVerifier,
    policy: &Policy,
    path: &str,
    headers: &http::HeaderMap,
) -> Result<Caller, tonic::Status> {
    let token = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or_else(|| tonic::Status::unauthenticated("a bearer token is required"))?;
    let caller = verifier.verify(token).map_err(|error| {
        tracing::info!(%error, method = path, "token refused");
        tonic::Status::unauthenticated("the bearer token is not valid")
    })?;
    if !policy.permits(path, caller.role) {
        tracing::info!(role = caller.role.name(), method = path, "role not permitted");
        return Err(tonic::Status::permission_denied(format!(
            "the role {} may not call this method",
            caller.role.name()
        )));
    }
    Ok(caller)
}

/// The metadata key in which a caller states why it accesses personal data; it goes to the audit log.
pub const PURPOSE_HEADER: &str = "x-trappan-purpose";

/// The purpose recorded when the caller states none.
pub const DEFAULT_PURPOSE: &str = "case handling";

/// Who calls which method and why: what the audit log records about an RPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallContext {
    /// The authenticated caller.
    pub caller: Caller,
    /// The full method path, `/package.Service/Method`, or the job's name.
    pub method: String,
    /// The purpose the caller stated in `x-trappan-purpose`, or [`DEFAULT_PURPOSE`].
    pub purpose: String,
}

impl CallContext {
    /// The caller's municipality code: the tenant every query is scoped to.
    pub fn kommun(&self) -> &str {
        self.caller.kommun.as_str()
    }

    /// The context of a job the service runs itself (gallring, deliveries), audited as the system.
    pub fn system(kommun: Kommun, job: &str) -> CallContext {
        CallContext {
            caller: Caller { subject: format!("trappan:{job}"), role: Role::System, kommun, unit: String::new() },
            method: job.to_string(),
            purpose: job.to_string(),
        }
    }
}

/// The context of a request that passed [`AuthLayer`]; a missing context is a server fault.
pub fn context<T>(request: &tonic::Request<T>) -> Result<CallContext, tonic::Status> {
    request
        .extensions()
        .get::<CallContext>()
        .cloned()
        .ok_or_else(|| tonic::Status::internal("the request passed no authentication layer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev_settings(dir: &Path) -> Settings {
        Settings { data_dir: dir.to_path_buf(), ..Settings::default() }
    }

    fn caller(role: Role) -> Caller {
        Caller {
            subject: "handlaggare-1".into(),
            role,
            kommun: Kommun::parse("0767").expect("valid"),
            unit: "ekb".into(),
        }
    }

    #[test]
    fn a_dev_token_verifies_with_its_claims() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = dev_settings(dir.path());
        let token = TokenSigner::dev(&settings)
            .expect("signer")
            .sign(&caller(Role::Socialsekreterare), std::time::Duration::from_secs(60))
            .expect("token");
        let verified = TokenVerifier::from_settings(&settings).expect("verifier").verify(&token).expect("valid");
        assert_eq!(verified, caller(Role::Socialsekreterare));
    }

    #[test]
    fn a_token_signed_by_another_key_is_refused() {
        let ours = tempfile::tempdir().expect("tempdir");
        let theirs = tempfile::tempdir().expect("tempdir");
        let token = TokenSigner::dev(&dev_settings(theirs.path()))
            .expect("signer")
            .sign(&caller(Role::Enhetschef), std::time::Duration::from_secs(60))
            .expect("token");
        let verifier = TokenVerifier::from_settings(&dev_settings(ours.path())).expect("verifier");
        assert!(matches!(verifier.verify(&token), Err(AuthError::Invalid(_))));
    }

    #[test]
    fn an_expired_token_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = dev_settings(dir.path());
        let signer = TokenSigner::dev(&settings).expect("signer");
        let mut claims_caller = caller(Role::Analytiker);
        claims_caller.subject = "x".into();
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: "x".into(),
            role: Role::Analytiker,
            kommun: claims_caller.kommun.clone(),
            unit: String::new(),
            iss: settings.auth.issuer.clone(),
            aud: settings.auth.audience.clone(),
            iat: now - 7200,
            exp: now - 3600,
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(DEV_KEY_ID.into());
        let token = jsonwebtoken::encode(&header, &claims, &signer.key).expect("encode");
        let verifier = TokenVerifier::from_settings(&settings).expect("verifier");
        assert!(matches!(verifier.verify(&token), Err(AuthError::Invalid(_))));
    }

    #[test]
    fn kommunkod_is_four_digits() {
        assert!(Kommun::parse("0767").is_some());
        assert!(Kommun::parse("767").is_none());
        assert!(Kommun::parse("07670").is_none());
        assert!(Kommun::parse("07a7").is_none());
    }

    #[test]
    fn the_policy_refuses_what_it_does_not_name() {
        let policy = Policy::new().allow("/p.S/A", &[Role::Socialsekreterare]);
        assert!(policy.permits("/p.S/A", Role::Socialsekreterare));
        assert!(!policy.permits("/p.S/A", Role::Analytiker));
        assert!(!policy.permits("/p.S/B", Role::Socialsekreterare));
    }
}
