//! Calls between services: lazily connected channels to the peers, for one municipality at a time, with
//! the W3C trace context. Who calls is proved by this workload's certificate over mutual TLS ([`crate::tls`]);
//! the municipality goes in [`KOMMUN_HEADER`]. In development without TLS, a token signed on the spot with
//! the dev key names the workload instead.

use std::sync::Arc;
use std::time::Duration;

use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

use crate::auth::{KOMMUN_HEADER, Kommun, TokenSigner, Workload};
use crate::config::Settings;
use crate::telemetry::inject_trace_context;
use crate::tls::{ReloadingTls, TlsConnector};

/// How this workload proves who it is to its peers.
#[derive(Clone)]
enum Credentials {
    /// Development without TLS: a short-lived token signed with the dev key.
    DevToken(TokenSigner, Workload),
    /// TLS: the certificate the connection presents; nothing to add to a call.
    Certificate,
}

impl Credentials {
    fn bearer(&self, kommun: &Kommun) -> Result<Option<String>, tonic::Status> {
        let Credentials::DevToken(signer, workload) = self else { return Ok(None) };
        signer
            .sign(&workload.caller(kommun.clone()), Duration::from_secs(300))
            .map(Some)
            .map_err(|_| tonic::Status::internal("could not sign a service token"))
    }
}

/// Adds the municipality, the workload's credentials (in development) and the trace context to every
/// outgoing call.
#[derive(Clone)]
pub struct ServiceAuth {
    credentials: Credentials,
    kommun: Kommun,
}

impl tonic::service::Interceptor for ServiceAuth {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        let kommun = self.kommun.as_str().parse().map_err(|_| tonic::Status::internal("kommunkod is not metadata"))?;
        request.metadata_mut().insert(KOMMUN_HEADER, kommun);
        if let Some(token) = self.credentials.bearer(&self.kommun)? {
            let value = format!("Bearer {token}")
                .parse()
                .map_err(|_| tonic::Status::internal("service token is not valid metadata"))?;
            request.metadata_mut().insert("authorization", value);
        }
        inject_trace_context(request.metadata_mut());
        Ok(request)
    }
}

/// A channel to a peer with the service's credentials for one municipality.
pub type PeerChannel = InterceptedService<Channel, ServiceAuth>;

/// Clients of the other services.
#[derive(Clone)]
pub struct Peers {
    credentials: Credentials,
    bistand: Channel,
    insatser: Channel,
    ungsam: Channel,
}

/// A channel to `url` that connects on first use: plaintext for `http://`, mutual TLS with `tls` for
/// `https://` (the configuration allows `https://` only with `tls.*` set).
pub fn lazy_channel(url: &str, tls: Option<&ReloadingTls>) -> anyhow::Result<Channel> {
    let endpoint = Endpoint::from_shared(url.to_string())?
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(10));
    let parsed = url::Url::parse(url)?;
    match (parsed.scheme(), tls) {
        ("https", Some(tls)) => Ok(endpoint.connect_with_connector_lazy(TlsConnector::new(tls.clone(), &parsed)?)),
        ("https", None) => anyhow::bail!("{url} is https:// but no TLS certificate is configured"),
        _ => Ok(endpoint.connect_lazy()),
    }
}

impl Peers {
    /// Channels to the configured peers as `caller`; nothing connects until the first call.
    pub fn new(settings: &Settings, caller: Workload, tls: Option<&ReloadingTls>) -> anyhow::Result<Peers> {
        let credentials = match tls {
            Some(_) => Credentials::Certificate,
            None => Credentials::DevToken(TokenSigner::dev(settings)?, caller),
        };
        Ok(Peers {
            credentials,
            bistand: lazy_channel(&settings.peers.bistand_url, tls)?,
            insatser: lazy_channel(&settings.peers.insatser_url, tls)?,
            ungsam: lazy_channel(&settings.peers.ungsam_url, tls)?,
        })
    }

    fn channel(&self, channel: &Channel, kommun: &Kommun) -> PeerChannel {
        InterceptedService::new(
            channel.clone(),
            ServiceAuth { credentials: self.credentials.clone(), kommun: kommun.clone() },
        )
    }

    /// bistand, on behalf of `kommun`.
    pub fn bistand(
        &self,
        kommun: &Kommun,
    ) -> trappan_api::bistand::v1::bistand_service_client::BistandServiceClient<PeerChannel> {
        trappan_api::bistand::v1::bistand_service_client::BistandServiceClient::new(self.channel(&self.bistand, kommun))
    }

    /// insatser, on behalf of `kommun`.
    pub fn insatser(
        &self,
        kommun: &Kommun,
    ) -> trappan_api::insatser::v1::insatser_service_client::InsatserServiceClient<PeerChannel> {
        trappan_api::insatser::v1::insatser_service_client::InsatserServiceClient::new(
            self.channel(&self.insatser, kommun),
        )
    }

    /// Delivers a referral to insatser for an outbound-delivery worker and judges the answer. bistand's
    /// referrals and Ungsam's handovers take this one path: the participant's id is the acknowledgement, a
    /// peer that is down is tried later, a permanent refusal becomes a dead letter for an operator at once,
    /// and any other refusal is retried, loudly, until its attempts run out, rather than dropping what a case
    /// worker was promised. `what` names the message for operators ("referral", "handover").
    pub async fn refer_to_insatser(
        &self,
        kommun: &Kommun,
        request: trappan_api::insatser::v1::ReceiveReferralRequest,
        what: &str,
    ) -> crate::delivery::Attempt {
        use crate::delivery::Attempt;
        match self.insatser(kommun).receive_referral(request).await {
            Ok(response) => {
                let participant = response.into_inner().participant.map(|p| p.participant_id).unwrap_or_default();
                Attempt::Delivered(participant.into_bytes())
            }
            Err(status) => attempt_after_refusal("insatser", what, &status),
        }
    }

    /// ungsam, on behalf of `kommun`.
    pub fn ungsam(
        &self,
        kommun: &Kommun,
    ) -> trappan_api::ungsam::v1::ungsam_service_client::UngsamServiceClient<PeerChannel> {
        trappan_api::ungsam::v1::ungsam_service_client::UngsamServiceClient::new(self.channel(&self.ungsam, kommun))
    }
}

/// Whether a failed call to a peer is worth retrying later (the peer is down, busy or slow).
pub fn is_transient(status: &tonic::Status) -> bool {
    matches!(
        status.code(),
        tonic::Code::Unavailable
            | tonic::Code::DeadlineExceeded
            | tonic::Code::ResourceExhausted
            | tonic::Code::Aborted
            | tonic::Code::Unknown
            | tonic::Code::Cancelled
    )
}

/// Whether a peer refused a call in a way no retry changes (what it refers to is gone, or the request
/// itself is wrong): an outbound delivery answered so becomes a dead letter at once.
pub fn is_permanent(status: &tonic::Status) -> bool {
    matches!(
        status.code(),
        tonic::Code::NotFound
            | tonic::Code::FailedPrecondition
            | tonic::Code::InvalidArgument
            | tonic::Code::PermissionDenied
    )
}

/// How a peer's refusal of an outbound delivery decides the attempt, the same for every receiver: a peer that
/// is down or busy is tried later; a permanent refusal becomes a dead letter at once; a refusal of no known
/// kind (INTERNAL, UNAUTHENTICATED) may heal, so it is retried, loudly, until the attempts run out, rather than
/// dropping what the receiving unit relies on. `what` names the message for operators ("referral", "report").
pub fn attempt_after_refusal(receiver: &str, what: &str, status: &tonic::Status) -> crate::delivery::Attempt {
    use crate::delivery::Attempt;
    if is_transient(status) {
        return Attempt::Retry(format!("{receiver}: {}", status.code()));
    }
    if is_permanent(status) {
        return Attempt::Failed(format!("{receiver} refused: {}", status.code()));
    }
    tracing::error!(code = ?status.code(), receiver, what, "a delivery was refused");
    Attempt::Retry(format!("{receiver} refused: {}", status.code()))
}

/// Shared so the peers' clients can be kept in an `Arc` by services that prefer it.
pub type SharedPeers = Arc<Peers>;
