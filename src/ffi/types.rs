//! Constants and types of the C ABI (c-api.md: the numbers are a contract).

use std::ffi::c_char;

use crate::{Error, Value};

/// Backend: let the library choose (Cranelift in this build).
pub const RT_BACKEND_AUTO: i32 = 0;
/// Backend: Cranelift.
pub const RT_BACKEND_CRANELIFT: i32 = 1;
/// Backend: LLVM (not built into this library: RT_ERR_UNSUPPORTED).
pub const RT_BACKEND_LLVM: i32 = 2;
/// Never accepted; rt_exec_manager_get_backend returns it for a bad handle.
pub const RT_BACKEND_UNKNOWN: i32 = 3;

/// Success.
pub const RT_OK: i32 = 0;
/// The handle is 0, was never issued, or was already cleaned up.
pub const RT_ERR_INVALID_HANDLE: i32 = 1;
/// A NULL pointer, bad UTF-8, a level out of range, ...
pub const RT_ERR_INVALID_ARGUMENT: i32 = 2;
/// A syntax, type or MIR validation error; the message says where.
pub const RT_ERR_COMPILE: i32 = 3;
/// No function (or global) of that name.
pub const RT_ERR_NOT_FOUND: i32 = 4;
/// Wrong argument count or types for this call.
pub const RT_ERR_SIGNATURE: i32 = 5;
/// A runtime error in JIT code: division by zero, stack overflow, ...
pub const RT_ERR_RUNTIME: i32 = 6;
/// Stopped by rt_exec_manager_interrupt, a time limit or a step limit.
pub const RT_ERR_INTERRUPTED: i32 = 7;
/// Not available in this build (for example the LLVM backend).
pub const RT_ERR_UNSUPPORTED: i32 = 8;
/// rt_exec_manager_compile_file could not read the file.
pub const RT_ERR_IO: i32 = 9;
/// A bug in rtjit: a panic was caught at the boundary.
pub const RT_ERR_INTERNAL: i32 = 10;

/// rt_value type tag: no value.
pub const RT_TYPE_VOID: i32 = 0;
/// rt_value type tag: `as.i64` holds a signed 64-bit integer.
pub const RT_TYPE_I64: i32 = 1;
/// rt_value type tag: `as.f64` holds a double.
pub const RT_TYPE_F64: i32 = 2;
/// rt_value type tag: `as.boolean` holds 0 or 1.
pub const RT_TYPE_BOOL: i32 = 3;
/// rt_value type tag: `as.text` holds a NUL-terminated UTF-8 string.
pub const RT_TYPE_TEXT: i32 = 4;

/// rt_value type tag: `as.object` holds an rt_object that is an array.
pub const RT_TYPE_ARRAY: i32 = 5;
/// rt_value type tag: `as.object` holds an rt_object that is a record.
pub const RT_TYPE_RECORD: i32 = 6;
/// rt_value type tag: `as.object` holds an rt_object that is a map.
pub const RT_TYPE_MAP: i32 = 7;

/// An array, record or map: a value the holder owns alone. The library
/// never changes an object the host holds (a script that got it works on
/// its own copy, made on its first write), and a script never sees what
/// the host does to it afterwards. Opaque: read it with rt_object_len,
/// rt_object_get_index, rt_object_get_field, rt_array_read_f64 and
/// rt_array_read_i64; free it with rt_object_free, or with rt_value_free
/// on the rt_value holding it.
pub struct RtObject {
    pub value: Value,
}

/// The payload of an rt_value; which member is valid depends on `type`.
/// cbindgen:field-names=[i64, f64, boolean, text, object]
#[repr(C)]
#[derive(Clone, Copy)]
pub union RtValueAs {
    pub i64: i64,
    pub f64: f64,
    pub boolean: i32,
    pub text: *const c_char,
    pub object: *mut RtObject,
}

/// A typed value passed to rt_exec_manager_call or returned by call, eval
/// and get_global. `type` is an RT_TYPE_* tag; `as` holds the value.
/// A text value the library returns is a new string the caller frees with
/// rt_string_free; a text value the caller passes is only borrowed.
/// cbindgen:field-names=[type, as]
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RtValue {
    pub type_: i32,
    pub as_: RtValueAs,
}

impl RtValue {
    pub fn void() -> RtValue {
        RtValue { type_: RT_TYPE_VOID, as_: RtValueAs { i64: 0 } }
    }
}

impl Error {
    /// The status code a C caller sees for this error.
    pub fn status(&self) -> i32 {
        match self {
            Error::InvalidHandle => RT_ERR_INVALID_HANDLE,
            Error::InvalidArgument(_) => RT_ERR_INVALID_ARGUMENT,
            Error::Compile(_) => RT_ERR_COMPILE,
            Error::NotFound(_) => RT_ERR_NOT_FOUND,
            Error::Signature(_) => RT_ERR_SIGNATURE,
            Error::Runtime(_) => RT_ERR_RUNTIME,
            Error::Interrupted(_) => RT_ERR_INTERRUPTED,
            Error::Unsupported(_) => RT_ERR_UNSUPPORTED,
            Error::Io(_) => RT_ERR_IO,
            Error::Internal(_) => RT_ERR_INTERNAL,
        }
    }
}
