//! Change against a year earlier, in integer basis points or per mille, with
//! rounding half away from zero.

/// Integer division rounded half away from zero; `None` when `den` is 0.
pub fn div_round_half_away(num: i128, den: i128) -> Option<i128> {
    if den == 0 {
        return None;
    }
    let q = num / den;
    let r = num % den;
    // |2r| >= |den| means the fraction is at least one half.
    if r != 0 && r.unsigned_abs() * 2 >= den.unsigned_abs() {
        if (num < 0) == (den < 0) { Some(q + 1) } else { Some(q - 1) }
    } else {
        Some(q)
    }
}

fn relative_change(previous: i64, current: i64, scale: i128) -> Option<i64> {
    let diff = i128::from(current) - i128::from(previous);
    let v = div_round_half_away(diff * scale, i128::from(previous).abs())?;
    i64::try_from(v).ok()
}

/// Relative change from `previous` to `current` in basis points (1 % = 100 bp),
/// rounded half away from zero: 98 → 57 gives −4184 (−41.84 %). `None` if
/// `previous` is 0. A negative `previous` is measured against its absolute value.
pub fn change_basis_points(previous: i64, current: i64) -> Option<i64> {
    relative_change(previous, current, 10_000)
}

/// Relative change in per mille (1 % = 10 ‰), rounded half away from zero:
/// 98 → 57 gives −418. `None` if `previous` is 0.
pub fn change_per_mille(previous: i64, current: i64) -> Option<i64> {
    relative_change(previous, current, 1_000)
}

/// Formats basis points as a percent number with 0–2 decimals (dot decimal,
/// ASCII minus, rounded half away from zero): −4184 bp, 1 decimal → `"-41.8"`.
pub fn format_basis_points_as_percent(bp: i64, decimals: u8) -> String {
    let decimals = decimals.min(2);
    let divisor: i128 = if decimals == 2 { 1 } else { 10i128.pow(u32::from(2 - decimals)) };
    let scaled = div_round_half_away(i128::from(bp), divisor).unwrap_or(0);
    let neg = scaled < 0;
    let abs = scaled.unsigned_abs();
    let unit = 10u128.pow(u32::from(decimals));
    let sign = if neg { "-" } else { "" };
    if decimals == 0 {
        format!("{sign}{abs}")
    } else {
        format!("{sign}{}.{:0width$}", abs / unit, abs % unit, width = usize::from(decimals))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_half_away_from_zero() {
        assert_eq!(div_round_half_away(5, 2), Some(3));
        assert_eq!(div_round_half_away(-5, 2), Some(-3));
        assert_eq!(div_round_half_away(5, -2), Some(-3));
        assert_eq!(div_round_half_away(4, 3), Some(1));
        assert_eq!(div_round_half_away(-4, 3), Some(-1));
        assert_eq!(div_round_half_away(1, 0), None);
    }

    #[test]
    fn markaryd_example() {
        assert_eq!(change_basis_points(98, 57), Some(-4184));
        assert_eq!(change_per_mille(98, 57), Some(-418));
        assert_eq!(format_basis_points_as_percent(-4184, 1), "-41.8");
        assert_eq!(format_basis_points_as_percent(-4184, 2), "-41.84");
        assert_eq!(format_basis_points_as_percent(-4184, 0), "-42");
        assert_eq!(change_basis_points(0, 5), None);
        assert_eq!(change_basis_points(100, 150), Some(5000));
        assert_eq!(change_basis_points(3, 4), Some(3333));
        assert_eq!(change_basis_points(3, 5), Some(6667));
        assert_eq!(format_basis_points_as_percent(5, 1), "0.1");
        assert_eq!(format_basis_points_as_percent(-5, 1), "-0.1");
        assert_eq!(format_basis_points_as_percent(-4, 1), "0.0");
        assert_eq!(format_basis_points_as_percent(0, 1), "0.0");
    }
}
