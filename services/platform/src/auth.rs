//! Authentication and authorisation: every RPC except health and reflection needs a bearer token whose
//! role the method's policy allows; the caller's municipality scopes every query.
//!
//! Tokens are JWTs. Locally (environment `development`, `auth.mode = "dev"`) a dev Ed25519 key in the data
//! directory signs them (`trappan token`); in production the municipality's identity provider signs them
//! and the services hold its public keys by key id ([`crate::keys`]: PEM files or its JWKS). A token is
//! accepted when its signature verifies and its claims keep the rules of `auth.*`: a trusted issuer, this
//! installation's audience (string or array), `exp`, `nbf` and `iat` within the leeway, and a validity
//! (`exp - iat`) no longer than the maximum. Verified tokens are remembered until they expire
//! ([`crate::token_cache`]). The rules are described in `docs/security.md`.

use std::collections::HashMap;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

use crate::config::{AuthMode, AuthSettings, Environment, Settings};
use crate::error::ServiceError;
use crate::keys::{KeyStore, Refresh, load_or_create_dev_key};
use crate::store::Store;
use crate::tls::PeerIdentity;
use crate::token_cache::{self, VerifiedTokens};

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
    /// The municipality's data protection officer (GDPR art. 37-39): reviews and verifies the audit log,
    /// and reads nothing else.
    Dataskyddsombud,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 7] = [
        Role::Socialsekreterare,
        Role::Arbetsmarknadskoordinator,
        Role::Ungdomscoach,
        Role::Enhetschef,
        Role::Analytiker,
        Role::System,
        Role::Dataskyddsombud,
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
            Role::Dataskyddsombud => "dataskyddsombud",
        }
    }

    /// Parses a role name.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.name() == name)
    }
}

/// A Trappan workload: a service, or the gallring job, as its certificate names it (URI SAN
/// `spiffe://<trust domain>/<name>`, [`crate::tls`]). A receiving RPC names the workloads it accepts
/// ([`Policy::allow_workloads`]): bistand and ungsam deliver referrals to insatser, only rapport reads the
/// feeds, only the gallring job runs gallring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Workload {
    /// Ekonomiskt bistånd.
    Bistand,
    /// The labour-market unit.
    Insatser,
    /// Youth outreach.
    Ungsam,
    /// Reporting: follows the others' change feeds.
    Rapport,
    /// The scheduled gallring job.
    Gallring,
}

impl Workload {
    /// Every workload.
    pub const ALL: [Workload; 5] =
        [Workload::Bistand, Workload::Insatser, Workload::Ungsam, Workload::Rapport, Workload::Gallring];

    /// The name in its certificate and in the audit log.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Bistand => "bistand",
            Workload::Insatser => "insatser",
            Workload::Ungsam => "ungsam",
            Workload::Rapport => "rapport",
            Workload::Gallring => "gallring",
        }
    }

    /// Parses a workload name.
    pub fn parse(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|workload| workload.name() == name)
    }

    /// The subject a caller of role `system` has when it is this workload: `workload:<name>`.
    pub fn subject(self) -> String {
        format!("{WORKLOAD_SUBJECT_PREFIX}{}", self.name())
    }

    /// The caller this workload is when it calls for `kommun`: role `system`, subject `workload:<name>`, no
    /// unit. The same whether its certificate proved it or, in development, a dev token.
    pub fn caller(self, kommun: Kommun) -> Caller {
        Caller { subject: self.subject(), role: Role::System, kommun, unit: String::new() }
    }

    /// The workload a `system` caller's subject names.
    pub fn of_subject(subject: &str) -> Option<Workload> {
        subject.strip_prefix(WORKLOAD_SUBJECT_PREFIX).and_then(Workload::parse)
    }
}

impl From<crate::config::ServiceKind> for Workload {
    fn from(kind: crate::config::ServiceKind) -> Workload {
        use crate::config::ServiceKind;
        match kind {
            ServiceKind::Bistand => Workload::Bistand,
            ServiceKind::Insatser => Workload::Insatser,
            ServiceKind::Ungsam => Workload::Ungsam,
            ServiceKind::Rapport => Workload::Rapport,
        }
    }
}

const WORKLOAD_SUBJECT_PREFIX: &str = "workload:";

/// The metadata key in which a calling workload names the municipality it calls for; the certificate says
/// who calls, this says for whom. Only a certified workload's header is read.
pub const KOMMUN_HEADER: &str = "x-trappan-kommun";

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

/// The claims a Trappan token carries, as Trappan's dev signer writes them.
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
    /// Audience: one, or several (as Keycloak and Azure AD write it).
    pub aud: Audience,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Not before (seconds since the epoch), when the issuer sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
}

/// The `aud` claim: a string or an array of strings (RFC 7519 4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// One audience.
    One(String),
    /// Several audiences.
    Many(Vec<String>),
}

impl Audience {
    /// Whether `audience` is among the token's audiences.
    pub fn contains(&self, audience: &str) -> bool {
        match self {
            Audience::One(one) => one == audience,
            Audience::Many(many) => many.iter().any(|one| one == audience),
        }
    }
}

/// The claims as a token of any issuer may carry them: the checked ones are optional here so a missing one
/// is refused with its name rather than as a malformed token.
#[derive(Debug, Deserialize)]
struct PresentedClaims {
    sub: String,
    role: Role,
    kommun: Kommun,
    #[serde(default)]
    unit: String,
    iss: Option<String>,
    aud: Option<Audience>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
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

/// Why a presented token is refused. The messages go to the caller; they name the rule, never a value
/// from the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenRefusal {
    /// Not three base64url parts with a JSON header.
    #[error("the token is not a well-formed JWT")]
    Malformed,
    /// The header names no `kid`.
    #[error("the token's header names no key id (kid)")]
    NoKeyId,
    /// No key in force has the token's `kid`.
    #[error("the token is signed with a key this service does not know")]
    UnknownKey,
    /// The signature does not verify, or the algorithm is not the key's.
    #[error("the token's signature does not verify")]
    BadSignature,
    /// The payload lacks `sub`, `role` or `kommun`, or they are malformed.
    #[error("the token's claims do not name a Trappan caller (sub, role, kommun)")]
    NotACaller,
    /// A claim that must be present is missing.
    #[error("the token has no {0} claim")]
    MissingClaim(&'static str),
    /// `exp` has passed.
    #[error("the token has expired")]
    Expired,
    /// `nbf` lies ahead.
    #[error("the token is not valid yet (nbf lies ahead)")]
    NotYetValid,
    /// `iat` lies ahead.
    #[error("the token claims to be issued in the future (iat)")]
    IssuedInFuture,
    /// `exp - iat` exceeds `auth.max_token_lifetime_secs`.
    #[error("the token's validity (exp - iat) exceeds the longest this service accepts")]
    LifetimeTooLong,
    /// `iss` is not in `auth.issuers`.
    #[error("the token's issuer is not one this service trusts")]
    UntrustedIssuer,
    /// `aud` does not contain `auth.audience`.
    #[error("the token is not meant for this service (aud)")]
    WrongAudience,
}

/// Why a token was not accepted or keys could not be had.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No `authorization: Bearer …` header.
    #[error("missing bearer token")]
    Missing,
    /// The token was refused.
    #[error("invalid token: {0}")]
    Invalid(TokenRefusal),
    /// Keys could not be loaded.
    #[error("token keys: {0}")]
    Keys(String),
}

/// Seconds since the epoch, as the verifier reads the time; tests substitute a clock they move.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The wall clock.
pub fn system_clock() -> Clock {
    Arc::new(|| chrono::Utc::now().timestamp())
}

/// The claim rules of `auth.*`.
struct ClaimRules {
    issuers: Vec<String>,
    audience: String,
    leeway: i64,
    max_lifetime: i64,
}

impl ClaimRules {
    fn from_settings(settings: &AuthSettings) -> ClaimRules {
        ClaimRules {
            issuers: settings.issuers.clone(),
            audience: settings.audience.clone(),
            leeway: i64::try_from(settings.leeway_secs).unwrap_or(i64::MAX),
            max_lifetime: i64::try_from(settings.max_token_lifetime_secs).unwrap_or(i64::MAX),
        }
    }

    /// Checks the claims at `now`; returns the caller and the token's expiry.
    fn check(&self, claims: PresentedClaims, now: i64) -> Result<(Caller, i64), TokenRefusal> {
        let iss = claims.iss.ok_or(TokenRefusal::MissingClaim("iss"))?;
        if !self.issuers.contains(&iss) {
            return Err(TokenRefusal::UntrustedIssuer);
        }
        let aud = claims.aud.ok_or(TokenRefusal::MissingClaim("aud"))?;
        if !aud.contains(&self.audience) {
            return Err(TokenRefusal::WrongAudience);
        }
        let exp = claims.exp.ok_or(TokenRefusal::MissingClaim("exp"))?;
        let iat = claims.iat.ok_or(TokenRefusal::MissingClaim("iat"))?;
        if now.saturating_sub(self.leeway) >= exp {
            return Err(TokenRefusal::Expired);
        }
        if claims.nbf.is_some_and(|nbf| nbf > now.saturating_add(self.leeway)) {
            return Err(TokenRefusal::NotYetValid);
        }
        if iat > now.saturating_add(self.leeway) {
            return Err(TokenRefusal::IssuedInFuture);
        }
        if exp.saturating_sub(iat) > self.max_lifetime {
            return Err(TokenRefusal::LifetimeTooLong);
        }
        let caller = Caller { subject: claims.sub, role: claims.role, kommun: claims.kommun, unit: claims.unit };
        Ok((caller, exp))
    }
}

/// Verifies tokens: signature by the key the header names, then the claim rules of `auth.*`; remembers
/// verified tokens (see [`crate::token_cache`]).
#[derive(Clone)]
pub struct TokenVerifier {
    inner: Arc<Verifier>,
}

struct Verifier {
    keys: KeyStore,
    rules: ClaimRules,
    verified: VerifiedTokens,
    clock: Clock,
}

/// Signs tokens with the dev key; used by `trappan token`, the demo seeding and service-to-service calls.
#[derive(Clone)]
pub struct TokenSigner {
    kid: String,
    key: Arc<EncodingKey>,
    issuer: String,
    audience: String,
    /// `auth.max_token_lifetime_secs`: a longer token would be refused by the services.
    max_lifetime_secs: u64,
}

/// The key id of the dev key.
pub const DEV_KEY_ID: &str = "trappan-dev";

fn refusal(error: &jsonwebtoken::errors::Error) -> TokenRefusal {
    use jsonwebtoken::errors::ErrorKind;
    match error.kind() {
        ErrorKind::InvalidSignature
        | ErrorKind::InvalidAlgorithm
        | ErrorKind::InvalidKeyFormat
        | ErrorKind::InvalidEcdsaKey
        | ErrorKind::InvalidRsaKey(_)
        | ErrorKind::Crypto(_) => TokenRefusal::BadSignature,
        ErrorKind::Json(_) => TokenRefusal::NotACaller,
        _ => TokenRefusal::Malformed,
    }
}

impl TokenVerifier {
    /// The verifier the configuration asks for: the dev key's public half, the key directory or the
    /// identity provider's JWKS.
    pub fn from_settings(settings: &Settings) -> Result<TokenVerifier, AuthError> {
        TokenVerifier::with_clock(settings, system_clock())
    }

    /// Like [`TokenVerifier::from_settings`], reading the time from `clock`.
    pub fn with_clock(settings: &Settings, clock: Clock) -> Result<TokenVerifier, AuthError> {
        Ok(TokenVerifier {
            inner: Arc::new(Verifier {
                keys: KeyStore::from_settings(settings)?,
                rules: ClaimRules::from_settings(&settings.auth),
                verified: VerifiedTokens::new(settings.auth.token_cache_entries),
                clock,
            }),
        })
    }

    /// Verifies a token and returns the caller it speaks for. A token verified before under the same keys
    /// and not yet expired is answered from the cache.
    pub async fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        let verifier = &self.inner;
        let now = (verifier.clock)();
        let mut keys = verifier.keys.current();
        let digest = token_cache::digest(token);
        if !verifier.keys.is_due(now)
            && let Some(caller) = verifier.verified.get(&digest, now, keys.generation)
        {
            return Ok(caller);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Invalid(TokenRefusal::Malformed))?;
        let kid = header.kid.ok_or(AuthError::Invalid(TokenRefusal::NoKeyId))?;
        if verifier.keys.is_due(now) {
            keys = verifier.keys.refresh(&keys, Refresh::Due, now).await;
        }
        if !keys.keys.contains_key(&kid) {
            keys = verifier.keys.refresh(&keys, Refresh::UnknownKey, now).await;
        }
        let key = keys.keys.get(&kid).ok_or(AuthError::Invalid(TokenRefusal::UnknownKey))?;
        let data = jsonwebtoken::decode::<PresentedClaims>(token, &key.key, &key.validation)
            .map_err(|error| AuthError::Invalid(refusal(&error)))?;
        let (caller, expires_at) = verifier.rules.check(data.claims, now).map_err(AuthError::Invalid)?;
        verifier.verified.insert(digest, caller.clone(), expires_at, now, keys.generation);
        Ok(caller)
    }

    /// How many verified tokens are remembered (for tests and metrics).
    pub fn cached_tokens(&self) -> usize {
        self.inner.verified.len()
    }
}

impl TokenSigner {
    /// The dev signer; only dev mode in the development environment has a private key.
    pub fn dev(settings: &Settings) -> Result<TokenSigner, AuthError> {
        if settings.environment != Environment::Development {
            return Err(AuthError::Keys(format!(
                "tokens are signed with the dev key only when environment = \"development\" (it is \"{}\"); \
                 production tokens come from the identity provider",
                settings.environment.name()
            )));
        }
        if settings.auth.mode != AuthMode::Dev {
            return Err(AuthError::Keys("tokens can only be signed locally when auth.mode = \"dev\"".into()));
        }
        let path = settings.dev_key_file();
        load_or_create_dev_key(&path)?;
        let pkcs8 = std::fs::read(&path).map_err(|e| AuthError::Keys(e.to_string()))?;
        let issuer = settings
            .auth
            .issuers
            .first()
            .cloned()
            .ok_or_else(|| AuthError::Keys("auth.issuers names no issuer to sign as".into()))?;
        Ok(TokenSigner {
            kid: DEV_KEY_ID.into(),
            key: Arc::new(EncodingKey::from_ed_der(&pkcs8)),
            issuer,
            audience: settings.auth.audience.clone(),
            max_lifetime_secs: settings.auth.max_token_lifetime_secs,
        })
    }

    /// Signs a token for `caller`, valid for `ttl`; a validity longer than `auth.max_token_lifetime_secs` is
    /// refused here rather than by every service later.
    pub fn sign(&self, caller: &Caller, ttl: std::time::Duration) -> Result<String, AuthError> {
        if ttl.as_secs() > self.max_lifetime_secs {
            return Err(AuthError::Keys(format!(
                "a token valid for {} s would be refused: auth.max_token_lifetime_secs is {} s",
                ttl.as_secs(),
                self.max_lifetime_secs
            )));
        }
        let now = chrono::Utc::now().timestamp();
        self.sign_claims(&Claims {
            sub: caller.subject.clone(),
            role: caller.role,
            kommun: caller.kommun.clone(),
            unit: caller.unit.clone(),
            iss: self.issuer.clone(),
            aud: Audience::One(self.audience.clone()),
            iat: now,
            nbf: None,
            exp: now + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2),
        })
    }

    /// Signs `claims` as they are (tests use it for tokens the dev signer would not write).
    pub fn sign_claims(&self, claims: &Claims) -> Result<String, AuthError> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).map_err(|e| AuthError::Keys(e.to_string()))
    }
}

/// Which roles may call which method (`/package.Service/Method`), and for the service-to-service methods
/// which workloads; a method not listed is refused.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    rules: HashMap<String, Vec<Role>>,
    workloads: HashMap<String, Vec<Workload>>,
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

    /// Allows the workloads `callers` (and no other service) to call `method` as role `system`.
    pub fn allow_workloads(mut self, method: &str, callers: &[Workload]) -> Policy {
        self.workloads.entry(method.to_string()).or_default().extend_from_slice(callers);
        self.allow(method, &[Role::System])
    }

    /// Whether `role` may call `method`.
    pub fn permits(&self, method: &str, role: Role) -> bool {
        self.rules.get(method).is_some_and(|roles| roles.contains(&role))
    }

    /// Whether the workload `caller` may call `method`.
    pub fn permits_workload(&self, method: &str, caller: Workload) -> bool {
        self.workloads.get(method).is_some_and(|callers| callers.contains(&caller))
    }

    /// The workloads that may call `method`.
    pub fn workloads(&self, method: &str) -> &[Workload] {
        self.workloads.get(method).map(Vec::as_slice).unwrap_or_default()
    }

    /// Whether `caller` may call `method`: its role is allowed and, for role `system`, the workload its
    /// subject names is one the method accepts.
    pub fn admits(&self, method: &str, caller: &Caller) -> bool {
        self.permits(method, caller.role)
            && (caller.role != Role::System
                || Workload::of_subject(&caller.subject)
                    .is_some_and(|workload| self.permits_workload(method, workload)))
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
        for (method, callers) in &other.workloads {
            self.workloads.entry(method.clone()).or_default().extend_from_slice(callers);
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
    shared: Arc<Shared>,
}

struct Shared {
    verifier: TokenVerifier,
    policy: Policy,
    store: Store,
    /// Whether a bearer token of role `system` is accepted: only in development without TLS, where the
    /// services sign their own calls with the dev key. Otherwise a service is known by its certificate.
    system_tokens: bool,
}

impl AuthLayer {
    /// A layer enforcing `policy` with tokens checked by `verifier`; calls the policy refuses are audited
    /// in `store`.
    pub fn new(verifier: TokenVerifier, policy: Policy, store: Store, settings: &Settings) -> AuthLayer {
        let system_tokens = settings.environment == Environment::Development && !settings.tls.enabled();
        AuthLayer { shared: Arc::new(Shared { verifier, policy, store, system_tokens }) }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;
    fn layer(&self, inner: S) -> AuthService<S> {
        AuthService { inner, shared: self.shared.clone() }
    }
}

/// The service [`AuthLayer`] wraps around the gRPC routes.
#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    shared: Arc<Shared>,
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
        // The service that was polled ready goes into the future; a clone takes its place.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let shared = self.shared.clone();
        Box::pin(async move {
            let workload = request.extensions().get::<PeerIdentity>().and_then(|peer| peer.workload);
            let authenticated = match workload {
                Some(workload) => certified_workload(workload, request.headers()),
                None => authenticate(&shared, &path, request.headers()).await,
            };
            let caller = match authenticated {
                Ok(caller) => caller,
                Err(status) => return Ok(status.into_http()),
            };
            let purpose = request
                .headers()
                .get(PURPOSE_HEADER)
                .and_then(|value| value.to_str().ok())
                .filter(|value| !value.is_empty() && value.len() <= 200)
                .unwrap_or(DEFAULT_PURPOSE)
                .to_string();
            let context = CallContext { caller, method: path, purpose };
            if !shared.policy.admits(&context.method, &context.caller) {
                return Ok(refuse(&shared.store, &context).await.into_http());
            }
            request.extensions_mut().insert(context);
            inner.call(request).await
        })
    }
}

/// Refuses a call the role policy does not allow, and audits the refusal (GDPR art. 32(1)(d): attempts
/// at access are part of what a review of the log must see). Only authenticated callers reach this, so
/// the entry names a verified actor and municipality; unauthenticated calls name no one and are only
/// logged. If the entry cannot be written the call is refused all the same: refusing discloses nothing.
async fn refuse(store: &Store, context: &CallContext) -> tonic::Status {
    let role = context.caller.role.name();
    let workload = Workload::of_subject(&context.caller.subject).filter(|_| context.caller.role == Role::System);
    tracing::info!(role, workload = workload.map(Workload::name), method = context.method, "caller not permitted");
    let recorded = match store.db() {
        Ok(db) => crate::audit::record_refused(db, context).await.map_err(ServiceError::from),
        Err(error) => Err(error),
    };
    if let Err(error) = recorded {
        tracing::error!(%error, method = context.method, "the refused call could not be audited");
    }
    match workload {
        Some(workload) => {
            tonic::Status::permission_denied(format!("the service {} may not call this method", workload.name()))
        }
        None if context.caller.role == Role::System => {
            tonic::Status::permission_denied("a service call must name the calling workload")
        }
        None => tonic::Status::permission_denied(format!("the role {role} may not call this method")),
    }
}

/// The caller a verified workload certificate makes: role `system`, subject `workload:<name>`, for the
/// municipality named in [`KOMMUN_HEADER`].
fn certified_workload(workload: Workload, headers: &http::HeaderMap) -> Result<Caller, tonic::Status> {
    let kommun =
        headers.get(KOMMUN_HEADER).and_then(|value| value.to_str().ok()).and_then(Kommun::parse).ok_or_else(|| {
            tonic::Status::unauthenticated(format!("a service call must name its municipality in {KOMMUN_HEADER}"))
        })?;
    Ok(workload.caller(kommun))
}

async fn authenticate(shared: &Shared, path: &str, headers: &http::HeaderMap) -> Result<Caller, tonic::Status> {
    let verifier = &shared.verifier;
    let token = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or_else(|| tonic::Status::unauthenticated("a bearer token is required"))?;
    let caller = verifier.verify(token).await.map_err(|error| {
        tracing::info!(%error, method = path, "token refused");
        match error {
            AuthError::Invalid(refusal) => {
                tonic::Status::unauthenticated(format!("the bearer token is not accepted: {refusal}"))
            }
            AuthError::Missing | AuthError::Keys(_) => tonic::Status::unauthenticated("the bearer token is not valid"),
        }
    })?;
    if caller.role == Role::System && !shared.system_tokens {
        tracing::info!(method = path, "a system token where a workload certificate is required");
        return Err(tonic::Status::unauthenticated("services authenticate with their certificate, not a token"));
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
    use std::sync::atomic::{AtomicI64, Ordering};

    use super::*;
    use crate::http_get::tests::TestServer;

    /// The time the tests' clock starts at.
    const T0: i64 = 1_800_000_000;

    fn dev_settings(dir: &std::path::Path) -> Settings {
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

    /// A clock the test moves.
    fn clock() -> (Clock, Arc<AtomicI64>) {
        let now = Arc::new(AtomicI64::new(T0));
        let read = now.clone();
        (Arc::new(move || read.load(Ordering::SeqCst)), now)
    }

    /// Valid claims issued at `T0` for an hour, as the dev signer of `settings` writes them.
    fn claims(settings: &Settings) -> Claims {
        Claims {
            sub: "handlaggare-1".into(),
            role: Role::Socialsekreterare,
            kommun: Kommun::parse("0767").expect("valid"),
            unit: "ekb".into(),
            iss: settings.auth.issuers[0].clone(),
            aud: Audience::One(settings.auth.audience.clone()),
            exp: T0 + 3600,
            nbf: None,
            iat: T0,
        }
    }

    /// Verifies `claims` (changed by `change`) signed with the dev key, at `T0`.
    async fn verify_at_t0(change: impl FnOnce(&mut Claims)) -> Result<Caller, AuthError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = dev_settings(dir.path());
        let mut claims = claims(&settings);
        change(&mut claims);
        let token = TokenSigner::dev(&settings).expect("signer").sign_claims(&claims).expect("token");
        let (clock, _) = clock();
        TokenVerifier::with_clock(&settings, clock).expect("verifier").verify(&token).await
    }

    fn refused(result: Result<Caller, AuthError>) -> TokenRefusal {
        match result {
            Err(AuthError::Invalid(refusal)) => refusal,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_dev_token_verifies_with_its_claims() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = dev_settings(dir.path());
        let token = TokenSigner::dev(&settings)
            .expect("signer")
            .sign(&caller(Role::Socialsekreterare), std::time::Duration::from_secs(60))
            .expect("token");
        let verifier = TokenVerifier::from_settings(&settings).expect("verifier");
        assert_eq!(verifier.verify(&token).await.expect("valid"), caller(Role::Socialsekreterare));
    }

    #[tokio::test]
    async fn a_token_signed_by_another_key_is_refused() {
        let ours = tempfile::tempdir().expect("tempdir");
        let theirs = tempfile::tempdir().expect("tempdir");
        let token = TokenSigner::dev(&dev_settings(theirs.path()))
            .expect("signer")
            .sign(&caller(Role::Enhetschef), std::time::Duration::from_secs(60))
            .expect("token");
        let verifier = TokenVerifier::from_settings(&dev_settings(ours.path())).expect("verifier");
        assert_eq!(refused(verifier.verify(&token).await), TokenRefusal::BadSignature);
    }

    #[tokio::test]
    async fn expiry_is_checked_with_the_leeway() {
        // Expired 10 s ago: within the default leeway of 30 s.
        assert!(verify_at_t0(|c| c.exp = T0 - 10).await.is_ok());
        // Expired 31 s ago: beyond it.
        assert_eq!(refused(verify_at_t0(|c| c.exp = T0 - 31).await), TokenRefusal::Expired);
    }

    #[tokio::test]
    async fn a_token_whose_nbf_lies_an_hour_ahead_is_refused() {
        assert_eq!(refused(verify_at_t0(|c| c.nbf = Some(T0 + 3600)).await), TokenRefusal::NotYetValid);
        // 20 s ahead is clock skew within the leeway.
        assert!(verify_at_t0(|c| c.nbf = Some(T0 + 20)).await.is_ok());
    }

    #[tokio::test]
    async fn a_token_issued_in_the_future_is_refused() {
        assert_eq!(
            refused(
                verify_at_t0(|c| {
                    c.iat = T0 + 3600;
                    c.exp = T0 + 7200;
                })
                .await
            ),
            TokenRefusal::IssuedInFuture
        );
    }

    #[tokio::test]
    async fn a_ten_year_token_is_refused_and_twelve_hours_is_the_longest_accepted() {
        let ten_years = 10 * 365 * 24 * 3600;
        assert_eq!(refused(verify_at_t0(|c| c.exp = T0 + ten_years).await), TokenRefusal::LifetimeTooLong);
        // Default maximum 12 h = 43 200 s: exactly that is accepted, one second more is not.
        assert!(verify_at_t0(|c| c.exp = T0 + 43_200).await.is_ok());
        assert_eq!(refused(verify_at_t0(|c| c.exp = T0 + 43_201).await), TokenRefusal::LifetimeTooLong);
    }

    #[tokio::test]
    async fn an_audience_array_is_accepted_when_it_names_this_service() {
        let accepted =
            verify_at_t0(|c| c.aud = Audience::Many(vec!["account".into(), "trappan".into()])).await.expect("valid");
        assert_eq!(accepted, caller(Role::Socialsekreterare));
        assert_eq!(
            refused(verify_at_t0(|c| c.aud = Audience::Many(vec!["account".into()])).await),
            TokenRefusal::WrongAudience
        );
        assert_eq!(refused(verify_at_t0(|c| c.aud = Audience::One("other".into())).await), TokenRefusal::WrongAudience);
    }

    #[tokio::test]
    async fn an_issuer_outside_the_allow_list_is_refused_and_the_message_does_not_repeat_it() {
        let refusal = refused(verify_at_t0(|c| c.iss = "https://evil.example/XYZ".into()).await);
        assert_eq!(refusal, TokenRefusal::UntrustedIssuer);
        assert!(!refusal.to_string().contains("XYZ"), "{refusal}");

        let dir = tempfile::tempdir().expect("tempdir");
        let mut settings = dev_settings(dir.path());
        settings.auth.issuers = vec!["trappan-dev".into(), "https://idp.example/realms/b".into()];
        let mut second = claims(&settings);
        second.iss = "https://idp.example/realms/b".into();
        let token = TokenSigner::dev(&settings).expect("signer").sign_claims(&second).expect("token");
        let (clock, _) = clock();
        let verifier = TokenVerifier::with_clock(&settings, clock).expect("verifier");
        assert!(verifier.verify(&token).await.is_ok(), "the second issuer of the allow-list is trusted");
    }

    #[tokio::test]
    async fn a_token_without_iat_or_exp_is_refused_by_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = dev_settings(dir.path());
        let signer = TokenSigner::dev(&settings).expect("signer");
        let (clock, _) = clock();
        let verifier = TokenVerifier::with_clock(&settings, clock).expect("verifier");
        for missing in ["iat", "exp", "iss", "aud"] {
            let mut payload = serde_json::to_value(claims(&settings)).expect("json");
            payload.as_object_mut().expect("object").remove(missing);
            let mut header = Header::new(Algorithm::EdDSA);
            header.kid = Some(DEV_KEY_ID.into());
            let token = jsonwebtoken::encode(&header, &payload, &signer.key).expect("token");
            let refusal = refused(verifier.verify(&token).await);
            assert_eq!(refusal, TokenRefusal::MissingClaim(missing));
            assert!(refusal.to_string().contains(missing), "{refusal}");
        }
    }

    #[tokio::test]
    async fn a_cached_token_is_refused_once_it_expires() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut settings = dev_settings(dir.path());
        settings.auth.leeway_secs = 0;
        let token = TokenSigner::dev(&settings).expect("signer").sign_claims(&claims(&settings)).expect("token");
        let (clock, now) = clock();
        let verifier = TokenVerifier::with_clock(&settings, clock).expect("verifier");
        verifier.verify(&token).await.expect("valid");
        assert_eq!(verifier.cached_tokens(), 1);
        now.store(T0 + 3599, Ordering::SeqCst);
        verifier.verify(&token).await.expect("still valid, from the cache");
        // exp = T0 + 3600: at that second the token is expired, cached or not.
        now.store(T0 + 3600, Ordering::SeqCst);
        assert_eq!(refused(verifier.verify(&token).await), TokenRefusal::Expired);
        assert_eq!(verifier.cached_tokens(), 0);
    }

    #[tokio::test]
    async fn the_verified_token_cache_is_bounded_by_its_setting() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut settings = dev_settings(dir.path());
        settings.auth.token_cache_entries = 8;
        let signer = TokenSigner::dev(&settings).expect("signer");
        let (clock, _) = clock();
        let verifier = TokenVerifier::with_clock(&settings, clock).expect("verifier");
        for n in 0..50 {
            let mut claims = claims(&settings);
            claims.sub = format!("user-{n}");
            verifier.verify(&signer.sign_claims(&claims).expect("token")).await.expect("valid");
            assert!(verifier.cached_tokens() <= 8);
        }
    }

    #[test]
    fn the_dev_signer_refuses_a_validity_the_services_would_refuse() {
        let dir = tempfile::tempdir().expect("tempdir");
        let signer = TokenSigner::dev(&dev_settings(dir.path())).expect("signer");
        let caller = caller(Role::Socialsekreterare);
        assert!(signer.sign(&caller, std::time::Duration::from_secs(43_200)).is_ok());
        let error = signer.sign(&caller, std::time::Duration::from_secs(43_201)).expect_err("too long");
        assert!(error.to_string().contains("auth.max_token_lifetime_secs"), "{error}");
    }

    #[test]
    fn production_refuses_to_sign_with_the_dev_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = Settings { environment: crate::config::Environment::Production, ..dev_settings(dir.path()) };
        let error = TokenSigner::dev(&settings).err().expect("refused");
        assert!(error.to_string().contains("environment = \"development\""), "{error}");
        assert!(!settings.dev_key_file().exists(), "no dev key is created in production");
    }

    /// An Ed25519 key pair as the identity provider would hold it: a signer and its public JWK.
    fn provider_key(kid: &str, settings: &Settings) -> (TokenSigner, serde_json::Value) {
        use base64::Engine as _;
        use ring::signature::KeyPair as _;
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).expect("key");
        let pair = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("pair");
        let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
        let signer = TokenSigner {
            kid: kid.into(),
            key: Arc::new(EncodingKey::from_ed_der(pkcs8.as_ref())),
            issuer: settings.auth.issuers[0].clone(),
            audience: settings.auth.audience.clone(),
            max_lifetime_secs: settings.auth.max_token_lifetime_secs,
        };
        (signer, serde_json::json!({"kty": "OKP", "crv": "Ed25519", "use": "sig", "kid": kid, "x": x}))
    }

    fn jwks(keys: &[&serde_json::Value]) -> String {
        serde_json::json!({ "keys": keys }).to_string()
    }

    fn keys_settings(dir: &std::path::Path) -> Settings {
        let mut settings = dev_settings(dir);
        settings.auth.mode = AuthMode::Keys;
        settings.auth.issuers = vec!["https://idp.example/realms/trappan".into()];
        settings
    }

    #[tokio::test]
    async fn jwks_keys_are_cached_and_a_rotation_is_picked_up_on_an_unknown_kid() {
        let dir = tempfile::tempdir().expect("tempdir");
        let server = TestServer::start("/realms/trappan/certs").await;
        let mut settings = keys_settings(dir.path());
        settings.auth.jwks_url = Some(server.url.to_string());
        let (old_signer, old_jwk) = provider_key("key-2026-1", &settings);
        let (new_signer, new_jwk) = provider_key("key-2026-2", &settings);
        let mut old_claims = claims(&settings);
        old_claims.sub = "old".into();
        let old_token = old_signer.sign_claims(&old_claims).expect("token");
        let new_token = new_signer.sign_claims(&claims(&settings)).expect("token");
        let (clock, now) = clock();
        let verifier = TokenVerifier::with_clock(&settings, clock).expect("verifier");

        server.answer(200, &jwks(&[&old_jwk]));
        verifier.verify(&old_token).await.expect("valid under the first key set");
        verifier.verify(&old_token).await.expect("again");
        assert_eq!(server.requests(), 1, "the key set is fetched once and cached");

        // The provider rotates: the new key replaces the old one.
        server.answer(200, &jwks(&[&new_jwk]));
        assert_eq!(
            refused(verifier.verify(&new_token).await),
            TokenRefusal::UnknownKey,
            "a fetch less than MIN_REFRESH_INTERVAL_SECS after the last is not repeated"
        );
        assert_eq!(server.requests(), 1);
        now.store(T0 + crate::keys::MIN_REFRESH_INTERVAL_SECS, Ordering::SeqCst);
        verifier.verify(&new_token).await.expect("the unknown kid makes the verifier fetch the new key set");
        assert_eq!(server.requests(), 2);
        assert_eq!(verifier.cached_tokens(), 1, "the refresh dropped the tokens verified with the old keys");
        assert_eq!(refused(verifier.verify(&old_token).await), TokenRefusal::UnknownKey);
        assert_eq!(server.requests(), 2, "an unknown kid right after a fetch does not fetch again");
    }

    #[tokio::test]
    async fn jwks_keys_are_found_through_oidc_discovery_and_refreshed_when_due() {
        let dir = tempfile::tempdir().expect("tempdir");
        let keys_server = TestServer::start("/certs").await;
        let discovery = TestServer::start("/.well-known/openid-configuration").await;
        discovery.answer(200, &serde_json::json!({ "jwks_uri": keys_server.url.to_string() }).to_string());
        let mut settings = keys_settings(dir.path());
        settings.auth.discovery_url = Some(discovery.url.to_string());
        settings.auth.jwks_refresh_secs = 300;
        let (signer, jwk) = provider_key("k1", &settings);
        keys_server.answer(200, &jwks(&[&jwk]));
        let token = signer.sign_claims(&claims(&settings)).expect("token");
        let (clock, now) = clock();
        let verifier = TokenVerifier::with_clock(&settings, clock).expect("verifier");
        verifier.verify(&token).await.expect("valid");
        assert_eq!((discovery.requests(), keys_server.requests()), (1, 1));

        // 300 s later the key set is due: fetched again; unchanged, so the cached token stays.
        now.store(T0 + 300, Ordering::SeqCst);
        verifier.verify(&token).await.expect("valid");
        assert_eq!((discovery.requests(), keys_server.requests()), (2, 2));
        assert_eq!(verifier.cached_tokens(), 1);
    }

    #[tokio::test]
    async fn an_unreachable_identity_provider_refuses_tokens_without_failing_the_service() {
        let dir = tempfile::tempdir().expect("tempdir");
        let server = TestServer::start("/certs").await;
        server.answer(500, "");
        let mut settings = keys_settings(dir.path());
        settings.auth.jwks_url = Some(server.url.to_string());
        let (signer, _) = provider_key("k1", &settings);
        let (clock, _) = clock();
        let verifier = TokenVerifier::with_clock(&settings, clock).expect("a verifier starts without the keys");
        let token = signer.sign_claims(&claims(&settings)).expect("token");
        assert_eq!(refused(verifier.verify(&token).await), TokenRefusal::UnknownKey);
    }

    /// Cached against uncached verification of the same token, in one run; the command and the latest
    /// figures are in `docs/security.md` ("Verified-token cache").
    #[tokio::test]
    #[ignore = "a measurement, not a check"]
    async fn verification_cost_cached_and_uncached() {
        const ROUNDS: u32 = 20_000;
        let dir = tempfile::tempdir().expect("tempdir");
        let mut settings = dev_settings(dir.path());
        let token = TokenSigner::dev(&settings).expect("signer").sign_claims(&claims(&settings)).expect("token");
        let mut per_call = Vec::new();
        for entries in [0, 10_000] {
            settings.auth.token_cache_entries = entries;
            let (clock, _) = clock();
            let verifier = TokenVerifier::with_clock(&settings, clock).expect("verifier");
            verifier.verify(&token).await.expect("valid");
            let started = std::time::Instant::now();
            for _ in 0..ROUNDS {
                verifier.verify(&token).await.expect("valid");
            }
            per_call.push(started.elapsed().as_secs_f64() * 1e9 / f64::from(ROUNDS));
        }
        println!(
            "verify: uncached {:.0} ns, cached {:.0} ns, cached/uncached {:.3}",
            per_call[0],
            per_call[1],
            per_call[1] / per_call[0]
        );
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
