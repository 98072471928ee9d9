//! Loading a report's facts for one municipality and period and computing its figures: shared by the RPCs and
//! the benchmark, so what is timed is what is served.

use sea_orm::DatabaseConnection;
use trappan_platform::error::{ServiceError, ServiceResult};

use crate::figures::{self, Period};
use crate::store::queries;

/// The first and last day of `period`.
pub fn dates(period: Period) -> ServiceResult<(chrono::NaiveDate, chrono::NaiveDate)> {
    period.dates().ok_or_else(|| ServiceError::invalid("period", "the period is out of range"))
}

/// The ekonomiskt bistånd figures of `kommun` for `period`.
pub async fn bistand(
    db: &DatabaseConnection,
    kommun: &str,
    period: Period,
    threshold: u64,
) -> ServiceResult<figures::BistandFigures> {
    let (from, to) = period.month_keys();
    let (window_from, _) = period.assistance_window();
    let decisions = queries::granted_decisions(db, kommun, window_from.min(from), to).await?;
    let payments = queries::paid_for_months(db, kommun, from, to).await?;
    Ok(figures::bistand(period, &decisions, &payments, threshold))
}

/// The labour-market unit's figures of `kommun` for `period`.
pub async fn labour_market(
    db: &DatabaseConnection,
    kommun: &str,
    period: Period,
    threshold: u64,
) -> ServiceResult<figures::LabourMarketFigures> {
    let (from, to) = dates(period)?;
    let participants = queries::participants(db, kommun, from, to).await?;
    let interventions = queries::interventions(db, kommun, from, to).await?;
    let follow_ups = queries::follow_ups(db, kommun, from, to).await?;
    Ok(figures::labour_market((from, to), &participants, &interventions, &follow_ups, threshold))
}

/// Ungsam's figures of `kommun` for `period`.
pub async fn ungsam(
    db: &DatabaseConnection,
    kommun: &str,
    period: Period,
    threshold: u64,
) -> ServiceResult<figures::UngsamFigures> {
    ungsam_between(db, kommun, dates(period)?, threshold).await
}

/// Ungsam's figures of `kommun` for the days `from..=to`, for periods that are not a calendar month or year (the
/// management report's year to date).
pub async fn ungsam_between(
    db: &DatabaseConnection,
    kommun: &str,
    (from, to): (chrono::NaiveDate, chrono::NaiveDate),
    threshold: u64,
) -> ServiceResult<figures::UngsamFigures> {
    let people = queries::young_people(db, kommun, from, to).await?;
    let events = queries::ungsam_events(db, kommun, to).await?;
    Ok(figures::ungsam((from, to), &people, &events, threshold))
}
