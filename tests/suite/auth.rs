//! Every RPC of every service, enumerated from the compiled descriptors (so a new RPC cannot be
//! forgotten), refuses a call without a token and a call from a role its policy does not allow, and
//! admits the roles it does allow.

use crate::common;

use bytes::{Buf, BufMut};
use prost::Message;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use trappan_platform::auth::{Audience, Claims, Kommun, Policy, Role, TokenSigner, Workload};
use trappan_platform::config::{ServiceKind, Settings};
use trappan_platform::server::policy as policy_of;
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
            let kinds = match service.name() {
                "BistandService" => vec![ServiceKind::Bistand],
                "InsatserService" => vec![ServiceKind::Insatser],
                "UngsamService" => vec![ServiceKind::Ungsam],
                "RapportService" => vec![ServiceKind::Rapport],
                // Every service serves the review of its own audit log.
                "AuditService" => SERVICES.to_vec(),
                other => panic!("a service no test knows: {other}"),
            };
            for kind in kinds {
                for method in &service.method {
                    methods.push(Method {
                        path: format!("/{package}.{}/{}", service.name(), method.name()),
                        server_streaming: method.server_streaming(),
                        service: kind,
                    });
                }
            }
        }
    }
    methods
}

const SERVICES: [ServiceKind; 4] =
    [ServiceKind::Bistand, ServiceKind::Insatser, ServiceKind::Ungsam, ServiceKind::Rapport];

/// The policy each service's server enforces (its own RPCs' and the audit service's).
fn policy(kind: ServiceKind) -> Policy {
    match kind {
        ServiceKind::Bistand => policy_of::<trappan_bistand::Bistand>(),
        ServiceKind::Insatser => policy_of::<trappan_insatser::Insatser>(),
        ServiceKind::Ungsam => policy_of::<trappan_ungsam::Ungsam>(),
        ServiceKind::Rapport => policy_of::<trappan_rapport::Rapport>(),
    }
}

/// The dataskyddsombud reads the audit log and nothing else: every RPC it may call is an audit RPC, and it
/// may call every audit RPC on every service.
#[test]
fn the_dataskyddsombud_may_call_the_audit_rpcs_and_nothing_else() {
    let methods = trappan_methods();
    for method in &methods {
        let audit = method.path.starts_with("/trappan.audit.v1.AuditService/");
        assert_eq!(
            policy(method.service).permits(&method.path, Role::Dataskyddsombud),
            audit,
            "{} on {}",
            method.path,
            method.service
        );
        if audit {
            for role in Role::ALL.into_iter().filter(|role| *role != Role::Dataskyddsombud) {
                assert!(!policy(method.service).permits(&method.path, role), "{} admits {}", method.path, role.name());
            }
        }
    }
    assert_eq!(methods.iter().filter(|m| m.path.starts_with("/trappan.audit.v1.")).count(), 2 * SERVICES.len());
}

async fn call(suite: &common::TestSuite, method: &Method, token: Option<String>) -> tonic::Code {
    match call_status(suite, method, token).await {
        Ok(()) => tonic::Code::Ok,
        Err(status) => status.code(),
    }
}

async fn call_status(suite: &common::TestSuite, method: &Method, token: Option<String>) -> Result<(), tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(suite.channel(method.service));
    grpc.ready().await.expect("ready");
    let mut request = tonic::Request::new(Vec::new());
    if let Some(token) = token {
        request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().expect("ascii"));
    }
    let path: http::uri::PathAndQuery = method.path.parse().expect("path");
    if method.server_streaming {
        grpc.server_streaming(request, path, RawCodec).await.map(|_| ())
    } else {
        grpc.unary(request, path, RawCodec).await.map(|_| ())
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
        // A service is admitted only as a workload the RPC names (in development its token's subject).
        for workload in Workload::ALL {
            let code = call(&suite, &method, Some(suite.workload_token(workload, common::KOMMUN))).await;
            if policy.permits_workload(&method.path, workload) {
                assert!(
                    !matches!(code, tonic::Code::Unauthenticated | tonic::Code::PermissionDenied),
                    "{} must admit the workload {}: got {code:?}",
                    method.path,
                    workload.name()
                );
            } else {
                assert_eq!(code, tonic::Code::PermissionDenied, "{} must refuse {}", method.path, workload.name());
            }
        }
        for role in Role::ALL {
            let code = call(&suite, &method, Some(suite.token(role, common::KOMMUN))).await;
            if role == Role::System {
                assert_eq!(code, tonic::Code::PermissionDenied, "{}: a system token names no workload", method.path);
                continue;
            }
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

#[tokio::test]
async fn tokens_the_rules_refuse_are_unauthenticated_with_a_message_naming_the_rule() {
    let suite = common::TestSuite::spawn(Backend::Sqlite).await;
    let signer = TokenSigner::dev(&suite.settings).expect("dev signer");
    let now = chrono::Utc::now().timestamp();
    let valid = Claims {
        sub: "handlaggare-7".into(),
        role: Role::Socialsekreterare,
        kommun: Kommun::parse(common::KOMMUN).expect("kommun"),
        unit: String::new(),
        iss: suite.settings.auth.issuers[0].clone(),
        aud: Audience::One(suite.settings.auth.audience.clone()),
        exp: now + 600,
        nbf: None,
        iat: now,
    };
    let list = Method {
        path: "/trappan.bistand.v1.BistandService/ListHouseholds".into(),
        server_streaming: false,
        service: ServiceKind::Bistand,
    };
    let cases: [(&str, Claims, &str); 4] = [
        ("nbf an hour ahead", Claims { nbf: Some(now + 3600), ..valid.clone() }, "not valid yet"),
        ("valid for ten years", Claims { exp: now + 10 * 365 * 86_400, ..valid.clone() }, "exceeds the longest"),
        ("another audience", Claims { aud: Audience::Many(vec!["account".into()]), ..valid.clone() }, "aud"),
        ("an unknown issuer", Claims { iss: "https://idp.invalid/realm-q".into(), ..valid.clone() }, "issuer"),
    ];
    for (what, claims, rule) in cases {
        let token = signer.sign_claims(&claims).expect("token");
        let status = call_status(&suite, &list, Some(token.clone())).await.expect_err(what);
        assert_eq!(status.code(), tonic::Code::Unauthenticated, "{what}");
        assert!(status.message().contains(rule), "{what}: {}", status.message());
        for part in token.split('.').chain(["realm-q", "handlaggare-7"]) {
            assert!(!status.message().contains(part), "{what}: the message repeats token content");
        }
    }
    // The audience as an array (Keycloak, Azure AD) is accepted when it names this installation.
    let array = Claims { aud: Audience::Many(vec!["account".into(), "trappan".into()]), ..valid };
    call_status(&suite, &list, Some(signer.sign_claims(&array).expect("token"))).await.expect("accepted");
    suite.shutdown().await;
}

/// Runs the binary with only the given `TRAPPAN__…` variables (none from the developer's shell).
fn trappan(args: &[&str], env: &[(&str, &str)], data_dir: &std::path::Path) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_trappan"));
    for (key, _) in std::env::vars().filter(|(key, _)| key.starts_with("TRAPPAN")) {
        command.env_remove(key);
    }
    command.env("TRAPPAN__DATA_DIR", data_dir).envs(env.iter().copied()).args(args);
    command.output().expect("the binary runs")
}

#[test]
fn production_stops_without_real_keys_and_mints_no_dev_tokens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let production = ("TRAPPAN__ENVIRONMENT", "production");
    let keys = ("TRAPPAN__AUTH__MODE", "keys");

    let serve = trappan(&["serve", "bistand"], &[production], dir.path());
    assert!(!serve.status.success());
    let stderr = String::from_utf8_lossy(&serve.stderr);
    assert!(stderr.contains("`auth.mode`"), "{stderr}");

    let serve = trappan(&["serve", "bistand"], &[production, keys], dir.path());
    assert!(!serve.status.success());
    let stderr = String::from_utf8_lossy(&serve.stderr);
    assert!(stderr.contains("`auth.public_keys_dir`"), "the error names the missing key setting: {stderr}");

    let token = trappan(
        &["token", "--role", "socialsekreterare", "--kommun", common::KOMMUN],
        &[
            production,
            keys,
            ("TRAPPAN__AUTH__JWKS_URL", "https://idp.example.invalid/keys"),
            ("TRAPPAN__TLS__CERT_FILE", "/etc/trappan/tls/tls.crt"),
            ("TRAPPAN__TLS__KEY_FILE", "/etc/trappan/tls/tls.key"),
            ("TRAPPAN__TLS__CA_FILE", "/etc/trappan/tls/ca.crt"),
        ],
        dir.path(),
    );
    assert!(!token.status.success());
    assert!(token.stdout.is_empty(), "no token printed");
    let stderr = String::from_utf8_lossy(&token.stderr);
    assert!(stderr.contains("environment = \"development\""), "{stderr}");
    assert!(!dir.path().join("dev-signing-key.pk8").exists(), "no dev key is created in production");

    // In development the command signs with the suite's dev key, which the suite makes when it first starts.
    let settings = Settings { data_dir: dir.path().to_path_buf(), ..Settings::default() };
    trappan_platform::auth::TokenSigner::dev(&settings).expect("the suite's dev key");
    let development = trappan(&["token", "--role", "socialsekreterare", "--kommun", common::KOMMUN], &[], dir.path());
    assert!(development.status.success(), "{}", String::from_utf8_lossy(&development.stderr));
    assert_eq!(String::from_utf8_lossy(&development.stdout).trim().split('.').count(), 3);
}

/// A call the role policy refuses leaves an audit entry naming the caller and the method, and nothing of
/// the token; the entry is sealed into the municipality's chain like any other, `trappan audit verify`
/// accepts the chain, and fails naming the entry once someone with the owner's rights has changed it.
async fn a_refused_call_is_audited_and_the_command_verifies_the_chain(suite: common::TestSuite) -> common::TestSuite {
    use sea_orm::ConnectionTrait;
    let list = Method {
        path: "/trappan.bistand.v1.BistandService/ListHouseholds".into(),
        server_streaming: false,
        service: ServiceKind::Bistand,
    };
    let role = Role::ALL
        .into_iter()
        .find(|role| !policy(ServiceKind::Bistand).permits(&list.path, *role))
        .expect("a role ListHouseholds refuses");
    let token = suite.token_for(role, common::KOMMUN, "nyfiken-3");
    assert_eq!(call(&suite, &list, Some(token)).await, tonic::Code::PermissionDenied);

    let db = suite.database(ServiceKind::Bistand).await;
    let refused = format!(
        "audit_log WHERE outcome = 'refused' AND actor = 'nyfiken-3' AND kommun = '{}' AND rpc = '{}' \
         AND role = '{}' AND subject_kind = 'rpc' AND subject_ref = ''",
        common::KOMMUN,
        list.path,
        role.name()
    );
    assert_eq!(common::count_rows(&db, &refused).await, 1);
    let verified = trappan_platform::audit::verify(&db, None).await.expect("verify");
    assert_eq!(verified.first_broken(), None);
    assert_eq!(common::count_rows(&db, "audit_log WHERE chain_seq IS NULL").await, 0, "sealed");

    let verified = audit_verify(&suite).await;
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
    let stdout = String::from_utf8_lossy(&verified.stdout).to_string();
    let entries = common::count_rows(&db, &format!("audit_log WHERE kommun = '{}'", common::KOMMUN)).await;
    assert!(stdout.contains(&format!("bistand {}: ok, {entries} entries", common::KOMMUN)), "{stdout}");

    let disable = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
        _ => "DROP TRIGGER audit_log_seal_once",
    };
    db.execute_unprepared(disable).await.expect("an owner disables the trigger");
    db.execute_unprepared("UPDATE audit_log SET actor = 'someone-else' WHERE chain_seq = 1").await.expect("tamper");
    let tampered = audit_verify(&suite).await;
    assert!(!tampered.status.success(), "a broken chain fails the command");
    let stdout = String::from_utf8_lossy(&tampered.stdout).to_string();
    assert!(stdout.contains(&format!("bistand {}: BROKEN at entry 1", common::KOMMUN)), "{stdout}");
    db.close().await.expect("close");
    suite
}
common::backend_tests!(a_refused_call_is_audited_and_the_command_verifies_the_chain);

async fn audit_verify(suite: &common::TestSuite) -> std::process::Output {
    let dir = tempfile::tempdir().expect("tempdir");
    tokio::process::Command::new(env!("CARGO_BIN_EXE_trappan"))
        .args(["audit", "verify", "--service", "bistand", "--kommun", common::KOMMUN])
        .env("TRAPPAN__DATA_DIR", dir.path())
        .env("TRAPPAN__BISTAND__DATABASE_URL", &suite.databases[&ServiceKind::Bistand].url)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("the command runs")
}

/// `docs/access.md` is the access matrix, role and workload by RPC, rendered from the policies the servers
/// enforce, so the document cannot drift from the code. `TRAPPAN_WRITE_ACCESS_DOC=1` rewrites it.
#[test]
fn the_access_matrix_in_the_docs_is_the_policy_the_servers_enforce() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/access.md");
    let rendered = access_matrix();
    if std::env::var_os("TRAPPAN_WRITE_ACCESS_DOC").is_some() {
        std::fs::write(&path, &rendered).expect("write docs/access.md");
    }
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        written == rendered,
        "docs/access.md differs from the policies: run `TRAPPAN_WRITE_ACCESS_DOC=1 cargo test --test suite access_matrix`"
    );
}

fn access_matrix() -> String {
    let roles: Vec<Role> = Role::ALL.into_iter().filter(|role| *role != Role::System).collect();
    let mut out = String::from(
        "# Access matrix: who may call which RPC\n\n\
         Rendered from the policies the servers enforce (`Policy` in each service's `lib.rs`, merged with the audit\n\
         service's by `platform::server::policy`) by `tests/suite/auth.rs`, which fails when this page and the code\n\
         differ; `TRAPPAN_WRITE_ACCESS_DOC=1 cargo test --test suite access_matrix` rewrites it. `x` marks a role a\n\
         person's token may carry to call the RPC; the last column names the Trappan workloads (services, known by\n\
         their certificates, `docs/security.md`) that may call it. Everything not marked is PERMISSION_DENIED, and\n\
         the refusal is audited. Every call is also scoped to the caller's municipality (the token's `kommun`).\n\
         Health and reflection need no token.\n",
    );
    for kind in SERVICES {
        let policy = policy(kind);
        out.push_str(&format!("\n## {kind}\n\n| RPC |"));
        for role in &roles {
            out.push_str(&format!(" {} |", role.name()));
        }
        out.push_str(" services |\n|---|");
        out.push_str(&"---|".repeat(roles.len() + 1));
        out.push('\n');
        for method in trappan_methods().into_iter().filter(|method| method.service == kind) {
            let short = method.path.trim_start_matches("/trappan.");
            out.push_str(&format!("| `{short}` |"));
            for role in &roles {
                out.push_str(if policy.permits(&method.path, *role) { " x |" } else { " |" });
            }
            let workloads: Vec<&str> = policy.workloads(&method.path).iter().map(|w| w.name()).collect();
            out.push_str(&format!(" {} |\n", workloads.join(", ")));
        }
    }
    out
}
