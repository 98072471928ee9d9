//! A minimal HTTP/1.1 GET for the few documents a service fetches itself (the identity provider's JWKS and
//! OIDC discovery document): one connection per fetch, TLS by rustls (ring) against the Mozilla roots,
//! a size limit and a deadline. Fetches are rare (minutes apart), so no pooling.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// The largest document accepted; a JWKS is a few kilobytes.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Why a fetch failed; the URL is configuration, not personal data, so it may be named.
#[derive(Debug, thiserror::Error)]
#[error("GET {url}: {reason}")]
pub struct FetchError {
    url: String,
    reason: String,
}

fn failure(url: &url::Url, reason: impl std::fmt::Display) -> FetchError {
    FetchError { url: url.to_string(), reason: reason.to_string() }
}

/// Fetches `url` (http or https) and returns the body of a 200 answer, within `deadline`.
pub async fn get(url: &url::Url, deadline: Duration) -> Result<Bytes, FetchError> {
    match tokio::time::timeout(deadline, fetch(url)).await {
        Ok(result) => result,
        Err(_) => Err(failure(url, format!("no answer within {} s", deadline.as_secs()))),
    }
}

async fn fetch(url: &url::Url) -> Result<Bytes, FetchError> {
    let host = url.host_str().ok_or_else(|| failure(url, "the URL has no host"))?.to_string();
    let port = url.port_or_known_default().ok_or_else(|| failure(url, "the URL has no port"))?;
    let tcp = TcpStream::connect((host.as_str(), port)).await.map_err(|e| failure(url, e))?;
    tcp.set_nodelay(true).map_err(|e| failure(url, e))?;
    match url.scheme() {
        "http" => request(url, tcp).await,
        "https" => {
            let name = rustls::pki_types::ServerName::try_from(host).map_err(|e| failure(url, e))?;
            let tls = tls_connector().map_err(|e| failure(url, e))?;
            let stream = tls.connect(name, tcp).await.map_err(|e| failure(url, e))?;
            request(url, stream).await
        }
        other => Err(failure(url, format!("unsupported scheme {other}"))),
    }
}

fn tls_connector() -> Result<tokio_rustls::TlsConnector, rustls::Error> {
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

async fn request<S>(url: &url::Url, stream: S) -> Result<Bytes, FetchError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| failure(url, e))?;
    let driver = tokio::spawn(async move {
        // The connection ends when the answer has been read or the fetch is abandoned.
        let _ = connection.await;
    });
    let authority = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    };
    let path = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    };
    let request = http::Request::get(path)
        .header(http::header::HOST, authority)
        .header(http::header::ACCEPT, "application/json")
        .header(http::header::CONNECTION, "close")
        .body(Empty::<Bytes>::new())
        .map_err(|e| failure(url, e))?;
    let result = async {
        let response = sender.send_request(request).await.map_err(|e| failure(url, e))?;
        if response.status() != http::StatusCode::OK {
            return Err(failure(url, format!("answered {}", response.status())));
        }
        let body = Limited::new(response.into_body(), MAX_BODY_BYTES)
            .collect()
            .await
            .map_err(|e| failure(url, format!("reading the body: {e}")))?;
        Ok(body.to_bytes())
    }
    .await;
    driver.abort();
    result
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;
    use std::sync::Mutex;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A one-route HTTP/1.1 server on 127.0.0.1:0 whose answer the test changes as it goes; it counts the
    /// requests it has answered.
    pub(crate) struct TestServer {
        pub(crate) url: url::Url,
        body: Arc<Mutex<(u16, String)>>,
        requests: Arc<std::sync::atomic::AtomicUsize>,
        task: tokio::task::JoinHandle<()>,
    }

    impl TestServer {
        pub(crate) async fn start(path: &str) -> TestServer {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let url = url::Url::parse(&format!("http://{}{path}", listener.local_addr().expect("addr"))).expect("url");
            let body = Arc::new(Mutex::new((404, String::new())));
            let requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let (answer, count) = (body.clone(), requests.clone());
            let task = tokio::spawn(async move {
                loop {
                    let Ok((mut socket, _)) = listener.accept().await else { return };
                    let mut received = Vec::new();
                    let mut buffer = [0u8; 1024];
                    while !received.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buffer).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => received.extend_from_slice(&buffer[..n]),
                        }
                    }
                    let (status, text) = answer.lock().expect("lock").clone();
                    count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let response = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                        text.len()
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                    let _ = socket.shutdown().await;
                }
            });
            TestServer { url, body, requests, task }
        }

        pub(crate) fn answer(&self, status: u16, text: &str) {
            *self.body.lock().expect("lock") = (status, text.to_string());
        }

        pub(crate) fn requests(&self) -> usize {
            self.requests.load(std::sync::atomic::Ordering::SeqCst)
        }
    }

    impl Drop for TestServer {
        fn drop(&mut self) {
            self.task.abort();
        }
    }

    #[tokio::test]
    async fn a_document_is_fetched_and_a_non_200_answer_is_an_error() {
        let server = TestServer::start("/keys?x=1").await;
        server.answer(200, "{\"keys\":[]}");
        let body = super::get(&server.url, std::time::Duration::from_secs(5)).await.expect("fetched");
        assert_eq!(&body[..], b"{\"keys\":[]}");
        server.answer(503, "");
        let error = super::get(&server.url, std::time::Duration::from_secs(5)).await.expect_err("503");
        assert!(error.to_string().contains("503"), "{error}");
    }
}
