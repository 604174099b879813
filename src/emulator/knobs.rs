//! The emulator's knobs as people type them: `--latency MS`, `--rate-limit
//! list=N/min,write=N/min` and `--page-size N` on `recallform sandbox serve`, and the same
//! values in `RECALLFORM_SANDBOX_*` variables for the in-process `--sandbox`, so a benchmark
//! can be reproduced against either.
//!
//! Not for: recallform's own pacing (that is the client's, in `crate::recall`), nor applying
//! the knobs (that is [`super::server`]).

use std::time::Duration;

use super::Config;

/// The variable that sets the emulator's latency per API request, in milliseconds.
pub const LATENCY_ENV: &str = "RECALLFORM_SANDBOX_LATENCY_MS";
/// The variable that sets the emulator's rate limits (`list=N/min,write=N/min`, or `off`).
pub const RATE_LIMIT_ENV: &str = "RECALLFORM_SANDBOX_RATE_LIMIT";
/// The variable that sets the emulator's list page size.
pub const PAGE_SIZE_ENV: &str = "RECALLFORM_SANDBOX_PAGE_SIZE";

/// A limit of this many requests a minute is no limit: the emulator keeps no window for it.
pub const UNLIMITED: u32 = u32::MAX;

/// The rate limits a `--rate-limit` value sets; a class it leaves out keeps its value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RateLimit {
    /// List requests a minute ([`UNLIMITED`]: none).
    pub list: Option<u32>,
    /// Create, retrieve, update and delete requests a minute ([`UNLIMITED`]: none).
    pub write: Option<u32>,
}

impl RateLimit {
    /// Sets the limits it names in `config`.
    pub fn apply(self, config: &mut Config) {
        if let Some(n) = self.list {
            config.list_per_minute = n;
        }
        if let Some(n) = self.write {
            config.other_per_minute = n;
        }
    }
}

/// Parses `list=60/min,write=300/min` (either part may be left out; `off` instead of a rate
/// removes that limit) or `off` (no limit at all).
pub fn parse_rate_limit(text: &str) -> Result<RateLimit, String> {
    let text = text.trim();
    if text == "off" {
        return Ok(RateLimit {
            list: Some(UNLIMITED),
            write: Some(UNLIMITED),
        });
    }
    let mut limit = RateLimit::default();
    for part in text.split(',').map(str::trim) {
        let Some((class, rate)) = part.split_once('=') else {
            return Err(format!(
                "`{part}` is not `list=N/min` or `write=N/min`\n  = hint: write `list=60/min,write=300/min`, or `off` for no limit"
            ));
        };
        let per_minute = if rate.trim() == "off" {
            UNLIMITED
        } else {
            let n = rate.trim().strip_suffix("/min").ok_or_else(|| {
                format!("the rate `{rate}` does not end in `/min`\n  = hint: write it as requests a minute, such as `300/min`")
            })?;
            match n.trim().parse::<u32>() {
                Ok(n) if n > 0 && n < UNLIMITED => n,
                _ => {
                    return Err(format!(
                        "the rate `{rate}` is not a whole number of requests a minute from 1\n  = hint: write `off` for no limit"
                    ));
                }
            }
        };
        let slot = match class.trim() {
            "list" => &mut limit.list,
            "write" => &mut limit.write,
            other => {
                return Err(format!(
                    "`{other}` is not a class of requests\n  = hint: the classes are `list` (the lists) and `write` (every other request)"
                ));
            }
        };
        *slot = Some(per_minute);
    }
    Ok(limit)
}

/// Parses a latency in whole milliseconds.
pub fn parse_latency(text: &str) -> Result<Duration, String> {
    match text.trim().parse::<u64>() {
        Ok(ms) if ms <= 60_000 => Ok(Duration::from_millis(ms)),
        _ => Err(format!(
            "`{text}` is not a latency in milliseconds from 0 to 60000"
        )),
    }
}

/// Parses a page size from 1 to 65535.
pub fn parse_page_size(text: &str) -> Result<usize, String> {
    match text.trim().parse::<u16>() {
        Ok(n) if n > 0 => Ok(usize::from(n)),
        _ => Err(format!("`{text}` is not a page size from 1 to 65535")),
    }
}

/// Sets in `config` the knobs that `lookup` (the process environment, or a test's map) gives
/// in [`LATENCY_ENV`], [`RATE_LIMIT_ENV`] and [`PAGE_SIZE_ENV`]; an unset or empty variable
/// leaves its knob alone. The error names the variable.
pub fn from_env(
    config: &mut Config,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(), String> {
    let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    let named = |name: &str, e: String| format!("`{name}`: {e}");
    if let Some(v) = get(LATENCY_ENV) {
        config.latency = parse_latency(&v).map_err(|e| named(LATENCY_ENV, e))?;
    }
    if let Some(v) = get(RATE_LIMIT_ENV) {
        parse_rate_limit(&v)
            .map_err(|e| named(RATE_LIMIT_ENV, e))?
            .apply(config);
    }
    if let Some(v) = get(PAGE_SIZE_ENV) {
        config.page_size = parse_page_size(&v).map_err(|e| named(PAGE_SIZE_ENV, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_parse_as_written() {
        let both = parse_rate_limit("list=60/min,write=300/min").unwrap();
        assert_eq!((both.list, both.write), (Some(60), Some(300)));
        let one = parse_rate_limit(" write = 5/min ").unwrap();
        assert_eq!((one.list, one.write), (None, Some(5)));
        let off = parse_rate_limit("off").unwrap();
        assert_eq!((off.list, off.write), (Some(UNLIMITED), Some(UNLIMITED)));
        let half = parse_rate_limit("list=off").unwrap();
        assert_eq!((half.list, half.write), (Some(UNLIMITED), None));
        for bad in [
            "list=60",
            "list=0/min",
            "read=1/min",
            "60/min",
            "list=x/min",
        ] {
            assert!(parse_rate_limit(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_environment_sets_the_knobs_and_names_a_bad_variable() {
        let env = |name: &str| match name {
            LATENCY_ENV => Some("20".to_string()),
            RATE_LIMIT_ENV => Some("list=6/min".to_string()),
            PAGE_SIZE_ENV => Some("100".to_string()),
            _ => None,
        };
        let mut config = Config::default();
        from_env(&mut config, &env).unwrap();
        assert_eq!(config.latency, Duration::from_millis(20));
        assert_eq!((config.list_per_minute, config.other_per_minute), (6, 300));
        assert_eq!(config.page_size, 100);
        let bad = |name: &str| (name == PAGE_SIZE_ENV).then(|| "0".to_string());
        assert_eq!(
            from_env(&mut Config::default(), &bad).unwrap_err(),
            "`RECALLFORM_SANDBOX_PAGE_SIZE`: `0` is not a page size from 1 to 65535"
        );
    }
}
