//! insatser: arbetsmarknadsinsatser, the labour-market unit's participants, plans, interventions and
//! exits. Arbetsmarknadskoordinatorer register participants directly; bistand and ungsam refer people
//! here, with the person's consent.
//!
//! # Layout
//! - [`domain`]: pure rules (the work ladder, the activity catalogue, plans, attendance, follow-ups,
//!   exits, age bands).
//! - [`store`]: entities, migrations and queries; every query is scoped to the caller's municipality and
//!   audited, and every registration is idempotent (on `request_id` or on the referral's identifier).
//! - [`grpc`]: the `InsatserService` transport.
//! - [`reports`]: delivery of reports to bistand and outcomes to Ungsam, later if they are down, never
//!   without the consent to report back.

pub mod domain;
pub mod grpc;
pub mod reports;
pub mod store;

use std::sync::Arc;

use trappan_api::insatser::v1::insatser_service_server::InsatserServiceServer;
use trappan_platform::auth::{Policy, Role, Workload};
use trappan_platform::config::ServiceKind;
use trappan_platform::server::{BackgroundTask, ServiceContext, ServiceDefinition};

/// The insatser service as the runtime sees it.
pub struct Insatser;

const SERVICE: &str = "/trappan.insatser.v1.InsatserService/";

impl ServiceDefinition for Insatser {
    const KIND: ServiceKind = ServiceKind::Insatser;
    const GRPC_NAME: &'static str = "trappan.insatser.v1.InsatserService";
    type Migrator = store::Migrator;

    fn policy() -> Policy {
        use Role::*;
        let method = |name: &str| format!("{SERVICE}{name}");
        Policy::new()
            // Referrals arrive service to service, from bistand's and ungsam's delivery workers.
            .allow_workloads(&method("ReceiveReferral"), &[Workload::Bistand, Workload::Ungsam])
            .allow(&method("CreateParticipant"), &[Arbetsmarknadskoordinator])
            .allow(&method("GetParticipant"), &[Arbetsmarknadskoordinator, Enhetschef])
            .allow(&method("ListParticipants"), &[Arbetsmarknadskoordinator, Enhetschef])
            .allow_workloads(&method("StreamChanges"), &[Workload::Rapport])
            .allow(&method("GetUnitRules"), &[Arbetsmarknadskoordinator, Enhetschef])
            .allow(&method("UpdateUnitRules"), &[Enhetschef])
            .allow(&method("CreatePlan"), &[Arbetsmarknadskoordinator])
            .allow(&method("RevisePlan"), &[Arbetsmarknadskoordinator])
            .allow(&method("GetPlan"), &[Arbetsmarknadskoordinator, Enhetschef])
            .allow(&method("ListPlanRevisions"), &[Arbetsmarknadskoordinator, Enhetschef])
            .allow(&method("ListCatalogueEntries"), &[Arbetsmarknadskoordinator, Enhetschef])
            // The unit's manager maintains the catalogue.
            .allow(&method("CreateCatalogueEntry"), &[Enhetschef])
            .allow(&method("CreateEmployer"), &[Arbetsmarknadskoordinator])
            .allow(&method("ListEmployers"), &[Arbetsmarknadskoordinator, Enhetschef])
            .allow(&method("StartIntervention"), &[Arbetsmarknadskoordinator])
            .allow(&method("EndIntervention"), &[Arbetsmarknadskoordinator])
            .allow(&method("ListInterventions"), &[Arbetsmarknadskoordinator, Enhetschef])
            .allow(&method("RecordAttendance"), &[Arbetsmarknadskoordinator])
            .allow(&method("ListFollowUps"), &[Arbetsmarknadskoordinator, Enhetschef])
            .allow(&method("RecordFollowUp"), &[Arbetsmarknadskoordinator])
            .allow(&method("ExitParticipant"), &[Arbetsmarknadskoordinator])
    }

    fn build(context: &ServiceContext, routes: &mut tonic::service::RoutesBuilder) -> Vec<BackgroundTask> {
        routes.add_service(
            InsatserServiceServer::new(grpc::InsatserApi::new(context.clone()))
                .max_decoding_message_size(context.max_message_bytes())
                .max_encoding_message_size(context.max_message_bytes()),
        );
        let handler = Arc::new(reports::ReportDelivery::new(context.clone()));
        vec![Box::pin(context.dispatcher.clone().run(handler, context.shutdown.clone()))]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_covers_every_method_of_the_contract() {
        let policy = Insatser::policy();
        for name in [
            "ReceiveReferral",
            "CreateParticipant",
            "GetParticipant",
            "ListParticipants",
            "StreamChanges",
            "GetUnitRules",
            "UpdateUnitRules",
            "CreatePlan",
            "RevisePlan",
            "GetPlan",
            "ListPlanRevisions",
            "ListCatalogueEntries",
            "CreateCatalogueEntry",
            "CreateEmployer",
            "ListEmployers",
            "StartIntervention",
            "EndIntervention",
            "ListInterventions",
            "RecordAttendance",
            "ListFollowUps",
            "RecordFollowUp",
            "ExitParticipant",
        ] {
            assert!(policy.methods().any(|m| m == format!("{SERVICE}{name}")), "{name} has no policy");
        }
        assert!(policy.permits_workload(&format!("{SERVICE}ReceiveReferral"), Workload::Bistand));
        assert!(policy.permits_workload(&format!("{SERVICE}ReceiveReferral"), Workload::Ungsam));
        assert!(!policy.permits_workload(&format!("{SERVICE}ReceiveReferral"), Workload::Rapport));
        assert!(!policy.permits(&format!("{SERVICE}ReceiveReferral"), Role::Arbetsmarknadskoordinator));
        assert!(!policy.permits(&format!("{SERVICE}CreateParticipant"), Role::Enhetschef));
        assert!(policy.permits(&format!("{SERVICE}GetParticipant"), Role::Enhetschef));
    }
}
