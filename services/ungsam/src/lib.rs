//! ungsam: outreach to young people 18–24 who need support towards work or studies, the service
//! ungdomscoacher keep track of the outreach in.
//!
//! # Layout
//! - [`domain`]: pure rules (target group, identification sources, statuses, contacts, consent, import).
//! - [`store`]: entities, migrations and queries; every query is scoped to the caller's municipality and
//!   audited.
//! - [`grpc`]: the `UngsamService` transport.

pub mod domain;
pub mod grpc;
pub mod store;

use trappan_api::ungsam::v1::ungsam_service_server::UngsamServiceServer;
use trappan_platform::auth::{Policy, Role};
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
            .allow(&method("StreamChanges"), &[System])
            .allow(&method("ReceiveHandoverOutcome"), &[System])
    }

    fn build(context: &ServiceContext, routes: &mut tonic::service::RoutesBuilder) -> Vec<BackgroundTask> {
        routes.add_service(
            UngsamServiceServer::new(grpc::UngsamApi::new(context.clone()))
                .max_decoding_message_size(context.max_message_bytes())
                .max_encoding_message_size(context.max_message_bytes()),
        );
        Vec::new()
    }
}
