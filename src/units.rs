//! Numbers as recallform's messages and the README write them: sizes (`16 MiB`) and counts
//! (`100,000`), in one place so that a limit reads the same in an error, its hint and the
//! benchmark's tables.
//!
//! Not for: reading sizes people type (that is `crate::manifest::rules::parse_size`).

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
}
