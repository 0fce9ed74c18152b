//! Times as the chain keeps them (milliseconds since the Unix epoch, UTC) and
//! as people read and write them.

/// Milliseconds in a day: `--expires-in-days`, `--valid-for-days`.
pub const DAY_MS: u64 = 24 * 60 * 60 * 1000;
const SECOND_MS: u64 = 1000;
const DAY_SECONDS: u64 = 24 * 60 * 60;
/// Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar.
const UNIX_EPOCH_DAYS: i64 = 719_468;
const DAYS_PER_ERA: i64 = 146_097;

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// `days` as milliseconds, refusing a count no time can hold.
pub fn days_ms(days: u64) -> Result<u64, String> {
    days.checked_mul(DAY_MS)
        .ok_or_else(|| format!("{days} days is too long a time"))
}

/// The time `days` from now.
pub fn days_from_now(days: u64) -> Result<u64, String> {
    now_ms()
        .checked_add(days_ms(days)?)
        .ok_or_else(|| format!("{days} days from now is too far"))
}

/// `2024-05-01 12:34:56 UTC`.
pub fn show(ms: u64) -> String {
    let seconds = ms / SECOND_MS;
    let (year, month, day) = civil_from_days((seconds / DAY_SECONDS) as i64);
    let in_day = seconds % DAY_SECONDS;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        in_day / 3600,
        in_day / 60 % 60,
        in_day % 60
    )
}

/// An expiry: [show], or `never` for the largest time (founding admins).
pub fn show_expiry(ms: u64) -> String {
    if ms == u64::MAX {
        "never".into()
    } else {
        show(ms)
    }
}

/// A time given on the command line: milliseconds since the Unix epoch, a
/// date (`2024-05-01`, midnight UTC), or a date and a UTC time
/// (`2024-05-01T12:30`, `2024-05-01T12:30:15Z`, a space for the `T` too).
pub fn parse(text: &str) -> Result<u64, String> {
    let bad = || {
        format!(
            "{text:?} is not a time: give milliseconds since 1970, YYYY-MM-DD, or YYYY-MM-DDTHH:MM[:SS] (UTC)"
        )
    };
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().map_err(|_| bad());
    }
    let (date, clock) = match text.split_once(['T', ' ']) {
        Some((date, clock)) => (date, Some(clock.strip_suffix('Z').unwrap_or(clock))),
        None => (text, None),
    };
    let number = |part: &str, digits: usize| -> Result<u64, String> {
        if part.len() != digits || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        part.parse().map_err(|_| bad())
    };
    let parts: Vec<&str> = date.split('-').collect();
    let [year, month, day] = parts[..] else {
        return Err(bad());
    };
    let (year, month, day) = (number(year, 4)?, number(month, 2)?, number(day, 2)?);
    if year < 1970 || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(bad());
    }
    let mut seconds = days_from_civil(year as i64, month as u32, day as u32) as u64 * DAY_SECONDS;
    if let Some(clock) = clock {
        let parts: Vec<&str> = clock.split(':').collect();
        let (hour, minute, second) = match parts[..] {
            [h, m] => (number(h, 2)?, number(m, 2)?, 0),
            [h, m, s] => (number(h, 2)?, number(m, 2)?, number(s, 2)?),
            _ => return Err(bad()),
        };
        if hour > 23 || minute > 59 || second > 59 {
            return Err(bad());
        }
        seconds += hour * 3600 + minute * 60 + second;
    }
    Ok(seconds * SECOND_MS)
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Year, month, day of a day count since 1970-01-01 (Howard Hinnant's
/// algorithm: exact for the proleptic Gregorian calendar, no tables).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + UNIX_EPOCH_DAYS;
    let era = z.div_euclid(DAYS_PER_ERA);
    let doe = z.rem_euclid(DAYS_PER_ERA);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The inverse of [civil_from_days].
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = i64::from(if month > 2 { month - 3 } else { month + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * DAYS_PER_ERA + doe - UNIX_EPOCH_DAYS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_show_as_utc() {
        assert_eq!(show(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(show(1_714_566_896_789), "2024-05-01 12:34:56 UTC");
        assert_eq!(show(951_782_400_000), "2000-02-29 00:00:00 UTC");
        assert_eq!(show_expiry(u64::MAX), "never");
        assert_eq!(show_expiry(0), show(0));
    }

    #[test]
    fn times_parse_from_dates_and_milliseconds() {
        assert_eq!(parse("1714566896789").unwrap(), 1_714_566_896_789);
        assert_eq!(parse("2024-05-01").unwrap(), 1_714_521_600_000);
        assert_eq!(parse("2024-05-01T12:34:56Z").unwrap(), 1_714_566_896_000);
        assert_eq!(parse("2024-05-01 12:34").unwrap(), 1_714_566_840_000);
        assert_eq!(parse("2000-02-29").unwrap(), 951_782_400_000);
        for bad in [
            "",
            "yesterday",
            "2024-5-1",
            "2023-02-29",
            "2024-13-01",
            "2024-05-01T25:00",
            "2024-05-01T12",
            "1969-12-31",
            "-5",
        ] {
            let error = parse(bad).unwrap_err();
            assert!(error.contains("is not a time"), "{bad}: {error}");
        }
    }

    #[test]
    fn calendar_round_trips_day_by_day() {
        for days in 0..200_000 {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn day_counts_are_checked() {
        assert_eq!(days_ms(2).unwrap(), 2 * DAY_MS);
        assert!(days_ms(u64::MAX).is_err());
        assert!(days_from_now(1).unwrap() > now_ms());
    }
}
