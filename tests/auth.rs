//! Every RPC of every service, enumerated from the compiled descriptors (so a new RPC cannot be
//! forgotten), refuses a call without a token and a call from a role its policy does not allow, and
//! admits the roles it does allow.

mod common;

use bytes::{Buf, BufMut};
use prost::Message;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use trappan_platform::auth::{Policy, Role};
use trappan_platform::config::ServiceKind;
use trappan_platform::server::ServiceDefinition;
use trappan_platform::testing::Backend;

/// Sends and receives raw bytes: an empty protobuf message is a valid encoding of every request type.
#[derive(Default, Clone)]
struct RawCodec;

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, tonic::Status> {
        let bytes = src.copy_to_bytes(src.remaining());
        Ok(Some(bytes.to_vec()))
    }
}

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;
    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }
    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

struct Method {
    path: String,
    server_streaming: bool,
    service: ServiceKind,
}

fn trappan_methods() -> Vec<Method> {
    let set = prost_types::FileDescriptorSet::decode(trappan_api::FILE_DESCRIPTOR_SET).expect("descriptors");
    let mut methods = Vec::new();
    for file in set.file {
        let package = file.package().to_string();
        for service in &file.service {
            let kind = match service.name() {
                "BistandService" => ServiceKind::Bistand,
                "InsatserService" => ServiceKind::Insatser,
                "UngsamService" => ServiceKind::Ungsam,
                "RapportService" => ServiceKind::Rapport,
                other => panic!("a service no test knows: {other}"),
            };
            for method in &service.method {
                methods.push(Method {
                    path: format!("/{package}.{}/{}", service.name(), method.name()),
                    server_streaming: method.server_streaming(),
                    service: kind,
                });
            }
        }
    }
    methods
}

fn policy(kind: ServiceKind) -> Policy {
    match kind {
        ServiceKind::Bistand => trappan_bistand::Bistand::policy(),
        ServiceKind::Insatser => trappan_insatser::Insatser::policy(),
        ServiceKind::Ungsam => trappan_ungsam::Ungsam::policy(),
        ServiceKind::Rapport => trappan_rapport::Rapport::policy(),
    }
}

async fn call(suite: &common::TestSuite, method: &Method, token: Option<String>) -> tonic::Code {
    let mut grpc = tonic::client::Grpc::new(suite.channel(method.service));
    grpc.ready().await.expect("ready");
    let mut request = tonic::Request::new(Vec::new());
    if let Some(token) = token {
        request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().expect("ascii"));
    }
    let path: http::uri::PathAndQuery = method.path.parse().expect("path");
    let result = if method.server_streaming {
        grpc.server_streaming(request, path, RawCodec).await.map(|_| ())
    } else {
        grpc.unary(request, path, RawCodec).await.map(|_| ())
    };
    match result {
        Ok(()) => tonic::Code::Ok,
        Err(status) => status.code(),
    }
}

#[test]
fn every_rpc_in_the_contracts_has_a_policy() {
    let methods = trappan_methods();
    assert!(methods.len() >= 19, "the contracts define {} RPCs", methods.len());
    for method in &methods {
        let policy = policy(method.service);
        assert!(
            policy.methods().any(|m| m == method.path),
            "{} has no authorisation rule: add it to the service's policy",
            method.path
        );
    }
}

#[tokio::test]
async fn every_rpc_refuses_missing_tokens_and_roles_it_does_not_allow() {
    let suite = common::TestSuite::spawn(Backend::Sqlite).await;
    for method in trappan_methods() {
        assert_eq!(call(&suite, &method, None).await, tonic::Code::Unauthenticated, "{} without a token", method.path);
        assert_eq!(
            call(&suite, &method, Some("not-a-token".into())).await,
            tonic::Code::Unauthenticated,
            "{} with a malformed token",
            method.path
        );
        let policy = policy(method.service);
        for role in Role::ALL {
            let code = call(&suite, &method, Some(suite.token(role, common::KOMMUN))).await;
            if policy.permits(&method.path, role) {
                assert!(
                    !matches!(code, tonic::Code::Unauthenticated | tonic::Code::PermissionDenied),
                    "{} must admit {}: got {code:?}",
                    method.path,
                    role.name()
                );
            } else {
                assert_eq!(code, tonic::Code::PermissionDenied, "{} must refuse {}", method.path, role.name());
            }
        }
    }
    suite.shutdown().await;
}

#[tokio::test]
async fn health_and_reflection_need_no_token() {
    let suite = common::TestSuite::spawn(Backend::Sqlite).await;
    let mut health = tonic_health::pb::health_client::HealthClient::new(suite.channel(ServiceKind::Bistand));
    let answer = health
        .check(tonic_health::pb::HealthCheckRequest { service: "trappan.bistand.v1.BistandService".into() })
        .await
        .expect("health answers without a token");
    assert_eq!(answer.into_inner().status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32);
    suite.shutdown().await;
}
