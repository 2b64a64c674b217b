//! resource.Quantity parsing (k8s.io/apimachinery/pkg/api/resource): decimal SI suffixes
//! (m, k, M, G, T, P, E), binary suffixes (Ki … Ei) and exponents (1e3).

/// Parses a quantity to an exact value scaled by 1000 (i.e. in "milli-units"), which is what
/// `MilliValue()` returns. Errors use the apimachinery wording.
pub fn parse_milli(text: &str) -> Result<i128, String> {
    let s = text.trim();
    let err =
        || "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'".to_string();
    if s.is_empty() {
        return Err(err());
    }
    let num_end = s.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-')).unwrap_or(s.len());
    let (num, suffix) = s.split_at(num_end);
    let (mantissa_num, mantissa_den) = parse_decimal(num).ok_or_else(err)?;
    // value = mantissa * 10^exp10 * 2^exp2, returned ×1000.
    let (exp10, exp2): (i32, u32) = match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        e if e.starts_with(['e', 'E']) => (e[1..].parse().map_err(|_| err())?, 0),
        _ => return Err(err()),
    };
    let mut value: i128 = mantissa_num * 1000;
    let mut den: i128 = mantissa_den;
    if exp10 >= 0 {
        value = value.checked_mul(10i128.checked_pow(exp10 as u32).ok_or_else(err)?).ok_or_else(err)?;
    } else {
        den = den.checked_mul(10i128.pow((-exp10) as u32)).ok_or_else(err)?;
    }
    value = value.checked_mul(1i128 << exp2).ok_or_else(err)?;
    // Quantities round up to the nearest representable unit, as MilliValue does.
    Ok(if value >= 0 { (value + den - 1) / den } else { value / den })
}

/// The integer value (`Value()`), rounded up.
pub fn parse_value(text: &str) -> Result<i128, String> {
    let milli = parse_milli(text)?;
    Ok(if milli >= 0 { (milli + 999) / 1000 } else { milli / 1000 })
}

fn parse_decimal(num: &str) -> Option<(i128, i128)> {
    let (neg, digits) = match num.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, num.strip_prefix('+').unwrap_or(num)),
    };
    if digits.is_empty() || digits.matches('.').count() > 1 || digits == "." {
        return None;
    }
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) || frac.len() > 18 {
        return None;
    }
    let joined = format!("{int}{frac}");
    let n: i128 = joined.parse().ok()?;
    let den = 10i128.pow(frac.len() as u32);
    Some((if neg { -n } else { n }, den))
}

/// Whether a quantity is written in binary SI (`Ki` … `Ei`), the format sums keep.
pub fn is_binary(text: &str) -> bool {
    text.trim_end().ends_with('i')
}

/// A quantity's canonical text (Quantity.String): binary SI with the largest exact power of
/// 1024 when `binary`, else decimal SI with the largest exact power of 1000, else millis.
pub fn format_milli(milli: i128, binary: bool) -> String {
    if milli % 1000 != 0 {
        return format!("{milli}m");
    }
    let v = milli / 1000;
    if v == 0 {
        return "0".into();
    }
    if binary {
        for (shift, suffix) in [(60, "Ei"), (50, "Pi"), (40, "Ti"), (30, "Gi"), (20, "Mi"), (10, "Ki")] {
            if v % (1i128 << shift) == 0 {
                return format!("{}{suffix}", v >> shift);
            }
        }
        if v.abs() < 1024 {
            return v.to_string();
        }
    }
    for (exp, suffix) in [(18, "E"), (15, "P"), (12, "T"), (9, "G"), (6, "M"), (3, "k")] {
        let unit = 10i128.pow(exp);
        if v % unit == 0 {
            return format!("{}{suffix}", v / unit);
        }
    }
    v.to_string()
}

/// Formats bytes the way kubectl shows memory allocatable (`Ki` for the node's kB figure).
pub fn format_bytes_ki(bytes: i64) -> String {
    format!("{}Ki", bytes / 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpu_and_memory() {
        assert_eq!(parse_milli("100m"), Ok(100));
        assert_eq!(parse_milli("2"), Ok(2000));
        assert_eq!(parse_milli("0.5"), Ok(500));
        assert_eq!(parse_value("128Mi"), Ok(128 * 1024 * 1024));
        assert_eq!(parse_value("1G"), Ok(1_000_000_000));
        assert_eq!(parse_value("1e3"), Ok(1000));
        assert_eq!(parse_value("4000"), Ok(4000));
    }

    #[test]
    fn formats_canonically() {
        assert_eq!(format_milli(1100, false), "1100m");
        assert_eq!(format_milli(52 * (1 << 30) * 1000, true), "52Gi");
        assert_eq!(format_milli(4000, false), "4");
        assert_eq!(format_milli(3_000_000, false), "3k");
        assert_eq!(format_milli(500_000, true), "500");
        assert_eq!(format_milli(1536 * (1 << 20) * 1000, true), "1536Mi");
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_milli("").is_err());
        assert!(parse_milli("abc").is_err());
        assert!(parse_milli("1.2.3").is_err());
        assert!(parse_milli("5Zi").is_err());
    }
}
