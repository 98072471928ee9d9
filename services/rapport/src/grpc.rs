//! rapport's transport: the reports and the feeds' status.

use std::time::Instant;

use tonic::{Request, Response, Status};
use trappan_api::rapport::v1::{self as api, rapport_service_server::RapportService};
use trappan_platform::auth::context;
use trappan_platform::grpc::parse_year_month;
use trappan_platform::server::ServiceContext;

use crate::domain::{DEFAULT_THRESHOLD, Figure, suppress};
use crate::follower::{FeedStates, Producer};
use crate::store;

/// The RapportService implementation.
pub struct RapportApi {
    context: ServiceContext,
    states: FeedStates,
}

impl RapportApi {
    /// The service over `context`'s store and the followers' `states`.
    pub fn new(context: ServiceContext, states: FeedStates) -> RapportApi {
        RapportApi { context, states }
    }
}

fn people_count(figure: Figure) -> api::PeopleCount {
    match figure {
        Figure::Shown(value) => api::PeopleCount { value: i64::try_from(value).unwrap_or(i64::MAX), suppressed: false },
        Figure::Suppressed => api::PeopleCount { value: 0, suppressed: true },
    }
}

#[tonic::async_trait]
impl RapportService for RapportApi {
    async fn get_bistand_report(
        &self,
        request: Request<api::GetBistandReportRequest>,
    ) -> Result<Response<api::GetBistandReportResponse>, Status> {
        let context = context(&request)?;
        let (year, month) = parse_year_month(request.get_ref().month.as_ref(), "month")?;
        let count = store::households_registered_by(
            self.context.store.db()?,
            context.caller.kommun.as_str(),
            year * 100 + month as i32,
        )
        .await?;
        let suppressed = suppress(&[count], DEFAULT_THRESHOLD);
        Ok(Response::new(api::GetBistandReportResponse {
            month: request.get_ref().month,
            registered_households: Some(people_count(suppressed.total)),
        }))
    }

    async fn get_feed_status(
        &self,
        request: Request<api::GetFeedStatusRequest>,
    ) -> Result<Response<api::GetFeedStatusResponse>, Status> {
        let context = context(&request)?;
        let kommun = context.caller.kommun.to_string();
        let states = self.states.lock().map_err(|_| Status::internal("feed state unavailable"))?.clone();
        let feeds = Producer::ALL
            .into_iter()
            .map(|producer| {
                let state = states.get(&(producer, kommun.clone())).cloned().unwrap_or_default();
                api::FeedStatus {
                    producer: producer.name().to_string(),
                    applied_sequence: state.applied_sequence,
                    connected: state.connected,
                    seconds_since_last_event: state
                        .last_event
                        .map_or(0, |at| i64::try_from(Instant::now().duration_since(at).as_secs()).unwrap_or(i64::MAX)),
                }
            })
            .collect();
        Ok(Response::new(api::GetFeedStatusResponse { feeds }))
    }
}
