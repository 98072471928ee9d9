//! ungsam: outreach to young people 18–24 who need support towards work or studies, the service
//! ungdomscoacher keep track of the outreach in.
//!
//! # Layout
//! - [`domain`]: pure rules (target group, identification sources, statuses, contacts, consent, import).
//! - [`store`]: entities, migrations and queries; every query is scoped to the caller's municipality and
//!   audited.
//! - [`grpc`]: the `UngsamService` transport.
//! - [`handovers`]: delivery of handovers to insatser, later if it is down, never twice.
//!
//! Besides serving, the service runs two background tasks: the delivery worker, and the daily exit of
//! everyone who turned 25 (the same store function as the ExitAgedOut RPC).

pub mod domain;
pub mod grpc;
pub mod handovers;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use trappan_api::ungsam::v1::ungsam_service_server::UngsamServiceServer;
use trappan_platform::auth::{CallContext, Policy, Role, Workload};
use trappan_platform::config::ServiceKind;
use trappan_platform::server::{BackgroundTask, ServiceContext, ServiceDefinition};

/// The ungsam service as the runtime sees it.
pub struct Ungsam;

const SERVICE: &str = "/trappan.ungsam.v1.UngsamService/";

impl ServiceDefinition for Ungsam {
    const KIND: ServiceKind = ServiceKind::Ungsam;
    const GRPC_NAME: &'static str = "trappan.ungsam.v1.UngsamService";
    type Migrator = store::Migrator;

    fn policy() -> Policy {
        use Role::*;
        let method = |name: &str| format!("{SERVICE}{name}");
        Policy::new()
            .allow(&method("CreateYoungPerson"), &[Ungdomscoach])
            .allow(&method("GetYoungPerson"), &[Ungdomscoach, Enhetschef])
            .allow(&method("ListYoungPeople"), &[Ungdomscoach, Enhetschef])
            .allow_workloads(&method("StreamChanges"), &[Workload::Rapport])
            .allow_workloads(&method("ReceiveHandoverOutcome"), &[Workload::Insatser])
            .allow(&method("ChangeStatus"), &[Ungdomscoach])
            .allow(&method("RecordContact"), &[Ungdomscoach])
            .allow(&method("ListContacts"), &[Ungdomscoach])
            .allow(&method("ImportYoungPeople"), &[Ungdomscoach, Enhetschef])
            .allow(&method("ExitAgedOut"), &[Ungdomscoach, Enhetschef])
            .allow(&method("RecordConsent"), &[Ungdomscoach])
            .allow(&method("WithdrawConsent"), &[Ungdomscoach])
            .allow(&method("UpdateSupportDetails"), &[Ungdomscoach])
            .allow(&method("HandOver"), &[Ungdomscoach])
            .allow(&method("CreatePartner"), &[Ungdomscoach, Enhetschef])
            .allow(&method("ListPartners"), &[Ungdomscoach, Enhetschef])
            .allow(&method("CreateJointActivity"), &[Ungdomscoach, Enhetschef])
            .allow(&method("ListJointActivities"), &[Ungdomscoach, Enhetschef])
            .allow(&method("GetOutreachSummary"), &[Ungdomscoach, Enhetschef])
    }

    fn build(context: &ServiceContext, routes: &mut tonic::service::RoutesBuilder) -> Vec<BackgroundTask> {
        routes.add_service(
            UngsamServiceServer::new(grpc::UngsamApi::new(context.clone()))
                .max_decoding_message_size(context.max_message_bytes())
                .max_encoding_message_size(context.max_message_bytes()),
        );
        let handler = Arc::new(handovers::HandoverDelivery::new(context.clone()));
        vec![
            Box::pin(context.dispatcher.clone().run(handler, context.shutdown.clone())),
            Box::pin(exit_aged_out_daily(context.clone())),
        ]
    }
}

/// How often the automatic exit at 25 runs.
const AGED_OUT_INTERVAL: Duration = Duration::from_secs(6 * 60 * 60);

/// Exits everyone who turned 25, in every municipality, at start and then every few hours, until
/// shutdown. A failed run is logged and retried at the next interval (or sooner while the store is not
/// ready).
async fn exit_aged_out_daily(context: ServiceContext) {
    let mut shutdown = context.shutdown.clone();
    let mut streak = trappan_platform::error::FailureStreak::default();
    loop {
        if *shutdown.borrow() {
            return;
        }
        let delay = match run_aged_out_exit(&context).await {
            Ok(()) => {
                streak.succeeded();
                AGED_OUT_INTERVAL
            }
            Err(error) => {
                if streak.failed() {
                    tracing::warn!(%error, "the automatic exit at 25 did not run");
                } else {
                    tracing::debug!(%error, "the automatic exit at 25 did not run yet");
                }
                Duration::from_secs(5)
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shutdown.changed() => {}
        }
    }
}

async fn run_aged_out_exit(context: &ServiceContext) -> Result<(), trappan_platform::error::ServiceError> {
    let db = context.store.db()?;
    let today = trappan_platform::clock::today();
    for kommun in store::kommuner_with_active_people(db).await? {
        let job = CallContext::system(kommun, "aged-out-exit");
        let exited = store::outreach::exit_aged_out(db, &job, today).await?;
        if exited > 0 {
            tracing::info!(kommun = job.kommun(), exited, "young people exited on turning 25");
            context.feed.notify_committed();
        }
    }
    Ok(())
}
