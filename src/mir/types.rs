//! MIR's value types: the scalars, `text`, and the object types (the
//! managed containers: `[f64]` now, records and maps later).
//!
//! An object type is interned once per process and never freed, so
//! [`ObjTy`] is a `Copy` pointer whose equality is the types' equality,
//! MIR's `Ty` stays `Copy`, and compiled code and the objects the runtime
//! makes can point at their type's description (which the runtime needs to
//! free, copy, compare and print an object) without owning it. The number
//! of distinct types a process ever sees is bounded by its inputs' size
//! (each type is written out in some input), and a type takes a few dozen
//! bytes.

use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, OnceLock};

/// A MIR value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    I8,
    I16,
    I32,
    I64,
    F32,
    F64,
    /// Pointer-sized integer.
    Ptr,
    /// `true`/`false`, stored as one byte holding 0 or 1.
    Bool,
    /// Immutable UTF-8 text, reference-counted by the runtime: the first
    /// managed type (see [`Ty::is_managed`]).
    Text,
    /// An object (an array): managed like text, and mutable in place by
    /// the data operations when its storage is not shared.
    Obj(ObjTy),
}

impl Ty {
    /// The types with a one-word name, in the order messages list them.
    pub const SCALARS: &'static [Ty] =
        &[Ty::I8, Ty::I16, Ty::I32, Ty::I64, Ty::F32, Ty::F64, Ty::Ptr, Ty::Bool, Ty::Text];

    /// The type as MIR text writes it.
    pub fn name(self) -> &'static str {
        match self {
            Ty::I8 => "i8",
            Ty::I16 => "i16",
            Ty::I32 => "i32",
            Ty::I64 => "i64",
            Ty::F32 => "f32",
            Ty::F64 => "f64",
            Ty::Ptr => "ptr",
            Ty::Bool => "bool",
            Ty::Text => "text",
            Ty::Obj(o) => o.name(),
        }
    }

    /// A one-word type name.
    pub fn from_name(word: &str) -> Option<Ty> {
        Ty::SCALARS.iter().copied().find(|t| t.name() == word)
    }

    /// The object type, when this is one.
    pub fn obj(self) -> Option<ObjTy> {
        match self {
            Ty::Obj(o) => Some(o),
            _ => None,
        }
    }

    pub fn is_int(self) -> bool {
        matches!(self, Ty::I8 | Ty::I16 | Ty::I32 | Ty::I64 | Ty::Ptr)
    }

    pub fn is_float(self) -> bool {
        matches!(self, Ty::F32 | Ty::F64)
    }

    /// A managed type's values are references to reference-counted objects
    /// the runtime owns; a zero reference is the type's empty value. A
    /// local of a managed type owns one reference (see [`Ownership`]).
    pub fn is_managed(self) -> bool {
        matches!(self, Ty::Text | Ty::Obj(_))
    }

    /// Width in bits.
    pub fn bits(self) -> u32 {
        match self {
            Ty::Bool | Ty::I8 => 8,
            Ty::I16 => 16,
            Ty::I32 | Ty::F32 => 32,
            Ty::I64 | Ty::F64 | Ty::Ptr | Ty::Text | Ty::Obj(_) => 64,
        }
    }

    /// Every type name, space-separated, for messages.
    pub fn names() -> String {
        let mut names: Vec<&str> = Ty::SCALARS.iter().map(|t| t.name()).collect();
        names.push("[T]");
        names.join(" ")
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What an object type is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum ObjKind {
    /// `[T]`: a growable array of `T`.
    Array { elem: Ty },
}

/// An interned object type.
pub struct ObjDesc {
    kind: ObjKind,
    /// The type as the language and MIR write it: `[f64]`, `[[text]]`.
    pub name: &'static str,
}

/// A handle to an interned object type (see the module comment).
#[derive(Clone, Copy)]
pub struct ObjTy(&'static ObjDesc);

impl ObjTy {
    /// The array type `[elem]`.
    pub fn array(elem: Ty) -> ObjTy {
        intern(ObjKind::Array { elem })
    }

    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// The element type, when this is an array type.
    pub fn elem(self) -> Option<Ty> {
        match self.0.kind {
            ObjKind::Array { elem } => Some(elem),
        }
    }

    /// The address of the description, which compiled code passes to the
    /// runtime functions that need the type (it lives as long as the
    /// process).
    pub fn addr(self) -> usize {
        self.0 as *const ObjDesc as usize
    }

    /// The type whose description is at `addr`.
    ///
    /// # Safety
    /// `addr` came from [`ObjTy::addr`].
    pub unsafe fn from_addr(addr: usize) -> ObjTy {
        // SAFETY: descriptions are leaked, so the address stays valid.
        ObjTy(unsafe { &*(addr as *const ObjDesc) })
    }
}

impl PartialEq for ObjTy {
    fn eq(&self, other: &ObjTy) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for ObjTy {}

impl Hash for ObjTy {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::ptr::hash(self.0, state);
    }
}

impl fmt::Debug for ObjTy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name)
    }
}

fn intern(kind: ObjKind) -> ObjTy {
    static TABLE: OnceLock<Mutex<HashMap<ObjKind, &'static ObjDesc>>> = OnceLock::new();
    let table = TABLE.get_or_init(Default::default);
    let mut table = crate::util::sync::lock(table);
    let desc = table.entry(kind).or_insert_with(|| {
        let name = match kind {
            ObjKind::Array { elem } => format!("[{}]", elem.name()),
        };
        Box::leak(Box::new(ObjDesc { kind, name: Box::leak(name.into_boxed_str()) }))
    });
    ObjTy(desc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_type_is_one_description() {
        let a = ObjTy::array(Ty::F64);
        assert_eq!(a, ObjTy::array(Ty::F64));
        assert_ne!(a, ObjTy::array(Ty::I64));
        let nested = ObjTy::array(Ty::Obj(a));
        assert_eq!(nested.name(), "[[f64]]");
        assert_eq!(nested.elem(), Some(Ty::Obj(a)));
        // SAFETY: the address came from `addr`.
        assert_eq!(unsafe { ObjTy::from_addr(a.addr()) }, a);
    }
}
