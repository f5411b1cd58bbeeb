//! Host data: binding an `extern val` to the host's structs, and a host
//! struct's layout (functions 48 and 54 of c-api.md).

use std::ffi::{c_char, c_void};

use super::boundary::{ffi_guard, owned_c_string, try_manager, try_str};
use super::types::*;

/// Binds `name`, declared in source as `extern val name: T` (one struct)
/// or `extern val name: [T]` (an array), `T` an `extern struct`, to
/// `count` structs at `address` in the host's memory. Scripts then read
/// and write that memory in place, in the declared C layout (check it at
/// start-up with rt_exec_manager_struct_layout).
///
/// `name` is NUL-terminated UTF-8, borrowed. `address` is borrowed, not
/// owned: the library never frees it, and it must stay valid (readable and
/// writable) for as long as calls may use the binding. Binding again (a
/// new address or count, e.g. each frame) is seen by the next read of the
/// binding. Rebind between calls that use it: a call running on another
/// thread while the binding changes may see the old address with the new
/// count, as C code sharing a pointer and a length would. One struct takes
/// count 1, or NULL and 0 to unbind it; an array takes any count, and NULL
/// with 0 is an empty array. A call that reads an unbound extern fails
/// with RT_ERR_RUNTIME `unbound extern NAME in F at line N`; an index
/// outside the count with `index out of range`.
///
/// Returns RT_OK; RT_ERR_NOT_FOUND when no unit declared `name`;
/// RT_ERR_INVALID_ARGUMENT for a NULL name, bad UTF-8, a NULL address with
/// count > 0, a count other than 0 or 1 for one struct, an address not
/// aligned as the struct is, or a count whose bytes overflow;
/// RT_ERR_INVALID_HANDLE.
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_bind_struct(h: i64, name: *const c_char, address: *mut c_void, count: usize) -> i32 {
    ffi_guard!({
        let manager = try_manager!(h);
        manager.bind_struct(try_str!(name), address as usize, count)?;
        Ok(RT_OK)
    })
}

/// Returns the layout of the `extern struct` `name` as JSON:
/// `{"size": 24, "align": 8, "fields": [{"name": "x", "type": "f64",
/// "offset": 0}, ...]}`, fields in declaration order, laid out as a C
/// compiler lays out the same struct on this platform; a host asserts it
/// against `sizeof`/`offsetof` at start-up.
///
/// `name` is NUL-terminated UTF-8, borrowed. The string is new and owned
/// by the caller, who frees it with rt_string_free. NULL on error:
/// RT_ERR_NOT_FOUND when no unit declared the struct,
/// RT_ERR_INVALID_ARGUMENT, RT_ERR_INVALID_HANDLE.
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_struct_layout(h: i64, name: *const c_char) -> *mut c_char {
    ffi_guard!({
        let manager = try_manager!(h);
        owned_c_string(manager.struct_layout(try_str!(name))?)
    })
}
