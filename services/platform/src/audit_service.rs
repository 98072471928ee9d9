//! The `trappan.audit.v1.AuditService` transport: the dataskyddsombud's review and verification of a
//! service's audit log ([`crate::audit`]). Written once here and served by every service beside its own
//! contract ([`crate::server::serve`]), so each service's log is reviewed where it is kept.

use tonic::{Request, Response, Status};
use trappan_api::audit::v1 as api;
use trappan_api::audit::v1::audit_service_server::{AuditService, AuditServiceServer};

use crate::audit::{self, Break, ReviewFilter};
use crate::auth::{Policy, Role, context};
use crate::error::ServiceError;
use crate::grpc::to_timestamp;
use crate::store::{PageRequest, Store, next_page_token};

const SERVICE: &str = "/trappan.audit.v1.AuditService/";

/// The longest filter value accepted: longer than any stored actor, method or identifier.
const MAX_FILTER_CHARS: usize = 200;

/// Who may call the audit RPCs: the dataskyddsombud, and no one else (the people whose work is audited
/// must not read or check the log of it).
pub fn policy() -> Policy {
    Policy::new()
        .allow(&format!("{SERVICE}ReviewAuditLog"), &[Role::Dataskyddsombud])
        .allow(&format!("{SERVICE}VerifyAuditLog"), &[Role::Dataskyddsombud])
}

/// The audit service over one service's store.
#[derive(Clone)]
pub struct AuditApi {
    store: Store,
}

impl AuditApi {
    /// The server of the audit log kept in `store`.
    pub fn server(store: Store, max_message_bytes: usize) -> AuditServiceServer<AuditApi> {
        AuditServiceServer::new(AuditApi { store })
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes)
    }
}

fn optional_text(value: &str, field: &str) -> Result<Option<String>, ServiceError> {
    if value.chars().count() > MAX_FILTER_CHARS {
        return Err(ServiceError::invalid(field, format!("must be at most {MAX_FILTER_CHARS} characters")));
    }
    Ok((!value.is_empty()).then(|| value.to_string()))
}

fn optional_time(
    value: Option<&prost_types::Timestamp>,
    field: &str,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, ServiceError> {
    value
        .map(|time| {
            u32::try_from(time.nanos)
                .ok()
                .and_then(|nanos| chrono::DateTime::from_timestamp(time.seconds, nanos))
                .ok_or_else(|| ServiceError::invalid(field, "is not a valid timestamp"))
        })
        .transpose()
}

fn parse_filter(body: &api::ReviewAuditLogRequest) -> Result<ReviewFilter, ServiceError> {
    let filter = ReviewFilter {
        subject_kind: optional_text(&body.subject_kind, "subject_kind")?,
        subject_ref: optional_text(&body.subject_ref, "subject_ref")?,
        actor: optional_text(&body.actor, "actor")?,
        rpc: optional_text(&body.rpc, "rpc")?,
        from: optional_time(body.from_time.as_ref(), "from_time")?,
        until: optional_time(body.until_time.as_ref(), "until_time")?,
    };
    if let (Some(from), Some(until)) = (filter.from, filter.until)
        && until < from
    {
        return Err(ServiceError::invalid("until_time", "must not be before from_time"));
    }
    Ok(filter)
}

fn to_api_entry(row: audit::entity::Model) -> api::AuditEntry {
    api::AuditEntry {
        id: row.id.to_string(),
        occur_time: Some(to_timestamp(row.occurred_at)),
        actor: row.actor,
        role: row.role,
        unit: row.unit,
        rpc: row.rpc,
        subject_kind: row.subject_kind,
        subject_ref: row.subject_ref,
        purpose: row.purpose,
        outcome: row.outcome,
        chain_seq: row.chain_seq.unwrap_or_default(),
    }
}

#[tonic::async_trait]
impl AuditService for AuditApi {
    async fn review_audit_log(
        &self,
        request: Request<api::ReviewAuditLogRequest>,
    ) -> Result<Response<api::ReviewAuditLogResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let filter = parse_filter(body)?;
        let page = PageRequest::parse(body.page_size, &body.page_token)?;
        let (rows, next) =
            audit::review(self.store.db()?, &context, &filter, page).await.map_err(ServiceError::from)?;
        Ok(Response::new(api::ReviewAuditLogResponse {
            entries: rows.into_iter().map(to_api_entry).collect(),
            next_page_token: next_page_token(next),
        }))
    }

    async fn verify_audit_log(
        &self,
        request: Request<api::VerifyAuditLogRequest>,
    ) -> Result<Response<api::VerifyAuditLogResponse>, Status> {
        let context = context(&request)?;
        let chain = audit::verify_for(self.store.db()?, &context).await.map_err(ServiceError::from)?;
        let (broken_seq, reason) = match &chain.broken {
            None => (0, api::BreakReason::Unspecified),
            Some(link) => (
                link.seq,
                match link.reason {
                    Break::HashMismatch => api::BreakReason::HashMismatch,
                    Break::Missing => api::BreakReason::Missing,
                },
            ),
        };
        Ok(Response::new(api::VerifyAuditLogResponse {
            intact: chain.broken.is_none(),
            verified_entries: chain.entries,
            broken_seq,
            break_reason: reason.into(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_and_name_the_bad_field() {
        let empty = parse_filter(&api::ReviewAuditLogRequest::default()).expect("valid");
        assert_eq!(empty, ReviewFilter::default(), "empty filters match everything");
        let long = api::ReviewAuditLogRequest { actor: "x".repeat(201), ..Default::default() };
        assert!(matches!(parse_filter(&long), Err(ServiceError::InvalidArgument(v)) if v[0].field == "actor"));
        let backwards = api::ReviewAuditLogRequest {
            from_time: Some(prost_types::Timestamp { seconds: 100, nanos: 0 }),
            until_time: Some(prost_types::Timestamp { seconds: 99, nanos: 0 }),
            ..Default::default()
        };
        assert!(
            matches!(parse_filter(&backwards), Err(ServiceError::InvalidArgument(v)) if v[0].field == "until_time")
        );
        let bad = api::ReviewAuditLogRequest {
            from_time: Some(prost_types::Timestamp { seconds: 0, nanos: -1 }),
            ..Default::default()
        };
        assert!(matches!(parse_filter(&bad), Err(ServiceError::InvalidArgument(v)) if v[0].field == "from_time"));
    }
}
