//! MIR's value types: the scalars, `text`, and the object types (the
//! managed containers: arrays `[f64]` and records; maps later).
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
    /// An object (an array or a record): managed like text, and mutable
    /// in place by the data operations when its storage is not shared.
    Obj(ObjTy),
}

impl Ty {
    /// The types with a one-word name, in the order messages list them.
    pub const SCALARS: &'static [Ty] =
        &[Ty::I8, Ty::I16, Ty::I32, Ty::I64, Ty::F32, Ty::F64, Ty::Ptr, Ty::Bool, Ty::Text];

    /// The type as messages, signatures and the language write it
    /// (`Point` for a record).
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

    /// The type as MIR text writes it (a record with its fields).
    pub fn mir_name(self) -> &'static str {
        match self {
            Ty::Obj(o) => o.mir_name(),
            t => t.name(),
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
    /// `{K: V}`: a map from `text` or `i64` keys to `V`, in insertion order.
    Map { key: Ty, value: Ty },
    /// A record, known by its MIR text (`Point{x: f64, y: f64}`), which
    /// spells out its whole structure: two records are one type exactly
    /// when their texts are equal.
    Record { mir: &'static str },
}

/// One field of a record type.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: String,
    pub ty: Ty,
}

/// An interned object type.
pub struct ObjDesc {
    kind: ObjKind,
    /// The type as the language writes it: `[f64]`, `[[text]]`, `Point`.
    pub name: &'static str,
    /// The type as MIR text writes it (a record with its fields).
    mir: &'static str,
    /// A record's fields, set once just after the type is interned (a
    /// field's type may be an array of the record itself).
    fields: OnceLock<Vec<Field>>,
}

/// A handle to an interned object type (see the module comment).
#[derive(Clone, Copy)]
pub struct ObjTy(&'static ObjDesc);

impl ObjTy {
    /// The array type `[elem]`.
    pub fn array(elem: Ty) -> ObjTy {
        intern(ObjKind::Array { elem }, || (format!("[{}]", elem.name()), format!("[{}]", elem.mir_name())))
    }

    /// The map type `{key: value}`; `None` unless `key` is `text` or `i64`.
    pub fn map(key: Ty, value: Ty) -> Option<ObjTy> {
        matches!(key, Ty::Text | Ty::I64).then(|| {
            intern(ObjKind::Map { key, value }, || {
                (
                    format!("{{{}: {}}}", key.name(), value.name()),
                    format!("{{{}: {}}}", key.mir_name(), value.mir_name()),
                )
            })
        })
    }

    /// A map type's key and value types.
    pub fn map_types(self) -> Option<(Ty, Ty)> {
        match self.0.kind {
            ObjKind::Map { key, value } => Some((key, value)),
            _ => None,
        }
    }

    /// The type as the language writes it (`Point`, `[f64]`).
    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// The type as MIR text writes it (`Point{x: f64, y: f64}`).
    pub fn mir_name(self) -> &'static str {
        self.0.mir
    }

    /// The element type, when this is an array type.
    pub fn elem(self) -> Option<Ty> {
        match self.0.kind {
            ObjKind::Array { elem } => Some(elem),
            ObjKind::Record { .. } | ObjKind::Map { .. } => None,
        }
    }

    /// The fields, when this is a record type.
    pub fn fields(self) -> Option<&'static [Field]> {
        match self.0.kind {
            ObjKind::Record { .. } => Some(self.0.fields.get().map_or(&[], Vec::as_slice)),
            ObjKind::Array { .. } | ObjKind::Map { .. } => None,
        }
    }

    /// The type of the value in slot `i`: an array's element, a record's
    /// field `i` (`None` past a record's last field).
    pub fn slot_ty(self, i: usize) -> Option<Ty> {
        match self.fields() {
            Some(fields) => fields.get(i).map(|f| f.ty),
            None => self.elem(),
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
        f.write_str(self.0.mir)
    }
}

/// The description of `kind`, made (with the names `names` gives) the
/// first time it is asked for.
fn intern(kind: ObjKind, names: impl FnOnce() -> (String, String)) -> ObjTy {
    static TABLE: OnceLock<Mutex<HashMap<ObjKind, &'static ObjDesc>>> = OnceLock::new();
    let table = TABLE.get_or_init(Default::default);
    let mut table = crate::util::sync::lock(table);
    let desc = table.entry(kind).or_insert_with(|| {
        let (name, mir) = names();
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        Box::leak(Box::new(ObjDesc { kind, name: leak(name), mir: leak(mir), fields: OnceLock::new() }))
    });
    ObjTy(desc)
}

/// Whether `t` is `target` or holds one (as an element or a field, at any
/// depth).
pub fn mentions(t: Ty, target: ObjTy) -> bool {
    fn walk(t: Ty, target: ObjTy, seen: &mut Vec<ObjTy>) -> bool {
        let Some(o) = t.obj() else { return false };
        if o == target {
            return true;
        }
        if seen.contains(&o) {
            return false;
        }
        seen.push(o);
        match (o.fields(), o.map_types()) {
            (Some(fields), _) => fields.iter().any(|f| walk(f.ty, target, seen)),
            (None, Some((_, v))) => walk(v, target, seen),
            (None, None) => o.elem().is_some_and(|e| walk(e, target, seen)),
        }
    }
    walk(t, target, &mut Vec::new())
}

/// The record type whose MIR text is `text`, made the first time.
fn intern_record(text: String, name: &str) -> ObjTy {
    static TABLE: OnceLock<Mutex<HashMap<String, &'static ObjDesc>>> = OnceLock::new();
    let table = TABLE.get_or_init(Default::default);
    let mut table = crate::util::sync::lock(table);
    if let Some(desc) = table.get(&text) {
        return ObjTy(desc);
    }
    let mir: &'static str = Box::leak(text.clone().into_boxed_str());
    let name: &'static str = Box::leak(name.to_string().into_boxed_str());
    let desc: &'static ObjDesc =
        Box::leak(Box::new(ObjDesc { kind: ObjKind::Record { mir }, name, mir, fields: OnceLock::new() }));
    table.insert(text, desc);
    ObjTy(desc)
}

/// A field type in a group of record declarations: a type, an array of
/// one, or one of the group's records (by its index in the group).
#[derive(Clone, Debug, PartialEq)]
pub enum FieldTy {
    Ty(Ty),
    Array(Box<FieldTy>),
    /// `{K: V}`, `K` being `text` or `i64`.
    Map(Ty, Box<FieldTy>),
    Record(usize),
}

/// A record declaration of a group (which may refer to each other and to
/// themselves, through arrays).
#[derive(Clone, Debug, PartialEq)]
pub struct RecordDecl {
    pub name: String,
    pub fields: Vec<(String, FieldTy)>,
}

/// The longest MIR text of a record type: a group whose records each use
/// the next twice would otherwise double its text at every level.
const MAX_RECORD_TEXT: usize = 1 << 16;

/// The deepest one record may hold another directly (so writing its text
/// cannot exhaust the stack).
pub const MAX_RECORD_DEPTH: usize = 64;

/// The record types of a group of declarations, in order: each is the
/// type its whole structure spells out, so declaring the same records
/// again (a reloaded unit, the MIR text of another) gives the same types.
pub fn records(decls: &[RecordDecl]) -> Result<Vec<ObjTy>, String> {
    for d in decls {
        for (k, (name, _)) in d.fields.iter().enumerate() {
            if d.fields[..k].iter().any(|(earlier, _)| earlier == name) {
                return Err(format!("record `{}` has two fields named `{name}`", d.name));
            }
        }
    }
    let mut types = Vec::with_capacity(decls.len());
    for i in 0..decls.len() {
        let mut text = String::new();
        write_record(decls, i, &mut Vec::new(), &mut text)?;
        types.push(intern_record(text, &decls[i].name));
    }
    for (decl, t) in decls.iter().zip(&types) {
        let fields =
            decl.fields.iter().map(|(name, ft)| Field { name: name.clone(), ty: resolve(ft, &types) }).collect();
        // A type seen before already has these fields.
        let _ = t.0.fields.set(fields);
    }
    Ok(types)
}

/// The type a field type of a group names, given the group's types.
pub fn resolve(ft: &FieldTy, types: &[ObjTy]) -> Ty {
    match ft {
        FieldTy::Ty(t) => *t,
        FieldTy::Array(e) => Ty::Obj(ObjTy::array(resolve(e, types))),
        FieldTy::Map(k, v) => {
            let v = resolve(v, types);
            ObjTy::map(*k, v).map_or(Ty::I64, Ty::Obj)
        }
        FieldTy::Record(j) => Ty::Obj(types[*j]),
    }
}

/// Appends the MIR text of record `i`: its name, then its fields in
/// braces; a record it is already inside of is written as its name alone.
fn write_record(decls: &[RecordDecl], i: usize, inside: &mut Vec<usize>, out: &mut String) -> Result<(), String> {
    out.push_str(&decls[i].name);
    if inside.contains(&i) {
        return Ok(());
    }
    if inside.len() >= MAX_RECORD_DEPTH {
        return Err(format!("record `{}` nests records more than {MAX_RECORD_DEPTH} deep", decls[i].name));
    }
    inside.push(i);
    out.push('{');
    for (k, (name, ft)) in decls[i].fields.iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        out.push_str(name);
        out.push_str(": ");
        write_field(decls, ft, inside, out)?;
        if out.len() > MAX_RECORD_TEXT {
            return Err(format!(
                "record `{}` is too large a type (more than {MAX_RECORD_TEXT} bytes of MIR text)",
                decls[i].name
            ));
        }
    }
    out.push('}');
    inside.pop();
    Ok(())
}

fn write_field(decls: &[RecordDecl], ft: &FieldTy, inside: &mut Vec<usize>, out: &mut String) -> Result<(), String> {
    match ft {
        FieldTy::Ty(t) => out.push_str(t.mir_name()),
        FieldTy::Array(e) => {
            out.push('[');
            write_field(decls, e, inside, out)?;
            out.push(']');
        }
        FieldTy::Map(k, v) => {
            out.push('{');
            out.push_str(k.mir_name());
            out.push_str(": ");
            write_field(decls, v, inside, out)?;
            out.push('}');
        }
        FieldTy::Record(j) => write_record(decls, *j, inside, out)?,
    }
    Ok(())
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

    fn point(fields: &[(&str, Ty)]) -> RecordDecl {
        let fields = fields.iter().map(|(n, t)| (n.to_string(), FieldTy::Ty(*t))).collect();
        RecordDecl { name: "Point".into(), fields }
    }

    #[test]
    fn a_record_is_its_structure() {
        let p = records(&[point(&[("x", Ty::F64), ("y", Ty::F64)])]).unwrap()[0];
        assert_eq!(p.name(), "Point");
        assert_eq!(p.mir_name(), "Point{x: f64, y: f64}");
        assert_eq!(p.fields().unwrap()[1], Field { name: "y".into(), ty: Ty::F64 });
        assert_eq!(records(&[point(&[("x", Ty::F64), ("y", Ty::F64)])]).unwrap()[0], p);
        assert_ne!(records(&[point(&[("x", Ty::F64), ("z", Ty::F64)])]).unwrap()[0], p);
        assert_eq!(ObjTy::array(Ty::Obj(p)).name(), "[Point]");
        assert_eq!(ObjTy::array(Ty::Obj(p)).mir_name(), "[Point{x: f64, y: f64}]");
    }

    #[test]
    fn records_may_contain_themselves_and_each_other_through_arrays() {
        let node = RecordDecl {
            name: "Node".into(),
            fields: vec![
                ("value".into(), FieldTy::Ty(Ty::I64)),
                ("children".into(), FieldTy::Array(Box::new(FieldTy::Record(0)))),
                ("tag".into(), FieldTy::Record(1)),
            ],
        };
        let tag = RecordDecl {
            name: "Tag".into(),
            fields: vec![("owners".into(), FieldTy::Array(Box::new(FieldTy::Record(0))))],
        };
        let [n, t] = records(&[node, tag]).unwrap()[..] else { panic!() };
        assert_eq!(n.mir_name(), "Node{value: i64, children: [Node], tag: Tag{owners: [Node]}}");
        assert_eq!(t.mir_name(), "Tag{owners: [Node{value: i64, children: [Node], tag: Tag}]}");
        let children = n.fields().unwrap()[1].ty.obj().unwrap();
        assert_eq!(children.elem(), Some(Ty::Obj(n)));
        assert_eq!(n.fields().unwrap()[2].ty, Ty::Obj(t));
    }

    #[test]
    fn a_type_that_doubles_at_every_level_is_refused() {
        let mut decls = vec![point(&[("x", Ty::F64)])];
        for i in 1..40 {
            let f = |k: &str| (k.to_string(), FieldTy::Record(i - 1));
            decls.push(RecordDecl { name: format!("R{i}"), fields: vec![f("a"), f("b")] });
        }
        assert!(records(&decls).unwrap_err().contains("too large"));
    }
}
