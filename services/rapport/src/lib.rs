//! rapport: management and official reporting, built from the other services' change feeds on
//! pseudonymous data only.
//!
//! # Layout
//! - [`domain`]: pure rules (suppression, change vs a year earlier, KPIs, unemployment import, the HTML report).
//! - [`pseudonym`]: keyed hashes with a per-municipality key held outside the database.
//! - [`store`]: pseudonymous facts and the followers' durable cursors.
//! - [`follower`]: one follower per producer and municipality.
//! - [`grpc`]: the `RapportService` transport.

pub mod domain;
pub mod figures;
pub mod follower;
pub mod grpc;
pub mod kolada;
pub mod pseudonym;
pub mod reports;
pub mod store;

use trappan_api::rapport::v1::rapport_service_server::RapportServiceServer;
use trappan_platform::auth::{Kommun, Policy, Role};
use trappan_platform::config::{AuthMode, ServiceKind};
use trappan_platform::server::{BackgroundTask, ServiceContext, ServiceDefinition};

/// The rapport service as the runtime sees it.
pub struct Rapport;

const SERVICE: &str = "/trappan.rapport.v1.RapportService/";

impl ServiceDefinition for Rapport {
    const KIND: ServiceKind = ServiceKind::Rapport;
    const GRPC_NAME: &'static str = "trappan.rapport.v1.RapportService";
    type Migrator = store::Migrator;

    fn policy() -> Policy {
        use Role::*;
        let method = |name: &str| format!("{SERVICE}{name}");
        Policy::new()
            .allow(&method("GetBistandReport"), &[Enhetschef, Analytiker])
            .allow(&method("GetFeedStatus"), &[Enhetschef, Analytiker])
            .allow(&method("GetBudgetReport"), &[Enhetschef, Analytiker])
            .allow(&method("GetChildrenReport"), &[Enhetschef, Analytiker])
            .allow(&method("GetLabourMarketReport"), &[Enhetschef, Analytiker])
            .allow(&method("GetUngsamReport"), &[Enhetschef, Analytiker])
            .allow(&method("GetUnemploymentComparison"), &[Enhetschef, Analytiker])
            .allow(&method("GetManagementReport"), &[Enhetschef, Analytiker])
            .allow(&method("ExportKoladaKpis"), &[Analytiker])
            .allow(&method("ImportUnemploymentStatistics"), &[Analytiker])
            .allow(&method("ImportPopulationFigures"), &[Analytiker])
    }

    fn build(context: &ServiceContext, routes: &mut tonic::service::RoutesBuilder) -> Vec<BackgroundTask> {
        let states = follower::FeedStates::default();
        routes.add_service(
            RapportServiceServer::new(grpc::RapportApi::new(context.clone(), states.clone()))
                .max_decoding_message_size(context.max_message_bytes())
                .max_encoding_message_size(context.max_message_bytes()),
        );
        let settings = &context.settings;
        let key_file =
            settings.rapport.pseudonym_key_file.clone().unwrap_or_else(|| settings.data_dir.join("pseudonym.key"));
        let pseudonymiser = match pseudonym::Pseudonymiser::load(&key_file, settings.auth.mode == AuthMode::Dev) {
            Ok(pseudonymiser) => pseudonymiser,
            Err(error) => {
                // Without the key no fact can be stored; the feeds wait rather than store identifiers.
                tracing::error!(%error, "rapport cannot pseudonymise; feeds are not followed");
                return Vec::new();
            }
        };
        let mut tasks: Vec<BackgroundTask> = Vec::new();
        for kommun in settings.rapport.kommuner.iter().filter_map(|k| Kommun::parse(k)) {
            for producer in follower::Producer::ALL {
                tasks.push(Box::pin(follower::follow(
                    context.clone(),
                    pseudonymiser.clone(),
                    states.clone(),
                    producer,
                    kommun.clone(),
                )));
            }
        }
        tasks
    }
}
