// SPDX-License-Identifier: MIT OR Apache-2.0
//! Node values as text, the way xenstore-read, -write and -ls show them:
//! printable ASCII as is, everything else as a backslash escape.
//!
//! | byte | shown as |
//! |---|---|
//! | `\t`, `\n`, `\r`, `\` | `\t`, `\n`, `\r`, `\\` |
//! | below 8 | `\` and three octal digits (`\000`) |
//! | any other non-printable | `\x` and two hex digits (`\x7f`) |
//!
//! `"` is not escaped, so a value in `ls` quotes can contain one.

/// Appends `value` to `out`, escaped.
pub(crate) fn escape(value: &[u8], out: &mut String) {
    for &b in value {
        match b {
            b'\\' => out.push_str("\\\\"),
            b' '..=b'~' => out.push(char::from(b)),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            0..=7 => {
                out.push('\\');
                for shift in [6, 3, 0] {
                    out.push(char::from(b'0' + ((b >> shift) & 7)));
                }
            }
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\x");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
}

/// `value` escaped, as a new string.
pub(crate) fn escaped(value: &[u8]) -> String {
    let mut s = String::with_capacity(value.len());
    escape(value, &mut s);
    s
}

/// Up to `max` digits of base `radix` from the front of `s`: the value and
/// how many bytes it took (0 if `s` does not start with one).
fn number(s: &[u8], radix: u32, max: usize) -> (u32, usize) {
    let mut value = 0;
    let mut used = 0;
    for &b in s.iter().take(max) {
        let Some(d) = char::from(b).to_digit(radix) else {
            break;
        };
        value = value * radix + d;
        used += 1;
    }
    (value, used)
}

/// Reads an escaped argument back into bytes, as xenstore-write does:
/// `\t \n \r \\`, `\x` with one or two hex digits, `\` with one to three
/// octal digits (kept to the low byte, so `\777` is `0xff`). Any other
/// escaped character stands for itself (`\"` is `"`, `\x` without a hex
/// digit is `x`), and a lone `\` at the end is a nul byte.
pub(crate) fn unescape(arg: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(arg.len());
    let mut i = 0;
    while let Some(&b) = arg.get(i) {
        i += 1;
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let Some(&e) = arg.get(i) else {
            out.push(0);
            break;
        };
        i += 1;
        let byte = match e {
            b't' => b'\t',
            b'n' => b'\n',
            b'r' => b'\r',
            b'x' => match number(&arg[i..], 16, 2) {
                (_, 0) => b'x',
                (v, used) => {
                    i += used;
                    v as u8
                }
            },
            b'0'..=b'7' => {
                let (v, used) = number(&arg[i - 1..], 8, 3);
                i += used - 1;
                // Three octal digits can exceed a byte: keep the low eight bits.
                (v & 0xff) as u8
            }
            other => other,
        };
        out.push(byte);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escaped(b"plain text ~"), "plain text ~");
        assert_eq!(escaped(b"q\"b\\n"), r#"q"b\\n"#);
        assert_eq!(escaped(b"\t\n\r"), r"\t\n\r");
        assert_eq!(
            escaped(b"\x00\x07\x08\x1f\x7f\xff"),
            r"\000\007\x08\x1f\x7f\xff"
        );
    }

    #[test]
    fn unescapes() {
        assert_eq!(unescape(br"a\tb\nc\rd\\e"), b"a\tb\nc\rd\\e");
        assert_eq!(unescape(br"\x41\x4a2\xg"), b"AJ2xg");
        assert_eq!(unescape(br"\101\0\08\777"), b"A\0\08\xff");
        assert_eq!(unescape(br#"\"\q"#), b"\"q");
        assert_eq!(unescape(br"end\"), b"end\0");
        assert_eq!(unescape(b""), b"");
    }

    #[test]
    fn every_byte_round_trips() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(unescape(escaped(&all).as_bytes()), all);
    }
}
