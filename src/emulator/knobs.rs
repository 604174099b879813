//! The emulator's knobs as people type them: `--latency MS`, `--rate-limit
//! list=N/min,write=N/min` and `--page-size N` on `recallform sandbox serve`, and the same
//! values in `RECALLFORM_SANDBOX_*` variables for the in-process `--sandbox`, so a benchmark
//! can be reproduced against either.
//!
//! Not for: recallform's own pacing (that is the client's, in `crate::recall`), nor applying
//! the knobs (that is [`super::server`]).

use std::time::Duration;

use super::Config;
use crate::recall::{Limit, RateLimits};

/// The variable that sets the emulator's latency per API request, in milliseconds.
pub const LATENCY_ENV: &str = "RECALLFORM_SANDBOX_LATENCY_MS";
/// The variable that sets the emulator's rate limits (`list=N/min,write=N/min`, or `off`).
pub const RATE_LIMIT_ENV: &str = "RECALLFORM_SANDBOX_RATE_LIMIT";
/// The variable that sets the emulator's list page size.
pub const PAGE_SIZE_ENV: &str = "RECALLFORM_SANDBOX_PAGE_SIZE";

/// A limit of this many requests a minute is no limit: the emulator keeps no window for it.
pub const UNLIMITED: u32 = u32::MAX;

/// Sets Recall's rate limits in `config`, as `--rate-limit` or [`RATE_LIMIT_ENV`] give them:
/// parsed by the client's own [`RateLimits::parse`] (`list=60/min,write=300/min`, a class
/// left out keeps Recall's limit, `off` for none), so the emulator and the pacer read a limit
/// the same way.
pub fn set_rate_limits(config: &mut Config, limits: RateLimits) {
    let per_minute = |limit: Limit| limit.0.unwrap_or(UNLIMITED);
    config.list_per_minute = per_minute(limits.list);
    config.other_per_minute = per_minute(limits.write);
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
        let limits = RateLimits::parse(&v).map_err(|e| named(RATE_LIMIT_ENV, e))?;
        set_rate_limits(config, limits);
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
    fn rate_limits_set_the_windows_and_off_removes_them() {
        let mut config = Config::default();
        set_rate_limits(&mut config, RateLimits::parse("write=5/min").unwrap());
        assert_eq!((config.list_per_minute, config.other_per_minute), (60, 5));
        set_rate_limits(&mut config, RateLimits::parse("list=off").unwrap());
        assert_eq!(
            (config.list_per_minute, config.other_per_minute),
            (UNLIMITED, 300)
        );
        set_rate_limits(&mut config, RateLimits::OFF);
        assert_eq!(
            (config.list_per_minute, config.other_per_minute),
            (UNLIMITED, UNLIMITED)
        );
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
