//! Host data: the C structs a host binds (`extern struct`), laid out as a
//! C compiler lays them out, and the field types they may have. MIR reaches
//! their fields with `xget`/`xset` at the offsets computed here, and the
//! bound addresses through `xaddr`/`xlen` (docs/mir.md, "Host data").
//!
//! A struct type is interned once per process, like object types, so a
//! handle is `Copy` and two declarations with the same name and fields are
//! one type.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, OnceLock};

use super::types::Ty;
use crate::util::named_enum;

named_enum! {
    /// The C type of a host struct's field.
    CType {
        I8 = "i8",
        I16 = "i16",
        I32 = "i32",
        I64 = "i64",
        U8 = "u8",
        U16 = "u16",
        U32 = "u32",
        F32 = "f32",
        F64 = "f64",
        /// C `bool`: one byte, 0 or 1.
        Bool = "bool",
    }
}

impl CType {
    /// Size in bytes, which is also the alignment on every target rtjit
    /// runs on (x86-64 and AArch64 System V).
    pub fn size(self) -> u32 {
        match self {
            CType::I8 | CType::U8 | CType::Bool => 1,
            CType::I16 | CType::U16 => 2,
            CType::I32 | CType::U32 | CType::F32 => 4,
            CType::I64 | CType::F64 => 8,
        }
    }

    /// The MIR type a `load` or `store` of the field has (unsigned fields
    /// load at their width and are then zero-extended).
    pub fn mir_ty(self) -> Ty {
        match self {
            CType::I8 | CType::U8 => Ty::I8,
            CType::I16 | CType::U16 => Ty::I16,
            CType::I32 | CType::U32 => Ty::I32,
            CType::I64 => Ty::I64,
            CType::F32 => Ty::F32,
            CType::F64 => Ty::F64,
            CType::Bool => Ty::Bool,
        }
    }

    pub fn is_unsigned(self) -> bool {
        matches!(self, CType::U8 | CType::U16 | CType::U32)
    }

    /// Every field type name, for messages.
    pub fn names() -> String {
        CType::ALL.iter().map(|t| t.name()).collect::<Vec<_>>().join(" ")
    }
}

/// One field, where it lies in the struct.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HostField {
    pub name: String,
    pub ty: CType,
    pub offset: u32,
}

/// A host struct's layout.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct HostStruct {
    pub name: String,
    /// `[name]`, as messages write an array binding's type.
    pub array_name: String,
    pub fields: Vec<HostField>,
    pub size: u32,
    pub align: u32,
}

/// The most fields a host struct may have (keeps every offset and the
/// size far inside `i32`, which a backend's offsets are).
pub const MAX_HOST_FIELDS: usize = 4096;

/// A handle to an interned host struct (equal layouts are one struct, so
/// comparing the layouts is comparing the handles).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HostTy(&'static HostStruct);

impl HostTy {
    /// The struct with these fields, in declaration order, laid out as C
    /// does: each field at the next multiple of its alignment, the size
    /// rounded up to the largest alignment.
    pub fn declare(name: &str, fields: &[(String, CType)]) -> Result<HostTy, String> {
        if fields.is_empty() {
            return Err(format!("extern struct `{name}` needs at least one field (C has no empty structs)"));
        }
        if fields.len() > MAX_HOST_FIELDS {
            return Err(format!("extern struct `{name}` has more than {MAX_HOST_FIELDS} fields"));
        }
        let mut laid = Vec::with_capacity(fields.len());
        let (mut at, mut align) = (0u32, 1u32);
        for (i, (field, ty)) in fields.iter().enumerate() {
            if fields[..i].iter().any(|(f, _)| f == field) {
                return Err(format!("extern struct `{name}` has two fields named `{field}`"));
            }
            let size = ty.size();
            at = at.next_multiple_of(size);
            laid.push(HostField { name: field.clone(), ty: *ty, offset: at });
            at += size;
            align = align.max(size);
        }
        let array_name = format!("[{name}]");
        let layout =
            HostStruct { name: name.to_string(), array_name, fields: laid, size: at.next_multiple_of(align), align };
        Ok(intern(layout))
    }

    pub fn name(self) -> &'static str {
        &self.0.name
    }

    pub fn array_name(self) -> &'static str {
        &self.0.array_name
    }

    pub fn fields(self) -> &'static [HostField] {
        &self.0.fields
    }

    /// Field `name`: its number and layout.
    pub fn field(self, name: &str) -> Option<(usize, &'static HostField)> {
        self.0.fields.iter().enumerate().find(|(_, f)| f.name == name)
    }

    /// Field `k`'s layout, when it has one.
    pub fn field_at(self, k: i64) -> Option<&'static HostField> {
        self.0.fields.get(usize::try_from(k).ok()?)
    }

    /// Bytes from one element of an array of the struct to the next.
    pub fn size(self) -> u32 {
        self.0.size
    }

    pub fn align(self) -> u32 {
        self.0.align
    }

    /// The declaration as MIR text and the source language write its body:
    /// `x: f64, vx: f64, hp: i32`.
    pub fn field_list(self) -> String {
        let fields: Vec<String> = self.0.fields.iter().map(|f| format!("{}: {}", f.name, f.ty.name())).collect();
        fields.join(", ")
    }
}

impl fmt::Debug for HostTy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "extern struct {} {{ {} }}", self.0.name, self.field_list())
    }
}

/// The interned copy of `layout`, made the first time it is seen.
fn intern(layout: HostStruct) -> HostTy {
    static TABLE: OnceLock<Mutex<HashMap<&'static HostStruct, ()>>> = OnceLock::new();
    let table = TABLE.get_or_init(Default::default);
    let mut table = crate::util::sync::lock(table);
    if let Some((known, ())) = table.get_key_value(&layout) {
        return HostTy(known);
    }
    let leaked: &'static HostStruct = Box::leak(Box::new(layout));
    table.insert(leaked, ());
    HostTy(leaked)
}

/// An `extern val` a module declares: a name the host binds to one struct
/// (`array: false`, count 1) or to an array of them.
#[derive(Clone, Debug, PartialEq)]
pub struct ExternVal {
    pub name: String,
    pub ty: HostTy,
    pub array: bool,
    pub line: u32,
}

impl ExternVal {
    /// Its type as MIR text and the source language write it.
    pub fn type_text(&self) -> String {
        if self.array { format!("[{}]", self.ty.name()) } else { self.ty.name().to_string() }
    }
}

/// An `extern struct` a module declares, and the line declaring it.
#[derive(Clone, Debug, PartialEq)]
pub struct HostStructDecl {
    pub ty: HostTy,
    pub line: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(fields: &[(&str, CType)]) -> HostTy {
        let fields: Vec<(String, CType)> = fields.iter().map(|(n, t)| (n.to_string(), *t)).collect();
        HostTy::declare("T", &fields).unwrap()
    }

    #[test]
    fn fields_are_laid_out_as_c_does() {
        let t = layout(&[("a", CType::U8), ("b", CType::F64), ("c", CType::I16), ("d", CType::Bool)]);
        let offsets: Vec<u32> = t.fields().iter().map(|f| f.offset).collect();
        assert_eq!(offsets, [0, 8, 16, 18]);
        assert_eq!((t.size(), t.align()), (24, 8));
        let small = layout(&[("a", CType::I8), ("b", CType::I8), ("c", CType::I8)]);
        assert_eq!((small.size(), small.align()), (3, 1));
    }

    #[test]
    fn one_layout_is_one_type() {
        assert_eq!(layout(&[("x", CType::F32)]), layout(&[("x", CType::F32)]));
        assert_ne!(layout(&[("x", CType::F32)]), layout(&[("x", CType::I32)]));
    }

    #[test]
    fn empty_and_repeated_fields_are_refused() {
        assert!(HostTy::declare("E", &[]).is_err());
        let twice = [("x".to_string(), CType::I8), ("x".to_string(), CType::I8)];
        assert!(HostTy::declare("E", &twice).unwrap_err().contains("two fields named `x`"));
    }
}
