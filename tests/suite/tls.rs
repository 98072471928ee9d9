//! Transport security: the suite with mutual TLS, as it runs in production. Each service holds a certificate
//! naming its workload (`spiffe://trappan.test/<service>`); the services call each other over mutual TLS and
//! know each other by those certificates; people's clients connect over TLS and are known by their bearer
//! tokens; plaintext is refused; a renewed certificate is used without a restart; the kubelet's probes get
//! plaintext health on a port of their own.

use std::time::Duration;

use tonic::Code;
use trappan_api::bistand::v1::{self as bistand, bistand_service_client::BistandServiceClient};
use trappan_api::insatser::v1 as insatser;
use trappan_platform::auth::{Kommun, Role, Workload};
use trappan_platform::client::{Peers, lazy_channel};
use trappan_platform::config::{ServiceKind, Settings};
use trappan_platform::testing::{Backend, TestPki, served_certificate};
use trappan_platform::tls::ReloadingTls;

use crate::common::{self, KOMMUN, TestSuite, eventually};

/// The peers a workload's pods would have: its own certificate, calling the suite's services over mutual TLS.
fn peers_as(suite: &TestSuite, workload: Workload, kind: ServiceKind) -> Peers {
    let settings = suite.settings_of(kind);
    let tls = ReloadingTls::load(&settings.tls).expect("the workload's certificate");
    Peers::new(&settings, workload, Some(&tls)).expect("peers")
}

fn kommun() -> Kommun {
    Kommun::parse(KOMMUN).expect("kommun")
}

fn from_the_start() -> bistand::StreamChangesRequest {
    bistand::StreamChangesRequest { after_sequence: 0 }
}

/// A referral goes from bistand to insatser over mutual TLS, and rapport follows bistand's feed over it: the
/// services' own calls work with certificates alone.
async fn services_deliver_and_follow_over_mutual_tls(backend: Backend) {
    let suite = TestSuite::spawn_with_tls(backend).await;
    let referral = suite.referred(41, &[bistand::ConsentScope::Referral]).await;
    assert_eq!(referral.state, bistand::ReferralState::Delivered as i32);
    let participants = suite
        .insatser(Role::Arbetsmarknadskoordinator, KOMMUN)
        .list_participants(insatser::ListParticipantsRequest::default())
        .await
        .expect("participants over TLS")
        .into_inner()
        .participants;
    assert_eq!(participants.len(), 1, "{backend:?}: the referral arrived once");
    eventually("rapport has followed bistand's feed over mutual TLS", || async {
        suite.feed_status().await.iter().any(|feed| feed.producer == "bistand" && feed.applied_sequence >= 1)
    })
    .await;
    suite.shutdown().await;
}

/// Who may call is decided by the certificate for services and by the token for people: a person's token
/// over TLS works; a service token does not (a service proves itself by its certificate); a certified
/// workload calls only what its policy names; plaintext and certificates from another CA get no answer.
async fn a_service_is_known_by_its_certificate_and_a_person_by_the_token(backend: Backend) {
    let suite = TestSuite::spawn_with_tls(backend).await;
    let listed =
        suite.bistand(Role::Socialsekreterare, KOMMUN).list_households(bistand::ListHouseholdsRequest::default()).await;
    assert!(listed.is_ok(), "{backend:?}: a person's token over TLS: {listed:?}");

    let system_token = suite.bistand_from(Workload::Rapport, KOMMUN).stream_changes(from_the_start()).await;
    assert_eq!(system_token.expect_err("a service token").code(), Code::Unauthenticated);

    peers_as(&suite, Workload::Rapport, ServiceKind::Rapport)
        .bistand(&kommun())
        .stream_changes(from_the_start())
        .await
        .expect("rapport's certificate may read bistand's feed");
    let ungsam = peers_as(&suite, Workload::Ungsam, ServiceKind::Ungsam)
        .bistand(&kommun())
        .stream_changes(from_the_start())
        .await;
    let refused = ungsam.expect_err("ungsam may not read bistand's feed");
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(refused.message().contains("ungsam"), "{}", refused.message());

    // A certified workload must still say for which municipality it calls.
    let rapport_tls = ReloadingTls::load(&suite.settings_of(ServiceKind::Rapport).tls).expect("rapport's certificate");
    let url = suite.settings.peers.bistand_url.clone();
    let mut anonymous_kommun = BistandServiceClient::new(lazy_channel(&url, Some(&rapport_tls)).expect("channel"));
    let unnamed = anonymous_kommun.stream_changes(from_the_start()).await.expect_err("no kommun header");
    assert_eq!(unnamed.code(), Code::Unauthenticated);

    let plaintext =
        tonic::transport::Channel::from_shared(format!("http://{}", suite.addresses[&ServiceKind::Bistand]))
            .expect("uri")
            .connect_lazy();
    let plain = BistandServiceClient::new(plaintext).list_households(bistand::ListHouseholdsRequest::default()).await;
    assert!(plain.is_err(), "{backend:?}: a plaintext client gets no answer");

    let another_ca = TestPki::new();
    let stranger = another_ca.workload(Workload::Rapport);
    let foreign = ReloadingTls::load(&stranger.settings()).expect("a foreign CA's certificate");
    let mut foreign = BistandServiceClient::new(lazy_channel(&url, Some(&foreign)).expect("channel"));
    let refused = foreign.stream_changes(from_the_start()).await.expect_err("another CA");
    assert_eq!(refused.code(), Code::Unavailable, "{backend:?}: refused in the handshake");
    suite.shutdown().await;
}

/// cert-manager renews a certificate by rewriting its files: the next connection gets the new certificate,
/// and calls go on, without a restart.
async fn a_renewed_certificate_is_served_without_a_restart(backend: Backend) {
    let suite = TestSuite::spawn_with_tls(backend).await;
    let tls = suite.tls().expect("TLS");
    let files = &tls.services[&ServiceKind::Bistand];
    let address = suite.addresses[&ServiceKind::Bistand];
    assert_eq!(served_certificate(address, &files.ca_file).await, files.certificate_der());
    let before = files.certificate_der();
    tls.pki.renew(files, Workload::Bistand);
    let renewed = files.certificate_der();
    assert_ne!(before, renewed);
    assert_eq!(served_certificate(address, &files.ca_file).await, renewed, "{backend:?}: the renewal is served");
    peers_as(&suite, Workload::Rapport, ServiceKind::Rapport)
        .bistand(&kommun())
        .stream_changes(from_the_start())
        .await
        .expect("calls go on after the renewal");
    suite.shutdown().await;
}

/// The kubelet's gRPC probe presents no client certificate, so health is also served in plaintext on
/// `server.health_port`, and nothing else is.
async fn the_health_port_answers_probes_in_plaintext(backend: Backend) {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let mut suite = TestSuite::spawn_with_tls(backend).await;
    let health_port =
        std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
    suite.restart_with(ServiceKind::Ungsam, |settings| settings.server.health_port = Some(health_port)).await;
    let probe = tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{health_port}"))
        .expect("uri")
        .connect_timeout(Duration::from_secs(3))
        .connect_lazy();
    let mut health = HealthClient::new(probe.clone());
    let answer = health.check(HealthCheckRequest { service: String::new() }).await.expect("a plaintext probe");
    assert_eq!(answer.into_inner().status, ServingStatus::Serving as i32, "{backend:?}");
    let mut ungsam = trappan_api::ungsam::v1::ungsam_service_client::UngsamServiceClient::new(probe);
    let other = ungsam.list_young_people(trappan_api::ungsam::v1::ListYoungPeopleRequest::default()).await;
    assert_eq!(other.expect_err("only health").code(), Code::Unimplemented);
    suite.shutdown().await;
}

/// `serve all` runs four services in one process, which cannot share one health port.
#[tokio::test]
async fn serving_all_in_one_process_refuses_one_health_port_for_four() {
    let mut settings = Settings::default();
    settings.server.health_port = Some(8086);
    let (_stop, shutdown) = tokio::sync::watch::channel(false);
    let refused = trappan::suite::serve_all(&ServiceKind::ALL, std::sync::Arc::new(settings), shutdown).await;
    let error = refused.expect_err("one health port for four services");
    assert!(error.to_string().contains("server.health_port"), "{error}");
}

common::backend_tests!(on_backend:
    services_deliver_and_follow_over_mutual_tls,
    a_service_is_known_by_its_certificate_and_a_person_by_the_token,
    a_renewed_certificate_is_served_without_a_restart,
    the_health_port_answers_probes_in_plaintext,
);
