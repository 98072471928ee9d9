//! Conversions between contract types and domain types, shared by every service's transport layer.
//! Each one parses (not merely checks) and names the offending field on failure.

use chrono::{Datelike, NaiveDate};
use trappan_api::common::v1 as common;

use crate::error::ServiceError;

/// Parses a UUID field.
pub fn parse_uuid(value: &str, field: &str) -> Result<uuid::Uuid, ServiceError> {
    uuid::Uuid::parse_str(value).map_err(|_| ServiceError::invalid(field, "must be a UUID"))
}

/// Parses a required `request_id` (a client-chosen UUID that makes a create idempotent).
pub fn parse_request_id(value: &str) -> Result<uuid::Uuid, ServiceError> {
    if value.is_empty() {
        return Err(ServiceError::invalid("request_id", "is required: a UUID chosen by the client"));
    }
    parse_uuid(value, "request_id")
}

/// Parses a required calendar date.
pub fn parse_date(value: Option<&common::Date>, field: &str) -> Result<NaiveDate, ServiceError> {
    let date = value.ok_or_else(|| ServiceError::invalid(field, "is required"))?;
    let (Ok(month), Ok(day)) = (u32::try_from(date.month), u32::try_from(date.day)) else {
        return Err(ServiceError::invalid(field, "is not a calendar date"));
    };
    NaiveDate::from_ymd_opt(date.year, month, day).ok_or_else(|| ServiceError::invalid(field, "is not a calendar date"))
}

/// A calendar date as a contract date.
pub fn to_date(date: NaiveDate) -> common::Date {
    common::Date { year: date.year(), month: date.month() as i32, day: date.day() as i32 }
}

/// Parses a required year and month, returning (year, month 1–12).
pub fn parse_year_month(value: Option<&common::YearMonth>, field: &str) -> Result<(i32, u32), ServiceError> {
    let year_month = value.ok_or_else(|| ServiceError::invalid(field, "is required"))?;
    match u32::try_from(year_month.month) {
        Ok(month @ 1..=12) if (1900..=2200).contains(&year_month.year) => Ok((year_month.year, month)),
        _ => Err(ServiceError::invalid(field, "must be a year 1900–2200 and a month 1–12")),
    }
}

/// A UTC time as a protobuf timestamp.
pub fn to_timestamp(time: chrono::DateTime<chrono::Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: time.timestamp(), nanos: time.timestamp_subsec_nanos() as i32 }
}

/// Requires a non-empty, reasonably short text field (names, reasons).
pub fn required_text(value: &str, field: &str, max_chars: usize) -> Result<String, ServiceError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ServiceError::invalid(field, "is required"));
    }
    if trimmed.chars().count() > max_chars {
        return Err(ServiceError::invalid(field, format!("must be at most {max_chars} characters")));
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_must_exist() {
        assert!(parse_date(Some(&common::Date { year: 2020, month: 2, day: 29 }), "d").is_ok());
        assert!(parse_date(Some(&common::Date { year: 2019, month: 2, day: 29 }), "d").is_err());
        assert!(parse_date(None, "d").is_err());
    }

    #[test]
    fn year_months_are_bounded() {
        assert_eq!(parse_year_month(Some(&common::YearMonth { year: 2020, month: 8 }), "m").ok(), Some((2020, 8)));
        assert!(parse_year_month(Some(&common::YearMonth { year: 2020, month: 13 }), "m").is_err());
    }
}
