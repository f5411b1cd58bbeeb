//! The source language's types, and how they map to MIR types, both ways
//! (lowering maps source to MIR; a manager's earlier MIR functions and
//! host functions are seen by the checker in source types).

use std::fmt;

use crate::mir::{self, HostTy, ObjTy, Signature, Ty};

/// A value type of the source language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    I64,
    F64,
    Bool,
    Text,
    /// `[T]`: an array of a source type `T` (the MIR array type, whose
    /// element always maps back to a source type).
    Array(ObjTy),
    /// A record (`struct`) type: the MIR record type, whose fields all map
    /// back to source types.
    Record(ObjTy),
    /// `{K: V}`: a map from `text` or `i64` keys (the MIR map type).
    Map(ObjTy),
    /// A reference to a host struct in the host's memory (an `extern
    /// val`, an element of one, or a parameter the host passed): a MIR
    /// `ptr`. Not data: it cannot be stored in a global, an array, a
    /// record or a map, or be returned.
    Host(HostTy),
    /// `[T]` of an `extern val`: the host's array of structs. Only indexed,
    /// measured (`len`) and looped over; never a value.
    HostArray(HostTy),
    /// No value: the result of a function that returns nothing.
    Void,
}

impl Type {
    /// The types a program can write (`x: f64`, `-> text`); `void` is not
    /// one of them.
    pub const WRITTEN: [Type; 4] = [Type::I64, Type::F64, Type::Bool, Type::Text];

    pub fn name(self) -> &'static str {
        match self {
            Type::I64 => "i64",
            Type::F64 => "f64",
            Type::Bool => "bool",
            Type::Text => "text",
            Type::Array(o) | Type::Record(o) | Type::Map(o) => o.name(),
            Type::Host(h) => h.name(),
            Type::HostArray(h) => h.array_name(),
            Type::Void => "void",
        }
    }

    /// `[elem]`; `None` for `[void]`.
    pub fn array_of(elem: Type) -> Option<Type> {
        if !elem.is_data() {
            return None;
        }
        elem.to_mir().map(|t| Type::Array(ObjTy::array(t)))
    }

    /// The element type, when this is an array type.
    pub fn elem(self) -> Option<Type> {
        match self {
            Type::Array(o) => o.elem().and_then(Type::from_mir),
            _ => None,
        }
    }

    /// `{key: value}`; `None` unless the key is `text` or `i64`.
    pub fn map_of(key: Type, value: Type) -> Option<Type> {
        if !value.is_data() {
            return None;
        }
        mir::ObjTy::map(key.to_mir()?, value.to_mir()?).map(Type::Map)
    }

    /// A map type's key and value types.
    pub fn map_types(self) -> Option<(Type, Type)> {
        let Type::Map(o) = self else { return None };
        let (k, v) = o.map_types()?;
        Some((Type::from_mir(k)?, Type::from_mir(v)?))
    }

    /// The fields of a record type, with their source types.
    pub fn fields(self) -> Option<Vec<(&'static str, Type)>> {
        let Type::Record(o) = self else { return None };
        o.fields()?.iter().map(|f| Some((f.name.as_str(), Type::from_mir(f.ty)?))).collect()
    }

    /// False for the host's memory, which may be reached only while the
    /// host keeps it: no array, record, map or global may hold it.
    pub fn is_data(self) -> bool {
        !matches!(self, Type::Host(_) | Type::HostArray(_))
    }

    /// A type as a program writes it.
    pub fn from_word(word: &str) -> Option<Type> {
        Type::WRITTEN.into_iter().find(|t| t.name() == word)
    }

    /// The MIR type of a source type; `None` for void.
    pub fn to_mir(self) -> Option<Ty> {
        Some(match self {
            Type::I64 => Ty::I64,
            Type::F64 => Ty::F64,
            Type::Bool => Ty::Bool,
            Type::Text => Ty::Text,
            Type::Array(o) | Type::Record(o) | Type::Map(o) => Ty::Obj(o),
            Type::Host(_) => Ty::Ptr,
            Type::HostArray(_) | Type::Void => return None,
        })
    }

    /// The source type of a MIR type, when it has one.
    pub fn from_mir(t: Ty) -> Option<Type> {
        match t {
            // Only arrays whose elements the language has (nesting is
            // bounded by the type's own text, so this recursion is too),
            // and records: their fields were source types when declared
            // (MIR text may write others, which the language then cannot
            // name, but only reach through functions it cannot call).
            Ty::Obj(o) if o.fields().is_some() => Some(Type::Record(o)),
            Ty::Obj(o) => match o.map_types() {
                Some((k, v)) => Type::from_mir(k).and(Type::from_mir(v)).map(|_| Type::Map(o)),
                None => o.elem().and_then(Type::from_mir).map(|_| Type::Array(o)),
            },
            _ => Type::WRITTEN.into_iter().find(|s| s.to_mir() == Some(t)),
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A function's type as the source language sees it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Sig {
    pub params: Vec<Type>,
    pub ret: Type,
}

impl Sig {
    /// The MIR signature (void parameters, which the checker never makes,
    /// are left out).
    pub fn to_mir(&self) -> Signature {
        Signature { params: self.params.iter().filter_map(|t| t.to_mir()).collect(), ret: self.ret.to_mir() }
    }

    /// The source type of a MIR signature, or the signature as text when
    /// the source language cannot express it (`fn(i32) -> i64`).
    pub fn from_mir(sig: &Signature) -> Result<Sig, String> {
        let params: Option<Vec<Type>> = sig.params.iter().map(|t| Type::from_mir(*t)).collect();
        let ret = match sig.ret {
            None => Some(Type::Void),
            Some(t) => Type::from_mir(t),
        };
        match (params, ret) {
            (Some(params), Some(ret)) => Ok(Sig { params, ret }),
            _ => Err(sig.to_string()),
        }
    }
}

impl fmt::Display for Sig {
    /// As MIR prints signatures (`fn(i64, f64) -> void`): one notation.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let params: Vec<&str> = self.params.iter().map(|t| t.name()).collect();
        write!(f, "fn({}) -> {}", params.join(", "), self.ret)
    }
}
