//! Starting services: one, or the whole suite in one process, on listeners the caller binds.

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use trappan_platform::config::{ServiceKind, Settings};
use trappan_platform::server::serve;

/// Runs one service on `listener` until `shutdown` turns true.
pub async fn serve_service(
    kind: ServiceKind,
    settings: Arc<Settings>,
    listener: TcpListener,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    match kind {
        ServiceKind::Bistand => serve::<trappan_bistand::Bistand>(settings, listener, shutdown).await,
        ServiceKind::Insatser => serve::<trappan_insatser::Insatser>(settings, listener, shutdown).await,
        ServiceKind::Ungsam => serve::<trappan_ungsam::Ungsam>(settings, listener, shutdown).await,
        ServiceKind::Rapport => serve::<trappan_rapport::Rapport>(settings, listener, shutdown).await,
    }
}

/// The URL a command on this machine reaches `kind` at, as the suite's settings place it.
pub fn local_url(settings: &Settings, kind: ServiceKind) -> String {
    format!("http://{}:{}", settings.server.listen_host, settings.port(kind))
}

/// Runs the migrations of `kind` against its configured store.
pub async fn migrate_service(kind: ServiceKind, settings: &Settings) -> anyhow::Result<()> {
    use trappan_platform::server::migrate;
    let url = settings.database_url(kind);
    match kind {
        ServiceKind::Bistand => migrate::<trappan_bistand::store::Migrator>(&url).await,
        ServiceKind::Insatser => migrate::<trappan_insatser::store::Migrator>(&url).await,
        ServiceKind::Ungsam => migrate::<trappan_ungsam::store::Migrator>(&url).await,
        ServiceKind::Rapport => migrate::<trappan_rapport::store::Migrator>(&url).await,
    }
}

/// Binds each service's configured port and runs them all until `shutdown` turns true.
pub async fn serve_all(
    kinds: &[ServiceKind],
    settings: Arc<Settings>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    if kinds.len() > 1 && settings.server.health_port.is_some() {
        anyhow::bail!(
            "`server.health_port` is one port per process: run one service per process (as in Kubernetes) to use it"
        );
    }
    let mut running = Vec::new();
    for &kind in kinds {
        let address = format!("{}:{}", settings.server.listen_host, settings.port(kind));
        let listener =
            TcpListener::bind(&address).await.map_err(|e| anyhow::anyhow!("{kind} cannot listen on {address}: {e}"))?;
        running.push(tokio::spawn(serve_service(kind, settings.clone(), listener, shutdown.clone())));
    }
    let mut first_error = None;
    for task in running {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                first_error.get_or_insert(error);
            }
            Err(join) => {
                first_error.get_or_insert(anyhow::anyhow!("a service task failed: {join}"));
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}
