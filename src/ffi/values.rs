//! Converting between `rt_value` and the runtime's `Value`.

use std::ffi::{CString, c_char};

use super::boundary::{str_arg, write_value};
use super::types::*;
use crate::Error;
use crate::Value;

/// # Safety
/// `v` must be a readable rt_value; a text payload must be NULL or a
/// NUL-terminated string valid for the call.
pub unsafe fn from_rt_value(v: &RtValue, index: usize) -> Result<Value, Error> {
    // SAFETY: each arm reads the union member the tag says is valid.
    unsafe {
        match v.type_ {
            RT_TYPE_I64 => Ok(Value::I64(v.as_.i64)),
            RT_TYPE_F64 => Ok(Value::F64(v.as_.f64)),
            RT_TYPE_BOOL => Ok(Value::Bool(v.as_.boolean != 0)),
            RT_TYPE_TEXT => Ok(Value::Text(str_arg(v.as_.text, &format!("argument {index}"))?.to_string())),
            RT_TYPE_VOID => Err(Error::InvalidArgument(format!("argument {index} has type RT_TYPE_VOID"))),
            other => Err(Error::InvalidArgument(format!("argument {index} has an unknown type tag {other}"))),
        }
    }
}

pub fn to_rt_value(v: &Value) -> Result<RtValue, Error> {
    Ok(match v {
        Value::Void => RtValue::void(),
        Value::I64(x) => RtValue { type_: RT_TYPE_I64, as_: RtValueAs { i64: *x } },
        Value::F64(x) => RtValue { type_: RT_TYPE_F64, as_: RtValueAs { f64: *x } },
        Value::Bool(b) => RtValue { type_: RT_TYPE_BOOL, as_: RtValueAs { boolean: i32::from(*b) } },
        Value::Text(s) => RtValue { type_: RT_TYPE_TEXT, as_: RtValueAs { text: c_text(s) } },
        // RT_TYPE_ARRAY (c-api 36-47) is the next step of the data issue;
        // until then an array is refused, never passed as a bare pointer.
        Value::Array(a) => {
            return Err(Error::Signature(format!("a {} cannot cross the C ABI yet (arrays: MIR only)", a.ty())));
        }
    })
}

/// A new C string the caller owns (`rt_string_free`). A C string ends at
/// its first NUL, so a text holding NUL bytes is cut there.
pub fn c_text(s: &str) -> *mut c_char {
    let end = s.find('\0').unwrap_or(s.len());
    CString::new(&s[..end]).map(CString::into_raw).unwrap_or(std::ptr::null_mut())
}

/// Stores `v` as an rt_value through `out` unless `out` is NULL (then no
/// text copy is made, so nothing is left for the caller to free).
///
/// # Safety
/// `out` is NULL or points to writable storage for an rt_value.
pub unsafe fn write_result(out: *mut RtValue, v: &Value) -> Result<(), Error> {
    if !out.is_null() {
        // SAFETY: forwarded from the caller.
        unsafe { write_value(out, to_rt_value(v)?) };
    }
    Ok(())
}
