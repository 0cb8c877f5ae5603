//! Durations on the command line: a number and a unit, `90d`, `12h`, `30m`, `45s`, `2w`,
//! `500ms`.

use chrono::TimeDelta;

/// Parses `90d`, `12h`, `30m`, `45s`, `2w` or `500ms` (a whole number, then one unit); for
/// clap's `value_parser`.
pub fn parse(text: &str) -> Result<TimeDelta, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("{text:?} has no unit: write e.g. 90d, 12h, 30m, 45s or 2w"))?;
    let (number, unit) = text.split_at(split);
    let n: i64 = number
        .parse()
        .map_err(|_| format!("{text:?} does not start with a whole number"))?;
    let d = match unit {
        "ms" => TimeDelta::try_milliseconds(n),
        "s" => TimeDelta::try_seconds(n),
        "m" => TimeDelta::try_minutes(n),
        "h" => TimeDelta::try_hours(n),
        "d" => TimeDelta::try_days(n),
        "w" => TimeDelta::try_weeks(n),
        _ => {
            return Err(format!(
                "unknown unit {unit:?} in {text:?}: use s, m, h, d or w"
            ));
        }
    };
    d.filter(|d| *d > TimeDelta::zero())
        .ok_or_else(|| format!("{text:?} is not a positive duration"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_refusals() {
        assert_eq!(parse("90d"), Ok(TimeDelta::days(90)));
        assert_eq!(parse("12h"), Ok(TimeDelta::hours(12)));
        assert_eq!(parse("30m"), Ok(TimeDelta::minutes(30)));
        assert_eq!(parse(" 45s "), Ok(TimeDelta::seconds(45)));
        assert_eq!(parse("2w"), Ok(TimeDelta::weeks(2)));
        assert_eq!(parse("250ms"), Ok(TimeDelta::milliseconds(250)));
        for bad in [
            "90",
            "d",
            "-1d",
            "0s",
            "1y",
            "1.5h",
            "99999999999999999999d",
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
