//! The runtime functions JIT code calls, by address (never by symbol, so
//! no symbol resolution can fail). The runtime fills these tables with its
//! functions; each field documents the C signature a backend must call it
//! with. Managed values (texts) are pointers; the helpers borrow their
//! managed arguments and return new references.

use crate::mir::Ty;

#[derive(Clone, Copy, Debug)]
pub struct Helpers {
    /// `fn(f64, f64) -> f64`: `pow`.
    pub fpow: usize,
    /// `fn(f64, f64) -> f64`: remainder with the dividend's sign.
    pub fmod: usize,
    /// `fn(i64, i64) -> i64`: wrapping power, exponent >= 0.
    pub ipow: usize,
    /// libc `memset`, to zero large stack slots.
    pub memset: usize,
    /// `fn(stack pointer) -> u32`: what a checkpoint calls once its
    /// tripwire was tripped, for the thread's running call, whose context
    /// holds the checkpoint's site in `cold_result` (function id in the
    /// high half, line in the low): nonzero when the call must stop (the
    /// error is recorded in the context), else it has set the next
    /// deadline. The stack pointer is the checkpoint stub's, where a stack
    /// scan starts.
    pub checkpoint: usize,
    /// `fn(ctx, kind: u32, name: text) -> 0`: records `kind` (`Unbound`,
    /// `NullHost`) with the name as its detail (the result is for the cold
    /// call stub).
    pub extern_error: usize,
    /// Reference counting and globals of `text`.
    pub text_refs: ManagedHelpers,
    /// The operations on texts.
    pub text: TextHelpers,
    /// Reference counting and globals of arrays.
    pub array_refs: ManagedHelpers,
    /// The operations on arrays, `str` of any object, and `print`.
    pub array: ArrayHelpers,
    /// The operations on maps.
    pub map: MapHelpers,
}

impl Helpers {
    /// The reference-counting functions of a managed type.
    pub fn managed(&self, ty: Ty) -> Option<&ManagedHelpers> {
        match ty {
            Ty::Text => Some(&self.text_refs),
            Ty::Obj(_) => Some(&self.array_refs),
            _ => None,
        }
    }
}

/// What every managed type provides: its reference counts, and the reads
/// and writes of its globals (which take a lock, so that a reader never
/// takes a reference to a value another thread has just released).
#[derive(Clone, Copy, Debug)]
pub struct ManagedHelpers {
    /// `fn(value)`: add a reference (a zero value is ignored).
    pub retain: usize,
    /// `fn(value)`: drop a reference, freeing the object with the last one.
    pub release: usize,
    /// `fn(cell) -> value`: a new reference to the value in a global's cell.
    pub global_load: usize,
    /// `fn(cell, value)`: store a new reference to `value`, drop the old one.
    pub global_store: usize,
}

/// The operations on texts. Those that make a text take the context first:
/// they may fail with `OutOfMemory` (recorded in it, with a NULL result).
#[derive(Clone, Copy, Debug)]
pub struct TextHelpers {
    /// `fn(ctx, text, text) -> text` (a new reference).
    pub concat: usize,
    /// `fn(text, text) -> u8`.
    pub equal: usize,
    /// `fn(text, text) -> i32`: -1, 0, 1.
    pub compare: usize,
    /// `fn(text) -> i64`: bytes.
    pub length: usize,
    /// `fn(ctx, i64) -> text`, `fn(ctx, f64) -> text`, `fn(ctx, u8) -> text`.
    pub from_i64: usize,
    pub from_f64: usize,
    pub from_bool: usize,
    /// `fn(ctx, text) -> i64` / `-> f64`; a bad number sets `InvalidNumber`.
    pub parse_i64: usize,
    pub parse_f64: usize,
    /// `fn(ctx, *const c_char) -> text`: a host function's result, copied.
    pub from_c_string: usize,
}

/// The operations on arrays. `ty` is the array type's address
/// (`ObjTy::addr`). Those that may allocate take the context first and
/// record `OutOfMemory` (or `IndexOutOfRange`) in it. Those that change
/// an array take the caller's reference and return the one to use from
/// then on (see `runtime::helpers::array`).
#[derive(Clone, Copy, Debug)]
pub struct ArrayHelpers {
    /// `fn(ctx, ty, cap: i64) -> array`.
    pub array_new: usize,
    /// `fn(ctx, ty) -> record`: every field zero.
    pub record_new: usize,
    /// `fn(ctx, ty, record) -> record`: storage of its own (the same record
    /// when refused; the error is in the context).
    pub record_unique: usize,
    /// `fn(ctx, ty, array) -> array`: storage of its own (the same array
    /// when refused; the error is in the context).
    pub array_unique: usize,
    /// `fn(ctx, ty, array, element bits: u64) -> array`.
    pub array_push: usize,
    /// `fn(ctx, index: i64, length: i64) -> 0`: records the error (the
    /// result is for the cold call stub, which takes a helper's result).
    pub index_error: usize,
    /// `fn(ctx, array, i: i64, j: i64) -> array`.
    pub array_slice: usize,
    /// `fn(ctx, array, array) -> array`.
    pub array_concat: usize,
    /// `fn(ctx, array, n: i64) -> array`.
    pub array_repeat: usize,
    /// `fn(ty, array, array) -> u8`.
    pub array_equal: usize,
    /// `fn(ctx, ty, array) -> text`.
    pub obj_to_text: usize,
    /// `fn(ctx, text)`.
    pub print: usize,
}

/// The map operations (maps share the arrays' reference counting). Those
/// that change a map take one whose storage is its own (`map_unique`).
#[derive(Clone, Copy, Debug)]
pub struct MapHelpers {
    /// `fn(ctx, ty, cap: i64) -> map`.
    pub map_new: usize,
    /// `fn(ctx, ty, map) -> map`: storage of its own (the same map when
    /// refused; the error is in the context).
    pub map_unique: usize,
    /// `fn(ctx, ty, map, key) -> value`: borrowed; `key not found` recorded.
    pub map_get: usize,
    /// `fn(map, key) -> u8`.
    pub map_has: usize,
    /// `fn(ctx, ty, map, key, value, moved: u8)`.
    pub map_set: usize,
    /// `fn(ctx, ty, map, key) -> value`: moved out, zero left.
    pub map_take: usize,
    /// `fn(ty, map, key)`.
    pub map_del: usize,
    /// `fn(ctx, ty, map, values: u8) -> array`: the keys (0) or values (1).
    pub map_list: usize,
    /// `fn(ctx, ty, map, key) -> *mut value`: where the value is, in a map
    /// whose storage is the caller's own; NULL and `key not found`
    /// recorded when it has none.
    pub map_slot: usize,
    /// `fn(map, key) -> *mut value`: as `map_slot`, but NULL with nothing
    /// recorded when the map has no `key` (`k in m`, whose slot a later
    /// `m[k]` reuses).
    pub map_find: usize,
}
