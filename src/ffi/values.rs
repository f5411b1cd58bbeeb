//! Converting between `rt_value` and the runtime's `Value`.

use super::types::*;
use crate::error::Error;
use crate::runtime::Value;

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
            RT_TYPE_TEXT => Err(Error::Signature(format!(
                "argument {index}: text values are not supported by this version of rtjit yet"
            ))),
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
    })
}

/// Stores `v` through `out` unless `out` is NULL.
///
/// # Safety
/// `out` is NULL or points to writable storage for an rt_value.
pub unsafe fn write_value(out: *mut RtValue, v: RtValue) {
    if !out.is_null() {
        // SAFETY: non-NULL and writable by the caller's contract.
        unsafe { out.write(v) };
    }
}
