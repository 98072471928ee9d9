//! The service lifecycle: health reports SERVING only once the store is migrated, and SIGTERM drains
//! in-flight calls so that nothing acknowledged is lost.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use trappan_platform::auth::Role;
use trappan_platform::config::{ServiceKind, Settings};

async fn health(address: &str) -> Option<i32> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}")).ok()?.connect().await.ok()?;
    let mut client = HealthClient::new(channel);
    client.check(HealthCheckRequest { service: String::new() }).await.ok().map(|r| r.into_inner().status)
}

#[tokio::test]
async fn health_turns_serving_only_after_migration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut settings = Settings { data_dir: dir.path().to_path_buf(), ..Settings::default() };
    settings.bistand.migrate_on_start = false;
    let settings = Arc::new(settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("addr").to_string();
    let (shutdown, receiver) = tokio::sync::watch::channel(false);
    let server =
        tokio::spawn(trappan::suite::serve_service(ServiceKind::Bistand, settings.clone(), listener, receiver));

    // Once the server answers and its readiness check has reached the store (the SQLite file exists), the
    // unmigrated store must keep it NOT_SERVING.
    common::eventually("the server answers health checks", || async { health(&address).await.is_some() }).await;
    common::eventually("the readiness check reached the store", || async { dir.path().join("bistand.db").exists() })
        .await;
    assert_eq!(health(&address).await, Some(ServingStatus::NotServing as i32), "not migrated yet");

    trappan::suite::migrate_service(ServiceKind::Bistand, &settings).await.expect("migrated");
    common::eventually("SERVING after migration", || async {
        health(&address).await == Some(ServingStatus::Serving as i32)
    })
    .await;
    shutdown.send(true).expect("running");
    server.await.expect("join").expect("clean stop");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

#[tokio::test]
async fn sigterm_drains_and_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let address = format!("127.0.0.1:{port}");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_trappan"))
        .args(["serve", "bistand"])
        .env("TRAPPAN__DATA_DIR", dir.path())
        .env("TRAPPAN__BISTAND__PORT", port.to_string())
        .env("TRAPPAN__SERVER__SHUTDOWN_GRACE_SECS", "10")
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .expect("the trappan binary starts");
    common::eventually("the binary serves", || async { health(&address).await == Some(ServingStatus::Serving as i32) })
        .await;

    let settings = Settings { data_dir: dir.path().to_path_buf(), ..Settings::default() };
    let signer = trappan_platform::auth::TokenSigner::dev(&settings).expect("signer");
    let token = signer
        .sign(
            &trappan_platform::auth::Caller {
                subject: "t".into(),
                role: Role::Socialsekreterare,
                kommun: trappan_platform::auth::Kommun::parse(common::KOMMUN).expect("kommun"),
                unit: "u".into(),
            },
            Duration::from_secs(600),
        )
        .expect("token");
    let channel = tonic::transport::Channel::from_shared(format!("http://{address}")).expect("uri").connect_lazy();
    let client = trappan_api::bistand::v1::bistand_service_client::BistandServiceClient::with_interceptor(
        channel,
        common::Bearer(Some(token)),
    );
    let acknowledged_so_far = Arc::new(AtomicU32::new(0));
    let mut writers = Vec::new();
    for writer in 0..8u32 {
        let mut client = client.clone();
        let acknowledged_so_far = acknowledged_so_far.clone();
        writers.push(tokio::spawn(async move {
            let mut acknowledged = 0u32;
            for n in 0..200u32 {
                let request = trappan_api::bistand::v1::CreateHouseholdRequest {
                    request_id: common::new_request_id(),
                    household: Some(trappan_api::bistand::v1::Household {
                        members: vec![trappan_api::bistand::v1::HouseholdMember {
                            person_identity_number: Some(trappan_api::common::v1::PersonIdentityNumber {
                                value: trappan::demo::demo_personnummer(1980, 1 + writer, 1 + n % 28, n),
                            }),
                            given_name: "A".into(),
                            family_name: "B".into(),
                            role: trappan_api::bistand::v1::MemberRole::Applicant as i32,
                            member_from: Some(trappan_api::common::v1::YearMonth { year: 2020, month: 1 }),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }),
                };
                match client.create_household(request).await {
                    Ok(_) => {
                        acknowledged += 1;
                        acknowledged_so_far.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(status) => {
                        assert_ne!(status.code(), tonic::Code::Internal, "no half-done work");
                        break;
                    }
                }
            }
            acknowledged
        }));
    }
    // SIGTERM while every writer is busy: wait until the server has acknowledged a few calls.
    common::eventually("the writers' first calls are acknowledged", || async {
        acknowledged_so_far.load(Ordering::Relaxed) >= 16
    })
    .await;
    let pid = child.id().expect("pid");
    let killed = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("kill");
    assert!(killed.success());
    let exit = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("exits within the grace")
        .expect("status");
    assert!(exit.success(), "a drained shutdown exits 0: {exit:?}");
    let mut acknowledged = 0;
    for writer in writers {
        acknowledged += writer.await.expect("join");
    }
    assert!(acknowledged > 0, "calls were in flight when SIGTERM came");
    let db = trappan_platform::store::connect(&settings.database_url(ServiceKind::Bistand)).await.expect("db");
    assert_eq!(
        common::count_rows(&db, "household").await,
        i64::from(acknowledged),
        "every acknowledged household is stored"
    );
}

/// A TCP relay to the test PostgreSQL server that the test can cut and restore, standing in for a database
/// that restarts or drops off the network.
struct Relay {
    port: u16,
    cut: Arc<std::sync::atomic::AtomicBool>,
    connections: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    _accept: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn to(target: String) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let cut = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let connections = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (is_cut, open) = (cut.clone(), connections.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if is_cut.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is closed at once
                }
                let target = target.clone();
                open.lock().expect("lock").push(tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                }));
            }
        });
        Relay { port, cut, connections, _accept: accept }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for connection in self.connections.lock().expect("lock").drain(..) {
            connection.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

async fn serving(suite: &common::TestSuite, kind: ServiceKind) -> bool {
    let mut health = HealthClient::new(suite.channel(kind));
    let answer = health.check(HealthCheckRequest { service: String::new() }).await;
    answer.is_ok_and(|answer| answer.into_inner().status == ServingStatus::Serving as i32)
}

/// A database that goes away under a serving service: health turns NOT_SERVING, calls fail at once with
/// UNAVAILABLE (not INTERNAL, not a 30 s wait for a connection), and when the database is back the service
/// serves again by itself, without a restart.
#[tokio::test]
async fn postgres_lost_and_back_turns_health_and_recovers_without_a_restart() {
    use trappan_api::bistand::v1 as bistand;
    use trappan_platform::testing::{Backend, POSTGRES_URL_VAR, backends};
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let server = url::Url::parse(&std::env::var(POSTGRES_URL_VAR).expect("set")).expect("a URL");
    let target = format!("{}:{}", server.host_str().expect("a host"), server.port().unwrap_or(5432));
    let relay = Relay::to(target).await;
    let port = relay.port;
    let suite = common::TestSuite::spawn_with(Backend::Postgres, |settings| {
        let mut url = url::Url::parse(settings.bistand.database_url.as_deref().expect("set")).expect("a URL");
        url.set_port(Some(port)).expect("a port");
        settings.bistand.database_url = Some(url.to_string());
    })
    .await;
    let mut client = suite.bistand(Role::Socialsekreterare, common::KOMMUN);
    common::applicant_household(&mut client, &common::number((1985, 3, 12, 1))).await;

    relay.cut();
    common::eventually_within("NOT_SERVING while the store is unreachable", Duration::from_secs(30), || async {
        !serving(&suite, ServiceKind::Bistand).await
    })
    .await;
    let status = client.list_households(bistand::ListHouseholdsRequest::default()).await.expect_err("no store");
    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");

    relay.restore();
    common::eventually_within("SERVING again once the store answers", Duration::from_secs(30), || async {
        serving(&suite, ServiceKind::Bistand).await
    })
    .await;
    let listed = client.list_households(bistand::ListHouseholdsRequest::default()).await.expect("served again");
    assert_eq!(listed.into_inner().households.len(), 1, "what was stored before the outage is there");
    suite.shutdown().await;
}
