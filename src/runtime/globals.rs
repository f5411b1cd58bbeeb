//! Values in global cells as the runtime handles them outside JIT code:
//! read for the host, saved and restored by a unit's undo, emptied when a
//! global changes type, dropped with the manager.
//!
//! A managed value in a cell is a reference the cell owns; every access
//! here goes through the type's locked cell functions, as JIT code's do,
//! so it never races a store. This file is the only place outside the
//! helpers that knows how a managed type's values sit in cells.

use std::sync::atomic::{AtomicU64, Ordering};

use super::helpers::text::{self, OwnedText, RtText};
use super::object::Object;
use super::value::Value;
use crate::error::Error;
use crate::mir::Ty;

/// A global's value kept aside (by a unit that may be undone).
pub enum Saved {
    Plain(u64),
    /// A reference of its own to a text.
    Text(OwnedText),
    /// A reference of its own to an array.
    Object(Object),
}

/// `value` as a cell of type `ty` holds it (a reference of its own for a
/// managed value); `None` when `value` is not a `ty` (an `i64` is taken
/// where a float is expected, as calls take it).
pub fn to_saved(value: &Value, ty: Ty) -> Option<Result<Saved, Error>> {
    Some(match (value, ty) {
        (Value::Text(s), Ty::Text) => OwnedText::new(s).map(Saved::Text).ok_or(Error::Runtime("out of memory".into())),
        (Value::Array(a) | Value::Record(a) | Value::Map(a), t) if a.ty() == t => Ok(Saved::Object(a.clone())),
        _ if ty.is_managed() => return None,
        _ => Ok(Saved::Plain(value.to_word(ty)?)),
    })
}

/// The value of a cell holding a `ty`.
///
/// # Safety
/// `cell` is a live global cell holding a value of type `ty`.
pub unsafe fn save(cell: &AtomicU64, ty: Ty) -> Saved {
    match ty {
        // SAFETY: forwarded from the caller.
        Ty::Text => Saved::Text(unsafe { OwnedText::load_global(cell) }),
        // SAFETY: forwarded from the caller.
        Ty::Obj(o) => Saved::Object(unsafe { Object::load_global(o, cell) }),
        _ => Saved::Plain(cell.load(Ordering::Acquire)),
    }
}

/// The value of a cell holding a `ty`, for the host.
///
/// # Safety
/// As for [`save`].
pub unsafe fn read(cell: &AtomicU64, ty: Ty) -> Value {
    // SAFETY: forwarded from the caller.
    match unsafe { save(cell, ty) } {
        Saved::Text(t) => Value::Text(t.as_str().to_string()),
        Saved::Object(a) => Value::object(a),
        Saved::Plain(raw) => Value::from_word(raw, Some(ty)),
    }
}

/// Puts `value` into the cell; `now` is the type the cell holds until
/// then, whose managed value is dropped.
///
/// # Safety
/// `cell` is a live global cell holding a value of type `now` (or zero).
pub unsafe fn replace(cell: &AtomicU64, value: Saved, now: Option<Ty>) {
    let raw = match value {
        Saved::Plain(raw) => raw,
        Saved::Text(t) => t.into_raw() as u64,
        Saved::Object(a) => a.into_raw() as u64,
    };
    // The cell takes over `raw`'s reference and hands back its content.
    let old = text::global_swap(cell, raw);
    match now {
        // SAFETY: the cell held a text reference, now ours to drop.
        Some(Ty::Text) => drop(unsafe { OwnedText::from_raw(old as *mut RtText) }),
        // SAFETY: the cell held an array reference, now ours to drop.
        Some(Ty::Obj(o)) => drop(unsafe { Object::from_raw(o, old as *mut _) }),
        _ => {}
    }
}

/// Empties a cell holding a `now`: zero, the empty value of every type.
///
/// # Safety
/// As for [`replace`].
pub unsafe fn clear(cell: &AtomicU64, now: Option<Ty>) {
    // SAFETY: forwarded from the caller.
    unsafe { replace(cell, Saved::Plain(0), now) };
}
