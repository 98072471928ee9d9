//! bistand: ekonomiskt bistånd, the service socialsekreterare work in every day.
//!
//! # Layout
//! - [`domain`]: pure rules (riksnorm, the calculation, jobbstimulans, gallring, forecast, decision support).
//! - [`store`]: entities, migrations and queries; every query is scoped to the caller's municipality and
//!   audited.
//! - [`grpc`]: the `BistandService` transport.
//! - [`referrals`]: delivery of referrals to insatser, later if it is down, never twice.
//! - [`norms`]: the riksnorm tables in use, shipped plus the operator's directory.

pub mod domain;
pub mod grpc;
pub mod norms;
pub mod referrals;
pub mod store;

use std::sync::Arc;

use trappan_api::bistand::v1::bistand_service_server::BistandServiceServer;
use trappan_platform::auth::{Policy, Role, Workload};
use trappan_platform::config::ServiceKind;
use trappan_platform::server::{BackgroundTask, ServiceContext, ServiceDefinition};

/// The bistand service as the runtime sees it.
pub struct Bistand;

const SERVICE: &str = "/trappan.bistand.v1.BistandService/";

impl ServiceDefinition for Bistand {
    const KIND: ServiceKind = ServiceKind::Bistand;
    const GRPC_NAME: &'static str = "trappan.bistand.v1.BistandService";
    type Migrator = store::Migrator;

    fn policy() -> Policy {
        use Role::*;
        let method = |name: &str| format!("{SERVICE}{name}");
        Policy::new()
            .allow(&method("CreateHousehold"), &[Socialsekreterare])
            .allow(&method("GetHousehold"), &[Socialsekreterare, Enhetschef])
            .allow(&method("ListHouseholds"), &[Socialsekreterare, Enhetschef])
            .allow(&method("RecordConsent"), &[Socialsekreterare])
            .allow(&method("WithdrawConsent"), &[Socialsekreterare])
            .allow(&method("CreateReferral"), &[Socialsekreterare])
            .allow(&method("ListReferrals"), &[Socialsekreterare, Enhetschef])
            .allow_workloads(&method("StreamChanges"), &[Workload::Rapport])
            .allow_workloads(&method("ReceiveLabourMarketReport"), &[Workload::Insatser])
            .allow_workloads(&method("RunGallring"), &[Workload::Gallring])
            .allow(&method("CreateApplication"), &[Socialsekreterare])
            .allow(&method("GetApplication"), &[Socialsekreterare, Enhetschef])
            .allow(&method("ListApplications"), &[Socialsekreterare, Enhetschef])
            .allow(&method("CalculateNorm"), &[Socialsekreterare, Enhetschef])
            .allow(&method("ListNormTables"), &[Socialsekreterare, Enhetschef])
            .allow(&method("DecideApplication"), &[Socialsekreterare])
            .allow(&method("GetDecision"), &[Socialsekreterare, Enhetschef])
            .allow(&method("ListDecisions"), &[Socialsekreterare, Enhetschef])
            .allow(&method("ProposeDecision"), &[Socialsekreterare])
            .allow(&method("ConfirmProposedDecision"), &[Socialsekreterare])
            .allow(&method("RecordNotification"), &[Socialsekreterare])
            .allow(&method("CreatePayment"), &[Socialsekreterare])
            .allow(&method("MarkPaymentPaid"), &[Socialsekreterare])
            .allow(&method("StopPayment"), &[Socialsekreterare])
            .allow(&method("ListPayments"), &[Socialsekreterare, Enhetschef])
            .allow(&method("ListClaims"), &[Socialsekreterare, Enhetschef])
            .allow(&method("SetBudget"), &[Enhetschef])
            .allow(&method("GetBudgetStatus"), &[Enhetschef])
            .allow(&method("ListCaseReports"), &[Socialsekreterare, Enhetschef])
            .allow(&method("GetHouseholdHistory"), &[Socialsekreterare, Enhetschef])
            .allow(&method("ExportSocialstyrelsenMonth"), &[Enhetschef])
    }

    fn check_settings(settings: &trappan_platform::config::Settings) -> anyhow::Result<()> {
        norms::LoadedNorms::from_settings(settings)?;
        Ok(())
    }

    fn build(context: &ServiceContext, routes: &mut tonic::service::RoutesBuilder) -> Vec<BackgroundTask> {
        routes.add_service(
            BistandServiceServer::new(grpc::BistandApi::new(context.clone()))
                .max_decoding_message_size(context.max_message_bytes())
                .max_encoding_message_size(context.max_message_bytes()),
        );
        let handler = Arc::new(referrals::ReferralDelivery::new(context.clone()));
        vec![Box::pin(context.dispatcher.clone().run(handler, context.shutdown.clone()))]
    }
}
