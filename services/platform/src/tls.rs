//! Transport security: TLS on every gRPC endpoint and mutual TLS between the services, with certificates
//! that are re-read when they change on disk, so a rotation by the cluster's issuer (cert-manager renews
//! them well before expiry) takes effect without a restart.
//!
//! The settings are `tls.*` ([`crate::config::TlsSettings`]): a certificate and key naming this workload, and
//! the CA that issued the certificates of every Trappan workload. A server presents its certificate to every
//! client and asks for one in return: a client that presents a certificate from the CA whose URI SAN is
//! `spiffe://<tls.trust_domain>/<workload>` is that workload ([`PeerIdentity`]); one without a certificate
//! (a case-worker front end, an e-service) is a person, known only by its bearer token. A client presenting a
//! certificate from another CA is refused during the handshake. Outgoing calls verify the peer's certificate
//! against the same CA and its host name, and present this workload's own certificate.
//!
//! Why certificates and not Kubernetes service-account tokens: the issue asked for both encryption and
//! identity, and one mechanism gives both; `docs/security.md` has the argument.

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use futures::Stream;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tonic::transport::server::Connected;

use crate::auth::Workload;
use crate::config::TlsSettings;

/// How long a client may take to complete the TLS handshake before its connection is dropped, so a slow
/// or silent client cannot hold a connection slot.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// TCP keepalive on accepted connections: the server notices peers that vanished without closing (a node
/// lost, a NAT entry dropped).
const KEEPALIVE: Duration = Duration::from_secs(60);

/// This workload's TLS configuration, reloaded from its files when any of them changes.
#[derive(Clone)]
pub struct ReloadingTls {
    inner: Arc<Inner>,
}

struct Inner {
    files: [PathBuf; 3],
    trust_domain: String,
    loaded: Mutex<Loaded>,
}

struct Loaded {
    stamp: Stamp,
    server: Arc<ServerConfig>,
    client: Arc<ClientConfig>,
}

/// The modification time and length of the certificate, key and CA files: a change in any means a reload.
type Stamp = [Option<(SystemTime, u64)>; 3];

fn stamp(files: &[PathBuf; 3]) -> Stamp {
    files
        .each_ref()
        .map(|file| std::fs::metadata(file).ok().map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len())))
}

impl ReloadingTls {
    /// Loads the configured certificate, key and CA; an error names the file that could not be used.
    pub fn load(settings: &TlsSettings) -> anyhow::Result<ReloadingTls> {
        let (Some(cert), Some(key), Some(ca)) = (&settings.cert_file, &settings.key_file, &settings.ca_file) else {
            anyhow::bail!("`tls.cert_file`, `tls.key_file` and `tls.ca_file` must all be set to use TLS");
        };
        let files = [cert.clone(), key.clone(), ca.clone()];
        let stamp = stamp(&files);
        let (server, client) = build_configs(&files)?;
        let inner = Inner {
            files,
            trust_domain: settings.trust_domain.clone(),
            loaded: Mutex::new(Loaded { stamp, server, client }),
        };
        Ok(ReloadingTls { inner: Arc::new(inner) })
    }

    /// The configuration from the files as they are now. A file caught half-written (the issuer's renewal
    /// swaps all three, not necessarily at once) keeps the last good configuration and is tried again on
    /// the next connection.
    fn current(&self) -> (Arc<ServerConfig>, Arc<ClientConfig>) {
        let mut loaded = self.inner.loaded.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = stamp(&self.inner.files);
        if now != loaded.stamp {
            match build_configs(&self.inner.files) {
                Ok((server, client)) => {
                    *loaded = Loaded { stamp: now, server, client };
                    tracing::info!("TLS certificate reloaded");
                }
                Err(error) => {
                    tracing::warn!(%error, "the TLS files changed but cannot be used yet; keeping the last good ones")
                }
            }
        }
        (loaded.server.clone(), loaded.client.clone())
    }

    /// The workload a verified client certificate names, if any.
    fn workload_of(&self, certificates: Option<&[CertificateDer<'_>]>) -> Option<Workload> {
        let leaf = certificates?.first()?;
        workload_in_certificate(leaf, &self.inner.trust_domain)
    }
}

fn build_configs(files: &[PathBuf; 3]) -> anyhow::Result<(Arc<ServerConfig>, Arc<ClientConfig>)> {
    let [cert_file, key_file, ca_file] = files;
    let chain = read_certificates(cert_file)?;
    let key = PrivateKeyDer::from_pem_file(key_file)
        .map_err(|error| anyhow::anyhow!("`tls.key_file` ({}): {error}", key_file.display()))?;
    let mut roots = RootCertStore::empty();
    for ca in read_certificates(ca_file)? {
        roots.add(ca).map_err(|error| anyhow::anyhow!("`tls.ca_file` ({}): {error}", ca_file.display()))?;
    }
    let roots = Arc::new(roots);
    let provider = Arc::new(rustls::crypto::ring::default_provider());

    // People's clients present no certificate; the auth layer then asks for a bearer token.
    let verifier =
        WebPkiClientVerifier::builder_with_provider(roots.clone(), provider.clone()).allow_unauthenticated().build()?;
    let mut server = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain.clone(), key.clone_key())
        .map_err(|error| anyhow::anyhow!("`tls.cert_file` and `tls.key_file` do not make a usable pair: {error}"))?;
    server.alpn_protocols = vec![b"h2".to_vec()];

    let mut client = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)?;
    client.alpn_protocols = vec![b"h2".to_vec()];
    Ok((Arc::new(server), Arc::new(client)))
}

fn read_certificates(file: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certificates = CertificateDer::pem_file_iter(file)
        .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
        .map_err(|error| anyhow::anyhow!("{}: {error}", file.display()))?;
    if certificates.is_empty() {
        anyhow::bail!("{}: no PEM certificate in the file", file.display());
    }
    Ok(certificates)
}

/// The workload named by a certificate's URI SAN `spiffe://<trust_domain>/<workload>`; the certificate has
/// already been verified against the CA by the handshake.
pub fn workload_in_certificate(certificate: &CertificateDer<'_>, trust_domain: &str) -> Option<Workload> {
    let (_, parsed) = x509_parser::parse_x509_certificate(certificate.as_ref()).ok()?;
    let names = parsed.subject_alternative_name().ok()??;
    let prefix = format!("spiffe://{trust_domain}/");
    names.value.general_names.iter().find_map(|name| match name {
        x509_parser::extensions::GeneralName::URI(uri) => uri.strip_prefix(&prefix).and_then(Workload::parse),
        _ => None,
    })
}

/// Who is at the other end of a connection, as far as the transport knows: the workload its certificate
/// names, or nobody (plaintext, or a TLS client without a certificate). The auth layer reads it from the
/// request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerIdentity {
    /// The Trappan workload the client's certificate names.
    pub workload: Option<Workload>,
}

/// An accepted connection, plaintext or TLS.
pub enum Connection {
    /// Development: no TLS configured.
    Plain(TcpStream),
    /// TLS, with the identity its client certificate proved.
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>, PeerIdentity),
}

impl Connected for Connection {
    type ConnectInfo = PeerIdentity;

    fn connect_info(&self) -> PeerIdentity {
        match self {
            Connection::Plain(_) => PeerIdentity { workload: None },
            Connection::Tls(_, identity) => *identity,
        }
    }
}

impl AsyncRead for Connection {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(stream) => Pin::new(stream).poll_read(cx, buf),
            Connection::Tls(stream, _) => Pin::new(stream).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Connection::Plain(stream) => Pin::new(stream).poll_write(cx, buf),
            Connection::Tls(stream, _) => Pin::new(stream).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(stream) => Pin::new(stream).poll_flush(cx),
            Connection::Tls(stream, _) => Pin::new(stream).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(stream) => Pin::new(stream).poll_shutdown(cx),
            Connection::Tls(stream, _) => Pin::new(stream).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Connection::Plain(stream) => Pin::new(stream).poll_write_vectored(cx, bufs),
            Connection::Tls(stream, _) => Pin::new(stream).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Connection::Plain(stream) => stream.is_write_vectored(),
            Connection::Tls(stream, _) => stream.is_write_vectored(),
        }
    }
}

/// The server's accepted connections: Nagle's algorithm off, keepalive on, and the TLS handshake done (each
/// in a task of its own, so a slow client never holds up the others) when `tls` is given.
///
/// Why Nagle off: with it on, a small gRPC response waits for the client's delayed ACK, which capped every RPC
/// near 1 450 calls/s with a 40 ms tail whatever the handler did (`docs/performance.md`).
pub fn incoming(listener: TcpListener, tls: Option<ReloadingTls>) -> Incoming {
    let (sender, receiver) = mpsc::channel(64);
    let acceptor = tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            if let Err(error) = tune(&stream) {
                tracing::debug!(%error, "could not set TCP options on an accepted connection");
            }
            match &tls {
                None => {
                    if sender.send(Connection::Plain(stream)).await.is_err() {
                        return;
                    }
                }
                Some(tls) => {
                    let (tls, sender) = (tls.clone(), sender.clone());
                    tokio::spawn(async move {
                        let (server_config, _) = tls.current();
                        let handshake = tokio_rustls::TlsAcceptor::from(server_config).accept(stream);
                        match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
                            Ok(Ok(stream)) => {
                                let identity =
                                    PeerIdentity { workload: tls.workload_of(stream.get_ref().1.peer_certificates()) };
                                let _ = sender.send(Connection::Tls(Box::new(stream), identity)).await;
                            }
                            Ok(Err(error)) => tracing::info!(%error, "TLS handshake refused"),
                            Err(_) => tracing::info!("TLS handshake timed out"),
                        }
                    });
                }
            }
        }
    });
    Incoming { receiver, acceptor }
}

fn tune(stream: &TcpStream) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    socket2::SockRef::from(stream).set_tcp_keepalive(&socket2::TcpKeepalive::new().with_time(KEEPALIVE))
}

/// The stream of accepted connections [`incoming`] returns; dropping it stops accepting and frees the port.
pub struct Incoming {
    receiver: mpsc::Receiver<Connection>,
    acceptor: tokio::task::JoinHandle<()>,
}

impl Stream for Incoming {
    type Item = Result<Connection, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.receiver.poll_recv(cx).map(|connection| connection.map(Ok))
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

/// A connector for outgoing calls over TLS to `url` (`https://host:port`): the peer's certificate must come
/// from the CA and name the host, and this workload presents its own certificate.
#[derive(Clone)]
pub struct TlsConnector {
    tls: ReloadingTls,
    host: String,
    port: u16,
}

impl TlsConnector {
    /// A connector to the `https://` URL `url`.
    pub fn new(tls: ReloadingTls, url: &url::Url) -> anyhow::Result<TlsConnector> {
        let host = url.host_str().ok_or_else(|| anyhow::anyhow!("{url} names no host"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
        Ok(TlsConnector { tls, host, port: url.port_or_known_default().unwrap_or(443) })
    }
}

impl tower::Service<http::Uri> for TlsConnector {
    type Response = hyper_util::rt::TokioIo<tokio_rustls::client::TlsStream<TcpStream>>;
    type Error = std::io::Error;
    type Future = futures::future::BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _uri: http::Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let (_, client_config) = this.tls.current();
            let name = ServerName::try_from(this.host.clone())
                .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidInput, error))?;
            let stream = TcpStream::connect((this.host.as_str(), this.port)).await?;
            stream.set_nodelay(true)?;
            let stream = tokio_rustls::TlsConnector::from(client_config).connect(name, stream).await?;
            Ok(hyper_util::rt::TokioIo::new(stream))
        })
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;
    use crate::testing::TestPki;

    #[tokio::test]
    async fn accepted_connections_have_nagle_off() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let mut incoming = incoming(listener, None);
        let _client = TcpStream::connect(address).await.expect("connect");
        let Connection::Plain(accepted) = incoming.next().await.expect("a connection").expect("accepted") else {
            panic!("no TLS was configured");
        };
        assert!(accepted.nodelay().expect("read TCP_NODELAY"), "TCP_NODELAY must be on for accepted sockets");
    }

    #[test]
    fn a_certificate_names_its_workload_only_in_its_own_trust_domain() {
        let pki = TestPki::new();
        let files = pki.workload(Workload::Rapport);
        let certificate = read_certificates(&files.cert_file).expect("the certificate").remove(0);
        assert_eq!(workload_in_certificate(&certificate, crate::testing::TEST_TRUST_DOMAIN), Some(Workload::Rapport));
        assert_eq!(workload_in_certificate(&certificate, "other.example"), None);
        let person = read_certificates(&pki.server_only().cert_file).expect("the certificate").remove(0);
        assert_eq!(workload_in_certificate(&person, crate::testing::TEST_TRUST_DOMAIN), None);
    }

    #[test]
    fn a_renewed_certificate_is_used_without_a_restart_and_a_broken_one_is_not() {
        let pki = TestPki::new();
        let files = pki.workload(Workload::Bistand);
        let tls = ReloadingTls::load(&files.settings()).expect("load");
        let first = tls.current().0;
        assert!(Arc::ptr_eq(&first, &tls.current().0), "unchanged files are not read again");

        // A half-written renewal keeps the last good configuration.
        std::fs::write(&files.cert_file, "-----BEGIN CERTIFICATE-----\nbroken").expect("write");
        assert!(Arc::ptr_eq(&first, &tls.current().0));

        pki.renew(&files, Workload::Bistand);
        let renewed = tls.current().0;
        assert!(!Arc::ptr_eq(&first, &renewed), "the renewed certificate is loaded");
        assert!(Arc::ptr_eq(&renewed, &tls.current().0));
    }
}
