//! Values crossing between the host and JIT code.

use std::fmt;

use super::helpers::text::{self, OwnedText, RtText};
use super::object::{Object, out_of_memory};
use crate::error::Error;
use crate::mir::Ty;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Void,
    I64(i64),
    F64(f64),
    Bool(bool),
    Text(String),
    /// An array (one reference to it, shared storage until written).
    Array(Object),
    /// A record (one reference to it, shared storage until written).
    Record(Object),
    /// A map (one reference to it, shared storage until written).
    Map(Object),
}

impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Void => "void",
            Value::I64(_) => "i64",
            Value::F64(_) => "f64",
            Value::Bool(_) => "bool",
            Value::Text(_) => "text",
            Value::Array(a) | Value::Record(a) | Value::Map(a) => a.ty().name(),
        }
    }

    /// The 8-byte word an entry trampoline reads for a parameter of type
    /// `ty`, or `None` when this value cannot be passed as one (a text is
    /// passed by the caller, which owns its reference). An i64 is promoted
    /// where a float is expected.
    pub fn to_word(&self, ty: Ty) -> Option<u64> {
        Some(match (self, ty) {
            (Value::I64(v), t) if t.is_int() => *v as u64,
            (Value::I64(v), Ty::F64) => (*v as f64).to_bits(),
            (Value::I64(v), Ty::F32) => u64::from((*v as f32).to_bits()),
            (Value::F64(v), Ty::F64) => v.to_bits(),
            (Value::F64(v), Ty::F32) => u64::from((*v as f32).to_bits()),
            (Value::Bool(b), Ty::Bool) => u64::from(*b),
            // Borrowed: the value keeps its reference while the call runs.
            (Value::Array(a) | Value::Record(a) | Value::Map(a), t) if a.ty() == t => a.as_ptr() as u64,
            _ => return None,
        })
    }

    /// An array or record value, as its type says.
    pub fn object(o: Object) -> Value {
        if o.is_record() {
            Value::Record(o)
        } else if o.is_map() {
            Value::Map(o)
        } else {
            Value::Array(o)
        }
    }

    /// The object, when this is an array or a record.
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Array(o) | Value::Record(o) | Value::Map(o) => Some(o),
            _ => None,
        }
    }

    /// The value's type (`None` for void).
    pub fn ty(&self) -> Option<Ty> {
        Some(match self {
            Value::Void => return None,
            Value::I64(_) => Ty::I64,
            Value::F64(_) => Ty::F64,
            Value::Bool(_) => Ty::Bool,
            Value::Text(_) => Ty::Text,
            Value::Array(a) | Value::Record(a) | Value::Map(a) => a.ty(),
        })
    }

    /// A copy of the value `raw` of type `ty` that someone else holds.
    ///
    /// # Safety
    /// `raw` is a live value of type `ty` (a managed one stays alive while
    /// this runs).
    pub unsafe fn from_borrowed_word(raw: u64, ty: Ty) -> Value {
        match ty {
            // SAFETY: forwarded from the caller.
            Ty::Text => Value::Text(unsafe { text::text_str(raw as *const RtText) }.to_string()),
            // SAFETY: forwarded from the caller.
            Ty::Obj(o) => Value::object(unsafe { Object::from_borrowed(o, raw as *const _) }),
            _ => Value::from_word(raw, Some(ty)),
        }
    }

    /// The value a trampoline stored in its result word for type `ty`,
    /// taking over the reference a text result holds.
    ///
    /// # Safety
    /// For a text type, `raw` is NULL or a text reference the caller owns.
    pub unsafe fn from_owned_word(raw: u64, ty: Option<Ty>) -> Value {
        match ty {
            Some(Ty::Text) => {
                // SAFETY: the caller owns the reference, released here.
                let text = unsafe { OwnedText::from_raw(raw as *mut RtText) };
                Value::Text(text.as_str().to_string())
            }
            // SAFETY: the caller owns the reference, which the value keeps.
            Some(Ty::Obj(o)) => Value::object(unsafe { Object::from_raw(o, raw as *mut _) }),
            _ => Value::from_word(raw, ty),
        }
    }

    /// The value in a result word or cell of an unmanaged type `ty`.
    pub fn from_word(raw: u64, ty: Option<Ty>) -> Value {
        match ty {
            None => Value::Void,
            Some(Ty::F64) => Value::F64(f64::from_bits(raw)),
            Some(Ty::F32) => Value::F64(f64::from(f32::from_bits(raw as u32))),
            Some(Ty::Bool) => Value::Bool(raw & 0xff != 0),
            // Narrow integers (a global's cell holds only their low bytes).
            Some(Ty::I8) => Value::I64(i64::from(raw as u8 as i8)),
            Some(Ty::I16) => Value::I64(i64::from(raw as u16 as i16)),
            Some(Ty::I32) => Value::I64(i64::from(raw as u32 as i32)),
            Some(_) => Value::I64(raw as i64),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Void => f.write_str("void"),
            Value::I64(v) => write!(f, "{v}"),
            Value::F64(v) => write!(f, "{v:?}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Text(s) => write!(f, "{s:?}"),
            Value::Array(a) | Value::Record(a) | Value::Map(a) => write!(f, "{a}"),
        }
    }
}

// Element access in terms of `Value` lives here, so `array` does not need
// to know `Value` (no cycle between the two files).
impl Object {
    /// Element `i` of an array, field `i` of a record, as a value of its
    /// own; `None` past the end.
    pub fn get(&self, i: usize) -> Option<Value> {
        let bits = self.element_bits(i)?;
        // SAFETY: the element is a live value of its slot's type, which
        // the object keeps while we copy it.
        Some(unsafe { Value::from_borrowed_word(bits, self.obj_ty().slot_ty(i)?) })
    }

    /// Appends a copy of `v`, which must be of the element type (an `i64`
    /// is converted where the elements are floats, as calls convert
    /// arguments). Storage shared with other references is copied first.
    pub fn push(&mut self, v: &Value) -> Result<(), Error> {
        let elem = self.elem();
        // A text element is a reference of the runtime's kind, made here
        // and borrowed by the push (which takes a reference of its own).
        let mut text = None;
        let bits = match (v, elem) {
            (Value::Text(s), Ty::Text) => text.insert(OwnedText::new(s).ok_or_else(out_of_memory)?).as_ptr() as u64,
            _ => v.to_word(elem).ok_or_else(|| {
                Error::Signature(format!("cannot push a {} onto a {}", v.type_name(), self.ty().name()))
            })?,
        };
        // SAFETY: `bits` is a value of the element type, alive (`v` or
        // `text` holds it) until the push has taken its own reference.
        let pushed = unsafe { self.push_bits(bits) };
        drop(text);
        pushed
    }

    /// A map's entries in insertion order, as values of their own.
    pub fn entries(&self) -> Vec<(Value, Value)> {
        let Some((k, v)) = self.obj_ty().map_types() else { return Vec::new() };
        (0..self.len())
            .map_while(|i| self.entry_bits(i))
            // SAFETY: the entry is live while the map holds it.
            .map(|(kb, vb)| unsafe { (Value::from_borrowed_word(kb, k), Value::from_borrowed_word(vb, v)) })
            .collect()
    }

    /// A map's value for `key` (of the key type: text or i64), as a value
    /// of its own.
    pub fn lookup(&self, key: &Value) -> Option<Value> {
        let (kt, vt) = self.obj_ty().map_types()?;
        let text;
        let bits = match (key, kt) {
            (Value::Text(s), Ty::Text) => {
                text = OwnedText::new(s)?;
                text.as_ptr() as u64
            }
            (Value::I64(k), Ty::I64) => *k as u64,
            _ => return None,
        };
        // SAFETY: `bits` is a live key (`text` holds a text one); the value
        // is live while the map holds it.
        unsafe { self.lookup_bits(bits).map(|v| Value::from_borrowed_word(v, vt)) }
    }
}
