//! Layered configuration: built-in defaults, then an optional TOML file, then `TRAPPAN__…` environment
//! variables. Invalid configuration fails at start with a message that names the key.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The four services of the suite; used to pick ports, stores and policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceKind {
    /// Ekonomiskt bistånd.
    Bistand,
    /// Arbetsmarknadsinsatser.
    Insatser,
    /// Youth outreach.
    Ungsam,
    /// Management and official reporting.
    Rapport,
}

impl ServiceKind {
    /// Every service, in port order.
    pub const ALL: [ServiceKind; 4] = [Self::Bistand, Self::Insatser, Self::Ungsam, Self::Rapport];

    /// The lowercase name used in commands, configuration keys, metrics and database names.
    pub fn name(self) -> &'static str {
        match self {
            Self::Bistand => "bistand",
            Self::Insatser => "insatser",
            Self::Ungsam => "ungsam",
            Self::Rapport => "rapport",
        }
    }

    /// Parses a service name as given on the command line.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    fn default_port(self) -> u16 {
        match self {
            Self::Bistand => 50051,
            Self::Insatser => 50052,
            Self::Ungsam => 50053,
            Self::Rapport => 50054,
        }
    }
}

impl std::fmt::Display for ServiceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything a Trappan process can be configured with. See `docs/interface.md` for the variable names.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Development or production: production refuses what only development may use (the dev key, its
    /// token minting). Defaults to development, so `make run` and the tests work as they are.
    pub environment: Environment,
    /// Where local state lives: SQLite files, the dev signing key, the pseudonymisation key.
    pub data_dir: PathBuf,
    /// Transport limits shared by every service.
    pub server: ServerSettings,
    /// Ekonomiskt bistånd.
    pub bistand: ServiceSettings,
    /// Arbetsmarknadsinsatser.
    pub insatser: ServiceSettings,
    /// Youth outreach.
    pub ungsam: ServiceSettings,
    /// Reporting, with what only rapport needs.
    pub rapport: RapportSettings,
    /// Where the other services are reached.
    pub peers: PeerSettings,
    /// Token verification and the dev signing key.
    pub auth: AuthSettings,
    /// Logs, traces and metrics.
    pub telemetry: TelemetrySettings,
    /// Operator-loaded riksnorm tables for bistand.
    #[serde(default)]
    pub riksnorm: RiksnormSettings,
    /// How the outbound delivery workers retry and share their queue.
    #[serde(default)]
    pub delivery: DeliverySettings,
    /// TLS on the gRPC endpoint and mutual TLS to the peers; unset in development only.
    #[serde(default)]
    pub tls: TlsSettings,
}

/// This workload's certificate, from the cluster's issuer (cert-manager in the `prod` overlay); see
/// [`crate::tls`]. All three files set: the server speaks only TLS, asks clients for a certificate (a
/// Trappan workload presents one, a person's client need not), and calls the peers over mutual TLS. None
/// set: plaintext, which only `environment = "development"` allows.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSettings {
    /// The certificate chain (PEM), leaf first; its URI SAN `spiffe://<trust_domain>/<service>` names
    /// the workload. Re-read when it changes, so a renewal needs no restart.
    pub cert_file: Option<PathBuf>,
    /// The certificate's private key (PEM, PKCS#8, PKCS#1 or SEC1).
    pub key_file: Option<PathBuf>,
    /// The CA certificate(s) (PEM) that issued every Trappan workload's certificate: peers' servers and
    /// calling workloads are verified against them.
    pub ca_file: Option<PathBuf>,
    /// The trust domain of the workloads' URI SANs; a certificate naming another domain names no workload.
    pub trust_domain: String,
}

impl Default for TlsSettings {
    fn default() -> Self {
        TlsSettings { cert_file: None, key_file: None, ca_file: None, trust_domain: "trappan.local".into() }
    }
}

impl TlsSettings {
    /// Whether TLS is configured (all three files named).
    pub fn enabled(&self) -> bool {
        self.cert_file.is_some() && self.key_file.is_some() && self.ca_file.is_some()
    }
}

/// Limits of the outbound delivery queue ([`crate::delivery`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliverySettings {
    /// Failed attempts after which a delivery becomes a dead letter for an operator, instead of being
    /// retried for ever; with the backoff capped at a minute, 20 attempts span about a quarter of an hour.
    pub max_attempts: u32,
    /// How long a worker's claim on a delivery lasts: longer than one attempt (the request timeout), so
    /// two replicas never send the same message at once, yet short enough that a crashed replica's claims
    /// are taken over soon.
    pub claim_secs: u64,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings { max_attempts: 20, claim_secs: 120 }
    }
}

/// Where an operator puts riksnorm tables that add or replace years of the shipped ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiksnormSettings {
    /// A directory of `*.toml` files in the format of bistand's `riksnorm/riksnorm.toml`, read at start-up in
    /// file-name order; a later file replaces a year of an earlier one. Unset: only the shipped tables.
    pub dir: Option<PathBuf>,
}

/// Transport limits: why each exists is in its doc line.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// The address to listen on; `0.0.0.0` in a container.
    pub listen_host: String,
    /// A call that takes longer (or longer than the client's `grpc-timeout`, when shorter) is ended with
    /// CANCELLED (`Timeout expired`, tonic's answer), so stuck calls do not pile up.
    pub request_timeout_secs: u64,
    /// Calls beyond this many in flight are shed with RESOURCE_EXHAUSTED instead of queueing.
    pub max_concurrent_requests: usize,
    /// The largest message decoded or encoded, protecting memory from oversized requests.
    pub max_message_bytes: usize,
    /// How long in-flight calls may take to finish after SIGTERM before the process exits.
    pub shutdown_grace_secs: u64,
    /// A plaintext port serving only `grpc.health.v1`, for the kubelet's gRPC probes, which cannot speak
    /// TLS; unset, health is answered on the service's own port only.
    #[serde(default)]
    pub health_port: Option<u16>,
    /// The browser origins (`https://host[:port]`) whose pages may call the services over gRPC-Web, each
    /// deployment its own front ends. Empty (the default): no CORS headers at all, so a browser lets no page
    /// of another origin call, and nothing is open until a deployment names its front end.
    #[serde(default)]
    pub cors_allowed_origins: Vec<String>,
}

/// Settings every service has.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSettings {
    /// The gRPC port (health and reflection share it).
    pub port: u16,
    /// The store; unset means a SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// Runs migrations at start; production migrates with a Job instead.
    pub migrate_on_start: bool,
}

/// rapport's settings: the common ones plus what only it needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RapportSettings {
    /// The gRPC port.
    pub port: u16,
    /// The store; unset means a SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// Runs migrations at start.
    pub migrate_on_start: bool,
    /// The master key that pseudonymous keys are derived from; kept out of the database.
    pub pseudonym_key_file: Option<PathBuf>,
    /// The municipalities whose feeds rapport follows.
    pub kommuner: Vec<String>,
    /// Counts of people below this are published as suppressed (small-number protection); default 5.
    #[serde(default = "default_suppression_threshold")]
    pub suppression_threshold: u64,
}

fn default_suppression_threshold() -> u64 {
    5
}

/// Where the other services listen, for calls between services.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerSettings {
    /// bistand's URL.
    pub bistand_url: String,
    /// insatser's URL.
    pub insatser_url: String,
    /// ungsam's URL.
    pub ungsam_url: String,
}

/// What kind of installation this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// A developer's machine or a test: the dev key may sign and verify tokens.
    Development,
    /// Real data: tokens only from the identity provider's keys; a start without them fails.
    Production,
}

impl Environment {
    /// The name as written in the configuration.
    pub fn name(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Production => "production",
        }
    }
}

/// How tokens are verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// Local use: a dev Ed25519 key in `data_dir` signs and verifies; `trappan token` prints tokens.
    Dev,
    /// Production: tokens from the identity provider, verified by its public keys: a directory of PEM
    /// files (`public_keys_dir`), its JWKS (`jwks_url`) or the JWKS named by its OIDC discovery document
    /// (`discovery_url`).
    Keys,
}

/// Token settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// Dev or production verification.
    pub mode: AuthMode,
    /// The dev signing key (PKCS#8); created on first use in dev mode.
    pub dev_key_file: Option<PathBuf>,
    /// In keys mode: a directory of `<kid>.pem` Ed25519 public keys; several during a rotation.
    pub public_keys_dir: Option<PathBuf>,
    /// In keys mode: the identity provider's JWKS URL; fetched on first use, cached, refreshed after
    /// `jwks_refresh_secs` and when a token names a key id the cached set lacks.
    pub jwks_url: Option<String>,
    /// In keys mode, instead of `jwks_url`: the identity provider's OIDC discovery document
    /// (`…/.well-known/openid-configuration`), whose `jwks_uri` names the JWKS.
    pub discovery_url: Option<String>,
    /// How long a fetched JWKS is used before it is fetched again.
    pub jwks_refresh_secs: u64,
    /// The issuers whose tokens are accepted (the `iss` claim must be one of them); the dev signer writes
    /// the first.
    pub issuers: Vec<String>,
    /// The audience this installation is: the `aud` claim (a string or an array) must contain it.
    pub audience: String,
    /// Clock skew tolerated when checking `exp`, `nbf` and `iat`, in seconds.
    pub leeway_secs: u64,
    /// The longest validity (`exp - iat`) a token may have; longer-lived tokens are refused.
    pub max_token_lifetime_secs: u64,
    /// How many verified tokens are remembered (until their expiry) so a repeated token is not verified
    /// again; 0 turns the cache off.
    pub token_cache_entries: usize,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable, for a terminal.
    Pretty,
    /// One JSON object a line, for log collection.
    Json,
}

/// Telemetry settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySettings {
    /// Log format.
    pub log_format: LogFormat,
    /// The log filter (tracing's EnvFilter syntax); `RUST_LOG` overrides it.
    pub log_filter: String,
    /// An OTLP/gRPC endpoint; unset means traces and metrics are not exported.
    pub otlp_endpoint: Option<String>,
}

impl Default for PeerSettings {
    /// The services on this machine, as `make run` starts them.
    fn default() -> PeerSettings {
        PeerSettings {
            bistand_url: format!("http://127.0.0.1:{}", ServiceKind::Bistand.default_port()),
            insatser_url: format!("http://127.0.0.1:{}", ServiceKind::Insatser.default_port()),
            ungsam_url: format!("http://127.0.0.1:{}", ServiceKind::Ungsam.default_port()),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        let service = |kind: ServiceKind| ServiceSettings {
            port: kind.default_port(),
            database_url: None,
            migrate_on_start: true,
        };
        Settings {
            environment: Environment::Development,
            data_dir: PathBuf::from(".trappan"),
            server: ServerSettings {
                listen_host: "127.0.0.1".into(),
                request_timeout_secs: 30,
                max_concurrent_requests: 256,
                max_message_bytes: 4 * 1024 * 1024,
                shutdown_grace_secs: 20,
                health_port: None,
                cors_allowed_origins: Vec::new(),
            },
            bistand: service(ServiceKind::Bistand),
            insatser: service(ServiceKind::Insatser),
            ungsam: service(ServiceKind::Ungsam),
            rapport: RapportSettings {
                port: ServiceKind::Rapport.default_port(),
                database_url: None,
                migrate_on_start: true,
                pseudonym_key_file: None,
                kommuner: vec!["0767".into()],
                suppression_threshold: default_suppression_threshold(),
            },
            peers: PeerSettings::default(),
            auth: AuthSettings {
                mode: AuthMode::Dev,
                dev_key_file: None,
                public_keys_dir: None,
                jwks_url: None,
                discovery_url: None,
                jwks_refresh_secs: 300,
                issuers: vec!["trappan-dev".into()],
                audience: "trappan".into(),
                leeway_secs: 30,
                max_token_lifetime_secs: 12 * 60 * 60,
                token_cache_entries: 10_000,
            },
            telemetry: TelemetrySettings {
                log_format: LogFormat::Pretty,
                log_filter: "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,h2=warn,tower=warn,hyper=warn".into(),
                otlp_endpoint: None,
            },
            delivery: DeliverySettings::default(),
            riksnorm: RiksnormSettings::default(),
            tls: TlsSettings::default(),
        }
    }
}

/// Configuration could not be loaded; the message names the key at fault.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl Settings {
    /// Loads defaults, then `file` (if given), then the `TRAPPAN__SECTION__KEY` environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        Self::load_from(file, std::env::vars())
    }

    /// Like [`Settings::load`], with the environment given explicitly (tests use it).
    pub fn load_from(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        let defaults = config::Config::try_from(&Settings::default()).map_err(|e| ConfigError(e.to_string()))?;
        let mut builder = config::Config::builder().add_source(defaults);
        if let Some(path) = file {
            builder = builder.add_source(config::File::from(path).format(config::FileFormat::Toml).required(true));
        }
        let env: Vec<(String, String)> = env.into_iter().collect();
        // libpq's variable, which sqlx honours too: a Kubernetes manifest can ask for TLS without rewriting a
        // database URL it only has as a secret.
        let pg_sslmode = env.iter().find(|(key, _)| key == "PGSSLMODE").map(|(_, value)| value.clone());
        let env_map = env
            .into_iter()
            .filter(|(key, _)| key.starts_with("TRAPPAN__"))
            .collect::<std::collections::HashMap<_, _>>();
        builder = builder.add_source(
            config::Environment::with_prefix("TRAPPAN")
                .prefix_separator("__")
                .separator("__")
                .list_separator(",")
                .with_list_parse_key("rapport.kommuner")
                .with_list_parse_key("auth.issuers")
                .with_list_parse_key("server.cors_allowed_origins")
                .try_parsing(true)
                .source(Some(env_map)),
        );
        let mut settings: Settings =
            builder.build().and_then(|c| c.try_deserialize()).map_err(|e| ConfigError(e.to_string()))?;
        settings.peers_follow_tls();
        // The list parser reads an empty variable (`TRAPPAN__SERVER__CORS_ALLOWED_ORIGINS=`, as a manifest writes
        // "none") as one empty entry; an empty entry names no origin.
        settings.server.cors_allowed_origins.retain(|origin| !origin.is_empty());
        settings.validate(pg_sslmode.as_deref())?;
        Ok(settings)
    }

    /// With TLS set, a peer left at its built-in plaintext address (a service that never calls it) is that
    /// address over TLS: only an explicitly configured `http://` peer is a mistake to refuse.
    fn peers_follow_tls(&mut self) {
        if !self.tls.enabled() {
            return;
        }
        let defaults = PeerSettings::default();
        for (url, default) in [
            (&mut self.peers.bistand_url, defaults.bistand_url),
            (&mut self.peers.insatser_url, defaults.insatser_url),
            (&mut self.peers.ungsam_url, defaults.ungsam_url),
        ] {
            if *url == default {
                *url = default.replacen("http://", "https://", 1);
            }
        }
    }

    fn validate(&self, pg_sslmode: Option<&str>) -> Result<(), ConfigError> {
        let fail = |key: &str, why: &str| Err(ConfigError(format!("`{key}`: {why}")));
        if self.server.max_concurrent_requests == 0 {
            return fail("server.max_concurrent_requests", "must be at least 1");
        }
        if self.server.request_timeout_secs == 0 {
            return fail("server.request_timeout_secs", "must be at least 1");
        }
        if self.server.max_message_bytes < 1024 {
            return fail("server.max_message_bytes", "must be at least 1024");
        }
        for kind in ServiceKind::ALL {
            if let Some(url) = self.database_url_setting(kind)
                && !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://"))
            {
                return fail(&format!("{kind}.database_url"), "must start with sqlite:, postgres:// or postgresql://");
            }
            if let Some(url) = self.database_url_setting(kind)
                && self.environment == Environment::Production
                && !url.starts_with("sqlite:")
                && !verifies_the_server(url, pg_sslmode)
            {
                return fail(
                    &format!("{kind}.database_url"),
                    "must carry sslmode=verify-full when environment = \"production\": the connection carries \
                     identity numbers and case data, so it is encrypted and the server's certificate and host name \
                     are checked",
                );
            }
        }
        for origin in &self.server.cors_allowed_origins {
            if !is_origin(origin) {
                return fail(
                    "server.cors_allowed_origins",
                    "each entry must be an origin, scheme://host[:port] with http or https and no path, such as \
                     https://handlaggning.markaryd.se; `*` is refused because a page of any site could then call \
                     with a token it holds",
                );
            }
        }
        for kommun in &self.rapport.kommuner {
            if crate::auth::Kommun::parse(kommun).is_none() {
                return fail("rapport.kommuner", "each entry must be a 4-digit kommunkod");
            }
        }
        self.validate_auth()?;
        self.validate_tls()
    }

    fn validate_tls(&self) -> Result<(), ConfigError> {
        let fail = |key: &str, why: &str| Err(ConfigError(format!("`{key}`: {why}")));
        let tls = &self.tls;
        let named = [("tls.cert_file", &tls.cert_file), ("tls.key_file", &tls.key_file), ("tls.ca_file", &tls.ca_file)];
        if named.iter().any(|(_, file)| file.is_some()) {
            if let Some((key, _)) = named.iter().find(|(_, file)| file.is_none()) {
                return fail(key, "must be set too: TLS needs the certificate, its key and the CA");
            }
        } else if self.environment == Environment::Production {
            return fail(
                "tls.cert_file",
                "must be set when environment = \"production\": tokens, identity numbers and case data cross the \
                 network, and the services know each other only by their certificates",
            );
        }
        if self.auth.mode == AuthMode::Keys && !tls.enabled() {
            return fail(
                "tls.cert_file",
                "must be set when auth.mode = \"keys\": without the dev key the services know each other only by \
                 their certificates",
            );
        }
        if tls.trust_domain.trim().is_empty() || tls.trust_domain.contains('/') {
            return fail("tls.trust_domain", "must be a host-like name such as trappan.markaryd.se");
        }
        for (key, url) in [
            ("peers.bistand_url", &self.peers.bistand_url),
            ("peers.insatser_url", &self.peers.insatser_url),
            ("peers.ungsam_url", &self.peers.ungsam_url),
        ] {
            let scheme = match url::Url::parse(url) {
                Ok(url) => url.scheme().to_string(),
                Err(_) => return fail(key, "is not a URL"),
            };
            match (scheme.as_str(), self.tls.enabled()) {
                ("https", true) | ("http", false) => {}
                ("http", true) => {
                    return fail(key, "must be an https:// URL when tls.* is set: peers are called over mutual TLS");
                }
                ("https", false) => {
                    return fail(key, "is https:// but tls.* is not set, so there is no certificate to call it with");
                }
                _ => return fail(key, "must be an http:// or https:// URL"),
            }
        }
        Ok(())
    }

    fn validate_auth(&self) -> Result<(), ConfigError> {
        let fail = |key: &str, why: &str| Err(ConfigError(format!("`{key}`: {why}")));
        let auth = &self.auth;
        let production = self.environment == Environment::Production;
        if production && auth.mode != AuthMode::Keys {
            return fail(
                "auth.mode",
                "must be \"keys\" when environment = \"production\": the dev key signs tokens for anyone who can \
                 read the data directory",
            );
        }
        if production && auth.dev_key_file.is_some() {
            return fail("auth.dev_key_file", "is for development only; unset it when environment = \"production\"");
        }
        if auth.mode == AuthMode::Keys
            && auth.public_keys_dir.is_none()
            && auth.jwks_url.is_none()
            && auth.discovery_url.is_none()
        {
            return fail(
                "auth.public_keys_dir",
                "keys mode needs the identity provider's public keys: set auth.public_keys_dir, auth.jwks_url or \
                 auth.discovery_url",
            );
        }
        if auth.jwks_url.is_some() && auth.discovery_url.is_some() {
            return fail("auth.discovery_url", "set either auth.jwks_url or auth.discovery_url, not both");
        }
        for (key, value) in [("auth.jwks_url", &auth.jwks_url), ("auth.discovery_url", &auth.discovery_url)] {
            let Some(value) = value else { continue };
            match url::Url::parse(value).map(|url| url.scheme().to_string()) {
                Ok(scheme) if scheme == "https" => {}
                Ok(scheme) if scheme == "http" && !production => {}
                Ok(_) if production => return fail(key, "must be an https:// URL when environment = \"production\""),
                _ => return fail(key, "must be an http:// or https:// URL"),
            }
        }
        if auth.issuers.is_empty() || auth.issuers.iter().any(|issuer| issuer.trim().is_empty()) {
            return fail("auth.issuers", "must name at least one issuer, none of them empty");
        }
        if auth.audience.trim().is_empty() {
            return fail("auth.audience", "must not be empty");
        }
        if auth.leeway_secs > 300 {
            return fail("auth.leeway_secs", "must be at most 300 (five minutes of clock skew)");
        }
        if auth.max_token_lifetime_secs < 60 {
            return fail("auth.max_token_lifetime_secs", "must be at least 60");
        }
        if auth.jwks_refresh_secs < 10 {
            return fail("auth.jwks_refresh_secs", "must be at least 10");
        }
        Ok(())
    }

    fn database_url_setting(&self, kind: ServiceKind) -> Option<&str> {
        match kind {
            ServiceKind::Bistand => self.bistand.database_url.as_deref(),
            ServiceKind::Insatser => self.insatser.database_url.as_deref(),
            ServiceKind::Ungsam => self.ungsam.database_url.as_deref(),
            ServiceKind::Rapport => self.rapport.database_url.as_deref(),
        }
    }

    /// The service's store URL: the configured one, or a SQLite file in `data_dir`.
    pub fn database_url(&self, kind: ServiceKind) -> String {
        match self.database_url_setting(kind) {
            Some(url) => url.to_string(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join(format!("{kind}.db")).display()),
        }
    }

    /// The service's gRPC port.
    pub fn port(&self, kind: ServiceKind) -> u16 {
        match kind {
            ServiceKind::Bistand => self.bistand.port,
            ServiceKind::Insatser => self.insatser.port,
            ServiceKind::Ungsam => self.ungsam.port,
            ServiceKind::Rapport => self.rapport.port,
        }
    }

    /// Whether the service migrates its store when it starts.
    pub fn migrate_on_start(&self, kind: ServiceKind) -> bool {
        match kind {
            ServiceKind::Bistand => self.bistand.migrate_on_start,
            ServiceKind::Insatser => self.insatser.migrate_on_start,
            ServiceKind::Ungsam => self.ungsam.migrate_on_start,
            ServiceKind::Rapport => self.rapport.migrate_on_start,
        }
    }

    /// The dev signing key's path.
    pub fn dev_key_file(&self) -> PathBuf {
        self.auth.dev_key_file.clone().unwrap_or_else(|| self.data_dir.join("dev-signing-key.pk8"))
    }

    /// The request timeout as a duration.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.server.request_timeout_secs)
    }

    /// The shutdown grace period as a duration.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.server.shutdown_grace_secs)
    }
}

/// Whether `value` is exactly what a browser sends as its `Origin` header (`scheme://host[:port]`, lower-case,
/// no path or trailing slash): CORS compares origins byte for byte, so anything else would match no page and
/// leave a deployment wondering why its front end is refused.
fn is_origin(value: &str) -> bool {
    let Ok(url) = url::Url::parse(value) else { return false };
    matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none()
        && url.origin().ascii_serialization() == value
}

/// Whether a PostgreSQL connection will be encrypted to a server whose certificate and host name are verified
/// (`sslmode=verify-full`): from the URL's `sslmode` (sqlx's spelling `ssl-mode` too), which wins, or else from
/// `PGSSLMODE`. `require` encrypts but would accept any server that answers on the address, which is why
/// production asks for more.
fn verifies_the_server(url: &str, pg_sslmode: Option<&str>) -> bool {
    let Ok(url) = url::Url::parse(url) else { return false };
    let in_url = url.query_pairs().find(|(key, _)| key == "sslmode" || key == "ssl-mode").map(|(_, value)| value);
    match in_url {
        Some(mode) => mode.eq_ignore_ascii_case("verify-full"),
        None => pg_sslmode.is_some_and(|mode| mode.eq_ignore_ascii_case("verify-full")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// A production deployment that passes every check, to which each test adds or overrides one thing.
    const PRODUCTION: [(&str, &str); 9] = [
        ("TRAPPAN__ENVIRONMENT", "production"),
        ("TRAPPAN__AUTH__MODE", "keys"),
        ("TRAPPAN__AUTH__JWKS_URL", "https://idp.example/keys"),
        ("TRAPPAN__TLS__CERT_FILE", "/etc/trappan/tls/tls.crt"),
        ("TRAPPAN__TLS__KEY_FILE", "/etc/trappan/tls/tls.key"),
        ("TRAPPAN__TLS__CA_FILE", "/etc/trappan/tls/ca.crt"),
        ("TRAPPAN__PEERS__BISTAND_URL", "https://bistand:50051"),
        ("TRAPPAN__PEERS__INSATSER_URL", "https://insatser:50052"),
        ("TRAPPAN__PEERS__UNGSAM_URL", "https://ungsam:50053"),
    ];

    /// [`PRODUCTION`] with `changes` applied: a pair whose value is empty removes the variable.
    fn production(changes: &[(&'static str, &'static str)]) -> Vec<(String, String)> {
        let mut pairs: Vec<(&str, &str)> =
            PRODUCTION.iter().filter(|(key, _)| !changes.iter().any(|(changed, _)| changed == key)).copied().collect();
        pairs.extend(changes.iter().filter(|(_, value)| !value.is_empty()));
        env(&pairs)
    }

    #[test]
    fn defaults_load_without_file_or_environment() {
        let settings = Settings::load_from(None, env(&[])).expect("defaults are valid");
        assert_eq!(settings.port(ServiceKind::Insatser), 50052);
        assert!(settings.database_url(ServiceKind::Bistand).starts_with("sqlite://"));
    }

    #[test]
    fn environment_overrides_defaults() {
        let settings = Settings::load_from(
            None,
            env(&[
                ("TRAPPAN__BISTAND__PORT", "6000"),
                ("TRAPPAN__SERVER__LISTEN_HOST", "0.0.0.0"),
                ("TRAPPAN__BISTAND__DATABASE_URL", "postgres://db/bistand"),
                ("TRAPPAN__RAPPORT__KOMMUNER", "0767,0780"),
            ]),
        )
        .expect("valid");
        assert_eq!(settings.bistand.port, 6000);
        assert_eq!(settings.server.listen_host, "0.0.0.0");
        assert_eq!(settings.database_url(ServiceKind::Bistand), "postgres://db/bistand");
        assert_eq!(settings.rapport.kommuner, vec!["0767", "0780"]);
    }

    #[test]
    fn a_file_sits_between_defaults_and_environment() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("trappan.toml");
        std::fs::write(&path, "[server]\nrequest_timeout_secs = 5\nshutdown_grace_secs = 3\n").expect("write");
        let settings =
            Settings::load_from(Some(&path), env(&[("TRAPPAN__SERVER__SHUTDOWN_GRACE_SECS", "9")])).expect("valid");
        assert_eq!(settings.server.request_timeout_secs, 5);
        assert_eq!(settings.server.shutdown_grace_secs, 9);
    }

    #[test]
    fn invalid_values_name_the_key() {
        let err = Settings::load_from(None, env(&[("TRAPPAN__BISTAND__PORT", "not-a-port")])).expect_err("invalid");
        assert!(err.to_string().contains("bistand.port"), "{err}");
        let err =
            Settings::load_from(None, env(&[("TRAPPAN__INSATSER__DATABASE_URL", "mysql://x")])).expect_err("invalid");
        assert!(err.to_string().contains("insatser.database_url"), "{err}");
        let err =
            Settings::load_from(None, env(&[("TRAPPAN__SERVER__MAX_CONCURRENT_REQUESTS", "0")])).expect_err("invalid");
        assert!(err.to_string().contains("server.max_concurrent_requests"), "{err}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = Settings::load_from(None, env(&[("TRAPPAN__SERVER__LISTEN_HOTS", "x")])).expect_err("invalid");
        assert!(err.to_string().contains("listen_hots"), "{err}");
    }

    #[test]
    fn production_refuses_the_dev_key_and_names_the_missing_key_setting() {
        let err =
            Settings::load_from(None, production(&[("TRAPPAN__AUTH__MODE", ""), ("TRAPPAN__AUTH__JWKS_URL", "")]))
                .expect_err("dev mode");
        assert!(err.to_string().contains("`auth.mode`"), "{err}");
        let err = Settings::load_from(None, production(&[("TRAPPAN__AUTH__JWKS_URL", "")])).expect_err("no keys");
        assert!(err.to_string().contains("`auth.public_keys_dir`"), "{err}");
        assert!(err.to_string().contains("auth.jwks_url"), "{err}");
        let err = Settings::load_from(None, production(&[("TRAPPAN__AUTH__DEV_KEY_FILE", "/tmp/dev.pk8")]))
            .expect_err("dev key file");
        assert!(err.to_string().contains("`auth.dev_key_file`"), "{err}");
        let err = Settings::load_from(None, production(&[("TRAPPAN__AUTH__JWKS_URL", "http://idp.example/keys")]))
            .expect_err("plaintext JWKS");
        assert!(err.to_string().contains("`auth.jwks_url`"), "{err}");
        let settings =
            Settings::load_from(None, production(&[])).expect("production with the identity provider's keys");
        assert_eq!(settings.environment, Environment::Production);
    }

    #[test]
    fn production_and_keys_mode_need_tls_given_whole_with_https_peers() {
        let err = Settings::load_from(
            None,
            production(&[
                ("TRAPPAN__TLS__CERT_FILE", ""),
                ("TRAPPAN__TLS__KEY_FILE", ""),
                ("TRAPPAN__TLS__CA_FILE", ""),
            ]),
        )
        .expect_err("production without TLS");
        assert!(err.to_string().contains("`tls.cert_file`"), "{err}");
        let err = Settings::load_from(None, production(&[("TRAPPAN__TLS__CA_FILE", "")])).expect_err("no CA");
        assert!(err.to_string().contains("`tls.ca_file`"), "{err}");
        let err = Settings::load_from(None, production(&[("TRAPPAN__PEERS__INSATSER_URL", "http://insatser:50052")]))
            .expect_err("plaintext peer");
        assert!(err.to_string().contains("`peers.insatser_url`"), "{err}");
        let err = Settings::load_from(
            None,
            env(&[("TRAPPAN__AUTH__MODE", "keys"), ("TRAPPAN__AUTH__PUBLIC_KEYS_DIR", "/k")]),
        )
        .expect_err("keys mode without TLS");
        assert!(err.to_string().contains("`tls.cert_file`"), "{err}");
        let err = Settings::load_from(None, env(&[("TRAPPAN__PEERS__BISTAND_URL", "https://bistand:50051")]))
            .expect_err("https peer without a certificate to present");
        assert!(err.to_string().contains("`peers.bistand_url`"), "{err}");
        let unset =
            Settings::load_from(None, production(&[("TRAPPAN__PEERS__UNGSAM_URL", "")])).expect("a peer left unset");
        assert_eq!(unset.peers.ungsam_url, "https://127.0.0.1:50053");
        let err = Settings::load_from(None, production(&[("TRAPPAN__TLS__TRUST_DOMAIN", "trappan/local")]))
            .expect_err("trust domain with a path");
        assert!(err.to_string().contains("`tls.trust_domain`"), "{err}");
    }

    #[test]
    fn production_refuses_a_database_connection_that_does_not_verify_the_server() {
        let with_variable = |pg_sslmode: Option<&'static str>, url: &'static str| {
            let mut changes = vec![("TRAPPAN__BISTAND__DATABASE_URL", url)];
            changes.extend(pg_sslmode.map(|mode| ("PGSSLMODE", mode)));
            Settings::load_from(None, production(&changes))
        };
        let production = |url: &'static str| with_variable(None, url);
        for url in [
            "postgres://bistand@db.example:5432/bistand",
            "postgres://bistand@db.example:5432/bistand?sslmode=require",
            "postgres://bistand@db.example:5432/bistand?sslmode=verify-ca",
        ] {
            let err = production(url).expect_err(url);
            assert!(err.to_string().contains("`bistand.database_url`"), "{err}");
            assert!(err.to_string().contains("sslmode=verify-full"), "{err}");
        }
        production("postgres://bistand@db.example:5432/bistand?sslmode=verify-full&sslrootcert=/etc/ca.crt")
            .expect("verify-full");
        production("postgresql://bistand@db.example/bistand?ssl-mode=VERIFY-FULL").expect("sqlx's spelling");
        with_variable(Some("verify-full"), "postgres://app@bistand-db-rw:5432/bistand").expect("PGSSLMODE");
        with_variable(Some("verify-full"), "postgres://app@bistand-db-rw:5432/bistand?sslmode=disable")
            .expect_err("the URL's weaker mode wins over PGSSLMODE");
        with_variable(Some("prefer"), "postgres://app@bistand-db-rw:5432/bistand").expect_err("PGSSLMODE=prefer");
        let development =
            Settings::load_from(None, env(&[("TRAPPAN__BISTAND__DATABASE_URL", "postgres://root@127.0.0.1/bistand")]));
        development.expect("development may connect without TLS");
    }

    #[test]
    fn the_default_environment_is_development() {
        let settings = Settings::load_from(None, env(&[])).expect("defaults");
        assert_eq!(settings.environment, Environment::Development);
        assert_eq!(settings.auth.leeway_secs, 30);
        assert_eq!(settings.auth.max_token_lifetime_secs, 43_200);
    }

    #[test]
    fn cors_origins_are_a_comma_separated_list_of_exact_origins_and_none_by_default() {
        let settings = Settings::load_from(None, env(&[])).expect("defaults");
        assert!(settings.server.cors_allowed_origins.is_empty(), "nothing is open by default");
        let settings = Settings::load_from(None, env(&[("TRAPPAN__SERVER__CORS_ALLOWED_ORIGINS", "")])).expect("empty");
        assert!(settings.server.cors_allowed_origins.is_empty(), "an empty variable names no origin");
        let settings = Settings::load_from(
            None,
            env(&[("TRAPPAN__SERVER__CORS_ALLOWED_ORIGINS", "https://handlaggning.markaryd.se,http://127.0.0.1:8080")]),
        )
        .expect("valid");
        assert_eq!(
            settings.server.cors_allowed_origins,
            vec!["https://handlaggning.markaryd.se", "http://127.0.0.1:8080"]
        );
        for origin in
            ["*", "https://handlaggning.markaryd.se/", "https://x.se/app", "HTTPS://X.SE", "ftp://x.se", "x.se"]
        {
            let err =
                Settings::load_from(None, env(&[("TRAPPAN__SERVER__CORS_ALLOWED_ORIGINS", origin)])).expect_err(origin);
            assert!(err.to_string().contains("`server.cors_allowed_origins`"), "{origin}: {err}");
        }
    }

    #[test]
    fn the_issuer_allow_list_is_a_comma_separated_variable() {
        let settings = Settings::load_from(
            None,
            env(&[("TRAPPAN__AUTH__ISSUERS", "https://idp.example/a,https://idp.example/b")]),
        )
        .expect("valid");
        assert_eq!(settings.auth.issuers, vec!["https://idp.example/a", "https://idp.example/b"]);
        let err = Settings::load_from(None, env(&[("TRAPPAN__AUTH__LEEWAY_SECS", "3600")])).expect_err("too lax");
        assert!(err.to_string().contains("auth.leeway_secs"), "{err}");
    }
}
