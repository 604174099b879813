//! Reading the timestamps Recall writes (RFC 3339: `2023-08-03T03:48:58.187545Z`), to compare
//! them and to tell how long ago they were.
//!
//! Recall's strings cannot be compared as text: `…00Z` and `…00.000000Z` are the same instant,
//! and an offset such as `+02:00` moves it. So every comparison goes through [`parse`], here for
//! the client's readers (`status`) and the emulator's filters alike.
//!
//! Not for: writing timestamps (that is [`crate::time`]).

/// Microseconds since the Unix epoch.
pub type Micros = i64;

/// One second in [`Micros`].
pub const SECOND: Micros = 1_000_000;

/// Parses an RFC 3339 date-time (`T`, `t` or a space between date and time; `Z`, `z` or
/// `±HH:MM` after it; any number of fraction digits, read to the microsecond). `None` for
/// anything else, including impossible dates such as February 30.
pub fn parse(text: &str) -> Option<Micros> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let (hour, minute, second) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &b[19..];
    let mut micros = 0;
    if let [b'.', tail @ ..] = rest {
        let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        // Digits past the sixth are below a microsecond: dropped.
        for (i, c) in tail[..n].iter().enumerate().take(6) {
            micros += i64::from(c - b'0') * 10_i64.pow(5 - i as u32);
        }
        rest = &tail[n..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (h, m) = (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None;
            }
            let minutes = h * 60 + m;
            if *sign == b'+' { minutes } else { -minutes }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset * 60;
    Some(seconds * SECOND + micros)
}

/// The number written in ASCII `digits`, all of which must be digits.
fn digits(digits: &[u8]) -> Option<i64> {
    digits.iter().try_fold(0_i64, |n, c| {
        c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
    })
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`,
/// the inverse of what [`crate::time::rfc3339`] uses).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::rfc3339;

    #[test]
    fn reads_what_recall_and_recallform_write() {
        assert_eq!(parse("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse("2023-08-03T03:48:58.187545Z"),
            Some(1_691_034_538 * SECOND + 187_545)
        );
        // The same instant, written three ways.
        let t = parse("2026-03-01T10:00:00Z").unwrap();
        assert_eq!(parse("2026-03-01T10:00:00.000000Z"), Some(t));
        assert_eq!(parse("2026-03-01T12:00:00+02:00"), Some(t));
        assert_eq!(parse("2026-03-01 09:30:00-00:30"), Some(t));
        assert_eq!(parse("2026-03-01T10:00:00.5Z"), Some(t + SECOND / 2));
        assert_eq!(parse("2026-03-01T10:00:00.123456789Z"), Some(t + 123_456));
    }

    #[test]
    fn round_trips_with_the_writer() {
        for secs in [0, 951_782_400, 1_691_034_538, 4_102_444_799] {
            let text = rfc3339(secs, 42);
            assert_eq!(parse(&text), Some(secs as i64 * SECOND + 42), "{text}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_date_time() {
        for bad in [
            "",
            "2026-03-01",
            "2026-03-01T10:00:00",
            "2026-02-30T10:00:00Z",
            "2025-02-29T10:00:00Z",
            "2026-13-01T10:00:00Z",
            "2026-03-01T24:00:00Z",
            "2026-03-01T10:00:00.Z",
            "2026-03-01T10:00:00+2:00",
            "2026-03-01X10:00:00Z",
            "2026-03-01T10:00:00Zjunk",
            "２０２６-03-01T10:00:00Z",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert!(parse("2024-02-29T10:00:00Z").is_some(), "a leap day");
    }
}
