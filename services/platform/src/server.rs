//! Server bootstrap shared by every service.
//!
//! A service describes itself with [`ServiceDefinition`]; [`serve`] does the rest: health
//! (`grpc.health.v1`, NOT_SERVING until the store is reachable and migrated, NOT_SERVING again while
//! draining), reflection (v1 and v1alpha), the audit-log review (`trappan.audit.v1.AuditService`), authentication, telemetry, load shedding, a request timeout,
//! a maximum message size, gRPC-Web beside plain gRPC on the same port (with CORS for the configured origins
//! only), and a graceful shutdown that lets in-flight calls finish.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use sea_orm_migration::MigratorTrait;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tonic::service::RoutesBuilder;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::auth::{AuthLayer, Policy, TokenVerifier};
use crate::client::Peers;
use crate::config::{ServiceKind, Settings};
use crate::delivery::Dispatcher;
use crate::outbox::ChangeFeed;
use crate::store::{self, Store};
use crate::telemetry::TelemetryLayer;
use crate::tls::ReloadingTls;

/// What a service hands to the runtime: its store, its feed, its peers and the shutdown signal.
#[derive(Clone)]
pub struct ServiceContext {
    /// The configuration in force.
    pub settings: Arc<Settings>,
    /// The service's store (not ready until migrated).
    pub store: Store,
    /// The service's change feed.
    pub feed: ChangeFeed,
    /// The service's outbound delivery worker.
    pub dispatcher: Dispatcher,
    /// Clients of the other services.
    pub peers: Peers,
    /// Turns true when the process is shutting down.
    pub shutdown: watch::Receiver<bool>,
}

impl ServiceContext {
    /// The largest message the service's gRPC server decodes or encodes.
    pub fn max_message_bytes(&self) -> usize {
        self.settings.server.max_message_bytes
    }
}

/// Background work a service runs beside its server (delivery workers, feed followers).
pub type BackgroundTask = BoxFuture<'static, ()>;

/// What a service is, as far as the runtime is concerned.
pub trait ServiceDefinition: Send + Sync + 'static {
    /// Which service.
    const KIND: ServiceKind;
    /// The fully qualified gRPC service name (for health), e.g. `trappan.bistand.v1.BistandService`.
    const GRPC_NAME: &'static str;
    /// The store's migrations (starting with [`store::PlatformTables`]).
    type Migrator: MigratorTrait;

    /// Which roles may call which method.
    fn policy() -> Policy;

    /// Checks service-specific settings before anything starts, so a bad setting refuses start-up with a
    /// clear error rather than failing later. The default accepts everything.
    fn check_settings(_settings: &Settings) -> anyhow::Result<()> {
        Ok(())
    }

    /// Adds the service's gRPC server(s) to `routes` and returns its background tasks.
    fn build(context: &ServiceContext, routes: &mut RoutesBuilder) -> Vec<BackgroundTask>;
}

/// The policy `D`'s server enforces: its own RPCs' rules and those of the audit service every service
/// serves.
pub fn policy<D: ServiceDefinition>() -> Policy {
    D::policy().merge(&crate::audit_service::policy())
}

/// Runs `D` on `listener` until `shutdown` turns true, then drains.
pub async fn serve<D: ServiceDefinition>(
    settings: Arc<Settings>,
    listener: TcpListener,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    D::check_settings(&settings)?;
    let verifier = TokenVerifier::from_settings(&settings)?;
    let tls = if settings.tls.enabled() { Some(ReloadingTls::load(&settings.tls)?) } else { None };
    let store = Store::pending();
    let context = ServiceContext {
        settings: settings.clone(),
        store: store.clone(),
        feed: ChangeFeed::new(store.clone(), shutdown.clone()),
        dispatcher: Dispatcher::new(store.clone(), settings.delivery.clone()),
        peers: Peers::new(&settings, D::KIND.into(), tls.as_ref())?,
        shutdown: shutdown.clone(),
    };

    let (health, health_service) = tonic_health::server::health_reporter();
    set_health(&health, D::GRPC_NAME, ServingStatus::NotServing).await;

    let mut routes = RoutesBuilder::default();
    routes.add_service(health_service.clone());
    add_reflection(&mut routes)?;
    routes.add_service(crate::audit_service::AuditApi::server(store.clone(), context.max_message_bytes()));
    let background = D::build(&context, &mut routes);

    let readiness = tokio::spawn(become_ready::<D>(settings.clone(), store.clone(), health.clone(), shutdown.clone()));
    let mut background: Vec<_> = background.into_iter().map(tokio::spawn).collect();
    background.push(tokio::spawn(crate::audit::run_sealer(store.clone(), shutdown.clone())));

    let local_addr = listener.local_addr()?;
    tracing::info!(service = %D::KIND, %local_addr, "listening");
    let auth = AuthLayer::new(verifier, policy::<D>(), store.clone(), &settings);
    let probes = match settings.server.health_port {
        Some(port) => Some(tokio::spawn(serve_health_probes(
            TcpListener::bind((settings.server.listen_host.as_str(), port)).await?,
            health_service,
            shutdown.clone(),
        ))),
        None => None,
    };
    let incoming = crate::tls::incoming(listener, tls);
    let result = run_server(&settings, routes, auth, incoming, shutdown, health, D::GRPC_NAME).await;
    if let Some(probes) = probes {
        probes.abort();
    }

    readiness.abort();
    for task in background {
        task.abort();
    }
    tracing::info!(service = %D::KIND, "stopped");
    result
}

async fn run_server(
    settings: &Settings,
    routes: RoutesBuilder,
    auth: AuthLayer,
    incoming: crate::tls::Incoming,
    mut shutdown: watch::Receiver<bool>,
    health: HealthReporter,
    grpc_name: &'static str,
) -> anyhow::Result<()> {
    let layers = tower::ServiceBuilder::new()
        // Outermost, so a browser's preflight is answered before anything else sees it; absent when no origin
        // is configured, so a deployment that names none sends no CORS headers and no page elsewhere may call.
        .option_layer(cors_layer(&settings.server.cors_allowed_origins)?)
        // A browser speaks gRPC-Web over HTTP/1.1 or HTTP/2; translated here, everything inside (telemetry,
        // load shedding, authentication, the services) sees plain gRPC. Plain gRPC passes through untouched.
        .layer(tonic_web::GrpcWebLayer::new())
        .layer(TelemetryLayer)
        .layer(LoadShedLayer::new(settings.server.max_concurrent_requests))
        .layer(auth)
        .into_inner();
    let (drain_started_tx, drain_started) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        while !*shutdown.borrow() {
            if shutdown.changed().await.is_err() {
                break;
            }
        }
        set_health(&health, grpc_name, ServingStatus::NotServing).await;
        let _ = drain_started_tx.send(());
    };
    let server = tonic::transport::Server::builder()
        // gRPC-Web from a browser over plaintext arrives as HTTP/1.1 (browsers speak HTTP/2 only over TLS).
        .accept_http1(true)
        .timeout(settings.request_timeout())
        .layer(layers)
        .add_routes(routes.routes())
        .serve_with_incoming_shutdown(incoming, signal);
    let grace = settings.shutdown_grace();
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => Ok(result?),
        Ok(()) = drain_started => {
            match tokio::time::timeout(grace, &mut server).await {
                Ok(result) => Ok(result?),
                Err(_) => {
                    tracing::warn!(grace_secs = grace.as_secs(), "calls still in flight after the grace period");
                    Ok(())
                }
            }
        }
    }
}

/// The request headers a gRPC-Web client sends beside the message: protobuf-ts's and grpc-web's transports
/// send `x-grpc-web`, `content-type` and `x-user-agent`, a deadline as `grpc-timeout`, the bearer token as
/// `authorization`.
const GRPC_WEB_REQUEST_HEADERS: [&str; 5] =
    ["x-grpc-web", "content-type", "authorization", "x-user-agent", "grpc-timeout"];

/// The response headers a page may read: a call's outcome, including the google.rpc details (field
/// violations, precondition failures) that `docs/api.md` describes. gRPC-Web sends them as headers when a call
/// fails before any message.
const GRPC_WEB_RESPONSE_HEADERS: [&str; 3] = ["grpc-status", "grpc-message", "grpc-status-details-bin"];

/// How long a browser may remember a preflight's answer, so a page does not preflight every call.
const CORS_MAX_AGE: Duration = Duration::from_secs(10 * 60);

/// CORS for gRPC-Web from the configured origins (`server.cors_allowed_origins`), or none when none is
/// configured. Only POST, the one method gRPC-Web uses; no credentials, as the token travels in
/// `authorization`, never in a cookie.
fn cors_layer(origins: &[String]) -> anyhow::Result<Option<tower_http::cors::CorsLayer>> {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    if origins.is_empty() {
        return Ok(None);
    }
    let origins = origins
        .iter()
        .map(|origin| http::HeaderValue::from_str(origin))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| anyhow::anyhow!("`server.cors_allowed_origins`: an origin is not a valid header value"))?;
    let request_headers = GRPC_WEB_REQUEST_HEADERS.map(http::HeaderName::from_static);
    let response_headers = GRPC_WEB_RESPONSE_HEADERS.map(http::HeaderName::from_static);
    Ok(Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([http::Method::POST])
            .allow_headers(request_headers)
            .expose_headers(response_headers)
            .max_age(CORS_MAX_AGE),
    ))
}

/// Health alone, in plaintext, for the kubelet's gRPC probes (which speak no TLS) when the service port
/// speaks only TLS. It shows the same status as the service port: NOT_SERVING until migrated and while
/// draining. Nothing else is reachable here.
async fn serve_health_probes(
    listener: TcpListener,
    health_service: tonic_health::pb::health_server::HealthServer<impl tonic_health::pb::health_server::Health>,
    mut shutdown: watch::Receiver<bool>,
) {
    let signal = async move {
        while !*shutdown.borrow() {
            if shutdown.changed().await.is_err() {
                break;
            }
        }
    };
    let served = tonic::transport::Server::builder()
        .add_service(health_service)
        .serve_with_incoming_shutdown(crate::tls::incoming(listener, None), signal)
        .await;
    if let Err(error) = served {
        tracing::error!(%error, "the health probe port stopped");
    }
}

async fn set_health(health: &HealthReporter, grpc_name: &str, status: ServingStatus) {
    health.set_service_status("", status).await;
    health.set_service_status(grpc_name, status).await;
}

fn add_reflection(routes: &mut RoutesBuilder) -> anyhow::Result<()> {
    let v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(trappan_api::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    // Python's grpcio-reflection and older grpcurl speak only v1alpha.
    let v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(trappan_api::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;
    routes.add_service(v1);
    routes.add_service(v1alpha);
    Ok(())
}

/// Connects the store (retrying while it is unreachable), migrates or checks migrations, then reports
/// SERVING.
async fn become_ready<D: ServiceDefinition>(
    settings: Arc<Settings>,
    store: Store,
    health: HealthReporter,
    shutdown: watch::Receiver<bool>,
) {
    let url = settings.database_url(D::KIND);
    let migrate = settings.migrate_on_start(D::KIND);
    let mut streak = crate::error::FailureStreak::default();
    loop {
        if *shutdown.borrow() {
            return;
        }
        match prepare_store::<D::Migrator>(&url, migrate).await {
            Ok(connection) => {
                store.set_ready(connection);
                set_health(&health, D::GRPC_NAME, ServingStatus::Serving).await;
                tracing::info!(service = %D::KIND, "store ready; serving");
                watch_store::<D>(store, health, shutdown).await;
                return;
            }
            Err(error) => {
                if streak.failed() {
                    tracing::warn!(service = %D::KIND, %error, "store not ready; retrying");
                } else {
                    tracing::debug!(service = %D::KIND, %error, "store not ready yet; retrying");
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
}

/// How often a serving service checks that its store still answers.
const STORE_CHECK_INTERVAL: Duration = Duration::from_secs(2);

/// Keeps health true to the store after readiness: NOT_SERVING while the store does not answer (a database
/// restarted, stopped, or cut off by the network), so Kubernetes stops routing calls to a replica that could
/// only fail them, and calls fail fast meanwhile; SERVING again as soon as it answers, without a restart.
async fn watch_store<D: ServiceDefinition>(store: Store, health: HealthReporter, mut shutdown: watch::Receiver<bool>) {
    let mut reachable = true;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(STORE_CHECK_INTERVAL) => {}
            changed = shutdown.changed() => if changed.is_err() { return },
        }
        // Draining owns the health status from here on.
        if *shutdown.borrow() {
            return;
        }
        let answers = store.answers().await;
        if answers == reachable {
            continue;
        }
        reachable = answers;
        if *shutdown.borrow() {
            return;
        }
        store.set_reachable(reachable);
        if reachable {
            set_health(&health, D::GRPC_NAME, ServingStatus::Serving).await;
            tracing::info!(service = %D::KIND, "store reachable again; serving");
        } else {
            set_health(&health, D::GRPC_NAME, ServingStatus::NotServing).await;
            tracing::warn!(service = %D::KIND, "store not reachable; not serving until it answers");
        }
    }
}

async fn prepare_store<M: MigratorTrait>(url: &str, migrate: bool) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let connection = store::connect(url).await?;
    if migrate {
        M::up(&connection, None).await?;
    } else {
        let pending = M::get_pending_migrations(&connection).await?;
        if !pending.is_empty() {
            anyhow::bail!("{} migrations are pending; run `trappan migrate`", pending.len());
        }
    }
    Ok(connection)
}

/// Runs the migrations of `M` against `url`.
pub async fn migrate<M: MigratorTrait>(url: &str) -> anyhow::Result<()> {
    let connection = store::connect(url).await?;
    M::up(&connection, None).await?;
    connection.close().await?;
    Ok(())
}

/// Sheds calls beyond a fixed number in flight with RESOURCE_EXHAUSTED, at once, instead of queueing
/// them: under overload, a quick refusal the client can retry beats a slow answer for everyone.
#[derive(Clone)]
pub struct LoadShedLayer {
    permits: Arc<Semaphore>,
}

impl LoadShedLayer {
    /// Admits at most `max_in_flight` calls at once.
    pub fn new(max_in_flight: usize) -> LoadShedLayer {
        LoadShedLayer { permits: Arc::new(Semaphore::new(max_in_flight)) }
    }
}

impl<S> tower::Layer<S> for LoadShedLayer {
    type Service = LoadShedService<S>;
    fn layer(&self, inner: S) -> LoadShedService<S> {
        LoadShedService { inner, permits: self.permits.clone() }
    }
}

/// The service [`LoadShedLayer`] wraps.
#[derive(Clone)]
pub struct LoadShedService<S> {
    inner: S,
    permits: Arc<Semaphore>,
}

impl<S, B> tower::Service<http::Request<B>> for LoadShedService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>> + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let path = request.uri().path();
        // Health must answer even under overload, or the orchestrator restarts a busy pod.
        let exempt = path.starts_with("/grpc.health.v1.Health/");
        let permit: Option<OwnedSemaphorePermit> = if exempt {
            None
        } else {
            match self.permits.clone().try_acquire_owned() {
                Ok(permit) => Some(permit),
                Err(_) => {
                    let status = tonic::Status::resource_exhausted("the service is at capacity; retry with backoff");
                    return Box::pin(async move { Ok(status.into_http()) });
                }
            }
        };
        let future = self.inner.call(request);
        Box::pin(async move {
            let response = future.await;
            drop(permit);
            response
        })
    }
}

/// Resolves when the process receives SIGTERM or SIGINT.
pub async fn termination_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
