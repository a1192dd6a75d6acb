//! Calendar days: Polars stores a `Date` as days since 1970-01-01.

use chrono::{Datelike, Months, NaiveDate};

const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid");

/// The day `days` after 1970-01-01 (Polars' physical `Date`).
pub fn from_days(days: i32) -> NaiveDate {
    EPOCH + chrono::Duration::days(days as i64)
}

/// Days since 1970-01-01.
pub fn to_days(date: NaiveDate) -> i32 {
    (date - EPOCH).num_days() as i32
}

/// Parses an ISO `YYYY-MM-DD` argument.
pub fn parse_iso(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a date as YYYY-MM-DD"))
}

/// The last day of `date`'s month.
pub fn month_end(date: NaiveDate) -> NaiveDate {
    let first = date.with_day(1).expect("day 1 exists");
    first + Months::new(1) - chrono::Duration::days(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_month_end() {
        let d = NaiveDate::from_ymd_opt(2024, 2, 10).unwrap();
        assert_eq!(from_days(to_days(d)), d);
        assert_eq!(to_days(NaiveDate::from_ymd_opt(1970, 1, 2).unwrap()), 1);
        assert_eq!(month_end(d), NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
        assert_eq!(
            month_end(NaiveDate::from_ymd_opt(2023, 12, 31).unwrap()),
            NaiveDate::from_ymd_opt(2023, 12, 31).unwrap()
        );
        assert!(parse_iso("2024-13-01").is_err());
    }
}
