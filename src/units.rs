//! Numbers as recallform's messages and the README write them: sizes (`16 MiB`) and counts
//! (`100,000`), in one place so that a limit reads the same in an error, its hint and the
//! benchmark's tables.
//!
//! [`parse_size`] reads a size as people type it, for `--max-manifest-bytes`.

/// A byte count, exact: `16 MiB`, `64 KiB`, or `1000000 bytes` when it is not a whole number
/// of KiB.
pub fn size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    match bytes {
        0 => "0 bytes".into(),
        b if b.is_multiple_of(MIB) => format!("{} MiB", b / MIB),
        b if b.is_multiple_of(KIB) => format!("{} KiB", b / KIB),
        b => format!("{b} bytes"),
    }
}

/// Reads a size as `--max-manifest-bytes` takes it: a whole number of bytes, or of `KiB`,
/// `MiB` or `GiB` (`64MiB`, `64 MiB`; the unit in any case), and more than zero. `MB` and `KB`
/// are refused rather than guessed at: whether they mean 1,000 or 1,024 is the question.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let not_a_size = || {
        format!(
            "`{text}` is not a size: write a number of bytes, or of `KiB`, `MiB` or `GiB`, such as `64MiB`"
        )
    };
    let unit = unit.trim();
    let scale: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" => 1024,
        "mib" => 1024 * 1024,
        "gib" => 1024 * 1024 * 1024,
        _ => return Err(not_a_size()),
    };
    let n: u64 = number.parse().map_err(|_| not_a_size())?;
    match n.checked_mul(scale) {
        Some(0) => Err("a manifest size of 0 bytes would refuse every manifest".into()),
        Some(bytes) => Ok(bytes),
        None => Err(format!("`{text}` is more bytes than recallform can count")),
    }
}

/// A count with its thousands marked: `100,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_counts_read_as_the_readme_writes_them() {
        assert_eq!(size(16 * 1024 * 1024), "16 MiB");
        assert_eq!(size(64 * 1024), "64 KiB");
        assert_eq!(size(1_000_000), "1000000 bytes");
        assert_eq!(size(1000), "1000 bytes");
        assert_eq!(size(0), "0 bytes");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(14_012_534), "14,012,534");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(0), "0");
    }

    #[test]
    fn sizes_are_bytes_or_binary_units() {
        assert_eq!(parse_size("16777216"), Ok(16 * 1024 * 1024));
        assert_eq!(parse_size("64MiB"), Ok(64 * 1024 * 1024));
        assert_eq!(parse_size(" 64 mib "), Ok(64 * 1024 * 1024));
        assert_eq!(parse_size("512KiB"), Ok(512 * 1024));
        assert_eq!(parse_size("1GiB"), Ok(1024 * 1024 * 1024));
        assert_eq!(parse_size("100B"), Ok(100));
        for bad in ["", "MiB", "64MB", "64 KB", "1.5MiB", "-1", "0", "0MiB", "x"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert!(parse_size("99999999999999999999GiB").is_err());
    }
}
