//! Converting between `rt_value` and the runtime's `Value`.

use std::ffi::{CString, c_char};

use super::boundary::{str_arg, write_value};
use super::types::*;
use crate::Error;
use crate::Value;

/// The value an rt_value argument holds (a copy: the caller keeps what it
/// owns). Void is refused: no parameter has that type.
///
/// # Safety
/// As for [`read_rt_value`].
pub unsafe fn from_rt_value(v: &RtValue, index: usize) -> Result<Value, Error> {
    let what = format!("argument {index}");
    // SAFETY: forwarded from the caller.
    match unsafe { read_rt_value(v, &what) }? {
        Value::Void => Err(Error::InvalidArgument(format!("{what} has type RT_TYPE_VOID"))),
        value => Ok(value),
    }
}

/// The value `v` holds, a copy of its own; `what` names it in errors.
///
/// # Safety
/// `v` must be a readable rt_value; a text payload must be NULL or a
/// NUL-terminated string, an object payload NULL or an rt_object this
/// library made and has not freed, valid for the call.
pub unsafe fn read_rt_value(v: &RtValue, what: &str) -> Result<Value, Error> {
    // SAFETY: each arm reads the union member the tag says is valid.
    unsafe {
        match v.type_ {
            RT_TYPE_VOID => Ok(Value::Void),
            RT_TYPE_I64 => Ok(Value::I64(v.as_.i64)),
            RT_TYPE_F64 => Ok(Value::F64(v.as_.f64)),
            RT_TYPE_BOOL => Ok(Value::Bool(v.as_.boolean != 0)),
            RT_TYPE_TEXT => Ok(Value::Text(str_arg(v.as_.text, what)?.to_string())),
            tag @ (RT_TYPE_ARRAY | RT_TYPE_RECORD | RT_TYPE_MAP) => {
                let object = object_arg(v.as_.object, what)?;
                if object_tag(&object.value) != tag {
                    return Err(Error::InvalidArgument(format!(
                        "{what} is tagged {} but holds a {}",
                        tag_name(tag),
                        object.value.type_name()
                    )));
                }
                Ok(object.value.clone())
            }
            other => Err(Error::InvalidArgument(format!("{what} has an unknown type tag {other}"))),
        }
    }
}

/// An object argument: NULL is `RT_ERR_INVALID_ARGUMENT` naming it.
///
/// # Safety
/// `o` is NULL or an rt_object this library made and has not freed.
pub unsafe fn object_arg<'a>(o: *const RtObject, what: &str) -> Result<&'a RtObject, Error> {
    // SAFETY: forwarded from the caller.
    unsafe { o.as_ref() }.ok_or_else(|| Error::InvalidArgument(format!("`{what}` is NULL")))
}

/// The RT_TYPE_* tag of an object value.
fn object_tag(v: &Value) -> i32 {
    match v {
        Value::Array(_) => RT_TYPE_ARRAY,
        Value::Record(_) => RT_TYPE_RECORD,
        Value::Map(_) => RT_TYPE_MAP,
        _ => RT_TYPE_VOID,
    }
}

fn tag_name(tag: i32) -> &'static str {
    match tag {
        RT_TYPE_ARRAY => "RT_TYPE_ARRAY",
        RT_TYPE_RECORD => "RT_TYPE_RECORD",
        _ => "RT_TYPE_MAP",
    }
}

/// `v` as an rt_value the caller owns: a text is a new string
/// (`rt_string_free`), an object a new rt_object (`rt_object_free`); both
/// are released by `rt_value_free`.
pub fn to_rt_value(v: &Value) -> Result<RtValue, Error> {
    Ok(match v {
        Value::Void => RtValue::void(),
        Value::I64(x) => RtValue { type_: RT_TYPE_I64, as_: RtValueAs { i64: *x } },
        Value::F64(x) => RtValue { type_: RT_TYPE_F64, as_: RtValueAs { f64: *x } },
        Value::Bool(b) => RtValue { type_: RT_TYPE_BOOL, as_: RtValueAs { boolean: i32::from(*b) } },
        Value::Text(s) => RtValue { type_: RT_TYPE_TEXT, as_: RtValueAs { text: c_text(s) } },
        Value::Array(_) | Value::Record(_) | Value::Map(_) => {
            RtValue { type_: object_tag(v), as_: RtValueAs { object: new_object(v.clone()) } }
        }
    })
}

/// A new rt_object holding `value`, owned by the caller (`rt_object_free`).
pub fn new_object(value: Value) -> *mut RtObject {
    Box::into_raw(Box::new(RtObject { value }))
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
