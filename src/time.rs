//! `PecTime`: the one time value of a PEC transaction (spec 2.4).
//!
//! The technical rules want a single time per transaction, used in the readable text, in
//! `daticert.xml` and in the logs, written as local legal time with its offset from UTC. The
//! crate never reads a clock: the caller gives the local date-time and the offset.

use core::fmt;

use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, Timelike,
};

use crate::error::{Error, ErrorKind};

/// A local date-time with its UTC offset, to the second (spec 2.4, "data" in `daticert.xml`).
///
/// Two values are equal only when both the local time and the offset are equal: the same
/// instant written with another offset prints differently, so it is a different value.
///
/// ```
/// use pecmail::PecTime;
/// let t = PecTime::from_parts(2024, 12, 5, 0, 2, 10, 60).unwrap();
/// assert_eq!(t.day(), "05/12/2024");            // daticert <giorno>, body text date
/// assert_eq!(t.time_of_day(), "00:02:10");      // daticert <ora>, body text time
/// assert_eq!(t.zone(), "+0100");                // daticert zona="..."
/// assert_eq!(t.zone_in_parens(), "(+0100)");    // body text, as every provider writes it
/// assert_eq!(t.rfc5322(), "Thu, 05 Dec 2024 00:02:10 +0100");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PecTime {
    local: NaiveDateTime,
    offset: FixedOffset,
}

/// The largest offset accepted, in minutes: RFC 5322 allows `+9959`, real zones stay within
/// ±14 h; chrono allows anything below 24 h.
const MAX_OFFSET_MINUTES: i32 = 24 * 60 - 1;

impl PecTime {
    /// Builds a time from a local date-time and its offset from UTC.
    ///
    /// Fails with [`ErrorKind::InvalidInput`] when the time has a fraction of a second, the
    /// offset is not a whole number of minutes, or the year is outside 1000..=9999 (the
    /// `dd/mm/yyyy` form has four year digits).
    pub fn new(local: NaiveDateTime, offset: FixedOffset) -> Result<PecTime, Error> {
        if local.nanosecond() != 0 {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "time: PEC times have one-second precision; the value has a fraction",
            ));
        }
        if offset.local_minus_utc() % 60 != 0 {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "time: the UTC offset must be a whole number of minutes",
            ));
        }
        if !(1000..=9999).contains(&local.year()) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("time: year {} is outside 1000..=9999", local.year()),
            ));
        }
        Ok(PecTime { local, offset })
    }

    /// Builds a time from its fields; `offset_minutes` is east of UTC (`+0100` is 60).
    pub fn from_parts(
        year: i32,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
        offset_minutes: i32,
    ) -> Result<PecTime, Error> {
        let date = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("time: {year:04}-{month:02}-{day:02} is not a date"),
            )
        })?;
        let time = NaiveTime::from_hms_opt(hour, minute, second).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("time: {hour:02}:{minute:02}:{second:02} is not a time of day"),
            )
        })?;
        PecTime::new(
            NaiveDateTime::new(date, time),
            offset_from_minutes(offset_minutes)?,
        )
    }

    /// Builds a time from a chrono date-time; the offset is kept.
    pub fn from_datetime(datetime: DateTime<FixedOffset>) -> Result<PecTime, Error> {
        PecTime::new(datetime.naive_local(), *datetime.offset())
    }

    /// Builds a time from seconds since the Unix epoch (UTC) and the offset to show, in
    /// minutes east of UTC. This is the form the C API uses.
    pub fn from_unix(seconds: i64, offset_minutes: i32) -> Result<PecTime, Error> {
        let offset = offset_from_minutes(offset_minutes)?;
        let utc = DateTime::from_timestamp(seconds, 0).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("time: {seconds} s since the epoch is out of range"),
            )
        })?;
        PecTime::from_datetime(utc.with_timezone(&offset))
    }

    /// A UTC time from Unix seconds, clamped to 1000-01-01 .. 9999-12-31 (for certificate
    /// validity, whose `99991231235959Z` "no expiry" value must still be shown).
    pub(crate) fn utc_saturating(seconds: i64) -> PecTime {
        const MIN: i64 = -30_610_224_000; // 1000-01-01T00:00:00Z
        const MAX: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
        let utc = DateTime::from_timestamp(seconds.clamp(MIN, MAX), 0).unwrap_or_default();
        PecTime {
            local: utc.naive_utc(),
            offset: chrono::Utc.fix(),
        }
    }

    /// The same instant as a chrono date-time with this offset.
    pub fn to_datetime(&self) -> DateTime<FixedOffset> {
        // `local - offset` cannot leave chrono's range: years are 1000..=9999.
        DateTime::from_naive_utc_and_offset(self.local - self.offset, self.offset)
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> i64 {
        self.to_datetime().timestamp()
    }

    /// The local date-time, without offset.
    pub fn local(&self) -> NaiveDateTime {
        self.local
    }

    /// The offset from UTC in minutes (east positive).
    pub fn offset_minutes(&self) -> i32 {
        self.offset.local_minus_utc() / 60
    }

    /// The local date as `dd/mm/yyyy`: daticert `<giorno>` and the readable text.
    pub fn day(&self) -> String {
        format!(
            "{:02}/{:02}/{:04}",
            self.local.day(),
            self.local.month(),
            self.local.year()
        )
    }

    /// The local time as `hh:mm:ss`: daticert `<ora>` and the readable text.
    pub fn time_of_day(&self) -> String {
        format!(
            "{:02}:{:02}:{:02}",
            self.local.hour(),
            self.local.minute(),
            self.local.second()
        )
    }

    /// The offset as `+hhmm` or `-hhmm`: daticert `<data zona="...">`.
    pub fn zone(&self) -> String {
        let minutes = self.offset_minutes();
        let sign = if minutes < 0 { '-' } else { '+' };
        let abs = minutes.unsigned_abs();
        format!("{sign}{:02}{:02}", abs / 60, abs % 60)
    }

    /// The offset as `(+hhmm)`, the form every observed provider writes in the readable text
    /// (the RT grammar has `(+hh:mm)`; [`PecTime::parse_zone`] accepts both).
    pub fn zone_in_parens(&self) -> String {
        format!("({})", self.zone())
    }

    /// The RFC 5322 `Date:` form, for example `Thu, 05 Dec 2024 00:02:10 +0100`.
    pub fn rfc5322(&self) -> String {
        const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let weekday = DAYS
            .get(self.local.weekday().num_days_from_monday() as usize)
            .copied()
            .unwrap_or("Mon");
        let month = MONTHS
            .get(self.local.month0() as usize)
            .copied()
            .unwrap_or("Jan");
        format!(
            "{weekday}, {:02} {month} {:04} {} {}",
            self.local.day(),
            self.local.year(),
            self.time_of_day(),
            self.zone()
        )
    }

    /// Parses the three values of daticert `<data zona="..."><giorno/><ora/></data>`:
    /// `dd/mm/yyyy`, `hh:mm:ss` and `+hhmm`.
    pub fn parse_daticert(giorno: &str, ora: &str, zona: &str) -> Result<PecTime, Error> {
        let (day, month, year) = parse_day(giorno)?;
        let (hour, minute, second) = parse_time_of_day(ora)?;
        let offset = parse_offset(zona, false)?;
        PecTime::from_parts(year, month, day, hour, minute, second, offset).map_err(invalid_value)
    }

    /// Parses the date, time and zone of a readable text: `dd/mm/yyyy`, `hh:mm:ss`, and a
    /// zone in any of the forms `(+hhmm)`, `(+hh:mm)`, `+hhmm`, `+hh:mm`.
    pub fn parse_text(date: &str, time: &str, zone: &str) -> Result<PecTime, Error> {
        let (day, month, year) = parse_day(date)?;
        let (hour, minute, second) = parse_time_of_day(time)?;
        let offset = PecTime::parse_zone(zone)?;
        PecTime::from_parts(year, month, day, hour, minute, second, offset).map_err(invalid_value)
    }

    /// Reads an RFC 5322 `date-time` (the `Date:` header): `Mon, 01 Jun 2026 10:00:00 +0200`,
    /// with or without the day name, and a trailing comment such as `(CEST)` dropped.
    /// Fails with [`ErrorKind::InvalidValue`] otherwise.
    pub fn parse_rfc5322(value: &str) -> Result<PecTime, Error> {
        let mut text = value.trim();
        if let Some(open) = text.rfind('(')
            && text.ends_with(')')
        {
            text = text.get(..open).unwrap_or(text).trim_end();
        }
        let parsed = DateTime::parse_from_rfc2822(text).map_err(|e| {
            Error::new(
                ErrorKind::InvalidValue,
                format!("{value:?} is not an RFC 5322 date: {e}"),
            )
        })?;
        PecTime::from_datetime(parsed)
    }

    /// Parses an RFC 3339 date-time (section 5.6) to the second, keeping its offset:
    /// `2026-06-01T10:00:00+02:00`, or `2026-06-01T08:00:00Z` for UTC.
    ///
    /// This is the form a command line or a configuration file gives "data e ora", the one
    /// time value of a transaction (spec 2.4): local time and its offset from UTC. `T` and `Z`
    /// may be lower case (RFC 3339 allows it); `-00:00` is read as UTC. A fraction of a second
    /// is refused, as PEC times have one-second precision, and so is a year outside
    /// 1000..=9999. Fails with [`ErrorKind::InvalidValue`].
    ///
    /// ```
    /// use pecmail::PecTime;
    /// let t = PecTime::parse_rfc3339("2026-06-01T10:00:00+02:00").unwrap();
    /// assert_eq!(t, PecTime::from_parts(2026, 6, 1, 10, 0, 0, 120).unwrap());
    /// let z = PecTime::parse_rfc3339("2026-06-01T08:00:00Z").unwrap();
    /// assert_eq!(z.unix_seconds(), t.unix_seconds());
    /// assert_eq!(z.offset_minutes(), 0);
    /// ```
    pub fn parse_rfc3339(value: &str) -> Result<PecTime, Error> {
        let bad = || {
            Error::new(
                ErrorKind::InvalidValue,
                format!("{value:?} is not an RFC 3339 date-time (yyyy-mm-ddThh:mm:ss+hh:mm or Z)"),
            )
        };
        let (date, rest) = value.split_once(['T', 't']).ok_or_else(bad)?;
        let [y, m, d] = split_fixed(date, '-', [4, 2, 2], "yyyy-mm-dd")?;
        let (time, offset) = match rest.strip_suffix(['Z', 'z']) {
            Some(time) => (time, 0),
            None => {
                let at = rest.find(['+', '-']).ok_or_else(bad)?;
                let (time, zone) = rest.split_at(at);
                if zone.len() != 6 || zone.as_bytes().get(3) != Some(&b':') {
                    return Err(bad());
                }
                (time, parse_offset(zone, true)?)
            }
        };
        if time.contains('.') {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("{value:?}: PEC times have one-second precision; the value has a fraction"),
            ));
        }
        let (hour, minute, second) = parse_time_of_day(time)?;
        let year = i32::try_from(digits(y, "year", value)?).map_err(|_| bad())?;
        let (month, day) = (digits(m, "month", value)?, digits(d, "day", value)?);
        PecTime::from_parts(year, month, day, hour, minute, second, offset).map_err(invalid_value)
    }

    /// Parses a zone in the forms `(+hhmm)`, `(+hh:mm)`, `+hhmm` or `+hh:mm` (or with `-`),
    /// returning minutes east of UTC.
    pub fn parse_zone(zone: &str) -> Result<i32, Error> {
        let inner = match zone.strip_prefix('(') {
            Some(rest) => rest.strip_suffix(')').ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidValue,
                    format!("zone {zone:?}: missing ')'"),
                )
            })?,
            None => zone,
        };
        parse_offset(inner, true)
    }
}

fn offset_from_minutes(minutes: i32) -> Result<FixedOffset, Error> {
    if minutes.abs() > MAX_OFFSET_MINUTES {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("time: offset of {minutes} minutes is out of range"),
        ));
    }
    FixedOffset::east_opt(minutes * 60).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("time: offset of {minutes} minutes is out of range"),
        )
    })
}

fn invalid_value(e: Error) -> Error {
    Error::new(ErrorKind::InvalidValue, e.message().to_owned())
}

/// Parses exactly `n` ASCII digits.
fn digits(s: &str, what: &str, whole: &str) -> Result<u32, Error> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!("{what} in {whole:?} is not a number"),
        ));
    }
    s.parse::<u32>().map_err(|_| {
        Error::new(
            ErrorKind::InvalidValue,
            format!("{what} in {whole:?} is not a number"),
        )
    })
}

/// Splits `s` into three fields of the given widths, as in `dd/mm/yyyy` or `hh:mm:ss`.
fn split_fixed<'a>(
    s: &'a str,
    sep: char,
    widths: [usize; 3],
    form: &str,
) -> Result<[&'a str; 3], Error> {
    let bad = || {
        Error::new(
            ErrorKind::InvalidValue,
            format!("{s:?} is not in the form {form}"),
        )
    };
    let mut parts = s.split(sep);
    let (Some(a), Some(b), Some(c), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let out = [a, b, c];
    if out
        .iter()
        .zip(widths)
        .any(|(part, width)| part.len() != width)
    {
        return Err(bad());
    }
    Ok(out)
}

fn parse_day(s: &str) -> Result<(u32, u32, i32), Error> {
    let [d, m, y] = split_fixed(s, '/', [2, 2, 4], "dd/mm/yyyy")?;
    let year = digits(y, "year", s)?;
    Ok((
        digits(d, "day", s)?,
        digits(m, "month", s)?,
        i32::try_from(year).unwrap_or(0),
    ))
}

fn parse_time_of_day(s: &str) -> Result<(u32, u32, u32), Error> {
    let [h, m, sec] = split_fixed(s, ':', [2, 2, 2], "hh:mm:ss")?;
    Ok((
        digits(h, "hour", s)?,
        digits(m, "minute", s)?,
        digits(sec, "second", s)?,
    ))
}

/// `+hhmm`, and `+hh:mm` when `allow_colon`.
fn parse_offset(s: &str, allow_colon: bool) -> Result<i32, Error> {
    let bad = || {
        Error::new(
            ErrorKind::InvalidValue,
            format!(
                "zone {s:?} is not in the form +hhmm{}",
                if allow_colon { " or +hh:mm" } else { "" }
            ),
        )
    };
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'+') => (1, s.get(1..).ok_or_else(bad)?),
        Some(b'-') => (-1, s.get(1..).ok_or_else(bad)?),
        _ => return Err(bad()),
    };
    let (hh, mm) = match rest.len() {
        4 => (rest.get(..2), rest.get(2..)),
        5 if allow_colon && rest.as_bytes().get(2) == Some(&b':') => (rest.get(..2), rest.get(3..)),
        _ => return Err(bad()),
    };
    let (Some(hh), Some(mm)) = (hh, mm) else {
        return Err(bad());
    };
    let hours = digits(hh, "hours", s)?;
    let minutes = digits(mm, "minutes", s)?;
    if minutes > 59 || hours > 23 {
        return Err(bad());
    }
    let total = i32::try_from(hours * 60 + minutes).map_err(|_| bad())?;
    Ok(sign * total)
}

impl fmt::Debug for PecTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PecTime({self})")
    }
}

/// `dd/mm/yyyy hh:mm:ss (+hhmm)`, as in the readable text.
impl fmt::Display for PecTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.day(),
            self.time_of_day(),
            self.zone_in_parens()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(offset: i32) -> PecTime {
        PecTime::from_parts(2026, 9, 19, 15, 41, 19, offset).unwrap()
    }

    #[test]
    fn formats_every_field() {
        let t = t(120);
        assert_eq!(t.day(), "19/09/2026");
        assert_eq!(t.time_of_day(), "15:41:19");
        assert_eq!(t.zone(), "+0200");
        assert_eq!(t.zone_in_parens(), "(+0200)");
        assert_eq!(t.rfc5322(), "Sat, 19 Sep 2026 15:41:19 +0200");
        assert_eq!(t.to_string(), "19/09/2026 15:41:19 (+0200)");
    }

    #[test]
    fn negative_and_odd_offsets() {
        assert_eq!(t(-330).zone(), "-0530");
        assert_eq!(t(0).zone(), "+0000");
        assert_eq!(t(-45).zone(), "-0045");
    }

    #[test]
    fn unix_round_trip_keeps_offset() {
        let a = PecTime::from_unix(1_733_353_330, 60).unwrap();
        assert_eq!(a.day(), "05/12/2024");
        assert_eq!(a.time_of_day(), "00:02:10");
        assert_eq!(a.unix_seconds(), 1_733_353_330);
        let b = PecTime::from_unix(1_733_353_330, 0).unwrap();
        assert_ne!(a, b, "same instant, different offset, different value");
        assert_eq!(a.to_datetime(), b.to_datetime());
    }

    #[test]
    fn saturating_utc_keeps_the_four_digit_range() {
        assert_eq!(
            PecTime::utc_saturating(0).rfc5322(),
            "Thu, 01 Jan 1970 00:00:00 +0000"
        );
        assert_eq!(PecTime::utc_saturating(i64::MAX).day(), "31/12/9999");
        assert_eq!(PecTime::utc_saturating(i64::MIN).day(), "01/01/1000");
    }

    #[test]
    fn parses_daticert_fields() {
        let t = PecTime::parse_daticert("05/12/2024", "00:02:10", "+0100").unwrap();
        assert_eq!(t, PecTime::from_parts(2024, 12, 5, 0, 2, 10, 60).unwrap());
        for (g, o, z) in [
            ("5/12/2024", "00:02:10", "+0100"),
            ("05/12/24", "00:02:10", "+0100"),
            ("31/02/2024", "00:02:10", "+0100"),
            ("05/12/2024", "24:00:00", "+0100"),
            ("05/12/2024", "00:02", "+0100"),
            ("05/12/2024", "00:02:10", "+01:00"),
            ("05/12/2024", "00:02:10", "0100"),
            ("05/12/2024", "00:02:10", "+0160"),
            ("05/12/2024", "+0:02:10", "+0100"),
            ("0a/12/2024", "00:02:10", "+0100"),
        ] {
            let e = PecTime::parse_daticert(g, o, z).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidValue, "{g} {o} {z}");
        }
    }

    #[test]
    fn parses_text_zone_forms() {
        for z in ["(+0200)", "(+02:00)", "+0200", "+02:00"] {
            assert_eq!(PecTime::parse_zone(z).unwrap(), 120, "{z}");
        }
        assert_eq!(PecTime::parse_zone("(-01:30)").unwrap(), -90);
        for z in ["(+0200", "+2:00", "(+02:0)", "", "()", "(+)", "Z"] {
            assert!(PecTime::parse_zone(z).is_err(), "{z}");
        }
        let t = PecTime::parse_text("19/09/2026", "15:41:19", "(+02:00)").unwrap();
        assert_eq!(t, self::t(120));
    }

    #[test]
    fn parses_rfc3339() {
        let t = PecTime::parse_rfc3339("2026-09-19T15:41:19+02:00").unwrap();
        assert_eq!(t, self::t(120));
        let z = PecTime::parse_rfc3339("2026-09-19T13:41:19Z").unwrap();
        assert_eq!(z, PecTime::from_parts(2026, 9, 19, 13, 41, 19, 0).unwrap());
        assert_eq!(z.unix_seconds(), t.unix_seconds());
        assert_eq!(PecTime::parse_rfc3339("2026-09-19t13:41:19z").unwrap(), z);
        assert_eq!(
            PecTime::parse_rfc3339("2026-09-19T13:41:19-00:00").unwrap(),
            z
        );
        let west = PecTime::parse_rfc3339("2026-09-19T10:11:19-03:30").unwrap();
        assert_eq!(west.offset_minutes(), -210);
        assert_eq!(west.unix_seconds(), t.unix_seconds());
        for bad in [
            "",
            "2026-09-19",
            "2026-09-19T15:41:19",
            "2026-09-19 15:41:19Z",
            "2026-09-19T15:41:19.5Z",
            "2026-09-19T15:41:19.000+02:00",
            "2026-09-19T15:41:19+0200",
            "2026-09-19T15:41:19+02",
            "2026-09-19T15:41:19+24:00",
            "2026-09-19T15:41:60Z",
            "2026-02-30T15:41:19Z",
            "26-09-19T15:41:19Z",
            "2026-9-19T15:41:19Z",
            "0999-09-19T15:41:19Z",
            "2026-09-19T15:41Z",
            "+2026-09-19T15:41:19Z",
            "2026-09-19T15:41:19Zjunk",
        ] {
            let e = PecTime::parse_rfc3339(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidValue, "{bad}");
        }
    }

    #[test]
    fn rejects_bad_inputs() {
        let e = PecTime::from_parts(2026, 13, 1, 0, 0, 0, 0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let e = PecTime::from_parts(999, 1, 1, 0, 0, 0, 0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let e = PecTime::from_parts(2026, 1, 1, 0, 0, 0, 24 * 60).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let odd = FixedOffset::east_opt(30).unwrap();
        let local = NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        assert_eq!(
            PecTime::new(local, odd).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        let frac = local.with_nanosecond(5).unwrap();
        assert_eq!(
            PecTime::new(frac, FixedOffset::east_opt(0).unwrap())
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidInput
        );
        assert!(PecTime::from_unix(i64::MAX, 0).is_err());
    }
}
