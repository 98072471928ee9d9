//! The year's forecast for försörjningsstöd against the allocated budget (*avsatt budget*).
//!
//! Method:
//! - **Seasonal ratio**, when last year's full-year total is known and last year's payments over
//!   the same months (January up to the month reached this year) add up to more than 0:
//!   `forecast = paid_to_date × last_year_total / last_year_same_months`.
//! - **Linear run-rate** otherwise: `forecast = paid_to_date / months_elapsed × 12`.
//! - `variance = forecast − budget` (negative: under budget), and the same in per cent of the
//!   budget as **basis points** (`-4500` = −45.00 %); `None` when the budget is 0.
//!
//! All amounts are öre. Divisions are exact in 128-bit integers and rounded to the nearest
//! whole öre (basis point), halves away from zero. Months are calendar months of the budget year,
//! counted from January; payments are booked to the month they are paid.

use serde::{Deserialize, Serialize};

/// Why no forecast could be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ForecastError {
    /// No month of the year has passed yet.
    #[error("no month of the year has payments yet")]
    NoMonths,
    /// More than 12 months of payments.
    #[error("a year has at most 12 months of payments")]
    TooManyMonths,
    /// Last year's months do not line up with this year's.
    #[error("last year's months must be the same months as this year's")]
    MonthsMismatch,
}

/// What the forecast is made from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ForecastInput {
    /// The allocated budget for the year, in öre.
    pub budget_ore: i64,
    /// Paid per month this year, January first, one entry per month elapsed (1..=12).
    pub paid_by_month_ore: Vec<i64>,
    /// Last year's payments for the same months, if known (same length as this year's).
    pub previous_year_same_months_ore: Option<Vec<i64>>,
    /// Last year's full-year total, if known.
    pub previous_year_total_ore: Option<i64>,
}

/// Which method produced the forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ForecastMethod {
    /// Scaled by last year's seasonal pattern.
    SeasonalRatio,
    /// Run-rate of this year's months, times 12.
    LinearRunRate,
}

/// The forecast and how it compares with the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Forecast {
    /// How the forecast was made.
    pub method: ForecastMethod,
    /// Months of payments this year.
    pub months_elapsed: u32,
    /// Paid so far this year, in öre.
    pub paid_to_date_ore: i64,
    /// Forecast for the whole year, in öre.
    pub forecast_ore: i64,
    /// Forecast − budget, in öre (negative: under budget).
    pub variance_ore: i64,
    /// Variance in basis points of the budget (−4500 = −45.00 %); `None` when the budget is 0.
    pub variance_bp: Option<i64>,
}

/// Divides rounding to the nearest integer, halves away from zero; `None` on division by zero
/// or when the result does not fit in i64.
fn div_round(numerator: i128, denominator: i128) -> Option<i64> {
    if denominator == 0 {
        return None;
    }
    let (n, d) = if denominator < 0 { (-numerator, -denominator) } else { (numerator, denominator) };
    let q = if n >= 0 { (2 * n + d) / (2 * d) } else { -((-2 * n + d) / (2 * d)) };
    i64::try_from(q).ok()
}

/// Makes the year's forecast (method in the module doc).
pub fn forecast(input: &ForecastInput) -> Result<Forecast, ForecastError> {
    let months = input.paid_by_month_ore.len();
    if months == 0 {
        return Err(ForecastError::NoMonths);
    }
    if months > 12 {
        return Err(ForecastError::TooManyMonths);
    }
    let sum = |v: &[i64]| v.iter().map(|&x| i128::from(x)).sum::<i128>();
    let paid = sum(&input.paid_by_month_ore);
    let seasonal = match (&input.previous_year_same_months_ore, input.previous_year_total_ore) {
        (Some(same), Some(total)) => {
            if same.len() != months {
                return Err(ForecastError::MonthsMismatch);
            }
            let same_sum = sum(same);
            if same_sum > 0 { div_round(paid * i128::from(total), same_sum) } else { None }
        }
        _ => None,
    };
    let months_i = i128::try_from(months).unwrap_or(12);
    let (method, forecast_ore) = match seasonal {
        Some(f) => (ForecastMethod::SeasonalRatio, f),
        None => (ForecastMethod::LinearRunRate, div_round(paid * 12, months_i).unwrap_or(i64::MAX)),
    };
    let variance = i128::from(forecast_ore) - i128::from(input.budget_ore);
    Ok(Forecast {
        method,
        months_elapsed: u32::try_from(months).unwrap_or(12),
        paid_to_date_ore: i64::try_from(paid).unwrap_or(i64::MAX),
        forecast_ore,
        variance_ore: i64::try_from(variance).unwrap_or(i64::MAX),
        variance_bp: div_round(variance * 10_000, i128::from(input.budget_ore)),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const MKR: i64 = 100_000_000; // 1 000 000 kr in öre

    #[test]
    fn linear_run_rate() {
        // 8 months at 0.55 Mkr = 4.4 Mkr; /8 × 12 = 6.6 Mkr; budget 12 Mkr → −5.4 Mkr, −45.00 %
        let f = forecast(&ForecastInput {
            budget_ore: 12 * MKR,
            paid_by_month_ore: vec![55 * MKR / 100; 8],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(f.method, ForecastMethod::LinearRunRate);
        assert_eq!(f.paid_to_date_ore, 44 * MKR / 10);
        assert_eq!(f.forecast_ore, 66 * MKR / 10);
        assert_eq!(f.variance_ore, -54 * MKR / 10);
        assert_eq!(f.variance_bp, Some(-4500));
        assert_eq!(f.months_elapsed, 8);
    }

    #[test]
    fn seasonal_ratio() {
        // last year: Jan–Mar 300, total 1 500; this year Jan–Mar 240 → 240 × 1500/300 = 1 200
        let f = forecast(&ForecastInput {
            budget_ore: 1_000,
            paid_by_month_ore: vec![100, 80, 60],
            previous_year_same_months_ore: Some(vec![120, 100, 80]),
            previous_year_total_ore: Some(1_500),
        })
        .unwrap();
        assert_eq!(f.method, ForecastMethod::SeasonalRatio);
        assert_eq!(f.forecast_ore, 1_200);
        assert_eq!(f.variance_ore, 200);
        assert_eq!(f.variance_bp, Some(2_000));
    }

    #[test]
    fn rounding_and_fallbacks() {
        // 100 × 1000 / 3 = 33 333.33 → 33 333; variance vs 30 000 = 3 333 → 1 111 bp
        let f = forecast(&ForecastInput {
            budget_ore: 30_000,
            paid_by_month_ore: vec![100],
            previous_year_same_months_ore: Some(vec![3]),
            previous_year_total_ore: Some(1_000),
        })
        .unwrap();
        assert_eq!(f.forecast_ore, 33_333);
        assert_eq!(f.variance_bp, Some(1_111));
        // last year's months summing to 0 → linear
        let f = forecast(&ForecastInput {
            budget_ore: 0,
            paid_by_month_ore: vec![10, 11, 0, 0, 0, 0, 0],
            previous_year_same_months_ore: Some(vec![0; 7]),
            previous_year_total_ore: Some(1_000),
        })
        .unwrap();
        assert_eq!(f.method, ForecastMethod::LinearRunRate);
        // 21 × 12 / 7 = 36
        assert_eq!(f.forecast_ore, 36);
        assert_eq!(f.variance_bp, None);
        // total unknown → linear
        let f = forecast(&ForecastInput {
            budget_ore: 100,
            paid_by_month_ore: vec![5; 12],
            previous_year_same_months_ore: Some(vec![5; 12]),
            previous_year_total_ore: None,
        })
        .unwrap();
        assert_eq!(f.method, ForecastMethod::LinearRunRate);
        assert_eq!(f.forecast_ore, 60);
        assert_eq!(f.variance_bp, Some(-4_000));
        assert_eq!(div_round(-5, 2), Some(-3));
        assert_eq!(div_round(5, -2), Some(-3));
        assert_eq!(div_round(7, 0), None);
    }

    #[test]
    fn errors() {
        assert_eq!(forecast(&ForecastInput::default()), Err(ForecastError::NoMonths));
        let too_many = ForecastInput { paid_by_month_ore: vec![1; 13], ..Default::default() };
        assert_eq!(forecast(&too_many), Err(ForecastError::TooManyMonths));
        let mismatch = ForecastInput {
            paid_by_month_ore: vec![1; 3],
            previous_year_same_months_ore: Some(vec![1; 4]),
            previous_year_total_ore: Some(10),
            ..Default::default()
        };
        assert_eq!(forecast(&mismatch), Err(ForecastError::MonthsMismatch));
    }
}
