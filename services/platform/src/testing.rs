//! Test support: a fresh database per test, on SQLite or on PostgreSQL, and a certificate authority per
//! test ([`TestPki`]) for the TLS tests.
//!
//! `TRAPPAN_TEST_POSTGRES_URL` (for example `postgres://postgres@127.0.0.1:5432/postgres`) names a
//! server on which each test creates its own database and drops it afterwards. Without it, only SQLite
//! runs — unless `CI` is set, where PostgreSQL is required and its absence fails the test.

use sea_orm::{ConnectionTrait, Database};

/// The store backends a store test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A database of its own on the PostgreSQL server named by `TRAPPAN_TEST_POSTGRES_URL`.
    Postgres,
}

/// The environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_URL_VAR: &str = "TRAPPAN_TEST_POSTGRES_URL";

/// The backends available here: SQLite always, PostgreSQL when configured (required in CI).
pub fn backends() -> Vec<Backend> {
    let mut backends = vec![Backend::Sqlite];
    if std::env::var(POSTGRES_URL_VAR).is_ok() {
        backends.push(Backend::Postgres);
    } else if std::env::var("CI").is_ok() {
        panic!("{POSTGRES_URL_VAR} must be set in CI: every store test runs on PostgreSQL too");
    }
    backends
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDatabase {
    /// The URL a service connects to.
    pub url: String,
    backend: Backend,
    name: String,
    admin_url: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// Creates an empty database on `backend`.
    pub async fn create(backend: Backend) -> TestDatabase {
        let name = format!("trappan_test_{}", uuid::Uuid::new_v4().simple());
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join(format!("{name}.db")).display());
                TestDatabase { url, backend, name, admin_url: None, _dir: Some(dir) }
            }
            Backend::Postgres => {
                let admin_url = std::env::var(POSTGRES_URL_VAR).expect("TRAPPAN_TEST_POSTGRES_URL");
                let admin = Database::connect(&admin_url).await.expect("the test PostgreSQL server is reachable");
                admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
                admin.close().await.ok();
                let mut url = url::Url::parse(&admin_url).expect("TRAPPAN_TEST_POSTGRES_URL is a URL");
                url.set_path(&format!("/{name}"));
                TestDatabase { url: url.to_string(), backend, name, admin_url: Some(admin_url), _dir: None }
            }
        }
    }

    /// Which backend this database is on.
    pub fn backend(&self) -> Backend {
        self.backend
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(admin_url) = self.admin_url.clone() else { return };
        let name = self.name.clone();
        // Drop may run inside or outside a runtime; a thread of its own works in both.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let admin = Database::connect(&admin_url).await.ok()?;
                admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok()?;
                admin.close().await.ok()
            })
        })
        .join();
        if dropped.is_err() {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}

/// The trust domain of the certificates [`TestPki`] issues.
pub const TEST_TRUST_DOMAIN: &str = "trappan.test";

/// A certificate authority made for one test, issuing certificates the way the cluster's issuer does in
/// production: each names its workload as `spiffe://trappan.test/<workload>` and is valid for `localhost`
/// and `127.0.0.1`, for serving and for calling.
pub struct TestPki {
    dir: tempfile::TempDir,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    ca_file: std::path::PathBuf,
}

/// The files of one issued certificate.
pub struct IssuedFiles {
    /// The certificate, PEM.
    pub cert_file: std::path::PathBuf,
    /// Its private key, PEM (PKCS#8).
    pub key_file: std::path::PathBuf,
    /// The CA's certificate, PEM.
    pub ca_file: std::path::PathBuf,
}

impl IssuedFiles {
    /// `tls.*` settings that use these files.
    pub fn settings(&self) -> crate::config::TlsSettings {
        crate::config::TlsSettings {
            cert_file: Some(self.cert_file.clone()),
            key_file: Some(self.key_file.clone()),
            ca_file: Some(self.ca_file.clone()),
            trust_domain: TEST_TRUST_DOMAIN.into(),
        }
    }

    /// The certificate in [`Self::cert_file`] as DER, to compare with what a server presents.
    pub fn certificate_der(&self) -> Vec<u8> {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        CertificateDer::from_pem_file(&self.cert_file).expect("a PEM certificate").to_vec()
    }
}

impl Default for TestPki {
    fn default() -> Self {
        Self::new()
    }
}

impl TestPki {
    /// A new CA in a temporary directory.
    pub fn new() -> TestPki {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let key = rcgen::KeyPair::generate().expect("a CA key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, "Trappan test CA");
        params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
        let certificate = params.self_signed(&key).expect("the CA certificate");
        let ca_file = dir.path().join("ca.crt");
        std::fs::write(&ca_file, certificate.pem()).expect("write the CA certificate");
        TestPki { dir, issuer: rcgen::Issuer::new(params, key), ca_file }
    }

    /// A certificate naming `workload`, as cert-manager issues it to that service's pods.
    pub fn workload(&self, workload: crate::auth::Workload) -> IssuedFiles {
        let files = self.files(workload.name());
        self.renew(&files, workload);
        files
    }

    /// A certificate for the server's names that names no workload (a client holding it is nobody).
    pub fn server_only(&self) -> IssuedFiles {
        let files = self.files("anonymous");
        self.issue(&files, None);
        files
    }

    /// Issues a fresh certificate and key for `workload` into existing files, as a renewal does.
    pub fn renew(&self, files: &IssuedFiles, workload: crate::auth::Workload) {
        self.issue(files, Some(workload));
    }

    fn files(&self, name: &str) -> IssuedFiles {
        IssuedFiles {
            cert_file: self.dir.path().join(format!("{name}.crt")),
            key_file: self.dir.path().join(format!("{name}.key")),
            ca_file: self.ca_file.clone(),
        }
    }

    fn issue(&self, files: &IssuedFiles, workload: Option<crate::auth::Workload>) {
        let key = rcgen::KeyPair::generate().expect("a key");
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("parameters");
        params.subject_alt_names.push(rcgen::SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()));
        if let Some(workload) = workload {
            let uri = format!("spiffe://{TEST_TRUST_DOMAIN}/{}", workload.name());
            params.subject_alt_names.push(rcgen::SanType::URI(uri.try_into().expect("an IA5 URI")));
        }
        params.extended_key_usages =
            vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth, rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let certificate = params.signed_by(&key, &self.issuer).expect("a certificate");
        // The key first: a reader that sees the new certificate must not find the old key beside it.
        std::fs::write(&files.key_file, key.serialize_pem()).expect("write the key");
        std::fs::write(&files.cert_file, certificate.pem()).expect("write the certificate");
    }
}

/// The certificate the TLS server at `address` presents to a new connection, verified against `ca_file`;
/// the client presents none. Shows which certificate a server serves after a renewal.
pub async fn served_certificate(address: std::net::SocketAddr, ca_file: &std::path::Path) -> Vec<u8> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_file_iter(ca_file).expect("the CA file") {
        roots.add(ca.expect("a CA certificate")).expect("a usable CA");
    }
    let config =
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
    let stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    let name = ServerName::IpAddress(address.ip().into());
    let stream =
        tokio_rustls::TlsConnector::from(std::sync::Arc::new(config)).connect(name, stream).await.expect("a handshake");
    let leaf = stream.get_ref().1.peer_certificates().and_then(|chain| chain.first().cloned()).expect("a certificate");
    leaf.to_vec()
}
