//! JSON of any value, for hosts that hand script data to the rest of their
//! program (`rt_value_to_json`).
//!
//! Choices where JSON has no exact counterpart: an `i64` is written exactly
//! (as digits; a reader that parses numbers as doubles loses precision past
//! 2^53, which is the reader's choice to make); a non-finite `f64` (NaN,
//! infinities), which JSON cannot hold, is `null`, as JavaScript's
//! `JSON.stringify` writes it; void is `null`; a record is an object of
//! its fields in declaration order, a map an object of its entries in
//! insertion order (an `i64` key as a string of its digits); a float always shows it is
//! one (`1.0`), so a reader can tell the two number types apart.

use std::fmt::Write as _;

use super::value::Value;

/// The JSON text of `v`.
pub fn to_json(v: &Value) -> String {
    let mut out = String::new();
    write(&mut out, v);
    out
}

fn write(out: &mut String, v: &Value) {
    match v {
        Value::Void => out.push_str("null"),
        Value::I64(x) => write!(out, "{x}").unwrap_or(()),
        Value::F64(x) if x.is_finite() => write!(out, "{x:?}").unwrap_or(()),
        Value::F64(_) => out.push_str("null"),
        Value::Bool(b) => write!(out, "{b}").unwrap_or(()),
        Value::Text(s) => string(out, s),
        Value::Array(a) => {
            out.push('[');
            for i in 0..a.len() {
                if i > 0 {
                    out.push(',');
                }
                write(out, &a.get(i).unwrap_or(Value::Void));
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, v)) in m.entries().iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                // JSON keys are strings: an i64 key is written as its digits.
                match k {
                    Value::Text(s) => string(out, s),
                    other => string(out, &other.to_string()),
                }
                out.push(':');
                write(out, v);
            }
            out.push('}');
        }
        Value::Record(r) => {
            out.push('{');
            for (i, f) in r.obj_ty().fields().unwrap_or(&[]).iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(out, &f.name);
                out.push(':');
                write(out, &r.get(i).unwrap_or(Value::Void));
            }
            out.push('}');
        }
    }
}

/// A JSON string: `"` and `\` escaped, control characters as `\n`-style
/// escapes or `\u00XX`; everything else as UTF-8.
fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => write!(out, "\\u{:04x}", c as u32).unwrap_or(()),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::Object;

    #[test]
    fn scalars_texts_and_arrays() {
        assert_eq!(to_json(&Value::I64(i64::MIN)), "-9223372036854775808");
        assert_eq!(to_json(&Value::F64(1.0)), "1.0");
        assert_eq!(to_json(&Value::F64(f64::NAN)), "null");
        assert_eq!(to_json(&Value::Bool(true)), "true");
        assert_eq!(to_json(&Value::Void), "null");
        assert_eq!(to_json(&Value::Text("a\"\\\n\u{1}é".into())), r#""a\"\\\n\u0001é""#);
        let a = Object::from_slice(&[1.5f64, -2.0]).unwrap();
        assert_eq!(to_json(&Value::Array(a)), "[1.5,-2.0]");
        let mut texts = Object::empty(crate::mir::ObjTy::array(crate::mir::Ty::Text));
        texts.push(&Value::Text("x".into())).unwrap();
        assert_eq!(to_json(&Value::Array(texts)), r#"["x"]"#);
    }
}
