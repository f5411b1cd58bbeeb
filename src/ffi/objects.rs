//! Arrays, records and maps in the host's hands (functions 36 and 38-47 of
//! c-api.md): building them, reading them, copying numbers in and out in
//! bulk, JSON, and freeing what the library returned.
//!
//! An `rt_object` is a box around a [`Value`] of its own, so an object
//! handed out is never NULL (the empty array is a real object) and freeing
//! it is dropping the box: the value's storage goes when its last holder,
//! host or script, lets go.

use std::ffi::{CString, c_char};

use super::boundary::{Fallback, ffi_guard, owned_c_string, try_out, try_str};
use super::types::*;
use super::values::{new_object, object_arg, read_rt_value, write_result};
use crate::{Element, Error, ObjTy, Object, Ty, Value, to_json};

/// Functions returning a new object return NULL.
impl Fallback for *mut RtObject {
    fn fallback(_: &Error) -> *mut RtObject {
        std::ptr::null_mut()
    }
}

/// Releases what an rt_value the library returned owns (a text's string,
/// an object) and sets it to RT_TYPE_VOID; a scalar value is only set to
/// RT_TYPE_VOID. NULL is a no-op.
///
/// Pass only values the library returned (by call, eval, get_global,
/// rt_object_get_index, rt_object_get_field) or scalars: a text or object
/// the host made itself, or one already freed, is undefined behaviour.
#[unsafe(no_mangle)]
pub extern "C" fn rt_value_free(v: *mut RtValue) {
    ffi_guard!({
        // SAFETY: NULL or a writable rt_value by the contract above.
        let Some(v) = (unsafe { v.as_mut() }) else { return Ok(()) };
        // SAFETY: the tag says which member is valid; the library made the
        // string (CString::into_raw) or the object (Box::into_raw), and the
        // caller gives it up.
        unsafe {
            match v.type_ {
                RT_TYPE_TEXT if !v.as_.text.is_null() => drop(CString::from_raw(v.as_.text as *mut c_char)),
                RT_TYPE_ARRAY | RT_TYPE_RECORD | RT_TYPE_MAP => rt_object_free(v.as_.object),
                _ => {}
            }
        }
        *v = RtValue::void();
        Ok(())
    })
}

/// Returns a new, empty array of `elem_type` elements (RT_TYPE_I64,
/// RT_TYPE_F64, RT_TYPE_BOOL or RT_TYPE_TEXT), owned by the caller, who
/// frees it with rt_object_free (or passes it on in an rt_value and frees
/// that with rt_value_free).
///
/// NULL on error: RT_ERR_INVALID_ARGUMENT for another tag (arrays of
/// arrays, records or maps are made by scripts, not yet by the host).
#[unsafe(no_mangle)]
pub extern "C" fn rt_array_new(elem_type: i32) -> *mut RtObject {
    ffi_guard!({
        let elem = match elem_type {
            RT_TYPE_I64 => Ty::I64,
            RT_TYPE_F64 => Ty::F64,
            RT_TYPE_BOOL => Ty::Bool,
            RT_TYPE_TEXT => Ty::Text,
            other => {
                return Err(Error::InvalidArgument(format!(
                    "rt_array_new takes RT_TYPE_I64, RT_TYPE_F64, RT_TYPE_BOOL or RT_TYPE_TEXT, not {other}"
                )));
            }
        };
        Ok(new_object(Value::Array(Object::empty(ObjTy::array(elem)))))
    })
}

/// Appends a copy of `*v` to the array `a` (the host's own object; copies
/// of it already passed to scripts or returned keep their elements).
///
/// `v` is borrowed: an RT_TYPE_TEXT value's string and an object value are
/// copied, and stay the caller's. Its type must be the element type (an
/// RT_TYPE_I64 is converted for an array of f64).
/// Returns RT_OK; RT_ERR_SIGNATURE for another type;
/// RT_ERR_INVALID_ARGUMENT for NULL or a non-array `a`, NULL `v` or bad
/// UTF-8; RT_ERR_RUNTIME `out of memory` when the system refuses memory.
#[unsafe(no_mangle)]
pub extern "C" fn rt_array_push(a: *mut RtObject, v: *const RtValue) -> i32 {
    ffi_guard!({
        // SAFETY: NULL or a live rt_object of this library, not aliased
        // during the call, by the contract above.
        let Some(object) = (unsafe { a.as_mut() }) else { return Err(Error::InvalidArgument("`a` is NULL".into())) };
        let Value::Array(array) = &mut object.value else {
            return Err(Error::InvalidArgument(format!("`a` is a {}, not an array", object.value.type_name())));
        };
        let v = try_out!(v);
        // SAFETY: non-NULL; a readable rt_value by the contract above.
        let value = unsafe { read_rt_value(&*v, "v") }?;
        array.push(&value)?;
        Ok(RT_OK)
    })
}

/// Returns the number of elements of an array, entries of a map or fields
/// of a record; -1 on error (NULL `o`, RT_ERR_INVALID_ARGUMENT).
#[unsafe(no_mangle)]
pub extern "C" fn rt_object_len(o: *const RtObject) -> i64 {
    ffi_guard!(fallback = |_| -1, {
        // SAFETY: NULL or a live rt_object, by the contract above.
        let object = unsafe { object_arg(o, "o") }?;
        Ok(match &object.value {
            Value::Array(a) | Value::Record(a) | Value::Map(a) => a.len() as i64,
            other => return Err(not_an_object(other)),
        })
    })
}

/// Stores element `i` of the array `o` (or field number `i` of a record,
/// in declaration order) in `*out`, as a new value the caller owns and
/// releases with rt_value_free.
///
/// `out` must not be NULL; on failure `*out` is RT_TYPE_VOID.
/// Returns RT_OK; RT_ERR_INVALID_ARGUMENT for NULL arguments, a map, or
/// `i` out of range (`index out of range: 3 (length 3)`).
#[unsafe(no_mangle)]
pub extern "C" fn rt_object_get_index(o: *const RtObject, i: i64, out: *mut RtValue) -> i32 {
    ffi_guard!(value_out = out, {
        let out = try_out!(out);
        // SAFETY: NULL or a live rt_object, by the contract above.
        let object = unsafe { object_arg(o, "o") }?;
        let element = match &object.value {
            Value::Array(a) => usize::try_from(i)
                .ok()
                .and_then(|i| a.get(i))
                .ok_or_else(|| Error::InvalidArgument(format!("index out of range: {i} (length {})", a.len())))?,
            Value::Record(r) => usize::try_from(i).ok().and_then(|i| r.get(i)).ok_or_else(|| {
                Error::InvalidArgument(format!("a {} has no field {i} (it has {})", r.ty().name(), r.len()))
            })?,
            Value::Map(m) => m.lookup(&Value::I64(i)).ok_or_else(|| map_miss(m, &i.to_string(), false))?,
            other => return Err(not_an_object(other)),
        };
        // SAFETY: non-NULL and writable by the caller's contract.
        unsafe { write_result(out, &element) }?;
        Ok(RT_OK)
    })
}

/// Stores field `key` of the record `o`, or the entry for the text key
/// `key` of a map, in `*out`, as a new value the caller owns and releases
/// with rt_value_free.
///
/// `key` is NUL-terminated UTF-8, borrowed; `out` must not be NULL; on
/// failure `*out` is RT_TYPE_VOID. Returns RT_OK; RT_ERR_NOT_FOUND when
/// there is no such field or key; RT_ERR_SIGNATURE when `o` is an array
/// (it has no fields); RT_ERR_INVALID_ARGUMENT for NULL or bad UTF-8.
#[unsafe(no_mangle)]
pub extern "C" fn rt_object_get_field(o: *const RtObject, key: *const c_char, out: *mut RtValue) -> i32 {
    ffi_guard!(value_out = out, {
        let out = try_out!(out);
        // SAFETY: NULL or a live rt_object, by the contract above.
        let object = unsafe { object_arg(o, "o") }?;
        let key = try_str!(key);
        let value = match &object.value {
            Value::Record(r) => {
                let fields = r.obj_ty().fields().unwrap_or(&[]);
                let i = fields.iter().position(|f| f.name == key).ok_or_else(|| {
                    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
                    Error::NotFound(format!(
                        "a {} has no field `{key}` (its fields: {})",
                        r.ty().name(),
                        names.join(", ")
                    ))
                })?;
                r.get(i).unwrap_or(Value::Void)
            }
            Value::Map(m) => m.lookup(&Value::Text(key.to_string())).ok_or_else(|| map_miss(m, key, true))?,
            Value::Array(a) => return Err(Error::Signature(format!("a {} has no field `{key}`", a.ty().name()))),
            other => return Err(not_an_object(other)),
        };
        // SAFETY: non-NULL and writable by the caller's contract.
        unsafe { write_result(out, &value) }?;
        Ok(RT_OK)
    })
}

/// Returns the type of `o` as the language writes it (`[f64]`, `Point`,
/// `{text: i64}`): a new string the caller owns and frees with
/// rt_string_free. NULL on error (RT_ERR_INVALID_ARGUMENT for NULL).
#[unsafe(no_mangle)]
pub extern "C" fn rt_object_type(o: *const RtObject) -> *mut c_char {
    ffi_guard!({
        // SAFETY: NULL or a live rt_object, by the contract above.
        let object = unsafe { object_arg(o, "o") }?;
        owned_c_string(object.value.type_name().to_string())
    })
}

/// Returns the JSON text of any value: numbers (an i64 exactly, as
/// digits; a float always with a fraction or exponent, NaN and the
/// infinities as `null`), `true`/`false`, strings, arrays, records and
/// maps as objects; RT_TYPE_VOID is `null`. A new string the caller owns
/// and frees with rt_string_free.
///
/// `v` is borrowed. NULL on error: RT_ERR_INVALID_ARGUMENT for NULL, an
/// unknown tag, a NULL payload or bad UTF-8.
#[unsafe(no_mangle)]
pub extern "C" fn rt_value_to_json(v: *const RtValue) -> *mut c_char {
    ffi_guard!({
        let v = try_out!(v);
        // SAFETY: non-NULL; a readable rt_value by the contract above.
        let value = unsafe { read_rt_value(&*v, "v") }?;
        owned_c_string(to_json(&value))
    })
}

/// # Safety
/// `data` is NULL (only when `n` is 0) or points to `n` readable `T`s.
unsafe fn array_from<T: Element>(data: *const T, n: usize) -> Result<*mut RtObject, Error> {
    let xs = if n == 0 {
        &[][..]
    } else if data.is_null() {
        return Err(Error::InvalidArgument(format!("`data` is NULL but `n` is {n}")));
    } else if n > isize::MAX as usize / size_of::<T>() {
        // No buffer is that large, and no array could hold it.
        return Err(Error::Runtime(format!("out of memory: an array of {n} elements")));
    } else {
        // SAFETY: non-NULL and `n` elements long by the caller's contract.
        unsafe { std::slice::from_raw_parts(data, n) }
    };
    Ok(new_object(Value::Array(Object::from_slice(xs)?)))
}

/// Returns a new array of f64 holding a copy of the `n` doubles at `data`
/// (one copy, no per-element calls), owned by the caller (rt_object_free).
///
/// `data` may be NULL when `n` is 0; it is only read during the call.
/// NULL on error: RT_ERR_INVALID_ARGUMENT (NULL `data` with `n` > 0);
/// RT_ERR_RUNTIME `out of memory` when the system refuses the memory.
#[unsafe(no_mangle)]
pub extern "C" fn rt_array_from_f64(data: *const f64, n: usize) -> *mut RtObject {
    // SAFETY: `data` holds `n` doubles by the contract above.
    ffi_guard!({ unsafe { array_from(data, n) } })
}

/// As rt_array_from_f64, for an array of i64 copied from `n` int64_t.
#[unsafe(no_mangle)]
pub extern "C" fn rt_array_from_i64(data: *const i64, n: usize) -> *mut RtObject {
    // SAFETY: `data` holds `n` integers by the contract above.
    ffi_guard!({ unsafe { array_from(data, n) } })
}

/// # Safety
/// `a` is NULL or a live rt_object; `out` is NULL (only when `n` is 0) or
/// has room for `n` `T`s.
unsafe fn array_read<T: Element>(a: *const RtObject, out: *mut T, n: usize) -> Result<i32, Error> {
    // SAFETY: forwarded from the caller.
    let object = unsafe { object_arg(a, "a") }?;
    let Value::Array(array) = &object.value else { return Err(not_an_object(&object.value)) };
    let out = if n == 0 {
        &mut [][..]
    } else if out.is_null() {
        return Err(Error::InvalidArgument(format!("`out` is NULL but `n` is {n}")));
    } else {
        // `n.min(len)` elements fit in memory: the array holds that many.
        // SAFETY: non-NULL with room for `n` by the caller's contract; only
        // as many as the array holds are written.
        unsafe { std::slice::from_raw_parts_mut(out, n.min(array.len())) }
    };
    match array.read_into(out) {
        Some(_) => Ok(RT_OK),
        None => Err(Error::Signature(format!("`a` is a {}, not a [{}]", array.ty().name(), T::TY.name()))),
    }
}

/// Copies the first min(`n`, length) elements of the array of f64 `a` to
/// `out` in one call (the host learns the length from rt_object_len).
///
/// `out` may be NULL when `n` is 0. Returns RT_OK; RT_ERR_SIGNATURE when
/// `a` holds another element type; RT_ERR_INVALID_ARGUMENT for NULL
/// arguments or a record or map.
#[unsafe(no_mangle)]
pub extern "C" fn rt_array_read_f64(a: *const RtObject, out: *mut f64, n: usize) -> i32 {
    // SAFETY: `out` has room for `n` doubles by the contract above.
    ffi_guard!({ unsafe { array_read(a, out, n) } })
}

/// As rt_array_read_f64, for an array of i64 copied to `n` int64_t.
#[unsafe(no_mangle)]
pub extern "C" fn rt_array_read_i64(a: *const RtObject, out: *mut i64, n: usize) -> i32 {
    // SAFETY: `out` has room for `n` integers by the contract above.
    ffi_guard!({ unsafe { array_read(a, out, n) } })
}

/// Releases an object the host holds outside an rt_value (from
/// rt_array_new, rt_array_from_f64, rt_array_from_i64). NULL is a no-op;
/// freeing one object twice, or one held in an rt_value that is also
/// passed to rt_value_free, is undefined behaviour.
#[unsafe(no_mangle)]
pub extern "C" fn rt_object_free(o: *mut RtObject) {
    ffi_guard!({
        if !o.is_null() {
            // SAFETY: made by Box::into_raw in this library and given up by
            // the caller, once.
            drop(unsafe { Box::from_raw(o) });
        }
        Ok(())
    })
}

/// A key the map lacks, or a key of the other type (`text_key`: the
/// caller gave a text).
fn map_miss(m: &Object, key: &str, text_key: bool) -> Error {
    let keys_are_text = m.obj_ty().map_types().is_some_and(|(k, _)| k == Ty::Text);
    match (keys_are_text, text_key) {
        (true, false) => {
            Error::Signature(format!("a {} has text keys: look them up with rt_object_get_field", m.ty().name()))
        }
        (false, true) => {
            Error::Signature(format!("a {} has i64 keys: look them up with rt_object_get_index", m.ty().name()))
        }
        _ if keys_are_text => Error::NotFound(format!("key not found: {}", quoted(key))),
        _ => Error::NotFound(format!("key not found: {key}")),
    }
}

/// `"key"`, quoted and escaped as JSON writes it.
fn quoted(key: &str) -> String {
    to_json(&Value::Text(key.to_string()))
}

/// The error for an object of a kind a function does not take.
fn not_an_object(v: &Value) -> Error {
    Error::InvalidArgument(format!("a {} is not an array, record or map", v.type_name()))
}
